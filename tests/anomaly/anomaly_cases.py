"""Tiny cases of every detector, and the images the anomaly tests use."""

import numpy as np

from ganzoo import anomaly

SHAPE = (8, 8, 1)
# (detector, constructor arguments, epochs): tiny networks, a few dozen steps each, with
# learning rates high enough to learn one image in that time.
CASES = [
    ("GANomaly", dict(latent_dim=8, base_filters=4), 20),
    ("FAnoGAN", dict(latent_dim=8, base_filters=4, n_critic=2, learning_rate=5e-3,
                      encoder_learning_rate=1e-2), 20),
    ("PCA", dict(), None),
    ("ConvAutoencoder", dict(latent_dim=8, base_filters=4, learning_rate=1e-2), 20),
    ("DiscriminatorLogit", dict(latent_dim=8, base_filters=4), 20),
]
NAMES = [name for name, _, _ in CASES]


def constant_image(value=-0.6, shape=SHAPE):
    return np.full(shape, value, np.float32)


def other_images(shape=SHAPE):
    """Images unlike the constant training image: bright, striped, noisy."""
    bright = np.full(shape, 0.6, np.float32)
    stripes = np.where(np.arange(shape[1]) % 2 == 0, 0.9, -0.9).astype(np.float32)
    stripes = np.broadcast_to(stripes[None, :, None], shape).copy()
    noise = np.random.default_rng(3).uniform(-1, 1, shape).astype(np.float32)
    return np.stack([bright, stripes, noise])


def mixed_images(count=40, shape=SHAPE):
    """A varied batch in [-1, 1] to score."""
    return np.random.default_rng(5).uniform(-1, 1, (count, *shape)).astype(np.float32)


def make_detector(name, seed=0, shape=SHAPE):
    kwargs = dict(CASES[NAMES.index(name)][1])
    return anomaly.get_detector(name)(image_shape=shape, seed=seed, **kwargs)


def epochs_of(name):
    return CASES[NAMES.index(name)][2]
