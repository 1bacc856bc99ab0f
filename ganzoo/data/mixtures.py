"""2D Gaussian mixtures of the mode-collapse literature (VEEGAN, PacGAN).

"ring8": 8 Gaussians evenly spaced on a circle of radius 2, std 0.02.
"grid25": 25 Gaussians on the grid {-4, -2, 0, 2, 4}^2, std 0.05.
Points are not scaled to [-1, 1]: the published metrics are defined in these units.
"""

import math

import numpy as np
import tensorflow as tf

from ganzoo.data import pipeline

DEFAULT_NUM_EXAMPLES = 2**16


def _ring8():
    angles = np.arange(8) * (2 * math.pi / 8)
    return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.02


def _grid25():
    axis = np.arange(-4.0, 5.0, 2.0)
    return np.array([(x, y) for x in axis for y in axis]), 0.05


MIXTURES = {"ring8": _ring8, "grid25": _grid25}


def mixture(name):
    """`(centers (K, 2) float64, std)` of a registered mixture."""
    if name not in MIXTURES:
        raise ValueError(f"Unknown mixture {name!r}; expected one of {sorted(MIXTURES)}.")
    return MIXTURES[name]()


def centers_of(source):
    """Mode centres of `source` when it names a mixture, else None (for plots)."""
    return mixture(source)[0] if source in MIXTURES else None


def mixture_arrays(name, num_examples=DEFAULT_NUM_EXAMPLES, seed=0):
    """`num_examples` points drawn from mixture `name` with equal mode weights.

    Returns (float32 points (N, 2), int32 mode labels (N,)).
    """
    centers, std = mixture(name)
    rng = np.random.default_rng(seed)
    labels = rng.integers(len(centers), size=num_examples).astype(np.int32)
    points = centers[labels] + std * rng.standard_normal((num_examples, 2))
    return points.astype(np.float32), labels


def mixture_source(name, num_examples, seed, with_labels):
    """The mixture as an unbatched `pipeline.Source` of a fixed, seeded sample."""
    points, labels = mixture_arrays(name, num_examples or DEFAULT_NUM_EXAMPLES,
                                    0 if seed is None else seed)
    elements = (points, labels) if with_labels else points
    return pipeline.Source(tf.data.Dataset.from_tensor_slices(elements), len(points),
                           name=f"mixture {name!r}")
