"""Improved precision and recall (Kynkaanniemi et al. 2019) with k-NN manifolds."""

import numpy as np

from ganzoo.metrics.frechet import check_feature_pair


def _squared_distances(a, b):
    # |a|^2 + |b|^2 - 2 a.b; round-off can make it slightly negative.
    d = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def knn_radii(features, k=3, batch_size=1024):
    """Squared distance of every row to its k-th nearest other row: the radii of its manifold."""
    if not 1 <= k < len(features):
        raise ValueError(f"k must be between 1 and the number of points - 1 ({len(features) - 1}); "
                         f"got {k}.")
    radii = []
    for start in range(0, len(features), batch_size):
        d = _squared_distances(features[start:start + batch_size], features)
        # Column k of the partition: the point itself is its own 0-th neighbour.
        radii.append(np.partition(d, k, axis=1)[:, k])
    return np.concatenate(radii)


def in_manifold(queries, support, radii, batch_size=1024):
    """Whether each query row lies within some support row's ball (squared `radii`)."""
    inside = []
    for start in range(0, len(queries), batch_size):
        d = _squared_distances(queries[start:start + batch_size], support)
        inside.append(np.any(d <= radii[None, :], axis=1))
    return np.concatenate(inside)


def precision_recall(real_feats, fake_feats, k=3, batch_size=1024):
    """Improved precision and recall of generated samples against real ones.

    Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
    Generative Models", arXiv:1904.06991. Each set's manifold is the union of balls
    around its points, each reaching the point's k-th nearest neighbour in the set.
    Precision: the fraction of fake samples inside the real manifold (are samples
    realistic?). Recall: the fraction of real samples inside the fake manifold (is
    the real variety covered?). Use sets of equal size: a larger set has a denser,
    wider manifold.

    Args:
        real_feats, fake_feats: features, arrays of shape (N, D) and (M, D).
        k: neighbour that sets each ball's radius (3 in the paper).
        batch_size: rows per block of the pairwise distance matrix (memory bound).

    Returns:
        (precision, recall), each in [0, 1].

    Example:
        >>> precision, recall = precision_recall(real_features, fake_features, k=3)
    """
    real, fake = check_feature_pair(real_feats, fake_feats, ("real_feats", "fake_feats"),
                                    min_rows=k + 1)
    precision = in_manifold(fake, real, knn_radii(real, k, batch_size), batch_size).mean()
    recall = in_manifold(real, fake, knn_radii(fake, k, batch_size), batch_size).mean()
    return float(precision), float(recall)
