"""KID: the unbiased MMD^2 estimator with the cubic polynomial kernel."""

import itertools
import warnings

import numpy as np
import pytest

from ganzoo.metrics import kid, mmd2_unbiased, polynomial_kernel


def brute_force_mmd2(x, y):
    k = lambda a, b: (a @ b / len(a) + 1.0) ** 3
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2)) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    xy = sum(k(a, b) for a in x for b in y) / (m * n)
    return xx + yy - 2 * xy


def test_estimator_matches_the_definition():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(5, 3)) + 0.5
    assert mmd2_unbiased(x, y) == pytest.approx(brute_force_mmd2(x, y), rel=1e-10)
    assert polynomial_kernel(x, y).shape == (7, 5)


def test_two_samples_of_one_distribution_give_about_zero():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(800, 16)), rng.normal(size=(800, 16))
    mean, std = kid(a, b, num_subsets=50, subset_size=200)
    assert abs(mean) < std
    # Unbiased: subset estimates straddle zero instead of sitting above it.
    assert abs(mean) < 0.2 * abs(kid(a, b + 0.3, num_subsets=50, subset_size=200)[0])


def test_grows_with_the_distribution_shift():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(500, 8)), rng.normal(size=(500, 8))
    means = [kid(a, b + shift, num_subsets=20, subset_size=200)[0] for shift in (0.1, 0.3, 1.0)]
    assert means[0] < means[1] < means[2]
    assert means[1] > 3 * kid(a, b + 0.3, num_subsets=20, subset_size=200)[1] / np.sqrt(20)


def test_seeded_and_capped_by_the_smaller_set():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(50, 4)), rng.normal(size=(30, 4))
    assert kid(a, b, seed=5) == kid(a, b, seed=5)
    assert kid(a, b, num_subsets=1, subset_size=1000)[1] == 0.0  # one subset, 30 rows each


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError, match="dimensions differ"):
        kid(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="num_subsets"):
        kid(np.zeros((5, 2)), np.zeros((5, 2)), num_subsets=0)


def test_subsets_that_are_both_whole_sets_warn_that_the_std_is_no_spread():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(200, 4)), rng.normal(size=(200, 4)) + 0.2
    with pytest.warns(UserWarning, match="std over subsets is 0 .*subset_size=100"):
        mean, std = kid(a, b, num_subsets=10)  # the default subset size, 1000, caps to 200
    assert std == pytest.approx(0.0, abs=1e-12 * abs(mean))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the suggested size, or one whole set: no warning
        assert kid(a, b, num_subsets=10, subset_size=100)[1] > 0.01 * abs(mean)
        assert kid(a, b[:150], num_subsets=10)[1] > 0
