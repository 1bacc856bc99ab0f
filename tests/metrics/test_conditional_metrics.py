"""Conditional metrics (class accuracy, intra-class FID, CAS) on stand-in "generators"
that return real digits: of the class asked for, of a fixed other class, or of any
class. Their true values are known, so each metric can be checked against them."""

import numpy as np
import pytest

import ganzoo
from ganzoo.data import load_arrays
from ganzoo.metrics import (classification_accuracy_score, compare, conditional_accuracy,
                            get_extractor, intra_class_fid)
from ganzoo.metrics.conditional import label_agreement

SIZE = 16
K = 10
PER_CLASS = 50
# CAS settings small enough for seconds: the ceiling reaches about 0.9.
CAS_PER_CLASS = 60
CAS_EPOCHS = 15


class RealDigits:
    """A stand-in conditional GAN: asked for class c, it returns real digits of class
    `mapping[c]` from `split`, drawn with the seed (or, with `ignore_labels`, digits of
    any class)."""

    def __init__(self, split="train", mapping=None, ignore_labels=False, num_classes=K):
        self.images, self.labels = load_arrays("digits", SIZE, split=split)
        self.data_shape = self.images.shape[1:]
        self.mapping = np.arange(K) if mapping is None else np.asarray(mapping)
        self.ignore_labels = ignore_labels
        self.num_classes = num_classes
        self.calls = []

    def generate(self, num, labels=None, seed=None, truncation=None, use_ema=True):
        self.calls.append({"seed": seed, "truncation": truncation, "use_ema": use_ema})
        rng = np.random.default_rng(seed)
        if self.ignore_labels:
            return self.images[rng.integers(0, len(self.images), num)]
        return np.stack([self.images[rng.choice(np.flatnonzero(self.labels == self.mapping[c]))]
                         for c in labels])


@pytest.fixture(scope="module")
def held_out():
    return load_arrays("digits", SIZE, split="test")


def test_real_digits_of_the_asked_class_score_the_classifiers_own_accuracy(held_out):
    own = label_agreement(get_extractor("digits"), *held_out).accuracy
    measured = conditional_accuracy(RealDigits("test"), PER_CLASS, seed=0)
    assert own > 0.95
    assert measured.accuracy == pytest.approx(own, abs=0.02)
    assert len(measured.per_class) == K and min(measured.per_class) > 0.9
    assert measured.num_per_class == PER_CLASS


def test_a_generator_ignoring_its_labels_is_at_chance_with_a_good_overall_fid(held_out):
    good, ignoring = RealDigits(), RealDigits(ignore_labels=True)
    assert conditional_accuracy(ignoring, PER_CLASS).accuracy == pytest.approx(1 / K, abs=0.05)
    good_intra, ignoring_intra = intra_class_fid(good, PER_CLASS), intra_class_fid(ignoring,
                                                                                   PER_CLASS)
    assert good_intra.mean < 5.0
    assert ignoring_intra.mean > 10 * good_intra.mean
    # the same samples as a whole look like the digits: FID as small as the good one's
    labels = np.repeat(np.arange(K), PER_CLASS)
    overall = {name: compare(gan.generate(len(labels), labels=labels, seed=0), held_out[0],
                             metrics=("fid",))["metrics"]["fid"]
               for name, gan in (("good", good), ("ignoring", ignoring))}
    assert overall["ignoring"] < 2 * overall["good"] + 0.5
    assert overall["ignoring"] < ignoring_intra.mean / 10


def test_per_class_values_find_the_one_wrong_class(held_out):
    mapping = np.arange(K)
    mapping[3] = 5  # asked for a 3, it draws a 5
    gan = RealDigits(mapping=mapping)
    accuracy = conditional_accuracy(gan, PER_CLASS)
    intra = intra_class_fid(gan, PER_CLASS, real=held_out)
    assert accuracy.per_class[3] < 0.05
    assert min(np.delete(accuracy.per_class, 3)) > 0.95
    assert accuracy.accuracy == pytest.approx(np.mean(accuracy.per_class))
    assert len(accuracy.per_class) == len(intra.per_class) == K
    others = np.delete(intra.per_class, 3)
    assert intra.per_class[3] > 5 * max(others)
    assert intra.mean == pytest.approx(np.mean(intra.per_class))
    assert list(intra.num_real_per_class) == np.bincount(held_out[1]).tolist()


