"""Paired (aligned) two-domain datasets for image-to-image translation (pix2pix).

A paired `source` is one of:
- "digits_edges": the digits' edge maps (A) and the digits (B), embedded (see
  `digits_edges`);
- a folder in the pix2pix datasets' layout: `train/`, `val/` and `test/` subfolders
  of images that each hold one pair side by side, A on the left half and B on the
  right (facades, maps, cityscapes, edges2shoes ... as their authors distribute them;
  unpack the archive and pass its folder);
- "facades", "maps", "edges2shoes": the pix2pix authors' archives of such folders,
  downloaded once into the Keras cache (see `paired_downloads`); facades hold
  photo|labels, so the paper's labels -> photo is `direction="b2a"`;
- a TFDS dataset with two aligned image features: "cityscapes" (segmentation labels
  -> photos; a manual download), "scene_parse150" (ADE20K annotations -> photos), or
  any other with `features=(a_feature, b_feature)`. pix2pix's own datasets (facades,
  maps, edges2shoes) are not in the TFDS catalog: use their names above or folders.

A pair stays one element from the file (or example) to the batch: it is decoded,
resized, jittered and shuffled as one, so A and B never part.
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from ganzoo.data import (digits_edges, digits_pair, folder, mixtures, paired_downloads, patches,
                         pipeline, stacked, tfds_source)

EMBEDDED_SOURCES = (digits_edges.NAME,)
# named downloads: the pix2pix authors' archives of pix2pix-layout folders
DOWNLOADS = tuple(paired_downloads.DOWNLOADS)
FOLDER_SPLITS = ("train", "val", "test")
DIRECTIONS = ("a2b", "b2a")
# TFDS datasets whose examples hold an aligned pair: dataset -> (A feature, B feature)
TFDS_PAIRS = {"cityscapes": ("segmentation_label", "image_left"),
              "scene_parse150": ("annotation", "image")}
# ganzoo's named sources of the other loaders, for a helpful error
_OTHER_LOADERS = {"digits": "load", stacked.NAME: "load",
                  **dict.fromkeys(mixtures.MIXTURES, "load"),
                  digits_pair.NAME: "load_unpaired", patches.SKLEARN_PHOTOS: "load_patches"}
# pix2pix's random jitter: images resized to 286/256 of their size, cropped back.
JITTER_GROWTH = 286 / 256
# Raw TFDS pairs of unknown size held by the shuffle buffer at most.
_UNKNOWN_SIZE_BUFFER = 1_000
_SHUFFLE_BUDGET_BYTES = 1 << 30

PAIRED_HELP = (
    f"a paired source holds aligned (A, B) images: {digits_edges.NAME!r}, a folder with "
    "train/ (val/, test/) subfolders of side-by-side A|B images (the pix2pix datasets' "
    "layout), a pix2pix dataset downloaded by name "
    f"({', '.join(map(repr, DOWNLOADS))}), or a TFDS dataset with two image features "
    f"({', '.join(map(repr, TFDS_PAIRS))}, or any with features=(a_feature, b_feature))"
)


def _resolve(source, features):
    """Return ("digits_edges" | "download" | "folder" | "tfds", where), or raise ValueError.

    A name is a name: "facades" downloads even where a folder of that name sits in the
    current directory (pass "./facades" for the folder)."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    if isinstance(source, str) and source in EMBEDDED_SOURCES:
        return source, source
    if isinstance(source, str) and source in DOWNLOADS:
        return "download", source
    if isinstance(source, str) and source in _OTHER_LOADERS:
        raise ValueError(f"{source!r} is not a paired source: use "
                         f"ganzoo.data.{_OTHER_LOADERS[source]}() for it; {PAIRED_HELP}")
    path = Path(source).expanduser()
    if path.is_dir():
        if not any((path / split).is_dir() for split in FOLDER_SPLITS):
            raise ValueError(f"folder {str(source)!r} has none of the subfolders "
                             f"{', '.join(s + '/' for s in FOLDER_SPLITS)}; {PAIRED_HELP}")
        return "folder", path
    if path.exists():
        raise ValueError(f"{str(source)!r} is a file, not a folder; {PAIRED_HELP}")
    if isinstance(source, str) and tfds_source.looks_like_tfds_name(source):
        if features is None and tfds_source.dataset_name(source) not in TFDS_PAIRS:
            raise ValueError(f"TFDS dataset {source!r} is not one ganzoo knows to hold pairs "
                             f"({', '.join(TFDS_PAIRS)}); name its two image features with "
                             f"features=(a_feature, b_feature), or use another source: "
                             f"{PAIRED_HELP}")
        return "tfds", source
    if isinstance(source, os.PathLike) or any(sep in source for sep in "/\\~."):
        raise ValueError(f"no such folder: {str(source)!r}")
    raise ValueError(f"{source!r} is not a paired source; {PAIRED_HELP}")


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'a2b' (A is the input) or 'b2a' (B is); got "
                         f"{direction!r}")


