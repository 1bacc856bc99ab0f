"""Streaming accumulators: metrics over more samples than fit in memory at once.

`FeatureStats` takes batches of features (and class probabilities) as an extractor
produces them and keeps what each metric needs:

- FID: exact running mean and covariance (`RunningMoments`, float64, merged with the
  pairwise update of Chan et al. 1979), so no feature is kept for it;
- KID, precision/recall, Inception Score: a uniform random sample (`Reservoir`) of at
  most `keep` rows; with fewer samples than `keep` (the default 10,000), it holds all
  of them in arrival order and these metrics are exact;
- mode coverage: exact class counts and confident counts.
"""

import numpy as np

from ganzoo.metrics.frechet import frechet_distance_from_moments
from ganzoo.metrics.classifier_score import check_probs
from ganzoo.metrics.modes import coverage_from_counts


class RunningMoments:
    """Mean and covariance (ddof=1) of feature rows that arrive in batches."""

    def __init__(self):
        self.count = 0
        self.mean = None
        self._scatter = None  # sum of outer products of deviations from the mean

    def update(self, batch):
        batch = np.asarray(batch, np.float64)
        if batch.ndim != 2 or len(batch) == 0:
            raise ValueError(f"batches must have shape (n >= 1, D); got {batch.shape}.")
        batch_mean = batch.mean(axis=0)
        centered = batch - batch_mean
        batch_scatter = centered.T @ centered
        if self.count == 0:
            self.count, self.mean, self._scatter = len(batch), batch_mean, batch_scatter
            return self
        if batch.shape[1] != self.mean.shape[0]:
            raise ValueError(f"feature dimension changed from {self.mean.shape[0]} to {batch.shape[1]}.")
        total = self.count + len(batch)
        delta = batch_mean - self.mean
        self._scatter = (self._scatter + batch_scatter
                         + np.outer(delta, delta) * (self.count * len(batch) / total))
        self.mean = self.mean + delta * (len(batch) / total)
        self.count = total
        return self

    @property
    def covariance(self):
        if self.count < 2:
            raise ValueError(f"a covariance needs at least 2 samples; have {self.count}.")
        return self._scatter / (self.count - 1)


class Reservoir:
    """A uniform random sample of at most `capacity` rows of a stream (Vitter's algorithm R).

    Rows of several aligned arrays (features and probabilities) are kept together.
    Until the stream exceeds `capacity`, it keeps every row in arrival order.
    """

    def __init__(self, capacity=10_000, seed=0):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1; got {capacity}.")
        self.capacity = capacity
        self.seen = 0
        self._rng = np.random.default_rng(seed)
        self._arrays = None
        self._size = 0

    def update(self, *arrays):
        rows = len(arrays[0])
        if self._arrays is None:
            self._arrays = [np.empty((self.capacity, *a.shape[1:]), a.dtype) for a in arrays]
        fill = min(rows, self.capacity - self._size)
        for store, array in zip(self._arrays, arrays):
            store[self._size:self._size + fill] = array[:fill]
        self._size += fill
        # Row t of the stream (0-based) replaces a random slot with probability capacity/(t+1).
        positions = self.seen + np.arange(fill, rows)
        slots = (self._rng.random(len(positions)) * (positions + 1)).astype(np.int64)
        for row, slot in zip(range(fill, rows), slots):
            if slot < self.capacity:
                for store, array in zip(self._arrays, arrays):
                    store[slot] = array[row]
        self.seen += rows
        return self

    @property
    def arrays(self):
        return [store[:self._size] for store in (self._arrays or [])]


class FeatureStats:
    """Everything the metrics need from one stream of samples (see the module docstring).

    Args:
        keep: reservoir size for KID, precision/recall and the Inception Score.
        confidence: top class probability from which a sample counts as confident.
        seed: seed of the reservoir's choices.

    Example:
        >>> stats = FeatureStats()
        >>> for images in batches:
        ...     stats.update(*extractor.extract(images))
        >>> fid = stats.frechet_distance(real_stats)
    """

    def __init__(self, keep=10_000, confidence=0.9, seed=0):
        self.moments = RunningMoments()
        self.reservoir = Reservoir(keep, seed)
        self.confidence = confidence
        self.class_counts = None
        self.confident = 0

    def update(self, features, probs=None):
        features = np.asarray(features, np.float64)
        if probs is None:
            if self.class_counts is not None:
                raise ValueError("this stream had class probabilities; every batch needs them.")
            self.reservoir.update(features)
        else:
            probs = check_probs(probs)
            if len(probs) != len(features):
                raise ValueError(f"{len(features)} feature rows but {len(probs)} probability rows.")
            if self.class_counts is None:
                if self.moments.count:
                    raise ValueError("this stream had no class probabilities until now.")
                self.class_counts = np.zeros(probs.shape[1], np.int64)
            self.class_counts += np.bincount(np.argmax(probs, axis=1), minlength=probs.shape[1])
            self.confident += int(np.sum(probs.max(axis=1) >= self.confidence))
            self.reservoir.update(features, probs)
        self.moments.update(features)
        return self

    @property
    def count(self):
        return self.moments.count

    @property
    def features(self):
        """The kept feature rows (all of them while count <= keep)."""
        return self.reservoir.arrays[0]

    @property
    def probs(self):
        """The kept class probabilities, aligned with `features`, or None."""
        return self.reservoir.arrays[1] if self.class_counts is not None else None

    def frechet_distance(self, other, **kwargs):
        return frechet_distance_from_moments(self.moments.mean, self.moments.covariance,
                                             other.moments.mean, other.moments.covariance,
                                             **kwargs)

    def mode_coverage(self, real_distribution=None, min_share=0.1):
        if self.class_counts is None:
            raise ValueError("mode coverage needs class probabilities; this extractor gives none.")
        return coverage_from_counts(self.class_counts, real_distribution, min_share,
                                    confident_fraction=self.confident / self.count)
