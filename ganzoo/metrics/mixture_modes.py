"""Mode coverage on 2D Gaussian mixtures, as in VEEGAN and PacGAN.

A sample is high quality when it lies within 3 standard deviations of its nearest
mode; a mode is covered when it receives at least one high-quality sample. The
stricter count asks for 20 high-quality samples per 2,500 (PacGAN's second row).
"""

import math

import numpy as np

STRICT_PER_2500 = 20


def mixture_mode_metrics(samples, centers, std):
    """Modes covered, % high quality and reverse KL of 2D samples against a mixture.

    Args:
        samples: generated points, shape (N, 2).
        centers: the mixture's mode centres, shape (K, 2).
        std: the modes' standard deviation.

    Returns:
        dict with `modes` (covered by >= 1 high-quality sample), `modes_strict`
        (>= 20 per 2,500 samples), `high_quality` (fraction within 3 std of the
        nearest mode) and `reverse_kl`: KL(histogram of high-quality samples over
        modes || uniform), 0 for a perfect spread, log K when all sit in one mode,
        inf when no sample is of high quality.
    """
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or not len(samples):
        raise ValueError(f"samples must be a non-empty array of 2D points; got {samples.shape}.")
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] <= 3 * std
    counts = np.bincount(nearest[high_quality], minlength=len(centers))
    strict_threshold = math.ceil(STRICT_PER_2500 * len(samples) / 2500)
    return {
        "modes": int((counts >= 1).sum()),
        "modes_strict": int((counts >= strict_threshold).sum()),
        "high_quality": float(high_quality.mean()),
        "reverse_kl": _kl_to_uniform(counts),
    }


def _kl_to_uniform(counts):
    total = counts.sum()
    if total == 0:
        return math.inf
    p = counts[counts > 0] / total
    return float(np.sum(p * np.log(p * len(counts))))
