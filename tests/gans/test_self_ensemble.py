"""The geometric self-ensemble: each of the eight views is transformed back before the
mean, so the ensemble of an equivariant network is the network, and orientation-
dependent parts average out."""

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo.gans.self_ensemble import DIHEDRAL, average_over_symmetries


def _images(shape=(2, 3, 5, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32")


def _repeat(images, factor=2):
    return np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)


def test_the_eight_views_are_distinct_symmetries():
    square = np.arange(9.0).reshape(1, 3, 3, 1)
    views = {np.rot90(square, turns, axes=(1, 2))[:, :, ::-1 if flip else 1].tobytes()
             for turns, flip in DIHEDRAL}
    assert len(DIHEDRAL) == 8 and len(views) == 8


def test_an_equivariant_network_is_its_own_ensemble_on_non_square_images():
    images = _images()
    np.testing.assert_allclose(average_over_symmetries(_repeat, images), _repeat(images),
                               atol=1e-6)


def test_a_ramp_the_network_adds_in_its_own_orientation_averages_to_its_mean():
    # The network adds 0 -> 1 along the width it is given; undone and averaged over the
    # eight views, the ramps point both ways along both axes: +0.5 everywhere, and the
    # image itself must come back in place.
    def ramped(images):
        return _repeat(images) + np.linspace(0, 1, 2 * images.shape[2], dtype="float32")[
            None, None, :, None]

    images = _images()
    np.testing.assert_allclose(average_over_symmetries(ramped, images), _repeat(images) + 0.5,
                               atol=1e-6)


def test_upscale_with_self_ensemble_averages_the_generators_views():
    low = keras.Input((None, None, 3))
    model = ganzoo.SRResNet(scale=2, generator=keras.Model(low, keras.layers.UpSampling2D(2)(low)))
    images = _images((1, 4, 6, 3))
    np.testing.assert_allclose(model.upscale(images, self_ensemble=True),
                               model.upscale(images), atol=1e-6)
    untrained = ganzoo.SRResNet(scale=2, residual_blocks=1, filters=8, seed=0)
    single, ensembled = (untrained.upscale(images[0], self_ensemble=flag) for flag in (False, True))
    assert ensembled.shape == single.shape == (8, 12, 3)
    expected = average_over_symmetries(
        lambda views: np.asarray(untrained.generator(views, training=False)), images)[0]
    np.testing.assert_allclose(ensembled, expected, atol=1e-5)
    assert np.abs(ensembled - single).max() > 1e-3  # a random network is not equivariant
