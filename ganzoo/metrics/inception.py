"""InceptionV3 pool features (2048-d) from keras.applications with ImageNet weights: standard FID.

The weights are not shipped (about 90 MB). With a network, Keras downloads them once
into its cache (`~/.keras/models`, or `$KERAS_HOME/models`). Offline, pass the file:
`InceptionV3Extractor(weights="/path/to/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")`.
Without either, construction fails at once with a message that says so: it never waits
on a download that cannot happen.

These are Keras' ImageNet weights, not the TF1 graph the TTUR reference code uses, so
FIDs are comparable among numbers measured here, not with published tables.
"""

import os
import socket
import warnings
from pathlib import Path
from urllib.parse import urlparse

import tensorflow as tf

from ganzoo.files import sha256_of
from ganzoo.metrics.extractors import FeatureExtractor

INPUT_SIZE = 299
FEATURE_DIM = 2048
_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
# (file name, md5 Keras checks after a download) for include_top False / True.
WEIGHTS = {
    False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "bcbd6486424b2319ff4ef7d526e38f63"),
    True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
           "9a0d58056eeedaa3f26cb7ebd46da564"),
}


class MissingWeightsError(FileNotFoundError):
    """A feature extractor's weights file is neither given, cached nor downloadable."""


def keras_models_dir():
    """Where Keras' `get_file` keeps downloaded models: as Keras decides it, /tmp when home is read-only."""
    home = os.path.expanduser(os.environ.get("KERAS_HOME")
                              or os.path.join(os.path.expanduser("~"), ".keras"))
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return Path(home) / "models"


def find_cached_weights(include_top=False):
    """The cached ImageNet weights file of InceptionV3, or None."""
    path = keras_models_dir() / WEIGHTS[include_top][0]
    return path if path.is_file() else None


def resolve_weights(weights="imagenet", include_top=False, download=True, timeout=10.0):
    """A local weights file for `weights` ("imagenet" or a path), or MissingWeightsError."""
    name, md5 = WEIGHTS[include_top]
    how_to = (f"Download {_BASE_URL}{name} where you have a network and pass "
              f"weights='/path/to/{name}' (CLI: --inception-weights PATH), or copy it to "
              f"{keras_models_dir()}/.")
    if weights != "imagenet":
        path = Path(weights).expanduser()
        if not path.is_file():
            raise MissingWeightsError(f"InceptionV3 weights file {path} does not exist. {how_to}")
        return path
    cached = find_cached_weights(include_top)
    if cached is not None:
        return cached
    if not download:
        raise MissingWeightsError(f"InceptionV3 ImageNet weights are not in the Keras cache and "
                                  f"download=False. {how_to}")
    host = urlparse(_BASE_URL).hostname
    try:
        # A short probe first: offline, this fails in seconds instead of a stalled download.
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as error:
        raise MissingWeightsError(f"InceptionV3 ImageNet weights are not cached and {host} is "
                                  f"unreachable ({error}). {how_to}") from None
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout * 6)
    try:
        return Path(keras.utils.get_file(name, _BASE_URL + name, cache_subdir="models",
                                         file_hash=md5))
    except Exception as error:  # urllib, hash mismatch ...: one clear message, not a traceback
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise MissingWeightsError(f"Downloading the InceptionV3 ImageNet weights failed "
                                  f"({reason}). {how_to}") from None
    finally:
        socket.setdefaulttimeout(previous)


class InceptionV3Extractor(FeatureExtractor):
    """InceptionV3 average-pool features; with `include_top=True` also ImageNet class probabilities.

    Szegedy et al. 2016, arXiv:1512.00567; features for FID/KID as in Heusel et al. 2017.

    Args:
        weights: "imagenet" (Keras' cache, else a download), a path to the `.h5`
            weights file, or None for random weights (only for testing the plumbing).
        include_top: also return the 1000 ImageNet class probabilities (needs the
            full weights file, `inception_v3_weights_tf_dim_ordering_tf_kernels.h5`).
        download: allow a download when the weights are not cached.
        timeout: seconds to wait for the weights host before giving up.

    Example:
        >>> extractor = InceptionV3Extractor(weights="~/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")
        >>> features, _ = extractor.extract(images)
    """

    name = "keras-inception-v3-imagenet"
    feature_dim = FEATURE_DIM
    batch_size = 32

    def __init__(self, weights="imagenet", include_top=False, download=True, timeout=10.0):
        path = None
        if weights is None:
            warnings.warn("InceptionV3Extractor with random weights: its numbers mean nothing.",
                          stacklevel=2)
            self.name = "keras-inception-v3-random"
        else:
            path = resolve_weights(weights, include_top, download, timeout)
        import keras

        # Built without weights, then loaded from the local file: Keras never downloads here.
        base = keras.applications.InceptionV3(include_top=include_top, weights=None,
                                              input_shape=(INPUT_SIZE, INPUT_SIZE, 3),
                                              pooling=None if include_top else "avg")
        if path is not None:
            try:
                base.load_weights(str(path))
            except Exception as error:
                raise ValueError(f"{path} is not a weights file of InceptionV3 with "
                                 f"include_top={include_top}: {str(error).splitlines()[0]}") from None
        self.weights_path = None if path is None else str(path)
        self.weights_sha256 = None if path is None else sha256_of(path)
        self.num_classes = 1000 if include_top else None
        outputs = ([base.get_layer("avg_pool").output, base.output] if include_top
                   else [base.output])
        self._model = keras.Model(base.inputs, outputs)
        self._forward = tf.function(lambda x: self._model(x, training=False), reduce_retracing=True)

    def _run(self, images):
        images = tf.convert_to_tensor(images)
        if images.shape[-1] == 1:
            images = tf.repeat(images, 3, axis=-1)
        # Inception's own preprocessing maps [0, 255] to [-1, 1]: ganzoo images already are.
        images = tf.image.resize(images, (INPUT_SIZE, INPUT_SIZE), method="bilinear",
                                 antialias=True)
        outputs = self._forward(tf.clip_by_value(images, -1.0, 1.0))
        if self.num_classes:
            return outputs[0].numpy(), outputs[1].numpy()
        out = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
        return out.numpy(), None

    def protocol(self):
        return {**super().protocol(), "input": f"{INPUT_SIZE}x{INPUT_SIZE} RGB, bilinear resize",
                "feature_layer": "average pool (2048)", "weights_file": self.weights_path and
                Path(self.weights_path).name}
