"""Inception Score (Salimans et al. 2016) over class probabilities."""

import numpy as np

# Rows of a probability matrix must sum to 1 within this tolerance.
SUM_TOLERANCE = 1e-3


def check_probs(probs, name="probs"):
    """`probs` as a float64 (N, C) array of rows that are probability distributions, or ValueError."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"{name} must have shape (N, num_classes >= 2); got {probs.shape}.")
    if not np.all(np.isfinite(probs)) or probs.min() < 0:
        raise ValueError(f"{name} must be finite and non-negative.")
    sums = probs.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > SUM_TOLERANCE:
        raise ValueError(f"rows of {name} must sum to 1 (class probabilities, e.g. a softmax); "
                         f"row sums range over [{sums.min():.4g}, {sums.max():.4g}].")
    return probs / sums[:, None]


def _xlogy(x, y):
    # x log y with 0 log 0 = 0: a class a sample gives no probability adds nothing.
    out = np.zeros_like(x)
    mask = x > 0
    out[mask] = x[mask] * np.log(y[mask])
    return out


def inception_score(probs, splits=10):
    """Inception Score: exp(E_x KL(p(y|x) || p(y))), mean and std over `splits` splits.

    Salimans et al. 2016, "Improved Techniques for Training GANs", arXiv:1606.03498.
    The score lies in [1, C]: 1 when every sample gets the same distribution, C
    when every sample is confidently one class and the classes are equally frequent.

    Args:
        probs: class probabilities of the samples, shape (N, C), rows summing to 1.
        splits: number of consecutive, equal-sized splits (the last gets the remainder).

    Returns:
        (mean, std) over the splits (std with ddof=0, as published).

    Example:
        >>> mean, std = inception_score(classifier_probs, splits=10)
    """
    probs = check_probs(probs)
    if not 1 <= splits <= len(probs):
        raise ValueError(f"splits must be between 1 and the number of samples ({len(probs)}); "
                         f"got {splits}.")
    scores = []
    for part in np.array_split(probs, splits):
        marginal = np.broadcast_to(part.mean(axis=0, keepdims=True), part.shape)
        kl = (_xlogy(part, part) - _xlogy(part, marginal)).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
