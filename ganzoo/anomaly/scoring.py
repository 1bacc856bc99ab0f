"""A fitted detector's score as one Keras model: image batch `(N, H, W, C)` -> scores `(N,)`.

Every detector writes its score once, as `score_tensor(images)` in `keras.ops` on its
own networks (inference mode), so the same code runs eagerly on a tensor (what
`detector.score` computes) and symbolically on a `keras.Input` (the model here). The
model is what `ganzoo-export` converts to ONNX and TFLite: a phone then gets the score
itself, not networks to recombine.

Example:
    >>> model = scoring_model(detector)             # a plain functional keras.Model
    >>> model(test_images)                          # == detector.score(test_images)
"""

import keras

INPUT_NAME = "image"


def scoring_model(detector, name=None):
    """The functional `keras.Model` from images in [-1, 1] to `detector`'s scores.

    It shares the detector's networks (no copy): a detector fitted further scores
    through the same model. Its output equals `detector.score(images)` up to
    float32 rounding (PCA scores in float64; the model computes in float32).

    Args:
        detector: a fitted `ganzoo.anomaly.AnomalyDetector`.
        name: the model's name; default `<detector class, lower case>_scorer`.
    """
    if getattr(type(detector), "score_tensor", None) is None:
        raise TypeError(f"{type(detector).__name__} has no score_tensor(images): a detector "
                        "exports when it writes its score in keras.ops on its networks, as "
                        "ganzoo's detectors do (e.g. GANomaly.score_tensor).")
    if not detector.fitted:
        raise ValueError(f"This {type(detector).__name__} has not been fitted: a scoring "
                         "model of untrained networks scores nothing. Fit it, or load a "
                         "fitted one (ganzoo.anomaly.load).")
    image = keras.Input(detector.image_shape, name=INPUT_NAME)
    score = detector.score_tensor(image)
    return keras.Model(image, score, name=name or f"{type(detector).__name__.lower()}_scorer")


def eager_scores(detector, images, dtype="float32"):
    """`detector.score_tensor` on a NumPy batch, as NumPy: each detector's `_score`."""
    tensor = keras.ops.convert_to_tensor(images, dtype=dtype)
    return keras.ops.convert_to_numpy(detector.score_tensor(tensor))


__all__ = ["INPUT_NAME", "eager_scores", "scoring_model"]
