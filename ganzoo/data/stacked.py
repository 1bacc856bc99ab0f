"""Stacked digits: three digits as the red, green and blue channels, 1,000 modes.

The stacked-MNIST benchmark of unrolled GANs (Metz et al. 2017, arXiv:1611.02163) and
PacGAN (Lin et al. 2018, arXiv:1712.04086), on the digits scikit-learn ships. Each
image holds three digits drawn independently and uniformly from one digits split, one
per channel; its mode is one of 10^3 = 1,000: `100 * red + 10 * green + blue`.
`ganzoo.metrics.stacked_modes` counts the modes a GAN makes.

Like PacGAN's stacked-MNIST code, the training set is a fixed sample of stacks drawn
once with the seed; its default size is the 128,000 of their VEEGAN setting (Table 2).
`load` keeps only the three digit indices of each stack and builds the images per
batch, so the sample costs 12 bytes a stack whatever the image size.
"""

import numbers

import numpy as np
import tensorflow as tf

from ganzoo.data import digits, pipeline

NAME = "stacked_digits"
CHANNELS = 3
NUM_MODES = digits.NUM_CLASSES ** CHANNELS
# PacGAN's stacked-MNIST experiment in VEEGAN's setting trains on 128,000 stacks.
DEFAULT_NUM_EXAMPLES = 128_000


def mode_of(classes):
    """The mode index `100 * red + 10 * green + blue` of digit classes (..., 3), as int32.

    Example:
        >>> mode_of([[1, 2, 3]])   # array([123], dtype=int32)
    """
    classes = np.asarray(classes)
    if classes.shape[-1:] != (CHANNELS,):
        raise ValueError(f"classes must end in an axis of {CHANNELS} (red, green, blue); "
                         f"got shape {classes.shape}.")
    red, green, blue = classes[..., 0], classes[..., 1], classes[..., 2]
    return (100 * red + 10 * green + blue).astype(np.int32)


def _check_channels(channels):
    if channels not in (None, CHANNELS):
        raise ValueError(
            f"{NAME!r} images are three digits, one per channel (red, green, blue): channels "
            f"must be 3 or None, got {channels!r}. One channel would blend the three digits "
            "into one gray image; for gray digits use the source 'digits'.")


def _check_num_examples(num_examples):
    if (not isinstance(num_examples, numbers.Integral) or isinstance(num_examples, bool)
            or num_examples <= 0):
        raise ValueError(f"num_examples must be a positive int, got {num_examples!r}")
    return int(num_examples)


def _sample(split, image_size, num_examples, seed):
    """(gray digits (M, S, S) float32, digit indices (N, 3) int32, modes (N,) int32)."""
    if split not in digits.SPLITS:
        raise ValueError(f"unknown split {split!r} for {NAME!r}; expected one of {digits.SPLITS}")
    num_examples = _check_num_examples(num_examples)
    gray, classes = digits.digits_arrays(split, image_size, 1)
    rng = np.random.default_rng(0 if seed is None else seed)
    index = rng.integers(len(classes), size=(num_examples, CHANNELS)).astype(np.int32)
    return gray[..., 0], index, mode_of(classes[index])


def stacked_arrays(split="train", image_size=None, channels=None,
                   num_examples=DEFAULT_NUM_EXAMPLES, seed=0):
    """A seeded sample of stacked digits as (float32 images (N, S, S, 3) in [-1, 1], int32 modes).

    Each channel is a digits image of `split`, resized as `digits_arrays` resizes it;
    the mode is `100 * red + 10 * green + blue`. The same arguments give the same
    sample as `stacked_source` (and so `ganzoo.data.load`).

    Args:
        split: the digits split the digits come from: "train", "test" or "all".
        image_size: output side length; None keeps the native 8.
        channels: 3 or None; anything else is refused.
        num_examples: number of stacks (128,000 by default: 1.5 GB at 32x32, so pass
            fewer for evaluation, e.g. `ganzoo.metrics.stacked.NUM_SAMPLES`).
        seed: seed of the draw; None means 0.

    Example:
        >>> images, modes = stacked_arrays("test", 32, num_examples=26_000)
    """
    _check_channels(channels)
    gray, index, modes = _sample(split, image_size, num_examples, seed)
    return np.ascontiguousarray(np.moveaxis(gray[index], 1, -1)), modes


def stacked_source(split, image_size, channels, with_labels, num_examples, seed):
    """The seeded sample of stacks as an unbatched `pipeline.Source`.

    The dataset holds digit indices; its `prepare` stacks the three images after
    shuffling, so memory does not grow with `num_examples` times the image size.

    Args:
        split: "train", "test" or "all".
        image_size: output side length, or None for 8.
        channels: 3 or None.
        with_labels: yield `(image, mode)` pairs instead of images.
        num_examples: number of stacks, or None for 128,000.
        seed: seed of the draw; None means 0.
    """
    _check_channels(channels)
    gray, index, modes = _sample(split, image_size,
                                 DEFAULT_NUM_EXAMPLES if num_examples is None else num_examples,
                                 seed)
    table = tf.constant(gray)

    def stack(digit_index):
        return tf.transpose(tf.gather(table, digit_index), (1, 2, 0))

    if with_labels:
        dataset = tf.data.Dataset.from_tensor_slices((index, modes))
        prepare = lambda digit_index, mode: (stack(digit_index), mode)
    else:
        dataset = tf.data.Dataset.from_tensor_slices(index)
        prepare = stack
    return pipeline.Source(dataset, len(index), name=f"{NAME} split {split!r}", prepare=prepare)
