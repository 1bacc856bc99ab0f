""""digits2negative": an unpaired two-domain dataset with a known ground-truth mapping.

Domain A is the scikit-learn digits as they are; domain B is digits under a fixed,
deterministic appearance change (`negative_bold`: thicker strokes, then inverted).
Because the true A -> B mapping is known, a CycleGAN's translations can be scored
exactly against `negative_bold` of its inputs.
"""

import numpy as np
import tensorflow as tf
from sklearn.model_selection import train_test_split

from ganzoo.data import digits

NAME = "digits2negative"
SPLITS = ("train", "test")


def kernel_size(image_size):
    """Return the side of the square dilation kernel `negative_bold` uses at a given size.

    The kernel grows with the image so strokes thicken by about the same fraction of
    the digit at every resolution: 3 up to 63 px, 5 at 64 px, 9 at 128 px.

    Args:
        image_size: side length of the images.
    """
    return 2 * max(1, image_size // 32) + 1


def negative_bold(images):
    """Return digits with thickened strokes, inverted: the "digits2negative" A -> B mapping.

    A grey-scale dilation (a max filter over a square `kernel_size(H)` window, stride
    1, same padding) widens the bright strokes, then x -> -x turns white ink on black
    into black ink on white. Both steps keep values in [-1, 1] and are exact, so the
    result is deterministic to the bit.

    Args:
        images: numpy array or tensor (N, H, W, C) of images in [-1, 1], ink bright.

    Returns:
        float32 numpy array of the same shape.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape.rank != 4:
        raise ValueError(f"negative_bold expects images of shape (N, H, W, C), got {images.shape}")
    size = kernel_size(int(images.shape[1]))
    # max_pool2d's "SAME" padding ignores the padded cells, so borders are not darkened.
    thick = tf.nn.max_pool2d(images, ksize=size, strides=1, padding="SAME")
    return (-thick).numpy()


def digits_pair_arrays(split="train", image_size=None, channels=None):
    """Return the digits2negative pair as (images_a, labels_a, images_b, labels_b).

    "train" divides the 1,437 digits of the "train" split of `digits.digits_arrays`
    into two disjoint halves with a fixed stratified split
    (`train_test_split(indices, test_size=0.5, random_state=0, stratify=labels)`):
    A is the first half (718 images) as-is, B is `negative_bold` of the second half
    (719 images). No digit appears in both domains, so the training data is truly
    unpaired. "test" is the 360 held-out digits as A and `negative_bold` of the same
    360 as B, aligned (images_b[i] == negative_bold(images_a)[i]); it is for
    evaluating translations against the ground truth, not for training.

    Args:
        split: "train" or "test".
        image_size: output side length; None keeps the native 8. The transform runs
            after resizing, at the output size.
        channels: 1 (default) or 3 (the gray channel repeated).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for {NAME!r}; expected one of {SPLITS}")
    images, labels = digits.digits_arrays(split, image_size, channels)
    if split == "test":
        return images, labels, negative_bold(images), labels.copy()
    index_a, index_b = train_test_split(
        np.arange(len(labels)), test_size=0.5, random_state=0, stratify=labels
    )
    return images[index_a], labels[index_a], negative_bold(images[index_b]), labels[index_b]
