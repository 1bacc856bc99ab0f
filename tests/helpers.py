"""Shared test helpers: small instances of every variant, tiny datasets."""

from pathlib import Path

import h5py
import keras
import numpy as np
import tensorflow as tf
from PIL import Image

import ganzoo

# (id, class, constructor arguments): tiny networks so each case trains in seconds.
VARIANT_CASES = [
    ("vanilla-points", ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,))),
    ("vanilla-images", ganzoo.VanillaGAN, dict(data_shape=(8, 8, 1), latent_dim=8, hidden_units=(32,))),
    ("dcgan", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8)),
    ("dcgan-minimax-smoothed", ganzoo.DCGAN, dict(image_shape=(8, 8, 3), latent_dim=8, base_filters=8,
                                                   loss="minimax", label_smoothing=0.1)),
    ("dcgan-lsgan-sn-packed", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                                                  loss="least_squares", spectral_norm=True, pack=2)),
    ("vanilla-hinge-sn-packed", ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,),
                                                         loss="hinge", spectral_norm=True, pack=4)),
    ("wgangp-points", ganzoo.WGANGP, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,), n_critic=3)),
    ("wgangp-images-packed", ganzoo.WGANGP, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                                                  n_critic=2, pack=2)),
    ("dcgan-resize", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                                        upsampling="resize")),
    ("wgangp-images-resize-bilinear", ganzoo.WGANGP, dict(
        image_shape=(8, 8, 3), latent_dim=8, base_filters=8, n_critic=2, upsampling="resize",
        resize_interpolation="bilinear")),
]


def make_gan(cls, kwargs, seed=0):
    gan = cls(**kwargs, seed=seed)
    gan.compile()
    return gan


def image_dataset(num, shape, batch_size, with_labels=False):
    """Random images in [-1, 1] as a batched dataset (drop_remainder)."""
    images = np.random.default_rng(1).uniform(-1, 1, (num, *shape)).astype("float32")
    elements = (images, np.zeros(num, "int32")) if with_labels else images
    return tf.data.Dataset.from_tensor_slices(elements).batch(batch_size, drop_remainder=True)


def weights_of(model):
    return [np.array(w) for w in model.trainable_weights]


def changed(before, after):
    """True when every kernel (weights of rank >= 2) moved.

    Biases may legitimately stay: under the hinge loss with all margins active, the
    last bias gets exactly -1 + 1 = 0 gradient.
    """
    pairs = [(b, a) for b, a in zip(before, after) if b.ndim >= 2]
    return bool(pairs) and all(not np.array_equal(b, a) for b, a in pairs)


# 1437 digits train images in batches of 32: 44 steps per epoch.
STEPS_PER_EPOCH = 44


def tiny_config(epochs=3, steps_per_execution=1):
    return {"name": "tiny-vanilla", "variant": "VanillaGAN",
            "model": {"data_shape": [8, 8, 1], "latent_dim": 8, "hidden_units": [32]},
            "data": {"source": "digits", "batch_size": 32},
            "training": {"epochs": epochs, "seed": 0, "steps_per_execution": steps_per_execution}}


def weight_arrays(path):
    arrays = {}
    with h5py.File(path, "r") as stream:
        stream.visititems(lambda name, item: arrays.__setitem__(name, item[()])
                          if isinstance(item, h5py.Dataset) else None)
    return arrays


def assert_same_weights(run_a, run_b):
    a, b = weight_arrays(run_a / "gan.weights.h5"), weight_arrays(run_b / "gan.weights.h5")
    assert a.keys() == b.keys() and len(a) > 10
    for name in a:
        assert np.array_equal(a[name], b[name]), name


class Crash(keras.callbacks.Callback):
    """Stands in for a crash: stops the process's training abruptly after generator step
    `step` (its checkpoint, if one is due, is written)."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations) >= self.step:
            raise KeyboardInterrupt


# A made-up pix2pix dataset: the gray level of A (the left half) in pair i of split s.
PIX2PIX_SPLITS = ("train", "val", "test")


def pix2pix_level(split, index):
    return 80 * PIX2PIX_SPLITS.index(split) + 8 * index


def pix2pix_folder(root, count=8, half=16):
    """A pix2pix-layout folder at `root`: train/, val/ and test/ of `count` side-by-side
    A|B jpgs each, `half` px high and 2 `half` wide, A gray at `pix2pix_level` and B its
    inverse (255 - A), flat so that JPEG keeps them within a level or two."""
    for split in PIX2PIX_SPLITS:
        (root / split).mkdir(parents=True)
        for index in range(count):
            pixels = np.empty((half, 2 * half, 3), np.uint8)
            pixels[:, :half] = pix2pix_level(split, index)
            pixels[:, half:] = 255 - pix2pix_level(split, index)
            Image.fromarray(pixels).save(root / split / f"{index + 1}.jpg", quality=95)
    return root


def mock_pix2pix_download(monkeypatch, cache):
    """Make the pix2pix downloads offline: the Keras cache is `cache`, and
    `keras.utils.get_file` a stand-in that unpacks a made-up `pix2pix_folder` where Keras
    3.15 unpacks an archive (`cache_dir/cache_subdir/<name>_extracted/`, which holds the
    archive's `<name>/`). Returns the list of the calls' keyword arguments."""
    monkeypatch.setenv("KERAS_HOME", str(cache))
    calls = []

    def get_file(**kwargs):
        calls.append(kwargs)
        name = kwargs["fname"].split(".")[0]
        unpacked = Path(kwargs["cache_dir"]) / kwargs["cache_subdir"] / f"{name}_extracted"
        if not unpacked.exists():
            pix2pix_folder(unpacked / name)
        return str(unpacked)

    monkeypatch.setattr(keras.utils, "get_file", get_file)
    return calls
