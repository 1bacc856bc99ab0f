"""Improved precision and recall on point sets where the answer is known."""

import numpy as np
import pytest

from ganzoo.metrics import precision_recall
from ganzoo.metrics.manifold import knn_radii


def blob(rng, num, center, dim=2):
    return rng.normal(size=(num, dim)) + np.asarray(center, float)


def test_identical_sets_give_one_and_one():
    points = blob(np.random.default_rng(0), 300, [0, 0])
    assert precision_recall(points, points.copy()) == (1.0, 1.0)


def test_disjoint_sets_give_zero_and_zero():
    rng = np.random.default_rng(1)
    assert precision_recall(blob(rng, 200, [0, 0]), blob(rng, 200, [50, 50])) == (0.0, 0.0)


def test_a_collapsed_subset_has_high_precision_and_low_recall():
    rng = np.random.default_rng(2)
    real = np.concatenate([blob(rng, 250, [0, 0]), blob(rng, 250, [20, 0])])
    fake = blob(rng, 500, [0, 0])  # only one of the two real modes
    precision, recall = precision_recall(real, fake, k=3)
    assert precision > 0.9
    assert 0.3 < recall < 0.6
    # The other way round, a diverse generator of a narrower real set: low precision.
    precision, recall = precision_recall(fake, real, k=3)
    assert precision < 0.6 and recall > 0.9


def test_radius_is_the_kth_neighbour_excluding_the_point_itself():
    points = np.array([[0.0], [1.0], [3.0], [6.0]])
    np.testing.assert_allclose(knn_radii(points, k=1), [1.0, 1.0, 4.0, 9.0])
    np.testing.assert_allclose(knn_radii(points, k=2), [9.0, 4.0, 9.0, 25.0])


def test_k_must_leave_neighbours():
    with pytest.raises(ValueError, match="at least 4 rows"):
        precision_recall(np.zeros((3, 2)), np.zeros((5, 2)), k=3)