# ------------------------------------------------------------------------ sources


def _embedded_source(split, image_size, channels):
    edges, images, _ = digits_edges.digits_edges_arrays(split, image_size, channels)
    return pipeline.Source(tf.data.Dataset.from_tensor_slices((edges, images)), len(edges),
                           name=f"{digits_edges.NAME!r} split {split!r}")


def _split_folder(root, split):
    if split not in FOLDER_SPLITS:
        raise ValueError(f"unknown split {split!r} for the paired folder {str(root)!r}; "
                         f"expected one of {FOLDER_SPLITS}")
    path = root / split
    if not path.is_dir():
        present = [s for s in FOLDER_SPLITS if (root / s).is_dir()]
        raise ValueError(f"paired folder {str(root)!r} has no {split}/ subfolder (it has "
                         f"{', '.join(s + '/' for s in present)})")
    return path


def _halves(image):
    """(left, right) halves of a side-by-side pair, float (H, W, C)."""
    half = tf.shape(image)[1] // 2
    return image[:, :half], image[:, half:2 * half]


def _folder_source(root, split, image_size, channels, resize, bad_files):
    path = _split_folder(root, split)
    paths, _, _ = folder.list_images(path)
    paths = folder.check_files(paths, bad_files, path)
    if image_size is None or channels is None:
        height, width, stored = tf.io.decode_image(tf.io.read_file(paths[0]),
                                                   expand_animations=False).shape
        if image_size is None:
            if width != 2 * height:
                raise ValueError(
                    f"image_size is required for paired folder {str(root)!r}: its first image "
                    f"{paths[0]!r} is {width}x{height}, so its halves are not square "
                    "(a side-by-side pair of squares is twice as wide as high)")
            image_size = height
        if channels is None:
            channels = pipeline.native_channels(stored)

    def prepare(file):
        image = tf.io.decode_image(tf.io.read_file(file), channels=3, expand_animations=False)
        image.set_shape([None, None, 3])
        image = tf.image.convert_image_dtype(image, tf.float32)
        return tuple(pipeline.scale_images(half, image_size, channels, resize)
                     for half in _halves(image))

    return pipeline.Source(tf.data.Dataset.from_tensor_slices(paths), len(paths),
                           name=f"paired folder {str(path)!r}", prepare=prepare)


