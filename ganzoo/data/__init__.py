"""Image datasets for GAN training, as batched `tf.data` pipelines of images in [-1, 1].

A `source` is one of:
- "digits": the 8x8 handwritten digits bundled with scikit-learn (no download);
- "ring8", "grid25": 2D Gaussian mixtures (points, not images; see `mixtures`);
- "stacked_digits": three digits as the R, G, B channels, 1,000 modes (see `stacked`);
- a folder of image files (str or os.PathLike of an existing directory);
- any other string: a TensorFlow Datasets name such as "mnist" or "cifar10"
  (an existing folder of the same name takes precedence).

`load_unpaired` gives unpaired two-domain (A, B) batches for CycleGAN; see `unpaired`.
`load_paired` gives aligned (A, B) pairs for pix2pix ("digits_edges", pix2pix-layout
folders, the pix2pix datasets "facades", "maps" and "edges2shoes" downloaded by name,
paired TFDS datasets); see `paired`. `load_patches` gives (low-resolution,
high-resolution) patch pairs for super-resolution ("sklearn_photos", folders of
photos, TFDS datasets of photos such as "div2k/bicubic_x4"); see `patches`.
A relative folder path is read from the current directory; `resolve_source` reads it
from another one (a zoo config's folder).

Non-square images (folders, TFDS datasets) become square before they are resized:
`resize="crop"` (default) keeps the centre square, "pad" adds black borders, and
"stretch" squashes them (circles become ellipses).
"""

import os
from pathlib import Path

from ganzoo.data import (digits, folder, mixtures, paired, patches, pipeline, stacked,
                         tfds_source, unpaired)
from ganzoo.data.paired import load_paired, load_paired_arrays
from ganzoo.data.patches import load_patches
from ganzoo.data.unpaired import load_unpaired, load_unpaired_arrays

DIGITS_NUM_CLASSES = digits.NUM_CLASSES
# The sources that `num_examples` draws a seeded sample (or subset) from.
SAMPLED_KINDS = ("mixture", "digits", stacked.NAME)
SAMPLED_SOURCES = f"the 2D mixtures, 'digits' and {stacked.NAME!r}"

__all__ = ["DIGITS_NUM_CLASSES", "load", "load_arrays", "load_unpaired", "load_unpaired_arrays",
           "load_paired", "load_paired_arrays", "load_patches", "resolve_source", "source_kind"]


