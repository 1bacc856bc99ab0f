"""Pluggable feature extractors: images in [-1, 1] -> (features, class probabilities).

Every metric in `ganzoo.metrics` works on feature arrays; an extractor is what turns
images into them, and it is part of each number's protocol (a FID under one extractor
says nothing about a FID under another). Two ship with ganzoo:

- "digits": `DigitsClassifier`, a small CNN trained on the digits train split, its
  weights inside the package (works offline). Features for digits-FID/KID and
  precision/recall, softmax for the Inception Score and mode coverage. It measures
  digits only, and refuses other images.
- "inception": `InceptionV3Extractor`, Keras' ImageNet InceptionV3 pool features
  (2048-d), for users with a network or a local weights file.

Your own: a `.keras` file or a `keras.Model` (`KerasModelExtractor`, features from a
layer you name) or any function `images -> features` (`CallableExtractor`), through
`ganzoo.metrics.get_extractor`; or register a factory under a name with
`ganzoo.metrics.register_extractor(name, factory)` (see `ganzoo.metrics.registry`).
"""

from pathlib import Path

import numpy as np

from ganzoo.errors import GanzooError

# Images a GAN makes may overshoot [-1, 1] by round-off; anything further out is a
# different convention (such as [0, 255]) and would make every metric meaningless.
RANGE_TOLERANCE = 1e-2


class ExtractorError(GanzooError, ValueError):
    """A feature extractor cannot be built (a bad model file or layer), or refuses images
    it cannot measure meaningfully (the wrong channels, or not its domain)."""


class FeatureExtractor:
    """Base of all extractors: batching, input checks and the protocol record.

    Subclasses set `name`, `feature_dim`, `num_classes` (None when the extractor has
    no class probabilities) and `weights_sha256`, and implement `_run(images)`
    returning `(features, probs or None)` for one batch of checked images. An
    extractor for one domain only (the digits classifier) refuses other data in
    `check_source` and `check_real`.
    """

    name = "extractor"
    feature_dim = None
    num_classes = None
    weights_sha256 = None
    batch_size = 256

    def check_source(self, source):
        """Refuse (ExtractorError) a data source (`ganzoo.data` source) this extractor
        cannot measure; the base accepts any."""

    def check_real(self, stats):
        """Refuse (ExtractorError) a real set this extractor cannot measure, from its
        `FeatureStats`; the base accepts any."""

    def _run(self, images):
        raise NotImplementedError

    def extract(self, images, batch_size=None):
        """(features (N, D) float64, probabilities (N, C) float64 or None) of `images` in [-1, 1]."""
        images = check_images(images)
        batch_size = batch_size or self.batch_size
        features, probs = [], []
        for start in range(0, len(images), batch_size):
            batch_features, batch_probs = self._run(images[start:start + batch_size])
            features.append(np.asarray(batch_features, np.float64))
            if batch_probs is not None:
                probs.append(np.asarray(batch_probs, np.float64))
        features = np.concatenate(features, axis=0)
        return features, (np.concatenate(probs, axis=0) if probs else None)

    def protocol(self):
        """What a reader needs to reproduce a number measured with this extractor."""
        return {"extractor": self.name, "weights_sha256": self.weights_sha256,
                "feature_dim": self.feature_dim, "num_classes": self.num_classes}

    def __repr__(self):
        digest = (self.weights_sha256 or "none")[:12]
        return f"{type(self).__name__}(name={self.name!r}, weights_sha256={digest})"


def check_images(images):
    """`images` as float32 (N, H, W, C) with C in {1, 3} and values in [-1, 1], or ValueError."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError("feature extractors take images of shape (N, H, W, 1 or 3); got shape "
                         f"{images.shape}. Samples that are not images (such as 2D points) "
                         "need other metrics.")
    if len(images) == 0:
        raise ValueError("feature extractors need at least one image; got none.")
    low, high = float(images.min()), float(images.max())
    if not np.isfinite(low) or not np.isfinite(high):
        raise ValueError("images contain NaN or infinite values.")
    if low < -1 - RANGE_TOLERANCE or high > 1 + RANGE_TOLERANCE:
        raise ValueError(f"images must be in [-1, 1] (as ganzoo GANs make them); got values in "
                         f"[{low:.3g}, {high:.3g}]. Map [0, 255] images with x / 127.5 - 1.")
    return np.clip(images, -1.0, 1.0)


def package_file(name):
    return Path(__file__).resolve().parent / name
