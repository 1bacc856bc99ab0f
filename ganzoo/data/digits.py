"""The UCI handwritten digits bundled with scikit-learn: 1797 8x8 images, no download needed."""

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from ganzoo.data import pipeline

NUM_CLASSES = 10
NATIVE_SIZE = 8
SPLITS = ("train", "test", "all")


def digits_arrays(split="train", image_size=None, channels=None):
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
    images = pipeline.scale_images(images, image_size or NATIVE_SIZE, channels or 1)
    return images.numpy(), labels


def digits_source(split, image_size, channels, with_labels):
    """Return the digits split as an unbatched `pipeline.Source`.

    Args:
        split: "train", "test" or "all".
        image_size: output side length, or None for 8.
        channels: 1, 3 or None (1).
        with_labels: yield `(image, label)` pairs instead of images.
    """
    images, labels = digits_arrays(split, image_size, channels)
    elements = (images, labels) if with_labels else images
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    return pipeline.Source(dataset, len(images), name=f"digits split {split!r}")
