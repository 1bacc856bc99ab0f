"""The images a detector learns from or scores, checked and read into one array.

A detector takes a NumPy array `(N, H, W, C)` or a finite `tf.data.Dataset` of images
(batched or not), float in [-1, 1] as `ganzoo.data.load` gives them. What goes wrong
in practice, and is refused here with a `DataError` that names the fix: labels still
attached (`load(..., with_labels=True)`), an empty normal set, images of another size
or channel count, integer pixels, and 0..255 or 0..1 values.

Example:
    >>> images = read_images(dataset, (32, 32, 1), "the normal set")
"""

import numpy as np
import tensorflow as tf

from ganzoo.errors import DataError

# Float round-off (resize, colour conversion) can step just past [-1, 1].
TOLERANCE = 1e-3
LABELS_MIXED_IN = ("yields {kind}: labels are mixed in with the images. A detector learns "
                   "from images alone and scores images alone; drop the labels first, e.g. "
                   "dataset.map(lambda images, labels: images), or load the data with "
                   "with_labels=False.")


def read_images(data, image_shape, what, allow_empty=False):
    """`data` as one float32 array `(N, *image_shape)`, after checking it.

    Args:
        data: a NumPy array `(N, H, W, C)`, or a finite `tf.data.Dataset` of images
            `(H, W, C)` or batches `(batch, H, W, C)`.
        image_shape: the detector's `(H, W, C)`.
        what: how messages name the data ("the normal set", "the images to score").
        allow_empty: return an empty array for no images instead of raising.
    """
    if isinstance(data, tf.data.Dataset):
        images = _dataset_images(data, image_shape, what)
    elif isinstance(data, (tuple, list, dict)) and _looks_labelled(data):
        raise DataError(f"{what} " + LABELS_MIXED_IN.format(
            kind="a pair (images, labels)" if not isinstance(data, dict) else "a mapping"))
    else:
        images = np.asarray(data)
    _check_dtype(images.dtype, what)
    images = images.astype(np.float32, copy=False)
    if images.ndim != 4:
        hint = (" For one image, pass images[np.newaxis]." if images.ndim == 3 else "")
        raise DataError(f"{what} must be a batch of images of shape (N, "
                        f"{', '.join(map(str, image_shape))}); got an array of shape "
                        f"{images.shape}.{hint}")
    if len(images) == 0:
        if allow_empty:
            return images.reshape((0, *image_shape))
        raise DataError(f"{what} is empty: a detector needs at least one normal image to "
                        "learn from. Check its source (an empty folder, a filter that lets "
                        "nothing through, or fewer images than one batch with "
                        "drop_remainder=True).")
    _check_shape(images.shape[1:], image_shape, what)
    _check_range(images, what)
    return images


def _looks_labelled(data):
    # (images, labels) as a tuple or list of two arrays of different ranks; a list of
    # same-shaped images is a batch of images.
    items = list(data.values()) if isinstance(data, dict) else list(data)
    shapes = {np.shape(item) for item in items}
    return isinstance(data, dict) or (len(items) == 2 and len(shapes) == 2)


def _dataset_images(dataset, image_shape, what):
    spec = dataset.element_spec
    if not isinstance(spec, tf.TensorSpec):
        kind = ("(images, labels) pairs" if isinstance(spec, tuple) and len(spec) == 2
                else f"structured elements ({type(spec).__name__})")
        raise DataError(f"{what} " + LABELS_MIXED_IN.format(kind=kind))
    if int(dataset.cardinality()) == tf.data.INFINITE_CARDINALITY:
        raise DataError(f"{what} is an endless dataset (.repeat() without a count); give one "
                        "pass over the images: the detector reads them once, and `epochs` "
                        "sets how often it trains on them.")
    _check_dtype(spec.dtype, what)
    rank = spec.shape.rank
    if rank == len(image_shape):
        dataset = dataset.batch(1024)
    elif rank != len(image_shape) + 1:
        batch_shape = ", ".join(map(str, image_shape))
        raise DataError(f"{what} yields elements of shape {tuple(spec.shape)}; expected images "
                        f"{tuple(image_shape)} or batches (batch, {batch_shape}).")
    else:
        _check_shape(tuple(spec.shape)[1:], image_shape, what)
    batches = [np.asarray(batch) for batch in dataset.as_numpy_iterator()]
    if not batches:
        return np.zeros((0, *image_shape), np.float32)
    return np.concatenate(batches)


def _check_dtype(dtype, what):
    dtype = tf.as_dtype(dtype)
    if dtype.is_integer or dtype == tf.bool:
        raise DataError(f"{what} holds {dtype.name} pixels; a detector takes float images in "
                        "[-1, 1]: convert them first, e.g. images / 127.5 - 1 for 0..255 pixels "
                        "(ganzoo.data.load does this).")
    if not dtype.is_floating:
        raise DataError(f"{what} holds {dtype.name} values; a detector takes float32 images "
                        "in [-1, 1].")


def _check_shape(shape, image_shape, what):
    shape, image_shape = tuple(shape), tuple(image_shape)
    if all(have is None or have == want for have, want in zip(shape, image_shape)) and (
            len(shape) == len(image_shape)):
        return
    if len(shape) == 3 and shape[:2] == image_shape[:2]:
        hint = (f"The channel count differs ({shape[2]} vs {image_shape[2]}): load the images "
                f"with channels={image_shape[2]}.")
    else:
        hint = (f"Load the images with image_size={image_shape[0]} and channels="
                f"{image_shape[2]}, or build the detector with image_shape={shape}.")
    raise DataError(f"{what} has images of shape {shape}, but this detector takes "
                    f"{image_shape}. {hint}")


def _check_range(images, what):
    # Comparisons, not min/max: a NaN pixel compares false and is left to the scores.
    if np.any(images > 1.0 + TOLERANCE):
        raise DataError(f"{what} has values above 1: it looks like 0..255 pixel data. Scale "
                        "it to [-1, 1] with images / 127.5 - 1 (ganzoo.data.load does this).")
    if np.any(images < -1.0 - TOLERANCE):
        raise DataError(f"{what} has values below -1; a detector takes images in [-1, 1].")
