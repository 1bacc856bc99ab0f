"""Unpaired two-domain datasets for image-to-image translation (CycleGAN).

A two-domain `source` is one of:
- "digits2negative": the scikit-learn digits (A) and bold, inverted digits (B),
  with a known ground-truth mapping (see `digits_pair`);
- a folder with `trainA/` and `trainB/` (and `testA/`, `testB/`) subfolders, the
  layout of the CycleGAN paper's datasets;
- a TFDS "cycle_gan/<name>" dataset such as "cycle_gan/horse2zebra".

Each domain goes through the single-domain pipeline (`pipeline.finish`) on its own,
with its own shuffle seed, and the two are zipped into `(images_a, images_b)` pairs.
"""

import math
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from ganzoo.data import digits_pair, folder, mixtures, pipeline, stacked, tfds_source

EMBEDDED_SOURCES = (digits_pair.NAME,)
SPLITS = ("train", "test")
TFDS_DATASET = "cycle_gan"

TWO_DOMAIN_HELP = (
    "a two-domain source is two unpaired sets of images, A and B, as CycleGAN trains on: "
    f"{digits_pair.NAME!r}, a folder with trainA/ and trainB/ (and testA/, testB/) "
    "subfolders, or a TFDS 'cycle_gan/<name>' dataset such as 'cycle_gan/horse2zebra'"
)


def _resolve(source):
    """Return ("digits2negative" | "folder" | "tfds", source), or raise ValueError for a bad source."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    if isinstance(source, str) and source in EMBEDDED_SOURCES:
        return source, source
    if isinstance(source, str) and (source in ("digits", stacked.NAME)
                                    or source in mixtures.MIXTURES):
        raise ValueError(f"{source!r} has a single domain, use load() for it; {TWO_DOMAIN_HELP}")
    path = Path(source).expanduser()
    if path.is_dir():
        _check_two_domain_folder(path)
        return "folder", path
    if path.exists():
        raise ValueError(f"{str(source)!r} is a file, not a folder; {TWO_DOMAIN_HELP}")
    if isinstance(source, str) and tfds_source.looks_like_tfds_name(source):
        # The dataset part, without "/config" or ":version".
        if source.split("/")[0].split(":")[0] != TFDS_DATASET:
            raise ValueError(
                f"{source!r} is not a two-domain TFDS dataset (only {TFDS_DATASET}/<name> is), "
                f"use load() for a single-domain one; {TWO_DOMAIN_HELP}"
            )
        return "tfds", source
    if isinstance(source, os.PathLike) or any(sep in source for sep in "/\\~."):
        raise ValueError(f"no such folder: {str(source)!r}")
    raise ValueError(f"{source!r} is not a two-domain source; {TWO_DOMAIN_HELP}")


def _check_two_domain_folder(root):
    # A plain image folder would otherwise fail later with a confusing "no trainA" message.
    if not any((root / f"{split}{domain}").is_dir() for split in SPLITS for domain in "AB"):
        raise ValueError(
            f"folder {str(root)!r} has none of the subfolders trainA/, trainB/, testA/, testB/, "
            f"so it is not a two-domain folder; {TWO_DOMAIN_HELP}"
        )


def _check_split(split, name):
    if split not in SPLITS:
        raise ValueError(
            f"unknown split {split!r} for the two-domain source {name}; expected one of {SPLITS}"
        )


def _domain_folders(root, split):
    """Return the (A, B) subfolders of a two-domain folder for a split, checking they exist."""
    _check_split(split, f"folder {str(root)!r}")
    paths = (root / f"{split}A", root / f"{split}B")
    for domain, path in zip("AB", paths):
        if not path.is_dir():
            raise ValueError(
                f"two-domain folder {str(root)!r} has no subfolder {str(path)!r} "
                f"(domain {domain} of split {split!r})"
            )
    return paths


def _domain_seeds(seed):
    """Return two independent shuffle seeds derived from `seed` (None gives None, None)."""
    if seed is None:
        return None, None
    # SeedSequence spreads nearby seeds apart; modulo maps negative TF-style seeds into its range.
    seed_a, seed_b = np.random.SeedSequence(int(seed) % (1 << 64)).generate_state(2)
    return int(seed_a), int(seed_b)


def _sources(kind, where, split, image_size, channels, data_dir, shuffle, seeds, resize):
    """Return the (A, B) `pipeline.Source`s of a resolved two-domain source."""
    if kind == digits_pair.NAME:
        images_a, _, images_b, _ = digits_pair.digits_pair_arrays(split, image_size, channels)
        return tuple(
            pipeline.Source(tf.data.Dataset.from_tensor_slices(images), len(images),
                            name=f"{kind!r} domain {domain} (split {split!r})")
            for domain, images in zip("AB", (images_a, images_b))
        )
    if kind == "folder":
        return tuple(
            folder.folder_source(path, "train", image_size, channels, with_labels=False,
                                 resize=resize)
            for path in _domain_folders(where, split)
        )
    _check_split(split, f"TFDS dataset {where!r}")
    return tuple(
        tfds_source.tfds_source(where, f"{split}{domain}", image_size, channels, False,
                                data_dir, shuffle, seed, resize)
        for domain, seed in zip("AB", seeds)
    )


def _check_same_shape(name, shape_a, shape_b):
    # The generators map A to B and back, so both domains need one image shape.
    if tuple(shape_a) != tuple(shape_b):
        raise ValueError(
            f"the two domains of {name} have different image shapes (A {tuple(shape_a)}, "
            f"B {tuple(shape_b)}); pass image_size= and channels= to make them match"
        )


def _num_batches(source, batch_size, drop_remainder):
    if source.num_examples is None:
        raise ValueError(
            f"cannot tell how many images {source.name} has, so the epoch length "
            "(the larger domain's number of batches) is unknown"
        )
    divide = math.floor if drop_remainder else math.ceil
    return divide(source.num_examples / batch_size)


def load_unpaired(
    source,
    image_size=None,
    batch_size=1,
    *,
    split="train",
    channels=None,
    shuffle=True,
    seed=None,
    drop_remainder=True,
    data_dir=None,
    resize="crop",
):
    """Return a prefetched dataset of unpaired `(images_a, images_b)` batch pairs.

    Both are float32 batches (batch_size, image_size, image_size, channels) in
    [-1, 1]. The two domains are shuffled independently, each with its own seed
    derived from `seed`, and reshuffled every epoch, so which A meets which B changes
    from epoch to epoch. One epoch is the larger domain's number of batches (as the
    CycleGAN paper's code iterates max(|A|, |B|)); the smaller domain repeats,
    reshuffled on each pass, to fill it. The dataset's `cardinality()` is that
    number of batches.

    Args:
        source: "digits2negative", a folder with trainA/ and trainB/ (testA/, testB/)
            subfolders, or a TFDS "cycle_gan/<name>" dataset (see the module docstring).
        image_size: output side length; None keeps the native size, which must be one
            square size shared by both domains (8 for digits2negative). TFDS
            cycle_gan images vary in size, so they need it.
        batch_size: images per batch in each domain (CycleGAN uses 1).
        split: "train" or "test" ("test" of digits2negative is aligned: B is the
            ground-truth translation of A; it is for evaluation, not training).
        channels: 1 or 3; None keeps the source's channels.
        shuffle: shuffle each domain, with a new order every epoch.
        seed: seed for reproducible orders, or None for different orders every run.
        drop_remainder: drop each domain's last partial batch. Without it the last
            batch of each pass over a domain can be smaller, so the two batches of a
            pair can differ in size.
        data_dir: TFDS data directory (TFDS sources only).
        resize: how non-square images (folders, TFDS) become square: "crop" (the
            centre square, default), "pad" (black borders) or "stretch".
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    pipeline.check_resize(resize)
    kind, where = _resolve(source)
    seeds = _domain_seeds(seed)
    sources = _sources(kind, where, split, image_size, channels, data_dir, shuffle, seeds, resize)
    domains = [
        pipeline.finish(src, batch_size, shuffle=shuffle, seed=domain_seed, drop_remainder=drop_remainder)
        for src, domain_seed in zip(sources, seeds)
    ]
    _check_same_shape(repr(str(source)), domains[0].element_spec.shape[1:], domains[1].element_spec.shape[1:])

    counts = [_num_batches(src, batch_size, drop_remainder) for src in sources]
    if counts[0] != counts[1]:
        # Repeating after finish() makes every pass over the smaller domain a reshuffled epoch.
        smaller = 0 if counts[0] < counts[1] else 1
        domains[smaller] = domains[smaller].repeat()
    pairs = tf.data.Dataset.zip(tuple(domains))
    # A TFDS split can leave the cardinality unknown; training counts steps from it.
    pairs = pairs.apply(tf.data.experimental.assert_cardinality(max(counts)))
    return pairs.prefetch(tf.data.AUTOTUNE)


