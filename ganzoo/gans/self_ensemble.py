"""Geometric self-ensemble (Lim et al. 2017, EDSR+): run an image-to-image network on
the eight flips and 90-degree rotations of its input, undo each transform on the
output, and average.

A network trained on few photos makes errors that depend on orientation (its
high-frequency guesses); averaging the eight views cancels part of them, at eight
times the compute and with no retraining.
"""

import numpy as np

# (quarter turns, left-right flip): the eight symmetries of a square.
DIHEDRAL = tuple((turns, flip) for turns in range(4) for flip in (False, True))


def _transform(images, turns, flip):
    images = np.rot90(images, turns, axes=(1, 2))
    return images[:, :, ::-1] if flip else images


def _undo(images, turns, flip):
    images = images[:, :, ::-1] if flip else images
    return np.rot90(images, -turns, axes=(1, 2))


def average_over_symmetries(network, images):
    """The mean over the eight symmetries of `network` (NumPy `(N, H, W, C)` ->
    `(N, H', W', C)`, equivariant in size) applied to `images` `(N, H, W, C)`."""
    total = None
    for turns, flip in DIHEDRAL:
        outputs = _undo(network(np.ascontiguousarray(_transform(images, turns, flip))),
                        turns, flip)
        total = outputs.astype("float64") if total is None else total + outputs
    return (total / len(DIHEDRAL)).astype("float32")