def _tfds_source(name, split, image_size, channels, features, data_dir, shuffle, seed,
                 resize):
    feature_a, feature_b = features or TFDS_PAIRS[tfds_source.dataset_name(name)]
    dataset, info = tfds_source._load(name, split, data_dir, shuffle, seed)
    shapes = []
    for feature in (feature_a, feature_b):
        if feature not in info.features:
            raise ValueError(f"TFDS dataset {name!r} has no feature {feature!r} (features: "
                             f"{sorted(info.features)}); pass features=(a_feature, b_feature)")
        shapes.append(info.features[feature].shape)
    if image_size is None:
        height, width = shapes[0][:2]
        if height is None or height != width:
            raise ValueError(f"image_size is required for TFDS dataset {name!r}: its images "
                             f"are {height}x{width}, not of one square size")
        image_size = height
    side_channels = [channels or pipeline.native_channels(shape[-1]) for shape in shapes]
    dataset = dataset.map(lambda example: (example[feature_a], example[feature_b]))

    def prepare(image_a, image_b):
        return tuple(pipeline.scale_images(tf.image.convert_image_dtype(image, tf.float32),
                                           image_size, side, resize)
                     for image, side in zip((image_a, image_b), side_channels))

    known = all(None not in shape for shape in shapes)
    buffer = (max(1_000, _SHUFFLE_BUDGET_BYTES // sum(int(np.prod(s)) for s in shapes))
              if known else _UNKNOWN_SIZE_BUFFER)
    return pipeline.Source(dataset, tfds_source._count(info, split, dataset),
                           name=f"TFDS dataset {name!r} split {split!r}", prepare=prepare,
                           max_shuffle_buffer=buffer)


def jittered(source, seed):
    """`source` whose pairs get pix2pix's random jitter and mirroring, the same for A and B.

    Each pair is resized (bilinear) to `JITTER_GROWTH` (286/256) times its size, cropped
    back at a random position and flipped left-right with probability 1/2. A and B are
    stacked along the channels for it, so one crop and one flip move both. The
    randomness is stateless, from a stream seeded by `seed` that changes every epoch.
    """
    random = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def prepare(element, draw):
        if source.prepare is None:
            image_a, image_b = element
        else:
            image_a, image_b = (source.prepare(*element) if isinstance(element, tuple)
                                else source.prepare(element))
        height, width = image_a.shape[0], image_a.shape[1]
        both = tf.concat([image_a, image_b], axis=-1)
        grown = tf.image.resize(both, (round(height * JITTER_GROWTH), round(width * JITTER_GROWTH)),
                                method="bilinear")
        seeds = tf.random.experimental.stateless_split(
            tf.stack([draw, tf.constant(0, tf.int64)]), 2)
        both = tf.image.stateless_random_crop(grown, tf.shape(both), seed=seeds[0])
        both = tf.image.stateless_random_flip_left_right(both, seed=seeds[1])
        both = tf.clip_by_value(both, -1.0, 1.0)
        channels_a = image_a.shape[-1]
        return both[..., :channels_a], both[..., channels_a:]

    return pipeline.Source(tf.data.Dataset.zip((source.dataset, random)), source.num_examples,
                           name=source.name, prepare=prepare,
                           max_shuffle_buffer=source.max_shuffle_buffer)


def _source(kind, where, split, image_size, channels, features, data_dir, shuffle, seed,
            resize, bad_files):
    if kind == digits_edges.NAME:
        return _embedded_source(split, image_size, channels)
    if kind == "download":
        where = paired_downloads.download(where, data_dir)
    if kind in ("folder", "download"):
        return _folder_source(where, split, image_size, channels, resize, bad_files)
    return _tfds_source(where, split, image_size, channels, features, data_dir, shuffle, seed,
                        resize)


def _check_arguments(kind, features, data_dir, bad_files):
    if features is not None and kind != "tfds":
        raise ValueError("features applies to TFDS datasets only.")
    if data_dir is not None and kind not in ("tfds", "download"):
        raise ValueError("data_dir applies to TFDS datasets and the pix2pix downloads only.")
    if bad_files != "error" and kind not in ("folder", "download"):
        raise ValueError("bad_files applies to folders of images only.")


# ----------------------------------------------------------------------- loaders


def load_paired(source, image_size=None, batch_size=1, *, split="train", channels=None,
                shuffle=True, seed=None, direction="a2b", jitter=False, drop_remainder=True,
                features=None, data_dir=None, resize="crop", bad_files="error"):
    """Return a prefetched dataset of aligned `(images_a, images_b)` batch pairs.

    Both are float32 batches `(batch_size, image_size, image_size, channels)` in
    [-1, 1]; `images_b[i]` is the translation of `images_a[i]` (with `direction="b2a"`
    the other way round). Shuffling moves whole pairs.

    Args:
        source: "digits_edges", a pix2pix-layout folder, a pix2pix dataset's name
            ("facades", "maps", "edges2shoes": downloaded once) or a TFDS dataset (see
            the module docstring).
        image_size: output side length; None keeps the native size (8 for digits_edges;
            a folder's halves, or a TFDS dataset's images, must be one square size).
        batch_size: pairs per batch (1 in the paper for facades; up to 10 elsewhere).
        split: "train" or "test" for digits_edges; "train", "val" or "test" for a
            folder or download (whichever subfolders it has); any TFDS split.
        channels: 1 or 3 for both sides; None keeps each side's own (a folder's halves
            share their file's; a TFDS label map may have 1 where its photo has 3).
        shuffle: shuffle the pairs, with a new order every epoch.
        seed: seed of the shuffle (and of the jitter), or None.
        direction: "a2b" (A is the input, default) or "b2a" (swap them: e.g. facades
            are stored photo|labels, and its task is labels -> photo).
        jitter: pix2pix's augmentation (resize to 286/256 of the size, random crop
            back, random mirroring), the same for A and B; off by default.
        drop_remainder: drop the last partial batch.
        features: for a TFDS dataset, the names of its A and B image features.
        data_dir: TFDS data directory for a TFDS source; for a download, the cache
            folder in place of `~/.keras` (the archive goes to `data_dir/datasets/`).
        resize: how non-square images become square: "crop" (the centre square,
            default), "pad" (black borders) or "stretch"; the same for A and B.
        bad_files: for folders, "error" (default) or "skip" undecodable files.

    Example:
        >>> pairs = ganzoo.data.load_paired("digits_edges", 32, batch_size=8, seed=0)
        >>> edges, digits = next(iter(pairs))
        >>> labels, photos = next(iter(ganzoo.data.load_paired("facades", direction="b2a")))
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    batch_size = pipeline.check_batch_size(batch_size)
    pipeline.check_resize(resize)
    _check_direction(direction)
    kind, where = _resolve(source, features)
    _check_arguments(kind, features, data_dir, bad_files)
    src = _source(kind, where, split, image_size, channels, features, data_dir, shuffle, seed,
                  resize, bad_files)
    if jitter:
        src = jittered(src, seed)
    pairs = pipeline.finish(src, batch_size, shuffle=shuffle, seed=seed,
                            drop_remainder=drop_remainder)
    if direction == "b2a":
        pairs = pairs.map(lambda images_a, images_b: (images_b, images_a))
    return pairs


def load_paired_arrays(source, image_size=None, *, split="train", channels=None,
                       direction="a2b", resize="crop", bad_files="error", data_dir=None):
    """Return a whole in-memory paired source as aligned `(images_a, images_b)`.

    Float32 arrays (N, H, W, C) in [-1, 1], in a fixed order (a folder's sorted file
    names). Only for "digits_edges", folders and the pix2pix downloads; TFDS datasets
    can be too big for memory, use `load_paired`.

    Args:
        source: "digits_edges", a pix2pix-layout folder or a pix2pix dataset's name.
        image_size, split, channels, direction, resize, bad_files, data_dir: as for
            `load_paired`.
    """
    image_size = pipeline.check_image_size(image_size)
    channels = pipeline.check_channels(channels)
    pipeline.check_resize(resize)
    _check_direction(direction)
    kind, where = _resolve(source, None)
    if kind == "tfds":
        raise ValueError("load_paired_arrays only supports in-memory sources "
                         f"({digits_edges.NAME!r}, a folder or a download), not the TFDS "
                         f"dataset {source!r}; use load_paired() to stream it")
    _check_arguments(kind, None, data_dir, bad_files)
    src = _source(kind, where, split, image_size, channels, None, data_dir, False, None,
                  resize, bad_files)
    dataset = src.dataset if src.prepare is None else src.dataset.map(src.prepare)
    images_a, images_b = (array.numpy() for array in
                          dataset.batch(src.num_examples).get_single_element())
    return (images_b, images_a) if direction == "b2a" else (images_a, images_b)
