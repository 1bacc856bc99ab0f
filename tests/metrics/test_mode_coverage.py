"""Mode coverage on synthetic label histograms."""

import numpy as np
import pytest

from ganzoo.metrics import class_distribution, coverage_from_counts, mode_coverage


def labels_from_counts(counts):
    return np.repeat(np.arange(len(counts)), counts)


def test_balanced_samples_cover_every_mode_with_zero_kl():
    result = mode_coverage(labels_from_counts([100] * 10), num_classes=10)
    assert result.modes_covered == 10 and result.num_modes == 10
    assert result.kl == pytest.approx(0.0)
    assert result.histogram == (100,) * 10
    assert result.confident_fraction is None


def test_a_collapsed_gan_covers_one_mode_at_kl_log_c():
    result = mode_coverage(labels_from_counts([0, 0, 500, 0, 0, 0, 0, 0, 0, 0]), num_classes=10)
    assert result.modes_covered == 1
    assert result.kl == pytest.approx(np.log(10))


def test_stray_samples_do_not_count_as_covered_modes():
    counts = [991] + [1] * 9
    assert mode_coverage(labels_from_counts(counts), num_classes=10).modes_covered == 1
    assert mode_coverage(labels_from_counts(counts), num_classes=10, min_share=0).modes_covered == 10
    # 10 of an expected 100 is exactly min_share=0.1: covered.
    counts = [10] + [110] * 9
    assert mode_coverage(labels_from_counts(counts), num_classes=10).modes_covered == 10


def test_kl_is_against_the_real_class_distribution():
    real = class_distribution(labels_from_counts([300, 100]), 2)  # 0.75, 0.25
    result = mode_coverage(labels_from_counts([50, 50]), real)
    assert result.kl == pytest.approx(0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25))
    assert mode_coverage(labels_from_counts([75, 25]), real).kl == pytest.approx(0.0)
    # A class the real data never has: not a mode, and the KL is infinite.
    real3 = np.array([0.5, 0.5, 0.0])
    result = mode_coverage(labels_from_counts([10, 10, 5]), real3)
    assert result.num_modes == 2 and result.modes_covered == 2 and result.kl == np.inf


def test_probabilities_give_the_confident_fraction():
    probs = np.array([[0.95, 0.05], [0.6, 0.4], [0.05, 0.95], [0.45, 0.55]])
    result = mode_coverage(probs, confidence=0.9)
    assert result.histogram == (2, 2)
    assert result.confident_fraction == pytest.approx(0.5)
    assert result.as_dict()["histogram"] == [2, 2]


def test_counts_and_labels_agree():
    labels = np.random.default_rng(0).integers(0, 7, 300)
    assert coverage_from_counts(np.bincount(labels, minlength=7)) == mode_coverage(labels, num_classes=7)


def test_bad_labels_are_value_errors():
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        mode_coverage(np.array([0, 3]), num_classes=3)
    with pytest.raises(ValueError, match="num_classes"):
        mode_coverage(np.array([0, 1]))
