"""Fréchet distance: an independent scipy computation, closed forms, numerical edge cases."""

import warnings

import numpy as np
import pytest
from scipy import linalg

from ganzoo.metrics import frechet_distance, frechet_distance_from_moments


def gaussian_features(rng, num, dim, shift=0.0):
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    return rng.normal(size=(num, dim)) @ mixing + shift


def scipy_frechet(a, b):
    # The textbook formula with scipy's general matrix square root.
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(cov_a @ cov_b)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * np.real(root)))


@pytest.mark.parametrize("dim", [1, 4, 32])
def test_matches_scipy_on_random_gaussians(dim):
    rng = np.random.default_rng(dim)
    a = gaussian_features(rng, 600, dim)
    b = gaussian_features(rng, 400, dim, shift=0.3)
    expected = scipy_frechet(a, b)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-7, abs=1e-9)
    assert frechet_distance(a, b, method="sqrtm") == pytest.approx(expected, rel=1e-7, abs=1e-9)
    assert frechet_distance(b, a) == pytest.approx(expected, rel=1e-7)


def test_identical_statistics_give_zero():
    a = gaussian_features(np.random.default_rng(0), 300, 16)
    assert frechet_distance(a, a.copy()) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(a, a[::-1]) == pytest.approx(0.0, abs=1e-9)


def test_a_pure_mean_shift_gives_the_squared_distance():
    a = gaussian_features(np.random.default_rng(1), 500, 8)
    shift = np.arange(8) / 4.0
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-9)


def test_closed_form_for_diagonal_covariances():
    # For commuting covariances the trace term is sum (sqrt(s_a) - sqrt(s_b))^2.
    var_a, var_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    mu_a, mu_b = np.zeros(3), np.array([1.0, 0.0, -2.0])
    expected = 5.0 + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    got = frechet_distance_from_moments(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert got == pytest.approx(expected, rel=1e-12)


def test_singular_covariances_fewer_samples_than_dimensions_stay_finite_and_real():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(20, 64)), rng.normal(size=(20, 64)) + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # round-off must not be reported as a problem
        value = frechet_distance(a, b)
    assert np.isfinite(value) and value > 0
    # The same numbers through the reference sqrtm path (it may add eps*I and warn).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = frechet_distance(a, b, method="sqrtm")
    assert value == pytest.approx(reference, rel=1e-3)


def test_non_psd_covariance_is_reported_not_hidden():
    cov_bad, cov_ok = np.diag([-1.0, 1.0]), np.eye(2)
    with pytest.warns(RuntimeWarning, match="not positive semi-definite"):
        frechet_distance_from_moments(np.zeros(2), cov_bad, np.zeros(2), cov_ok)
    # sqrtm of diag(-1, 1) has imaginary part 1 on its diagonal: an error, never dropped.
    with pytest.raises(ValueError, match="imaginary"):
        frechet_distance_from_moments(np.zeros(2), cov_bad, np.zeros(2), cov_ok, method="sqrtm")


def test_bad_inputs_are_value_errors():
    a = np.zeros((10, 3))
    with pytest.raises(ValueError, match="dimensions differ"):
        frechet_distance(a, np.zeros((10, 4)))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        frechet_distance(np.zeros(10), a)
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(a[:1], a)
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((10, 3), np.nan), a)
    with pytest.raises(ValueError, match="method"):
        frechet_distance(a, a, method="svd")
