"""Mode coverage for labelled domains: which classes a GAN makes, and how often.

A classifier labels every sample (its most probable class). From those labels:
the class histogram; the modes covered; the KL divergence of the sample class
distribution from the real one (0 when the proportions match, log C for a GAN that
makes one class of C equally frequent ones); and the fraction of samples the
classifier is confident about (low for blurry or garbage samples, which any
classifier still assigns to some class).
"""

import dataclasses
from typing import Optional, Tuple

import numpy as np

from ganzoo.metrics.classifier_score import check_probs


@dataclasses.dataclass(frozen=True)
class ModeCoverage:
    """The mode-coverage record of one sample set; `as_dict()` for JSON."""

    histogram: Tuple[int, ...]
    modes_covered: int
    num_modes: int
    kl: float
    confident_fraction: Optional[float]

    def as_dict(self):
        return dataclasses.asdict(self) | {"histogram": list(self.histogram)}


def class_distribution(labels, num_classes):
    """The class frequencies of integer `labels`, an array of `num_classes` summing to 1."""
    return np.bincount(_checked_labels(labels, num_classes), minlength=num_classes) / len(labels)


def _checked_labels(labels, num_classes):
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a non-empty 1-D integer array; got shape {labels.shape}, "
                         f"dtype {labels.dtype}.")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes}); got [{labels.min()}, {labels.max()}].")
    return labels


def mode_coverage(samples, real_distribution=None, num_classes=None, confidence=0.9,
                  min_share=0.1):
    """Class histogram, modes covered, KL to the real class distribution, confident fraction.

    A mode (a class with real probability p > 0) counts as covered when it holds at
    least `min_share` of the samples it would hold under the real distribution
    (`count >= max(1, min_share * N * p)`), so a few stray samples of a class do not
    make a collapsed GAN look diverse. The KL divergence is KL(q || p) of the sample
    class frequencies q from the real ones p, as in the stacked-MNIST mode counts of
    Metz et al. 2017 (arXiv:1611.02163); it is finite while p > 0 wherever q > 0.

    Args:
        samples: class probabilities (N, C) of the samples, or their labels (N,) as ints
            (then `confident_fraction` is None).
        real_distribution: the real class frequencies (C,), e.g.
            `class_distribution(real_labels, C)`; None means uniform.
        num_classes: C, needed only for label input without `real_distribution`.
        confidence: top probability from which a sample counts as confident.
        min_share: see above.

    Example:
        >>> mode_coverage(classifier_probs, class_distribution(test_labels, 10)).modes_covered
    """
    samples = np.asarray(samples)
    confident = None
    if samples.ndim == 2:
        probs = check_probs(samples, "samples")
        num_classes = probs.shape[1] if num_classes is None else num_classes
        if probs.shape[1] != num_classes:
            raise ValueError(f"samples have {probs.shape[1]} classes, not {num_classes}.")
        labels = np.argmax(probs, axis=1)
        confident = float(np.mean(probs.max(axis=1) >= confidence))
    elif samples.ndim == 1:
        labels = samples
        if num_classes is None:
            if real_distribution is None:
                raise ValueError("give num_classes or real_distribution with label input.")
            num_classes = len(real_distribution)
    else:
        raise ValueError(f"samples must be probabilities (N, C) or labels (N,); got {samples.shape}.")
    counts = np.bincount(_checked_labels(labels, num_classes), minlength=num_classes)
    return coverage_from_counts(counts, real_distribution, min_share, confident)


def coverage_from_counts(counts, real_distribution=None, min_share=0.1, confident_fraction=None):
    """`mode_coverage` from a class histogram (counts per class), as streams accumulate it."""
    counts = np.asarray(counts, np.int64)
    if counts.ndim != 1 or counts.sum() == 0 or counts.min() < 0:
        raise ValueError(f"counts must be a histogram of at least one sample; got {counts!r}.")
    num_classes, total = len(counts), int(counts.sum())
    if real_distribution is None:
        real = np.full(num_classes, 1.0 / num_classes)
    else:
        real = np.asarray(real_distribution, np.float64)
        if real.shape != (num_classes,) or real.min() < 0 or abs(real.sum() - 1) > 1e-6:
            raise ValueError(f"real_distribution must be {num_classes} non-negative frequencies "
                             f"summing to 1; got {real_distribution!r}.")
    sample_freq = counts / total
    needed = np.maximum(1.0, min_share * total * real)
    modes = real > 0
    covered = int(np.sum(modes & (counts >= needed)))
    present = sample_freq > 0
    with np.errstate(divide="ignore"):
        kl = float(np.sum(sample_freq[present] * (np.log(sample_freq[present])
                                                   - np.log(real[present]))))
    return ModeCoverage(histogram=tuple(int(c) for c in counts), modes_covered=covered,
                        num_modes=int(modes.sum()), kl=kl, confident_fraction=confident_fraction)
