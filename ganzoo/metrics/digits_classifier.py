"""The digits classifier shipped with ganzoo: features and class probabilities for digit images.

A small CNN trained on the fixed digits train split (1,437 images), evaluated once on
the held-out test split (360 images); `scripts/train_digits_classifier.py` retrains it.
The penultimate layer (a global average pool of the last convolution, 64 features)
gives features for digits-FID/KID and precision/recall, the softmax gives the
Inception Score and mode coverage: the approach TF-GAN takes for MNIST, on the data
ganzoo embeds. Features are divided by one fixed number, their root mean square on
the digits train split, so the cubic KID kernel sees values of order 1 (as with
Inception features) and a retrained classifier gives numbers on the same scale.

It measures digits and nothing else: a FID of coloured shapes under a digits
classifier is a number without meaning. So it refuses colour (3-channel) images, and
refuses a real set on which it is rarely confident (see `DigitsClassifier`), unless
it is built with `allow_non_digits=True`.
"""

import json
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ganzoo.files import sha256_of
from ganzoo.metrics.extractors import ExtractorError, FeatureExtractor, check_images, package_file

INPUT_SIZE = 32
NUM_CLASSES = 10
FEATURE_DIM = 64
WEIGHTS_FILE = "digits_classifier.weights.h5"
RECORD_FILE = "digits_classifier.json"
FEATURE_LAYER = "features"
# The content check on a real set: the share of its images the classifier gives a top
# probability of at least CONFIDENCE. Held-out digits: 99% at 8x8, 16x16 and 32x32;
# coloured shapes in gray: 40-60%, inverted digits 46%.
CONFIDENCE = 0.9
MIN_CONFIDENT_SHARE = 0.8


def build_digits_classifier(seed=None):
    """The untrained classifier: (32, 32, 1) gray images in [-1, 1] -> 10 class probabilities.

    Convolutions, then a global average pool as the penultimate layer, then the
    softmax: the layout of InceptionV3, whose pool features standard FID uses.
    Pooled convolution features keep what the image looks like (texture, strokes),
    not only which class it is, so noise lands far from every digit.

    Args:
        seed: an int fixes the initial weights and the dropout masks, whatever the
            global random state (the classifiers CAS trains); None draws them from
            Keras' global generator, as the shipped weights were.
    """
    def initializer(layer_number):
        return ("glorot_uniform" if seed is None
                else keras.initializers.GlorotUniform(seed=seed * 1000 + layer_number))

    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 1), name="image")
    x = inputs
    for number, filters in enumerate((16, 32)):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                kernel_initializer=initializer(number))(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu",
                            kernel_initializer=initializer(2))(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(FEATURE_DIM, 3, padding="same", activation="relu",
                            kernel_initializer=initializer(3))(x)
    features = keras.layers.GlobalAveragePooling2D(name=FEATURE_LAYER)(x)
    x = keras.layers.Dropout(0.3, seed=seed)(features)
    probs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probs",
                               kernel_initializer=initializer(4))(x)
    return keras.Model(inputs, probs, name="digits_classifier")


def to_classifier_input(images):
    """Images in [-1, 1], any square size, 1 or 3 channels -> float32 (N, 32, 32, 1) in [-1, 1].

    Color becomes gray (the channel mean; digits loaded with channels=3 repeat one
    channel, so this is exact for them; `DigitsClassifier` lets colour through only
    with `allow_non_digits=True`). Resizing is bilinear with antialiasing, as
    `ganzoo.data` resizes, so 16x16 and 32x32 GANs are measured by one protocol.
    """
    images = tf.convert_to_tensor(check_images(images))
    if images.shape[-1] == 3:
        images = tf.reduce_mean(images, axis=-1, keepdims=True)
    if images.shape[1:3] != (INPUT_SIZE, INPUT_SIZE):
        images = tf.image.resize(images, (INPUT_SIZE, INPUT_SIZE), method="bilinear",
                                 antialias=True)
    return tf.clip_by_value(images, -1.0, 1.0)


def shipped_record():
    """The training record of the shipped weights: command, seed, held-out accuracy, sha256."""
    return json.loads(package_file(RECORD_FILE).read_text())


