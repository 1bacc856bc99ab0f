"""Metrics of a class-conditional GAN: does it make the class it is asked for, how well,
and could its samples stand in for real training data?

- `conditional_accuracy`: the share of samples of class c that the shipped digits
  classifier assigns to c;
- `intra_class_fid`: the FID between the samples of class c and the real held-out
  images of class c, averaged over the classes (Miyato & Koyama 2018); a GAN that
  ignores its labels can have a good FID and a bad intra-FID;
- `classification_accuracy_score` (CAS, Ravuri & Vinyals 2019): a fresh classifier of
  the shipped classifier's architecture trained only on samples, labelled by the class
  they were asked for, and tested on the real held-out split; beside it the same
  training on the real train split (the ceiling). BigGAN-deep on ImageNet: CAS 42.7%
  against 73.1% for real data, a ratio of 0.58.

Every metric draws the same number of samples of each class, with one seed.

    >>> from ganzoo.metrics import conditional_accuracy, intra_class_fid
    >>> conditional_accuracy(cgan, num_per_class=100).accuracy
    >>> intra_class_fid(cgan, num_per_class=100).mean
    >>> classification_accuracy_score(cgan).ratio
"""

import dataclasses
from typing import Optional, Tuple

import keras
import numpy as np

from ganzoo.metrics.digits_classifier import (NUM_CLASSES, build_digits_classifier,
                                              to_classifier_input)
from ganzoo.metrics.frechet import frechet_distance
from ganzoo.metrics.registry import get_extractor
from ganzoo.metrics.streaming import FeatureStats

# The CAS schedule, the same for the generated and the real training set: Adam with a
# cosine decay, no augmentation. On the digits train split it reaches 99.2% held-out
# accuracy (the shipped classifier: 100% after 80 epochs with augmentation).
CAS_EPOCHS = 20
CAS_BATCH_SIZE = 64
CAS_LEARNING_RATE = 2e-3
CAS_SCHEDULE = (f"Adam, cosine decay from {CAS_LEARNING_RATE:g}, batch {CAS_BATCH_SIZE}, "
                "sparse categorical cross-entropy, no augmentation, seeded initial weights, "
                "dropout and batch order")


@dataclasses.dataclass(frozen=True)
class ConditionalAccuracy:
    """The classifier's agreement with the asked-for labels, overall and per class."""

    accuracy: float
    per_class: Tuple[float, ...]
    num_per_class: int

    def as_dict(self):
        return dataclasses.asdict(self) | {"per_class": list(self.per_class)}


@dataclasses.dataclass(frozen=True)
class IntraClassFID:
    """The mean over classes of the per-class FID, and the per-class values."""

    mean: float
    per_class: Tuple[float, ...]
    num_per_class: int
    num_real_per_class: Tuple[int, ...]

    def as_dict(self):
        return dataclasses.asdict(self) | {"per_class": list(self.per_class),
                                           "num_real_per_class": list(self.num_real_per_class)}


@dataclasses.dataclass(frozen=True)
class ClassificationAccuracyScore:
    """CAS, the real-data ceiling (None when not measured) and their ratio."""

    cas: float
    ceiling: Optional[float]
    ratio: Optional[float]
    num_generated: int
    num_real: Optional[int]
    num_test: int
    epochs: int

    def as_dict(self):
        return dataclasses.asdict(self)


def is_conditional(gan):
    """Whether `gan` is class-conditional (built with `num_classes`)."""
    return getattr(gan, "num_classes", None) is not None


def num_classes_of(gan):
    """K of a conditional GAN, or a ValueError for an unconditional one."""
    if not is_conditional(gan):
        raise ValueError(f"conditional metrics measure a class-conditional GAN (built with "
                         f"num_classes=K); this {type(gan).__name__} is unconditional. Use "
                         "ganzoo.metrics.compare or evaluate_gan for its FID.")
    return int(gan.num_classes)


