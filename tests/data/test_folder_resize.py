"""Non-square images in a folder keep their shapes: resize="crop" (default) and "pad"
keep the aspect ratio, "stretch" squashes it."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

import ganzoo.data as gd

SIZE = 32
DIAMETER = 16


def circle_image(width, height, background=0):
    """A white circle, DIAMETER pixels across, in the middle of a width x height canvas."""
    image = Image.new("L", (width, height), background)
    left, top = (width - DIAMETER) // 2, (height - DIAMETER) // 2
    ImageDraw.Draw(image).ellipse([left, top, left + DIAMETER - 1, top + DIAMETER - 1], fill=255)
    return image


def write_circles(folder, width, height, count=4, background=0):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        circle_image(width, height, background).save(folder / f"circle{i}.png")
    return folder


def blob_aspect(image):
    """Width / height of the bright blob (pixels above mid-gray) of one (H, W, 1) image."""
    bright = image[..., 0] > 0.0
    columns, rows = np.flatnonzero(bright.any(axis=0)), np.flatnonzero(bright.any(axis=1))
    return (columns[-1] - columns[0] + 1) / (rows[-1] - rows[0] + 1)


@pytest.mark.parametrize("width, height", [(40, 20), (20, 40)])
def test_crop_and_pad_keep_a_circle_round_and_stretch_does_not(tmp_path, width, height):
    folder = write_circles(tmp_path / "circles", width, height)
    aspects = {}
    for resize in ("crop", "pad", "stretch"):
        images, _ = gd.load_arrays(folder, SIZE, channels=1, resize=resize)
        assert images.shape == (4, SIZE, SIZE, 1)
        aspects[resize] = blob_aspect(images[0])
    assert aspects["crop"] == pytest.approx(1.0, abs=0.1)
    assert aspects["pad"] == pytest.approx(1.0, abs=0.15)
    squash = (SIZE / width) / (SIZE / height)  # 0.5 for the wide canvas, 2 for the tall one
    assert aspects["stretch"] == pytest.approx(squash, rel=0.2)


def test_crop_is_the_default_for_arrays_and_batches(tmp_path):
    folder = write_circles(tmp_path / "circles", 40, 20)
    cropped, _ = gd.load_arrays(folder, SIZE, channels=1, resize="crop")
    default, _ = gd.load_arrays(folder, SIZE, channels=1)
    np.testing.assert_array_equal(default, cropped)
    batch = next(iter(gd.load(folder, SIZE, batch_size=4, channels=1, shuffle=False)))
    np.testing.assert_array_equal(batch.numpy(), cropped)
    padded = next(iter(gd.load(folder, SIZE, batch_size=4, channels=1, shuffle=False,
                               resize="pad")))
    assert blob_aspect(padded.numpy()[0]) == pytest.approx(1.0, abs=0.15)


def test_pad_fills_with_black_and_crop_keeps_the_centre(tmp_path):
    # A mid-gray canvas: the padding is black (-1), the canvas stays gray (about 0).
    folder = write_circles(tmp_path / "gray", 40, 20, count=1, background=128)
    padded, _ = gd.load_arrays(folder, SIZE, channels=1, resize="pad")
    image = padded[0, ..., 0]
    np.testing.assert_allclose(image[:6], -1.0)    # top band: padding
    np.testing.assert_allclose(image[-6:], -1.0)   # bottom band: padding
    assert abs(float(image[SIZE // 2, 2])) < 0.05  # left edge of the middle row: the canvas
    cropped, _ = gd.load_arrays(folder, SIZE, channels=1, resize="crop")
    assert cropped.min() > -0.05  # no padding anywhere: gray canvas and white circle only


def test_square_images_are_the_same_under_every_mode(tmp_path):
    folder = write_circles(tmp_path / "square", 24, 24)
    results = [gd.load_arrays(folder, SIZE, channels=1, resize=mode)[0]
               for mode in ("crop", "pad", "stretch")]
    np.testing.assert_array_equal(results[0], results[1])
    np.testing.assert_array_equal(results[0], results[2])


def test_two_domain_folders_take_resize_too(tmp_path):
    for domain in "AB":
        write_circles(tmp_path / "pair" / f"train{domain}", 40, 20, count=2)
    images_a, images_b = gd.load_unpaired_arrays(tmp_path / "pair", SIZE, channels=1)
    assert blob_aspect(images_a[0]) == pytest.approx(1.0, abs=0.1)
    assert blob_aspect(images_b[0]) == pytest.approx(1.0, abs=0.1)
    stretched, _ = gd.load_unpaired_arrays(tmp_path / "pair", SIZE, channels=1, resize="stretch")
    assert blob_aspect(stretched[0]) == pytest.approx(0.5, rel=0.2)
    batch_a, _ = next(iter(gd.load_unpaired(tmp_path / "pair", SIZE, batch_size=2, channels=1,
                                            shuffle=False, resize="pad")))
    assert blob_aspect(batch_a.numpy()[0]) == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize("call", [
    lambda folder: gd.load(folder, SIZE, batch_size=2, resize="squash"),
    lambda folder: gd.load_arrays(folder, SIZE, resize="fit"),
    lambda folder: gd.load_unpaired("digits2negative", SIZE, resize="Crop"),
])
def test_an_unknown_resize_names_the_choices(tmp_path, call):
    folder = write_circles(tmp_path / "circles", 40, 20)
    with pytest.raises(ValueError, match="resize must be 'crop'.*'pad'.*'stretch'"):
        call(folder)
