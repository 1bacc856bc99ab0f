"""Pieces shared by every data source: argument checks, image scaling, shuffle/batch/prefetch."""

import dataclasses
import numbers
from typing import Callable, Optional

import tensorflow as tf

from ganzoo.errors import DataError

DEFAULT_SHUFFLE_BUFFER = 10_000
# How a non-square image becomes square before it is resized (see `to_square`).
RESIZE_MODES = ("crop", "pad", "stretch")


class BatchLargerThanDataError(DataError):
    """A source has fewer images than one batch, with `drop_remainder` set.

    Carries `count` and `batch_size`, so a caller that knows where the batch size came
    from (a zoo config's `data: batch_size`) can give the advice that fits it.
    """

    def __init__(self, name, count, batch_size, advice=None):
        self.name, self.count, self.batch_size = name, count, batch_size
        advice = advice or (f"use a smaller batch_size (at most {count}), add images, or pass "
                            "drop_remainder=False to keep the partial batch")
        super().__init__(f"{name} has {count} images, fewer than one batch of {batch_size}; "
                         f"{advice}")


@dataclasses.dataclass(frozen=True)
class Source:
    """An unbatched dataset plus what the shared pipeline needs to know about it.

    Args:
        dataset: unbatched `tf.data.Dataset`; its elements are finished images (or
            `(image, label)` pairs) unless `prepare` is given.
        num_examples: number of elements, or None when it cannot be known cheaply.
        name: how error messages refer to the source.
        prepare: optional per-element function run after shuffling, so a source can
            shuffle cheap raw records (file paths, uint8 images) instead of float images.
        max_shuffle_buffer: optional cap on the shuffle buffer, for sources whose raw
            records are too big to hold all of them in memory.
    """

    dataset: tf.data.Dataset
    num_examples: Optional[int]
    name: str
    prepare: Optional[Callable] = None
    max_shuffle_buffer: Optional[int] = None


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_image_size(image_size):
    """Return `image_size` as an int (or None), raising ValueError unless it is a positive int.

    Args:
        image_size: side length of the square output images, or None for the native size.
    """
    if image_size is None:
        return None
    if not _is_int(image_size) or image_size <= 0:
        raise ValueError(f"image_size must be a positive int or None, got {image_size!r}")
    return int(image_size)


def check_channels(channels):
    """Return `channels` as an int (or None), raising ValueError unless it is 1 or 3.

    Args:
        channels: 1 for grayscale, 3 for RGB, or None for the source's own channels.
    """
    if channels is None:
        return None
    if not _is_int(channels) or channels not in (1, 3):
        raise ValueError(f"channels must be 1, 3 or None, got {channels!r}")
    return int(channels)


def check_batch_size(batch_size):
    """Return `batch_size` as an int, raising ValueError unless it is a positive int.

    Args:
        batch_size: number of images per batch.
    """
    if not _is_int(batch_size) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    return int(batch_size)


def check_resize(resize):
    """Return `resize`, raising ValueError unless it is one of `RESIZE_MODES`.

    Args:
        resize: "crop", "pad" or "stretch" (see `to_square`).
    """
    if resize not in RESIZE_MODES:
        raise ValueError(f"resize must be 'crop' (centre crop to a square, the default), 'pad' "
                         f"(pad to a square with black) or 'stretch'; got {resize!r}")
    return resize


def to_square(images, resize):
    """Make (..., H, W, C) images square, keeping their aspect ratio unless told to stretch.

    "crop" keeps the centre square of side min(H, W); "pad" centres the image on a
    square of side max(H, W) filled with 0, which is black (-1 once mapped to
    [-1, 1]); "stretch" leaves the image as it is, for the resize to squash it.

    Args:
        images: float tensor, (H, W, C) or (N, H, W, C), values in [0, 1].
        resize: "crop", "pad" or "stretch".
    """
    if check_resize(resize) == "stretch":
        return images
    height, width = images.shape[-3], images.shape[-2]
    if height is not None and height == width:  # already square (digits): nothing to do
        return images
    shape = tf.shape(images)
    height, width = shape[-3], shape[-2]
    side = tf.minimum(height, width) if resize == "crop" else tf.maximum(height, width)
    return tf.image.resize_with_crop_or_pad(images, side, side)


def native_channels(count):
    """Map a decoded image's channel count to the 1 or 3 channels ganzoo uses.

    Args:
        count: channels as stored (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    """
    return 1 if count in (1, 2) else 3


def convert_channels(images, channels):
    """Convert images (last axis = channels, statically known) to 1 or 3 channels.

    Args:
        images: float tensor of shape (..., C) with C in 1..4.
        channels: 1 or 3.
    """
    have = images.shape[-1]
    if have is None:
        raise ValueError("the number of image channels must be known statically")
    # Alpha is dropped rather than composited: GAN targets are opaque images.
    if have == 2:
        images, have = images[..., :1], 1
    elif have == 4:
        images, have = images[..., :3], 3
    if have == channels:
        return images
    if channels == 1:
        return tf.image.rgb_to_grayscale(images)
    return tf.image.grayscale_to_rgb(images)


def scale_images(images, image_size, channels, resize="crop"):
    """Resize float images in [0, 1] to a square size and map them to [-1, 1].

    Args:
        images: float32 tensor or array, (H, W, C) or (N, H, W, C), values in [0, 1].
        image_size: output side length.
        channels: output channels, 1 or 3.
        resize: how a non-square image becomes square first, see `to_square`.
    """
    images = convert_channels(tf.convert_to_tensor(images, tf.float32), channels)
    images = to_square(images, resize)
    # antialias only changes anything when downsampling; there it prevents aliasing.
    images = tf.image.resize(images, (image_size, image_size), method="bilinear", antialias=True)
    # Clipping guards against float round-off pushing values just past the tanh range.
    return tf.clip_by_value(images * 2.0 - 1.0, -1.0, 1.0)


def finish(source, batch_size, *, shuffle, seed, drop_remainder):
    """Shuffle, prepare, batch and prefetch a source's unbatched dataset.

    Args:
        source: the `Source` to turn into batches.
        batch_size: images per batch.
        shuffle: whether to shuffle (reshuffled every epoch).
        seed: shuffle seed, or None for a different order on every run.
        drop_remainder: drop the last, smaller batch so every batch has `batch_size`.
    """
    count = source.num_examples
    if count == 0:
        raise ValueError(f"{source.name} has no images")
    if drop_remainder and count is not None and count < batch_size:
        raise BatchLargerThanDataError(source.name, count, batch_size)
    dataset = source.dataset
    if shuffle:
        buffer = count or DEFAULT_SHUFFLE_BUFFER
        if source.max_shuffle_buffer:
            buffer = min(buffer, source.max_shuffle_buffer)
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    if source.prepare is not None:
        dataset = dataset.map(source.prepare, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(tf.data.AUTOTUNE)