def _resolve(source):
    """Return ("digits" | "stacked_digits" | "mixture" | "folder" | "tfds", source), or raise
    ValueError for a bad source."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    if isinstance(source, str) and source == "digits":
        return "digits", source
    if isinstance(source, str) and source == stacked.NAME:
        return stacked.NAME, source
    if isinstance(source, str) and source in mixtures.MIXTURES:
        return "mixture", source
    if isinstance(source, str) and source in unpaired.EMBEDDED_SOURCES:
        raise ValueError(
            f"{source!r} is a two-domain source (unpaired images A and B, for CycleGAN); "
            "use load_unpaired() or load_unpaired_arrays() instead"
        )
    if isinstance(source, str) and source in (*paired.EMBEDDED_SOURCES, *paired.DOWNLOADS):
        raise ValueError(
            f"{source!r} is a paired source (aligned images A and B, for Pix2Pix); use "
            "load_paired() or load_paired_arrays() instead"
        )
    if isinstance(source, str) and source == patches.SKLEARN_PHOTOS:
        raise ValueError(
            f"{source!r} holds photos for super-resolution (SRResNet, SRGAN); use "
            "load_patches() for (low-resolution, high-resolution) patches instead"
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
    raise ValueError(f"{source!r} is neither 'digits', 'stacked_digits', an existing folder, nor a "
                     "TFDS dataset name")


def source_kind(source):
    """What a single-domain `source` names: "digits", "stacked_digits", "mixture", "folder" or
    "tfds".

    Raises ValueError for a source that is none of them (see the module docstring)."""
    return _resolve(source)[0]


def resolve_source(source, base_dir):
    """`source` with a relative folder path read from `base_dir` instead of the current directory.

    Named sources ("digits", "ring8", "digits2negative", "digits_edges", "facades",
    "sklearn_photos", TFDS names such as "mnist" or "cycle_gan/horse2zebra") and
    absolute paths come back unchanged. A relative path
    becomes `base_dir / source` (absolute); a bare name (no "/", ".", "~") is a folder
    only when `base_dir / source` is one, otherwise it stays a name.

    Args:
        source: a data source as `load` or `load_unpaired` take it.
        base_dir: the folder relative paths are read from, e.g. a YAML file's folder.

    Raises:
        FileNotFoundError: a relative path whose folder does not exist, naming the
            resolved path.

    Example:
        >>> resolve_source("images/faces", "configs")   # "/home/me/configs/images/faces"
    """
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    text = os.fspath(source)
    if text in ("digits", stacked.NAME, *mixtures.MIXTURES, *unpaired.EMBEDDED_SOURCES,
                *paired.EMBEDDED_SOURCES, *paired.DOWNLOADS, patches.SKLEARN_PHOTOS):
        return source
    path = Path(text).expanduser()
    if path.is_absolute():
        return source
    resolved = (Path(base_dir).expanduser() / path).resolve()
    if resolved.exists():
        return str(resolved)
    if tfds_source.looks_like_tfds_name(text):
        return source
    raise FileNotFoundError(f"data source {text!r} is not a named dataset, and as a path "
                            f"relative to {Path(base_dir).expanduser().resolve()} it is "
                            f"{resolved}, which does not exist")


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
    resize="crop",
):
    """Return a batched, prefetched dataset of float32 images in [-1, 1].

    Elements are batches of shape (batch_size, image_size, image_size, channels),
    or `(images, int32 labels)` pairs when `with_labels` is true.

    Args:
        source: "digits", a folder path, or a TFDS dataset name (see the module docstring).
        image_size: output side length; None keeps the source's native size (8 for
            digits; for a folder or TFDS dataset it must be one square size).
        batch_size: images per batch.
        split: "train", "test" or "all" for digits and stacked_digits (fixed stratified
            80/20 split of the digits);
            "train" or "all" for a folder; any TFDS split for TFDS datasets.
        channels: 1 or 3; None keeps the source's channels (RGBA counts as 3);
            stacked_digits has 3 and refuses 1.
        shuffle: shuffle the examples, with a new order every epoch.
        seed: shuffle seed for a reproducible order, or None.
        with_labels: yield `(images, labels)`; folder labels come from subfolder names.
        drop_remainder: drop the last partial batch so every batch is full.
        data_dir: TFDS data directory (TFDS sources only).
        num_examples: size of the fixed sample drawn with `seed` (None: 0) from a 2D
            mixture (default 65,536) or of stacked digits (default 128,000); for
            "digits", a few-shot subset of the split with as many images of each
            class (a multiple of 10), drawn with `seed`; these sources only.
        bad_files: for folders, what to do with files that do not decode as images:
            "error" (default) stops naming them; "skip" leaves them out and warns
            with their count and names.
        resize: how non-square images (folders, TFDS) become square before resizing:
            "crop" (default) keeps the centre square; "pad" centres the image on a
            black (-1) square; "stretch" squashes it to a square. Square images are
            unchanged by all three.
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    pipeline.check_resize(resize)
    kind, where = _resolve(source)
    if num_examples is not None and kind not in SAMPLED_KINDS:
        raise ValueError(f"num_examples applies to {SAMPLED_SOURCES} only, the sources drawn "
                         "as a seeded sample.")
    if bad_files != "error" and kind != "folder":
        raise ValueError("bad_files applies to folders of images only.")
    if kind == "mixture":
        if image_size is not None or channels is not None:
            raise ValueError(f"{source!r} is a mixture of 2D points: image_size and channels "
                             "do not apply.")
        src = mixtures.mixture_source(where, num_examples, seed, with_labels)
    elif kind == "digits":
        src = digits.digits_source(split, image_size, channels, with_labels, num_examples, seed)
    elif kind == stacked.NAME:
        src = stacked.stacked_source(split, image_size, channels, with_labels, num_examples, seed)
    elif kind == "folder":
        src = folder.folder_source(where, split, image_size, channels, with_labels, bad_files,
                                   resize)
    else:
        src = tfds_source.tfds_source(
            where, split, image_size, channels, with_labels, data_dir, shuffle, seed, resize
        )
    return pipeline.finish(src, batch_size, shuffle=shuffle, seed=seed, drop_remainder=drop_remainder)


def load_arrays(source, image_size=None, *, split="train", channels=None, bad_files="error",
                resize="crop", num_examples=None, seed=None):
    """Return a whole in-memory source as (float32 images (N, H, W, C) in [-1, 1], int32 labels (N,)).

    Only for "digits", "stacked_digits", the 2D mixtures and folders; TFDS datasets
    can be too big for memory, use `load`.

    Args:
        source: "digits", "stacked_digits", "ring8", "grid25" or a folder path.
        image_size: output side length, or None for the native size (see `load`).
        split: as in `load`.
        channels: 1, 3 or None (see `load`).
        bad_files: "error" or "skip", for folders (see `load`).
        resize: "crop", "pad" or "stretch" for non-square images (see `load`).
        num_examples, seed: the sample of a mixture or of stacked digits, or the
            class-balanced subset of the digits (see `load`); the same arguments give
            the same sample as `load`.
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    pipeline.check_resize(resize)
    kind, where = _resolve(source)
    if (num_examples is not None or seed is not None) and kind not in SAMPLED_KINDS:
        raise ValueError(f"num_examples and seed apply to {SAMPLED_SOURCES} only, the sources "
                         "drawn as a seeded sample.")
    if kind == "mixture":
        return mixtures.mixture_arrays(
            where, mixtures.DEFAULT_NUM_EXAMPLES if num_examples is None else num_examples,
            0 if seed is None else seed)
    if kind == "digits":
        if seed is not None and num_examples is None:
            raise ValueError("seed draws the few-shot subset of the digits: give num_examples "
                             "with it (the whole split needs no seed).")
        return digits.digits_arrays(split, image_size, channels, num_examples, seed)
    if kind == stacked.NAME:
        return stacked.stacked_arrays(
            split, image_size, channels,
            stacked.DEFAULT_NUM_EXAMPLES if num_examples is None else num_examples, seed)
    if kind == "folder":
        return folder.folder_arrays(where, split, image_size, channels, bad_files, resize)
    raise ValueError(
        f"load_arrays only supports in-memory sources ('digits', 'stacked_digits', a mixture or "
        f"a folder), not the TFDS dataset {source!r}; use load() to stream it"
    )