def conditional_samples(gan, num_per_class, seed=0, truncation=None, use_ema=True):
    """`(images, labels)`: `num_per_class` samples of each class 0 .. K-1, class after
    class, from `gan.generate` with `seed`, `truncation` and `use_ema`."""
    num_classes = num_classes_of(gan)
    num_per_class = _checked_count(num_per_class, 1, "num_per_class")
    labels = np.repeat(np.arange(num_classes, dtype="int32"), num_per_class)
    images = gan.generate(len(labels), labels=labels, seed=seed, truncation=truncation,
                          use_ema=use_ema)
    return np.asarray(images), labels


def conditional_accuracy(gan, num_per_class=100, seed=0, *, classifier="digits",
                         truncation=None, use_ema=True):
    """The share of samples the classifier assigns to the class they were asked for.

    Args:
        gan: a class-conditional GAN (`num_classes` K) making digits.
        num_per_class: samples of each class.
        seed: latent seed of the samples.
        classifier: anything `get_extractor` takes that gives K class probabilities;
            default the shipped digits classifier.
        truncation, use_ema: as in `gan.generate`.

    Returns:
        `ConditionalAccuracy(accuracy, per_class, num_per_class)`.

    Example:
        >>> conditional_accuracy(cgan, num_per_class=100, seed=0).accuracy  # ~1/K: labels ignored
    """
    classifier = checked_classifier(classifier, num_classes_of(gan))
    images, labels = conditional_samples(gan, num_per_class, seed, truncation, use_ema)
    return label_agreement(classifier, images, labels)


def label_agreement(classifier, images, labels):
    """`ConditionalAccuracy` of a built `classifier` on `images` whose classes should be
    `labels` (ints in [0, classifier.num_classes), each class at least once)."""
    labels = np.asarray(labels)
    counts = _class_counts(labels, classifier.num_classes, 1, "the labels")
    hits = np.argmax(classifier.extract(images)[1], axis=1) == labels
    per_class = np.bincount(labels, weights=hits, minlength=len(counts)) / counts
    return ConditionalAccuracy(float(np.mean(hits)), tuple(float(a) for a in per_class),
                               int(counts.min()))


def checked_classifier(classifier, num_classes):
    """The built classifier, or a ValueError when it gives no or other than K classes."""
    classifier = get_extractor(classifier)
    if classifier.num_classes is None:
        raise ValueError(f"conditional accuracy needs a classifier; {classifier.name} gives no "
                         "class probabilities. Use classifier='digits' (the shipped one).")
    if classifier.num_classes != num_classes:
        raise ValueError(f"the classifier {classifier.name} tells {classifier.num_classes} "
                         f"classes, but this GAN makes {num_classes}; conditional accuracy "
                         "needs a classifier of the GAN's classes.")
    return classifier


def intra_class_fid(gan, num_per_class=100, seed=0, *, real=None, extractor="digits",
                    truncation=None, use_ema=True):
    """The FID between the samples of class c and the real images of class c, averaged
    over the classes (Miyato & Koyama 2018, "cGANs with Projection Discriminator").

    Same extractor and Fréchet distance as `ganzoo.metrics.compare`'s FID, class by
    class; with a few dozen real images per class (the digits test split has 35-37) the
    values are biased upwards, so compare them with the same protocol's floor (real
    train images against the same real set, `ganzoo eval`'s reference row).

    Args:
        gan: a class-conditional GAN (`num_classes` K).
        num_per_class: samples of each class (at least 2).
        seed: latent seed of the samples.
        real: `(images, labels)` of the real reference, labels in [0, K), at least 2
            of each class; default the digits test split at the GAN's image size.
        extractor: anything `get_extractor` takes; default the digits classifier.
        truncation, use_ema: as in `gan.generate`.

    Returns:
        `IntraClassFID(mean, per_class, num_per_class, num_real_per_class)`.

    Example:
        >>> intra_class_fid(cgan, num_per_class=100).per_class[7]   # the 7s
    """
    num_classes = num_classes_of(gan)
    _checked_count(num_per_class, 2, "num_per_class")
    extractor = get_extractor(extractor)
    real_images, real_labels = real if real is not None else digits_split(gan, "test")
    real_labels = np.asarray(real_labels)
    real_features = real_class_features(extractor, real_images, real_labels, num_classes)
    images, labels = conditional_samples(gan, num_per_class, seed, truncation, use_ema)
    return per_class_fid(extractor.extract(images)[0], labels, real_features, real_labels,
                         num_classes)