def load_unpaired_arrays(source, image_size=None, *, split="train", channels=None, resize="crop"):
    """Return a whole in-memory two-domain source as (images_a, images_b).

    Both are float32 arrays (N, H, W, C) in [-1, 1], in a fixed order; N differs
    between domains in general. Only for "digits2negative" and folders; TFDS
    datasets can be too big for memory, use `load_unpaired`.

    Args:
        source: "digits2negative" or a folder with trainA/ and trainB/ (testA/, testB/).
        image_size: output side length, or None for the native size (see `load_unpaired`).
        split: "train" or "test".
        channels: 1, 3 or None (see `load_unpaired`).
        resize: "crop", "pad" or "stretch" for non-square images (see `load_unpaired`).
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    pipeline.check_resize(resize)
    kind, where = _resolve(source)
    if kind == digits_pair.NAME:
        images_a, _, images_b, _ = digits_pair.digits_pair_arrays(split, image_size, channels)
        return images_a, images_b
    if kind == "folder":
        images_a, images_b = (
            folder.folder_arrays(path, "train", image_size, channels, resize=resize)[0]
            for path in _domain_folders(where, split)
        )
        _check_same_shape(repr(str(source)), images_a.shape[1:], images_b.shape[1:])
        return images_a, images_b
    raise ValueError(
        "load_unpaired_arrays only supports in-memory sources ('digits2negative' or a folder), "
        f"not the TFDS dataset {source!r}; use load_unpaired() to stream it"
    )
