"""Kernel Inception Distance (KID; Binkowski et al. 2018): unbiased MMD^2, cubic polynomial kernel."""

import warnings

import numpy as np

from ganzoo.metrics.frechet import check_feature_pair


def polynomial_kernel(x, y):
    """k(x, y) = (x . y / d + 1)^3 for all pairs of rows: an (N, M) matrix."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x, y):
    """Unbiased estimate of MMD^2 between the distributions of the rows of `x` and `y`.

    Within-set sums leave out the diagonal (k(x_i, x_i)), which is what makes the
    estimate unbiased: its expectation is 0 when both sets come from one distribution,
    so single estimates can be negative.
    """
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def kid(feats_a, feats_b, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: mean and std of unbiased MMD^2 over random subsets.

    Binkowski et al. 2018, "Demystifying MMD GANs", arXiv:1801.01401. Each subset
    draws `min(subset_size, N, M)` rows of each set without replacement, as the
    reference implementation does. The std is the spread of one estimate on that many
    rows: a subset that is a whole set leaves that set's sampling out of it, and when
    it is both whole sets (N = M <= subset_size) every estimate is the same and the
    std is 0 (up to rounding), which `kid` warns about.

    Args:
        feats_a, feats_b: features, arrays of shape (N, D) and (M, D), at least 2 rows each.
        num_subsets: number of random subsets.
        subset_size: rows per subset, capped by the smaller set.
        seed: seed of the subset draws; the same seed gives the same result.

    Returns:
        (mean, std) of the subset estimates (std with ddof=0, as published).

    Example:
        >>> mean, std = kid(real_features, fake_features)
    """
    feats_a, feats_b = check_feature_pair(feats_a, feats_b)
    if num_subsets < 1 or subset_size < 2:
        raise ValueError(f"need num_subsets >= 1 and subset_size >= 2; got {num_subsets}, "
                         f"{subset_size}.")
    size = kid_subset_size(len(feats_a), len(feats_b), subset_size)
    if size == len(feats_a) == len(feats_b):
        smaller = f" (e.g. subset_size={size // 2})" if size >= 4 else ""
        warnings.warn(
            f"KID: the subset size is {size}, all the rows of both sets, so every subset "
            f"is the whole of both and the std over subsets is 0 (up to rounding), not a "
            f"spread. For one, pass a smaller subset_size{smaller} or more samples.",
            stacklevel=2)
    rng = np.random.default_rng(seed)
    estimates = np.array([
        mmd2_unbiased(feats_a[rng.choice(len(feats_a), size, replace=False)],
                      feats_b[rng.choice(len(feats_b), size, replace=False)])
        for _ in range(num_subsets)
    ])
    return float(estimates.mean()), float(estimates.std())


def kid_subset_size(num_a, num_b, subset_size=1000):
    """The subset size `kid` uses for sets of these sizes (for protocol records)."""
    return min(subset_size, num_a, num_b)