def test_the_samples_follow_seed_truncation_and_use_ema():
    gan = RealDigits()
    first = intra_class_fid(gan, 10, seed=1, truncation=0.5, use_ema=False)
    assert intra_class_fid(gan, 10, seed=1, truncation=0.5, use_ema=False) == first
    assert intra_class_fid(gan, 10, seed=2) != first
    assert gan.calls[0] == {"seed": 1, "truncation": 0.5, "use_ema": False}


@pytest.fixture(scope="module")
def permuted_score():
    # asked for c, it draws c + 1: perfect digits, every label wrong
    gan = RealDigits(mapping=np.roll(np.arange(K), -1))
    return classification_accuracy_score(gan, CAS_PER_CLASS, seed=0, epochs=CAS_EPOCHS)


def test_cas_of_wrongly_labelled_samples_is_low_while_the_ceiling_stays_high(permuted_score):
    assert permuted_score.cas < 0.1
    assert permuted_score.ceiling > 0.8
    assert permuted_score.ratio == pytest.approx(permuted_score.cas / permuted_score.ceiling)
    assert (permuted_score.num_generated, permuted_score.num_real,
            permuted_score.num_test) == (K * CAS_PER_CLASS, K * CAS_PER_CLASS, 360)


def test_cas_of_real_digits_reaches_the_ceiling(permuted_score):
    score = classification_accuracy_score(RealDigits(), CAS_PER_CLASS, seed=0,
                                          epochs=CAS_EPOCHS, ceiling=False)
    assert score.cas > 0.9 * permuted_score.ceiling
    assert score.ceiling is None and score.ratio is None


def test_cas_is_deterministic_for_a_seed():
    def cas(seed):
        return classification_accuracy_score(RealDigits(), 10, seed=seed, epochs=2,
                                             ceiling=False).cas

    assert cas(3) == cas(3)


@pytest.mark.parametrize("metric", [conditional_accuracy, intra_class_fid,
                                    classification_accuracy_score])
def test_an_unconditional_gan_is_a_clear_error(metric):
    gan = ganzoo.DCGAN(image_shape=(SIZE, SIZE, 1), latent_dim=8, base_filters=8)
    with pytest.raises(ValueError, match="this DCGAN is unconditional"):
        metric(gan, 10)


def test_a_classifier_of_other_classes_is_a_clear_error():
    three = RealDigits(num_classes=3)
    with pytest.raises(ValueError, match="tells 10 classes, but this GAN makes 3"):
        conditional_accuracy(three, 5)
    with pytest.raises(ValueError, match="architecture, which tells 10 classes; this GAN "
                                         "makes 3"):
        classification_accuracy_score(three, 5)
    features_only = get_extractor(lambda images: images.reshape(len(images), -1)[:, :8],
                                  name="pixels")
    with pytest.raises(ValueError, match="pixels gives no class probabilities"):
        conditional_accuracy(RealDigits(), 5, classifier=features_only)


def test_too_few_samples_of_a_class_is_a_clear_error(held_out):
    with pytest.raises(ValueError, match="num_per_class must be an int >= 2; got 1"):
        intra_class_fid(RealDigits(), 1)
    with pytest.raises(ValueError, match="num_per_class must be an int >= 1; got 0"):
        conditional_accuracy(RealDigits(), 0)
    images, labels = held_out
    keep = np.flatnonzero(labels != 7)[:-1].tolist() + [int(np.flatnonzero(labels == 7)[0])]
    with pytest.raises(ValueError, match=r"the real images need at least 2 image\(s\) of every "
                                         r"class; classes \[7\] have \[1\]"):
        intra_class_fid(RealDigits(), 5, real=(images[keep], labels[keep]))


def test_a_real_set_that_is_not_digits_is_refused(held_out):
    from ganzoo.metrics import ExtractorError

    images, labels = held_out
    inverted = images.copy()
    inverted[100:] *= -1  # dark digits on white: the classifier is rarely sure of them
    with pytest.raises(ExtractorError, match="the real images do not look like digits"):
        intra_class_fid(RealDigits(), 5, real=(inverted, labels))
