"""Pretrained weights of zoo entries: the networks a user runs, in one checked file.

A weights file holds what generating, translating or scoring needs and nothing else
(no optimizer state): `generator` for a GAN (a Pix2Pix, an SRResNet or SRGAN too), and
`generator_ema` as well for a model with a generator EMA (`ema_decay`: it samples,
translates or upscales with the average, and the raw generator stays available), `generator_ab` and `generator_ba`
for a CycleGAN, and an anomaly detector's `state()` (every array its score depends
on). It is a NumPy `.npz` archive of each network's `get_weights()` (batch-norm
statistics included), keyed `network/index`, so loading runs no code from the file.
Every file is identified by its SHA-256: a mismatch is an error, whether the file ships
with the package, sits on disk, or comes from a URL.
"""

import zipfile
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from ganzoo.anomaly.base import DETECTOR
from ganzoo.files import sha256_of
from ganzoo.gans import CycleGAN


def inference_networks(gan):
    """{name: keras.Model} of the networks a ready GAN needs: its generator(s)."""
    if isinstance(gan, CycleGAN):  # two translators, one per direction
        return {"generator_ab": gan.generator_ab, "generator_ba": gan.generator_ba}
    networks = {"generator": gan.generator}
    averaged = gan.inference_generator()
    if averaged is not gan.generator:  # its generator EMA
        networks["generator_ema"] = averaged
    return networks


def weight_arrays(model):
    """{key: array} of what a weights file holds for `model`, a GAN or a detector."""
    if model.kind == DETECTOR:
        return model.state()
    return {f"{name}/{index:03d}": weights
            for name, network in inference_networks(model).items()
            for index, weights in enumerate(network.get_weights())}


def save_weights(model, path):
    """Write the inference networks' weights (a detector: its state) to `path` (.npz);
    returns its SHA-256."""
    if model.kind == DETECTOR and not model.fitted:
        raise ValueError(f"This {type(model).__name__} has not been fitted; its weights would "
                         "score nothing.")
    arrays = weight_arrays(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as stream:  # np.savez would append .npz to a str path
        np.savez(stream, **arrays)
    return sha256_of(path)


def load_weights(model, path, sha256=None):
    """Set `model`'s inference networks (a detector: its state) from a weights file
    written by `save_weights`; returns the model, a detector now fitted.

    Args:
        model: a GAN or detector of the entry's architecture.
        path: the `.npz` file.
        sha256: the expected SHA-256; a different file is an error that says so.
    """
    path = Path(path)
    if sha256 is not None:
        check_sha256(path, sha256)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"Cannot read pretrained weights {path}: {error}. The file is "
                         "damaged or not a ganzoo weights file.") from None
    if model.kind == DETECTOR:
        return _set_detector_state(model, arrays, path)
    for name, network in inference_networks(model).items():
        expected = network.get_weights()
        stored = [arrays.get(f"{name}/{index:03d}") for index in range(len(expected))]
        shapes = [None if array is None else array.shape for array in stored]
        if shapes != [array.shape for array in expected]:
            held = sum(array is not None for array in stored)
            raise ValueError(f"Pretrained weights {path} do not fit {name} of this "
                             f"{type(model).__name__}: they hold {held} "
                             f"arrays for it where {len(expected)} of shapes "
                             f"{[a.shape for a in expected][:3]}... are needed.")
        network.set_weights(stored)
    if hasattr(model, "stage_from_networks"):  # a ProGAN: its schedule follows its networks
        model.stage_from_networks()
    return model


def _set_detector_state(detector, arrays, path):
    expected = sorted(detector.state())
    problem = None
    if sorted(arrays) != expected:
        problem = (f"they hold {sorted(arrays)[:3]}... where {expected[:3]}... "
                   f"({len(expected)} arrays) are needed")
    else:
        try:
            detector.set_state(arrays)
        except (ValueError, KeyError) as error:  # set_state checks every shape
            problem = str(error)
    if problem is not None:
        raise ValueError(f"Pretrained weights {path} do not fit this {type(detector).__name__}: "
                         f"{problem}.")
    detector.fitted = True
    return detector


def check_sha256(path, expected):
    """Raise ValueError unless the file's SHA-256 is `expected`."""
    actual = sha256_of(path)
    if actual != expected:
        raise ValueError(f"SHA-256 mismatch for {path}: expected {expected}, got {actual}. The "
                         "file is truncated, damaged or not the published one; delete it and "
                         "download it again, or check the sha256 you gave.")


def fetch(location, sha256, name, cache_dir=None):
    """A local path to weights at `location` (a path or an http(s)/file URL).

    URLs are downloaded once into `cache_dir/ganzoo/` (default Keras' `~/.keras`, as
    `keras.utils.get_file` does) and checked against `sha256` every time.
    """
    scheme = urlparse(str(location)).scheme
    if scheme in ("http", "https", "file"):
        import keras

        if sha256 is None:
            raise ValueError(f"Weights from a URL need their sha256 ({location}).")
        if cache_dir is not None:  # get_file silently falls back to /tmp for a missing folder
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
        try:
            path = Path(keras.utils.get_file(fname=f"{name}-{sha256[:16]}.npz", origin=location,
                                             cache_subdir="ganzoo", cache_dir=cache_dir))
        except Exception as error:  # noqa: BLE001 -- urllib raises many kinds; say which URL
            raise ValueError(f"Cannot download weights from {location}: {error}") from None
    else:
        path = Path(location).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"Pretrained weights file {path} does not exist.")
    if sha256 is not None:
        check_sha256(path, sha256)
    return path
