"""Streaming accumulators give the numbers of the all-in-memory functions."""

import numpy as np
import pytest

from ganzoo.metrics import (FeatureStats, Reservoir, RunningMoments, frechet_distance, kid,
                            mode_coverage)


def test_running_moments_match_numpy_for_any_batching():
    data = np.random.default_rng(0).normal(size=(1000, 5)) * 3 + 100  # offset: stability
    moments = RunningMoments()
    for chunk in np.array_split(data, [1, 7, 300, 301, 999]):
        moments.update(chunk)
    assert moments.count == 1000
    np.testing.assert_allclose(moments.mean, data.mean(0), rtol=1e-12)
    np.testing.assert_allclose(moments.covariance, np.cov(data, rowvar=False), rtol=1e-9)


def test_feature_stats_give_the_batch_fid_kid_and_mode_coverage():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(500, 6)), rng.normal(size=(400, 6)) + 0.2
    probs = rng.dirichlet(np.ones(4) * 0.3, size=400)
    stats_a, stats_b = FeatureStats(), FeatureStats()
    for chunk in np.array_split(a, 3):
        stats_a.update(chunk)
    for chunk, p in zip(np.array_split(b, 4), np.array_split(probs, 4)):
        stats_b.update(chunk, p)
    assert stats_b.frechet_distance(stats_a) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    assert kid(stats_a.features, stats_b.features, num_subsets=10) == kid(a, b, num_subsets=10)
    assert stats_b.mode_coverage() == mode_coverage(probs)
    np.testing.assert_allclose(stats_b.probs, probs, rtol=1e-12)


def test_reservoir_is_a_uniform_sample_once_full():
    inclusion = np.zeros(200)
    for seed in range(1000):
        reservoir = Reservoir(capacity=20, seed=seed)
        for chunk in np.array_split(np.arange(200), 7):
            reservoir.update(chunk)
        kept = reservoir.arrays[0]
        assert len(kept) == 20 and len(set(kept)) == 20
        inclusion[kept] += 1
    # Each of the 200 rows is kept with probability 20/200 = 0.1; compare quarter means.
    quarters = inclusion.reshape(4, 50).mean(axis=1) / 1000
    np.testing.assert_allclose(quarters, 0.1, atol=0.01)


def test_mixing_batches_with_and_without_probabilities_is_an_error():
    stats = FeatureStats().update(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="no class probabilities"):
        stats.update(np.zeros((3, 2)), np.full((3, 2), 0.5))
