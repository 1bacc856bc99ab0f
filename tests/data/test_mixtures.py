"""The 2D mixtures: geometry, sampling and the loader path."""

import numpy as np
import pytest

import ganzoo
from ganzoo.data.mixtures import centers_of, mixture, mixture_arrays


def test_ring8_geometry():
    centers, std = mixture("ring8")
    assert centers.shape == (8, 2) and std == 0.02
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0)
    np.testing.assert_allclose(centers[2], [0.0, 2.0], atol=1e-12)


def test_grid25_geometry():
    centers, std = mixture("grid25")
    assert centers.shape == (25, 2) and std == 0.05
    assert sorted(set(centers[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c) for c in centers}) == 25


def test_samples_are_seeded_and_balanced_around_their_modes():
    points, labels = mixture_arrays("grid25", 10_000, seed=3)
    again, _ = mixture_arrays("grid25", 10_000, seed=3)
    np.testing.assert_array_equal(points, again)
    centers, std = mixture("grid25")
    offsets = points - centers[labels]
    assert abs(offsets.std() - std) < 0.002
    counts = np.bincount(labels, minlength=25)
    assert counts.min() > 300 and counts.max() < 500


def test_loader_yields_batches_of_points():
    dataset = ganzoo.data.load("ring8", batch_size=128, num_examples=1024, seed=0)
    batches = list(dataset.as_numpy_iterator())
    assert len(batches) == 8 and batches[0].shape == (128, 2)
    assert np.abs(np.linalg.norm(np.concatenate(batches), axis=1) - 2.0).max() < 0.2


@pytest.mark.parametrize("kwargs, message", [
    (dict(source="ring8", image_size=32), "image_size and channels do not apply"),
    (dict(source="digits", num_examples=15), "a positive multiple of 10"),
])
def test_mixture_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.data.load(**kwargs)


def test_centers_of_names_only_mixtures():
    assert centers_of("ring8").shape == (8, 2) and centers_of("digits") is None
