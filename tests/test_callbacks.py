"""SampleGrid: a fixed latent batch rendered every k epochs, to PNG and TensorBoard."""

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo.training.callbacks import SampleGrid
from helpers import image_dataset, make_gan


def test_grids_follow_the_schedule_and_use_one_fixed_latent_batch(tmp_path):
    gan = make_gan(ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8))
    grids = SampleGrid(tmp_path / "samples", num=4, seed=5, every=2, log_dir=tmp_path / "logs",
                       scale=1)
    gan.fit(image_dataset(16, (8, 8, 1), 8), epochs=4, verbose=0, callbacks=[grids])

    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == [
        "epoch_002.png", "epoch_004.png", "latest.png"]
    with Image.open(tmp_path / "samples" / "latest.png") as latest:
        pixels = np.array(latest)
    # the last grid is exactly the current generator on the fixed latent batch
    expected = ganzoo.images.make_grid(gan.generate(4, seed=5))[..., 0]
    np.testing.assert_array_equal(pixels, expected)
    assert list((tmp_path / "logs" / "samples").glob("events.out.tfevents.*"))


def test_2d_samples_become_a_scatter_plot_over_the_reference(tmp_path):
    gan = make_gan(ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(8,)))
    centers, _ = ganzoo.data.mixtures.mixture("ring8")
    gan.fit(np.zeros((8, 2), "float32"), epochs=1, batch_size=4, verbose=0,
            callbacks=[SampleGrid(tmp_path, reference=centers)])
    with Image.open(tmp_path / "latest.png") as picture:
        pixels = np.array(picture)
    assert pixels.shape == (400, 400, 3)
    assert (pixels == [255, 64, 64]).all(axis=-1).sum() >= 8 * 9  # the 8 red crosses
    assert (pixels == [255, 255, 255]).all(axis=-1).any()          # the samples


def test_samples_that_are_neither_images_nor_points_are_refused(tmp_path):
    gan = make_gan(ganzoo.VanillaGAN, dict(data_shape=(3,), latent_dim=4, hidden_units=(8,)))
    with pytest.raises(ValueError, match="image grids and 2D scatter plots"):
        gan.fit(np.zeros((8, 3), "float32"), epochs=1, batch_size=4, verbose=0,
                callbacks=[SampleGrid(tmp_path)])
