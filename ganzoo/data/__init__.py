"""Image datasets for GAN training, as batched `tf.data` pipelines of images in [-1, 1].

A `source` is one of:
- "digits": the 8x8 handwritten digits bundled with scikit-learn (no download);
- "ring8", "grid25": 2D Gaussian mixtures (points, not images; see `mixtures`);
- a folder of image files (str or os.PathLike of an existing directory);
- any other string: a TensorFlow Datasets name such as "mnist" or "cifar10"
  (an existing folder of the same name takes precedence).

`load_unpaired` gives unpaired two-domain (A, B) batches for CycleGAN; see `unpaired`.
"""

import os
from pathlib import Path

from ganzoo.data import digits, folder, mixtures, pipeline, tfds_source, unpaired
from ganzoo.data.unpaired import load_unpaired, load_unpaired_arrays

DIGITS_NUM_CLASSES = digits.NUM_CLASSES

__all__ = ["DIGITS_NUM_CLASSES", "load", "load_arrays", "load_unpaired", "load_unpaired_arrays"]


def _resolve(source):
    """Return ("digits" | "folder" | "tfds", source), or raise ValueError for a bad source."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    if isinstance(source, str) and source == "digits":
        return "digits", source
    if isinstance(source, str) and source in mixtures.MIXTURES:
        return "mixture", source
    if isinstance(source, str) and source in unpaired.EMBEDDED_SOURCES:
        raise ValueError(
            f"{source!r} is a two-domain source (unpaired images A and B, for CycleGAN); "
            "use load_unpaired() or load_unpaired_arrays() instead"
        )
    path = Path(source).expanduser()
    if path.is_dir():
        return "folder", path
    if path.exists():
        raise ValueError(f"{str(source)!r} is a file, not a folder of images")
    if isinstance(source, str) and tfds_source.looks_like_tfds_name(source):
        return "tfds", source
    if isinstance(source, os.PathLike) or any(sep in source for sep in "/\\~."):
        raise ValueError(f"no such folder: {str(source)!r}")
    raise ValueError(f"{source!r} is neither 'digits', an existing folder, nor a TFDS dataset name")


def load(
    source,
    image_size=None,
    batch_size=64,
    *,
    split="train",
    channels=None,
    shuffle=True,
    seed=None,
    with_labels=False,
    drop_remainder=True,
    data_dir=None,
    num_examples=None,
    bad_files="error",
):
    """Return a batched, prefetched dataset of float32 images in [-1, 1].

    Elements are batches of shape (batch_size, image_size, image_size, channels),
    or `(images, int32 labels)` pairs when `with_labels` is true.

    Args:
        source: "digits", a folder path, or a TFDS dataset name (see the module docstring).
        image_size: output side length; None keeps the source's native size (8 for
            digits; for a folder or TFDS dataset it must be one square size).
        batch_size: images per batch.
        split: "train", "test" or "all" for digits (fixed stratified 80/20 split);
            "train" or "all" for a folder; any TFDS split for TFDS datasets.
        channels: 1 or 3; None keeps the source's channels (RGBA counts as 3).
        shuffle: shuffle the examples, with a new order every epoch.
        seed: shuffle seed for a reproducible order, or None.
        with_labels: yield `(images, labels)`; folder labels come from subfolder names.
        drop_remainder: drop the last partial batch so every batch is full.
        data_dir: TFDS data directory (TFDS sources only).
        num_examples: size of the fixed sample drawn from a 2D mixture (mixtures
            only; default 65,536), drawn with `seed`.
        bad_files: for folders, what to do with files that do not decode as images:
            "error" (default) stops naming them; "skip" leaves them out and warns
            with their count and names.
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    kind, where = _resolve(source)
    if num_examples is not None and kind != "mixture":
        raise ValueError("num_examples applies to the 2D mixtures only.")
    if bad_files != "error" and kind != "folder":
        raise ValueError("bad_files applies to folders of images only.")
    if kind == "mixture":
        if image_size is not None or channels is not None:
            raise ValueError(f"{source!r} is a mixture of 2D points: image_size and channels "
                             "do not apply.")
        src = mixtures.mixture_source(where, num_examples, seed, with_labels)
    elif kind == "digits":
        src = digits.digits_source(split, image_size, channels, with_labels)
    elif kind == "folder":
        src = folder.folder_source(where, split, image_size, channels, with_labels, bad_files)
    else:
        src = tfds_source.tfds_source(
            where, split, image_size, channels, with_labels, data_dir, shuffle, seed
        )
    return pipeline.finish(src, batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder)


def load_arrays(source, image_size=None, *, split="train", channels=None, bad_files="error"):
    """Return a whole in-memory source as (float32 images (N, H, W, C) in [-1, 1], int32 labels (N,)).

    Only for "digits", the 2D mixtures (65,536 points, seed 0) and folders; TFDS
    datasets can be too big for memory, use `load`.

    Args:
        source: "digits", "ring8", "grid25" or a folder path.
        image_size: output side length, or None for the native size (see `load`).
        split: as in `load`.
        channels: 1, 3 or None (see `load`).
        bad_files: "error" or "skip", for folders (see `load`).
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    kind, where = _resolve(source)
    if kind == "mixture":
        return mixtures.mixture_arrays(where)
    if kind == "digits":
        return digits.digits_arrays(split, image_size, channels)
    if kind == "folder":
        return folder.folder_arrays(where, split, image_size, channels, bad_files)
    raise ValueError(
        f"load_arrays only supports in-memory sources ('digits', a mixture or a folder), not the "
        f"TFDS dataset {source!r}; use load() to stream it"
    )