def real_class_features(extractor, images, labels, num_classes):
    """Features of a real labelled set, after checking it has every class at least twice
    and that the extractor accepts it as real (the digits classifier: digits only)."""
    _class_counts(labels, num_classes, 2, "the real images")
    features, probs = extractor.extract(images)
    extractor.check_real(FeatureStats(keep=len(features)).update(features, probs))
    return features


def per_class_fid(features, labels, real_features, real_labels, num_classes):
    """`IntraClassFID` of sample features against real features, class by class."""
    counts = _class_counts(labels, num_classes, 2, "the samples")
    values = tuple(frechet_distance(real_features[real_labels == c], features[labels == c])
                   for c in range(num_classes))
    return IntraClassFID(float(np.mean(values)), values, int(counts.min()),
                         tuple(int(n) for n in np.bincount(real_labels, minlength=num_classes)))


def classification_accuracy_score(gan, num_per_class=None, seed=0, *, real_train=None,
                                  real_test=None, epochs=CAS_EPOCHS, ceiling=True,
                                  truncation=None, use_ema=True):
    """CAS: the held-out accuracy of a classifier trained only on the GAN's samples.

    Ravuri & Vinyals 2019, "Classification Accuracy Score for Conditional Generative
    Models", arXiv:1905.10887. A fresh classifier of the shipped digits classifier's
    architecture (`build_digits_classifier`) trains on `num_per_class` samples of each
    class, labelled by the class asked for, and is tested on real held-out images. The
    ceiling trains the same architecture with the same schedule and seed on real
    training images, as many of each class as there are samples (where the split has
    them). Deterministic for a seed: it seeds the samples, the initial weights, the
    dropout and the batch order.

    Args:
        gan: a class-conditional GAN of K = 10 classes (the architecture's).
        num_per_class: samples of each class; default the real training set's size / K.
        seed: latent seed, and the classifiers' seed.
        real_train, real_test: `(images, labels)`; default the digits train and test
            splits at the GAN's image size.
        epochs: training epochs of each classifier (`CAS_SCHEDULE`).
        ceiling: also train on real data (False: only CAS; `ceiling` and `ratio` None).
        truncation, use_ema: as in `gan.generate`.

    Returns:
        `ClassificationAccuracyScore(cas, ceiling, ratio, num_generated, num_real,
        num_test, epochs)`.

    Example:
        >>> score = classification_accuracy_score(cgan, seed=0)
        >>> score.cas, score.ceiling, score.ratio
    """
    num_classes = num_classes_of(gan)
    if num_classes != NUM_CLASSES:
        raise ValueError(f"CAS trains the shipped digits classifier's architecture, which tells "
                         f"{NUM_CLASSES} classes; this GAN makes {num_classes}.")
    real_train = real_train if real_train is not None else digits_split(gan, "train")
    real_test = real_test if real_test is not None else digits_split(gan, "test")
    if num_per_class is None:
        num_per_class = -(-len(real_train[1]) // num_classes)
    _checked_count(num_per_class, 1, "num_per_class")
    images, labels = conditional_samples(gan, num_per_class, seed, truncation, use_ema)
    return score_samples(images, labels, real_train, real_test, epochs, seed, ceiling)


def score_samples(images, labels, real_train, real_test, epochs=CAS_EPOCHS, seed=0,
                  ceiling=True):
    """`ClassificationAccuracyScore` of labelled samples (see
    `classification_accuracy_score`); the ceiling trains on a seeded pick of at most as
    many `real_train` images of each class as the samples have."""
    epochs = _checked_count(epochs, 1, "epochs")
    counts = _class_counts(labels, NUM_CLASSES, 1, "the samples")
    test_images, test_labels = real_test
    real_train = np.asarray(real_train[0]), np.asarray(real_train[1])
    _class_counts(test_labels, NUM_CLASSES, 1, "the real test images")
    if ceiling:  # before any training, so a bad set fails at once
        _class_counts(real_train[1], NUM_CLASSES, 1, "the real training images")
    cas = held_out_accuracy(train_classifier(images, labels, epochs, seed), test_images,
                            test_labels)
    if not ceiling:
        return ClassificationAccuracyScore(cas, None, None, len(labels), None, len(test_labels),
                                           epochs)
    keep = at_most_per_class(real_train[1], int(counts.max()), seed)
    model = train_classifier(real_train[0][keep], real_train[1][keep], epochs, seed)
    real = held_out_accuracy(model, test_images, test_labels)
    return ClassificationAccuracyScore(cas, real, cas / real if real > 0 else None, len(labels),
                                       len(keep), len(test_labels), epochs)


def train_classifier(images, labels, epochs=CAS_EPOCHS, seed=0):
    """A classifier of the shipped digits architecture trained on `images` (in [-1, 1],
    resized as the shipped classifier's input) and `labels` with `CAS_SCHEDULE`."""
    inputs = to_classifier_input(images).numpy()
    labels = np.asarray(labels, "int32")
    model = build_digits_classifier(seed=seed)
    steps = epochs * -(-len(inputs) // CAS_BATCH_SIZE)
    model.compile(optimizer=keras.optimizers.Adam(
                      keras.optimizers.schedules.CosineDecay(CAS_LEARNING_RATE, steps)),
                  loss="sparse_categorical_crossentropy")
    # Batches in a NumPy order of our own: tf.data's seeded shuffle also depends on
    # TensorFlow's global seed.
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(inputs))
        for start in range(0, len(inputs), CAS_BATCH_SIZE):
            batch = order[start:start + CAS_BATCH_SIZE]
            model.train_on_batch(inputs[batch], labels[batch])
    return model


def held_out_accuracy(model, images, labels):
    """The share of `images` a classifier from `train_classifier` gets right."""
    inputs = to_classifier_input(images)
    # A plain call: `predict` traces a new function for every fresh model.
    predicted = np.concatenate([np.argmax(keras.ops.convert_to_numpy(
        model(inputs[start:start + 256], training=False)), axis=1)
        for start in range(0, len(inputs), 256)])
    return float(np.mean(predicted == np.asarray(labels)))


def digits_split(gan, split):
    """`(images, labels)` of a digits split at the GAN's image size and channels."""
    from ganzoo.data import load_arrays

    size, _, channels = tuple(gan.data_shape)
    return load_arrays("digits", size, split=split, channels=channels)


def at_most_per_class(labels, num_per_class, seed=0):
    """Sorted indices of at most `num_per_class` of each class of `labels`, a seeded pick."""
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(labels == c))[:num_per_class]
            for c in np.unique(labels)]
    return np.sort(np.concatenate(keep))


def _class_counts(labels, num_classes, minimum, what):
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels of {what} must be a 1-D integer array; got shape "
                         f"{labels.shape}, dtype {labels.dtype}.")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels of {what} must lie in [0, {num_classes}) (the GAN's classes); "
                         f"got [{labels.min()}, {labels.max()}].")
    counts = np.bincount(labels, minlength=num_classes)
    short = [c for c in range(num_classes) if counts[c] < minimum]
    if short:
        raise ValueError(f"{what} need at least {minimum} image(s) of every class; classes "
                         f"{short} have {[int(counts[c]) for c in short]}.")
    return counts


def _checked_count(value, minimum, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
    return int(value)
