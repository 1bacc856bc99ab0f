"""Inception Score against its closed forms."""

import numpy as np
import pytest

from ganzoo.metrics import inception_score


def test_uniform_predictions_score_one():
    assert inception_score(np.full((100, 10), 0.1)) == pytest.approx((1.0, 0.0))


def test_confident_and_balanced_predictions_score_the_number_of_classes():
    probs = np.tile(np.eye(10), (100, 1))  # every split of 100 holds each class 10 times
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(10.0) and std == pytest.approx(0.0, abs=1e-12)


def test_one_class_only_scores_one_collapsed():
    probs = np.zeros((50, 10))
    probs[:, 3] = 1.0
    assert inception_score(probs, splits=5)[0] == pytest.approx(1.0)


def test_confident_unbalanced_predictions_score_exp_entropy():
    # One-hot predictions: IS = exp(H(p(y))), the entropy of the class frequencies.
    freq = np.array([0.5, 0.25, 0.25])
    labels = np.repeat([0, 1, 2], (freq * 400).astype(int))
    mean, _ = inception_score(np.eye(3)[labels], splits=1)
    assert mean == pytest.approx(np.exp(-np.sum(freq * np.log(freq))))


def test_splits_and_probabilities_are_checked():
    with pytest.raises(ValueError, match="splits"):
        inception_score(np.full((5, 2), 0.5), splits=6)
    with pytest.raises(ValueError, match="sum to 1"):
        inception_score(np.full((5, 2), 0.7), splits=1)
    with pytest.raises(ValueError, match="shape"):
        inception_score(np.ones(5))
