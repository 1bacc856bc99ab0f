"""Class labels a user asks a conditional GAN for, and the training step's label draws.

Example:
    >>> labels_for_generate(num=6, labels=None, num_classes=3)    # array([0, 1, 2, 0, 1, 2])
"""

import numpy as np
import tensorflow as tf

# Folded into an update's noise seed: the fakes' labels are drawn apart from their latents.
_LABEL_DRAW = 7


def labels_for_generate(num, labels, num_classes, owner="this GAN"):
    """The int32 labels `(num,)` of `generate(num, labels=labels)`, or a ValueError.

    Args:
        num: how many samples (the caller's count, already known).
        labels: None (cycle 0 .. K-1), one int (every sample that class), or `num` ints.
        num_classes: K, or None for an unconditional GAN (then labels must be None).
        owner: how errors name the model.
    """
    if num_classes is None:
        if labels is not None:
            raise ValueError(f"labels apply to conditional GANs (built with num_classes); "
                             f"{owner} is unconditional.")
        return None
    if labels is None:
        return (np.arange(num) % num_classes).astype("int32")
    array = np.asarray(labels)
    if array.dtype.kind not in "iu" or array.ndim > 1:
        raise ValueError(f"labels must be an int or a 1-D array of ints; got {labels!r}.")
    if array.ndim == 0:
        array = np.full(num, array)
    elif len(array) != num:
        raise ValueError(f"{len(array)} labels for {num} samples: give one label per sample, "
                         "or one int for all.")
    if len(array) and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}) for {owner} (num_classes="
                         f"{num_classes}); got {sorted(set(array.tolist()))}.")
    return array.astype("int32")


def sample_labels(batch_size, num_classes, seed):
    """Uniform labels `(batch_size,)` in [0, num_classes) for one update's fakes,
    drawn statelessly from the update's noise `seed` (see `noise_seed`)."""
    seed = tf.random.experimental.stateless_fold_in(seed, _LABEL_DRAW)
    return tf.random.stateless_uniform((batch_size,), seed=seed, minval=0, maxval=num_classes,
                                       dtype=tf.int32)
