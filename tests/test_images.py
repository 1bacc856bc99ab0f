"""Sample grids: layout and value mapping."""

import numpy as np
import pytest
from PIL import Image

from ganzoo.images import make_grid, save_grid, to_uint8


def test_to_uint8_maps_the_tanh_range_to_bytes():
    np.testing.assert_array_equal(to_uint8([-1.0, 0.0, 1.0, 2.0]), [0, 128, 255, 255])


def test_grid_places_each_image_in_its_cell():
    images = np.stack([np.full((4, 4, 1), value) for value in (-1.0, 1.0, 1.0)])
    grid = make_grid(images, columns=2, padding=1)
    assert grid.shape == (2 * 5 + 1, 2 * 5 + 1, 1)
    assert (grid[1:5, 1:5] == 0).all() and (grid[1:5, 6:10] == 255).all()
    assert (grid[6:10, 1:5] == 255).all() and (grid[6:10, 6:10] == 0).all()  # empty cell


def test_save_grid_writes_a_png_of_the_expected_size(tmp_path):
    path = save_grid(np.zeros((9, 8, 8, 3)), tmp_path / "sub" / "grid.png", scale=2)
    with Image.open(path) as picture:
        assert picture.size == (2 * (3 * 9 + 1),) * 2 and picture.mode == "RGB"


def test_non_image_samples_are_refused():
    with pytest.raises(ValueError, match=r"\(N, H, W, 1 or 3\)"):
        make_grid(np.zeros((4, 2)))
