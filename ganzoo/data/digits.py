"""The UCI handwritten digits bundled with scikit-learn: 1797 8x8 images, no download needed."""

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ganzoo.data import pipeline

NUM_CLASSES = 10
NATIVE_SIZE = 8
SPLITS = ("train", "test", "all")


def digits_arrays(split="train", image_size=None, channels=None, num_examples=None, seed=None):
    """Return one split of the digits as (images in [-1, 1], int32 labels).

    The split is fixed: `train_test_split(indices, test_size=0.2, random_state=0,
    stratify=labels)`, giving 1437 "train" and 360 "test" images with the class
    balance of the whole set; it depends only on the bundled data and the seed, so
    the held-out images are the same on every machine. "all" is all 1797 images in
    their original order.

    Args:
        split: "train", "test" or "all".
        image_size: output side length; None keeps the native 8.
        channels: 1 (default) or 3 (the gray channel repeated).
        num_examples: keep a few-shot subset of this many images, the same number of
            each class (a multiple of 10), drawn without replacement with `seed`
            (None: 0) and kept in split order; None keeps the whole split.
        seed: the subset's seed (only with `num_examples`).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for 'digits'; expected one of {SPLITS}")
    bunch = load_digits()
    # Pixel values are counts of set bits in a 4x4 block, hence the 0..16 range.
    images = bunch.images.astype(np.float32)[..., np.newaxis] / 16.0
    labels = bunch.target.astype(np.int32)
    if split != "all":
        train_idx, test_idx = train_test_split(
            np.arange(len(labels)), test_size=0.2, random_state=0, stratify=labels
        )
        index = train_idx if split == "train" else test_idx
        images, labels = images[index], labels[index]
    if num_examples is not None:
        keep = balanced_subset(labels, num_examples, seed, f"the digits split {split!r}")
        images, labels = images[keep], labels[keep]
    images = pipeline.scale_images(images, image_size or NATIVE_SIZE, channels or 1)
    return images.numpy(), labels


def balanced_subset(labels, num_examples, seed=None, name="the digits"):
    """Sorted indices of `num_examples` items, `num_examples // 10` of each class,
    drawn without replacement with `seed` (None: 0)."""
    if (not isinstance(num_examples, (int, np.integer)) or isinstance(num_examples, bool)
            or num_examples <= 0 or num_examples % NUM_CLASSES):
        raise ValueError(f"num_examples of the digits must be a positive multiple of "
                         f"{NUM_CLASSES} (the same number of each class); got {num_examples!r}.")
    per_class = num_examples // NUM_CLASSES
    smallest = int(np.bincount(labels, minlength=NUM_CLASSES).min())
    if per_class > smallest:
        raise ValueError(f"num_examples {num_examples} asks for {per_class} images of each "
                         f"class; {name} has {smallest} of its rarest class, so at most "
                         f"{NUM_CLASSES * smallest}.")
    rng = np.random.default_rng(0 if seed is None else seed)
    picked = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
              for c in range(NUM_CLASSES)]
    return np.sort(np.concatenate(picked))


def digits_source(split, image_size, channels, with_labels, num_examples=None, seed=None):
    """Return the digits split as an unbatched `pipeline.Source`.

    Args:
        split: "train", "test" or "all".
        image_size: output side length, or None for 8.
        channels: 1, 3 or None (1).
        with_labels: yield `(image, label)` pairs instead of images.
        num_examples, seed: a class-balanced subset (see `digits_arrays`).
    """
    images, labels = digits_arrays(split, image_size, channels, num_examples, seed)
    elements = (images, labels) if with_labels else images
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    subset = f", {num_examples} of them" if num_examples is not None else ""
    return pipeline.Source(dataset, len(images), name=f"digits split {split!r}{subset}")
