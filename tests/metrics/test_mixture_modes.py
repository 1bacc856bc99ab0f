"""2D mode-coverage metrics on hand-built sample sets whose answer is known."""

import math

import numpy as np
import pytest

from ganzoo.data.mixtures import mixture, mixture_arrays
from ganzoo.metrics.mixture_modes import mixture_mode_metrics

CENTERS, STD = mixture("ring8")


def test_real_samples_cover_every_mode_with_high_quality():
    points, _ = mixture_arrays("ring8", 2500, seed=1)
    result = mixture_mode_metrics(points, CENTERS, STD)
    assert result["modes"] == result["modes_strict"] == 8
    assert result["high_quality"] > 0.98  # 3 std holds 1 - exp(-4.5) = 98.9% of a 2D Gaussian
    assert result["reverse_kl"] < 0.01


def test_samples_on_one_mode_cover_one_mode_with_kl_log_k():
    points = CENTERS[3] + STD * np.random.default_rng(0).standard_normal((2500, 2))
    result = mixture_mode_metrics(points, CENTERS, STD)
    assert result["modes"] == 1 and result["modes_strict"] == 1
    assert result["reverse_kl"] == pytest.approx(math.log(8))


def test_far_away_samples_are_low_quality_and_cover_nothing():
    points = np.full((100, 2), 10.0)
    result = mixture_mode_metrics(points, CENTERS, STD)
    assert result == {"modes": 0, "modes_strict": 0, "high_quality": 0.0, "reverse_kl": math.inf}


def test_strict_count_needs_20_per_2500_samples():
    # 2,500 samples: mode 0 gets 30, mode 1 gets 10, the rest sit far away
    points = np.concatenate([np.repeat(CENTERS[:1], 30, 0), np.repeat(CENTERS[1:2], 10, 0),
                             np.full((2460, 2), 10.0)])
    result = mixture_mode_metrics(points, CENTERS, STD)
    assert (result["modes"], result["modes_strict"]) == (2, 1)
    assert result["high_quality"] == pytest.approx(40 / 2500)


def test_a_point_just_outside_three_std_is_not_high_quality():
    inside, outside = CENTERS[0] + [2.9 * STD, 0], CENTERS[0] + [3.1 * STD, 0]
    assert mixture_mode_metrics(np.array([inside]), CENTERS, STD)["high_quality"] == 1.0
    assert mixture_mode_metrics(np.array([outside]), CENTERS, STD)["high_quality"] == 0.0
