"""Features from any Python function `images -> features`: models ganzoo cannot load itself
(PyTorch, JAX, an ONNX session, a hand-made descriptor)."""

import numpy as np

from ganzoo.metrics.extractors import ExtractorError, FeatureExtractor


class CallableExtractor(FeatureExtractor):
    """Features from a function of images; no class probabilities.

    The function gets float32 NumPy images (N, H, W, C) in [-1, 1], as the GAN makes
    them: no resizing, no channel or range conversion (do what your model needs). It
    returns one feature vector per image, (N, D), as a NumPy array or a tensor. It
    gives no class probabilities, so the Inception Score and mode coverage are not
    measured with it. Nothing identifies the weights behind a function: the report
    records its name only, so give it one that does (`name="faces-embedding-v2"`).

    Args:
        function: `images -> features`.
        name: how reports name it; default "callable:" and the function's qualified name.
        batch_size: images per call.

    Example:
        >>> extractor = CallableExtractor(lambda x: embed(x).numpy(), name="faces-embedding-v2")
        >>> ganzoo.metrics.compare(gan.generate(500, seed=0), real_images, extractor)
    """

    def __init__(self, function, name=None, batch_size=256):
        if not callable(function):
            raise TypeError(f"function must be callable; got {type(function).__name__}.")
        self.function = function
        qualified = getattr(function, "__qualname__", type(function).__qualname__)
        module = getattr(function, "__module__", None) or type(function).__module__
        self.name = name or f"callable:{module}.{qualified}"
        self.batch_size = int(batch_size)

    def _run(self, images):
        features = np.asarray(self.function(images), np.float64)
        if features.ndim != 2 or len(features) != len(images):
            raise ExtractorError(f"{self.name} returned features of shape {features.shape} for "
                                 f"{len(images)} images; it must return one vector per image, "
                                 f"shape ({len(images)}, D).")
        if not np.all(np.isfinite(features)):
            raise ExtractorError(f"{self.name} returned NaN or infinite features.")
        if self.feature_dim is not None and features.shape[1] != self.feature_dim:
            raise ExtractorError(f"{self.name} returned {features.shape[1]} features per image, "
                                 f"after {self.feature_dim} before; it must return the same "
                                 "number every call.")
        self.feature_dim = int(features.shape[1])
        return features, None

    def protocol(self):
        return {**super().protocol(),
                "input": "as generated: float32 (N, H, W, C) in [-1, 1], no resizing"}