class DigitsClassifier(FeatureExtractor):
    """Digits features (64-d penultimate layer) and class probabilities, offline.

    For digit images only. It refuses, with an `ExtractorError` that names the
    alternatives: images with 3 channels (digits are gray; the channel mean would
    silently turn colour images into something it was never trained on), and, in
    `ganzoo.metrics.compare`, a real set it is confident about (top probability >=
    0.9) for fewer than 80% of the images (held-out digits: 99%), a cheap check that
    the reference looks like digits. Generated images are never refused for content:
    a bad GAN's noise is what the metrics are there to measure.

    Args:
        weights: a `.weights.h5` file of `build_digits_classifier()`; default the
            weights shipped in the package.
        allow_non_digits: measure anyway: colour becomes gray (the channel mean) and
            the real set is not checked. The numbers then mean little.

    Example:
        >>> features, probs = DigitsClassifier().extract(gan.generate(1000, seed=0))
    """

    name = "ganzoo-digits-cnn"
    feature_dim = FEATURE_DIM
    num_classes = NUM_CLASSES

    def __init__(self, weights=None, allow_non_digits=False):
        self.allow_non_digits = bool(allow_non_digits)
        path = package_file(WEIGHTS_FILE) if weights is None else Path(weights).expanduser()
        try:
            self.weights_sha256 = sha256_of(path)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"digits classifier weights not found at {path}; reinstall ganzoo or retrain "
                "them with `python scripts/train_digits_classifier.py`.") from None
        self.weights_path = str(path)
        self.model = build_digits_classifier()
        self.model.load_weights(self.weights_path)
        self._both = keras.Model(self.model.inputs,
                                 [self.model.get_layer(FEATURE_LAYER).output, self.model.output])
        self._forward = tf.function(lambda x: self._both(x, training=False), reduce_retracing=True)
        self.feature_scale = 1.0
        self.feature_scale = self._train_split_rms()

    def _train_split_rms(self):
        from ganzoo.data import load_arrays

        features, _ = self.extract(load_arrays("digits", INPUT_SIZE, split="train")[0])
        return float(np.sqrt(np.mean(features ** 2)))

    def _run(self, images):
        if images.shape[-1] != 1 and not self.allow_non_digits:
            raise ExtractorError(
                f"the digits classifier measures gray digit images (1 channel); got images "
                f"with {images.shape[-1]} channels. For other images use extractor="
                "'inception' (needs its weights) or your own model (extractor="
                "'path/to/model.keras', layer=NAME; CLI: --extractor FILE --layer NAME). "
                "Digits stored as RGB: load them with channels=1, or pass "
                "images.mean(axis=-1, keepdims=True). To measure anyway: "
                "get_extractor('digits', allow_non_digits=True).")
        features, probs = self._forward(to_classifier_input(images))
        return features.numpy() / self.feature_scale, probs.numpy()

    def check_source(self, source):
        """Refuse any data source but "digits" (see the class docstring)."""
        if not self.allow_non_digits and str(source) != "digits":
            raise ExtractorError(
                f"the digits classifier only measures digit images; this data is "
                f"{str(source)!r}. Use extractor='inception' (needs its weights; CLI: "
                "--extractor inception) or your own model of these images (extractor="
                "'path/to/model.keras', layer=NAME; CLI: --extractor FILE --layer NAME).")

    def check_real(self, stats):
        """Refuse a real set that does not look like digits: see the class docstring."""
        if self.allow_non_digits or stats.probs is None:
            return
        share = float(np.mean(stats.probs.max(axis=1) >= CONFIDENCE))
        if share < MIN_CONFIDENT_SHARE:
            raise ExtractorError(
                f"the real images do not look like digits: the digits classifier is "
                f"confident (top probability >= {CONFIDENCE:g}) on {share:.0%} of them, on "
                f"99% of held-out digits (refused below {MIN_CONFIDENT_SHARE:.0%}). It "
                "measures digits only: for other images use extractor='inception' (needs its "
                "weights) or your own model (extractor='path/to/model.keras', layer=NAME). "
                "To measure anyway: get_extractor('digits', allow_non_digits=True).")

    def predict(self, images, batch_size=None):
        """Predicted class (int, N) of images in [-1, 1]."""
        return np.argmax(self.extract(images, batch_size)[1], axis=1)

    def protocol(self):
        colour = (", colour as the channel mean (non-digits allowed)" if self.allow_non_digits
                  else "")
        return {**super().protocol(),
                "input": f"{INPUT_SIZE}x{INPUT_SIZE} gray, bilinear resize{colour}",
                "feature_layer": f"penultimate: global average pool ({FEATURE_DIM})",
                "feature_scale": round(self.feature_scale, 6),
                "allow_non_digits": self.allow_non_digits}
