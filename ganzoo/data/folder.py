"""Image files in a local folder, decoded lazily so large folders never sit in memory."""

import os
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from ganzoo.data import pipeline

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
SPLITS = ("train", "all")
BAD_FILES = ("error", "skip")
# How many unreadable file names an error or warning lists before "...".
_NAMES_SHOWN = 10
# path -> (mtime_ns, size, decodes): each file is checked once per process, however
# often the dataset is rebuilt (training rebuilds it on resume and after a retry).
_checked = {}


def list_images(folder):
    """Return (sorted image paths, int32 labels, class names) for a folder.

    Images are found recursively; hidden files and folders (names starting with
    ".") are skipped. When images sit in subfolders, the label is the index of the
    first-level subfolder name in sorted order (as in keras'
    `image_dataset_from_directory`); when they all sit at the top, every label is 0.

    Args:
        folder: path of an existing directory.
    """
    root = Path(folder)
    relative = []
    # os.walk with followlinks: datasets are often symlinked into place.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            if not filename.startswith(".") and filename.lower().endswith(IMAGE_EXTENSIONS):
                relative.append((Path(dirpath) / filename).relative_to(root))
    if not relative:
        raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in folder {str(folder)!r}")
    relative.sort(key=lambda path: path.as_posix())

    nested = [len(path.parts) > 1 for path in relative]
    if any(nested) and not all(nested):
        top = next(path for path, is_nested in zip(relative, nested) if not is_nested)
        raise ValueError(
            f"folder {str(folder)!r} has images both at the top (e.g. {top.as_posix()!r}) and in "
            "subfolders, so labels are ambiguous; move them all into subfolders or all to the top"
        )
    class_names = sorted({path.parts[0] for path in relative}) if all(nested) else []
    class_index = {name: i for i, name in enumerate(class_names)}
    labels = np.array([class_index.get(path.parts[0], 0) for path in relative], np.int32)
    paths = [str(root / path) for path in relative]
    return paths, labels, class_names


def _image_shape(path):
    """Return (height, width, channels) of an image file as stored."""
    try:
        image = tf.io.decode_image(tf.io.read_file(path), expand_animations=False)
    except tf.errors.OpError as e:
        raise ValueError(f"cannot decode image {path!r}: {e.message}") from e
    return tuple(image.shape)


def check_files(paths, bad_files, folder):
    """Return the paths that decode as images; the others are reported or refused.

    Every file is decoded once, in parallel, with the decoder the pipeline uses, so a
    corrupt or mislabelled file is found before training starts instead of
    stopping it hours later.

    Args:
        paths: image file paths.
        bad_files: "error" (raise naming the files) or "skip" (leave them out, with a
            warning that gives their count and names).
        folder: the folder, for messages.
    """
    if bad_files not in BAD_FILES:
        raise ValueError(f"bad_files must be one of {BAD_FILES}, got {bad_files!r}")
    stats = {path: os.stat(path) for path in paths}
    unknown = [p for p in paths if _checked.get(p, (None,))[:2] != _stamp(stats[p])]
    if unknown:
        decodable = (tf.data.Dataset.from_tensor_slices(unknown)
                     .map(_decodes, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
                     .ignore_errors())
        good = {path.decode() for path, _ in decodable.as_numpy_iterator()}
        for path in unknown:
            _checked[path] = (*_stamp(stats[path]), path in good)
    bad = [p for p in paths if not _checked[p][2]]
    if not bad:
        return list(paths)
    names = ", ".join(os.path.relpath(p, folder) for p in bad[:_NAMES_SHOWN])
    names += ", ..." if len(bad) > _NAMES_SHOWN else ""
    what = (f"{len(bad)} of {len(paths)} files in folder {str(folder)!r} that cannot be "
            f"decoded as images (corrupt, truncated or not an image): {names}")
    if bad_files == "error":
        raise ValueError(f"found {what}; fix or remove them, or pass bad_files='skip' (zoo "
                         "config: data: bad_files: skip) to train without them")
    good_paths = [p for p in paths if _checked[p][2]]
    if not good_paths:
        raise ValueError(f"folder {str(folder)!r} has no readable images: found {what}")
    warnings.warn(f"Skipping {what}.", stacklevel=3)
    return good_paths


def _stamp(stat):
    return stat.st_mtime_ns, stat.st_size


def _decodes(path):
    # The shape is returned so the decoding cannot be optimized away.
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return path, tf.shape(image)


def _decode(path, image_size, channels, resize):
    # Decoding to RGB first works for every format; TF refuses channels=1 for BMP and GIF.
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    image = tf.image.convert_image_dtype(image, tf.float32)
    return pipeline.scale_images(image, image_size, channels, resize)


def folder_source(folder, split, image_size, channels, with_labels, bad_files="error",
                  resize="crop"):
    """Return the images of a folder as an unbatched `pipeline.Source`.

    Args:
        folder: path of an existing directory (see `list_images` for the layout).
        split: "train" or "all" (both mean every image; folders have no splits).
        image_size: output side length; None uses the first image's size, which must be square.
        channels: 1, 3, or None for the first image's channels (RGBA counts as 3).
        with_labels: yield `(image, label)` pairs instead of images.
        bad_files: what to do with files that do not decode, see `check_files`.
        resize: how non-square images become square: "crop" (the centre square, the
            default), "pad" (black borders) or "stretch" (see `pipeline.to_square`).
    """
    pipeline.check_resize(resize)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for a folder; folders have no splits, use 'train' or 'all'")
    paths, labels, _ = list_images(folder)
    good = set(check_files(paths, bad_files, folder))
    if len(good) < len(paths):
        keep = [path in good for path in paths]
        paths, labels = [p for p, k in zip(paths, keep) if k], labels[np.array(keep)]
    if image_size is None or channels is None:
        height, width, stored_channels = _image_shape(paths[0])
        if image_size is None:
            if height != width:
                raise ValueError(
                    f"image_size is required for folder {str(folder)!r}: its first image "
                    f"{paths[0]!r} is {width}x{height}, not square"
                )
            image_size = height
        if channels is None:
            channels = pipeline.native_channels(stored_channels)

    if with_labels:
        dataset = tf.data.Dataset.from_tensor_slices((paths, labels))
        def prepare(path, label):
            return _decode(path, image_size, channels, resize), label
    else:
        dataset = tf.data.Dataset.from_tensor_slices(paths)
        def prepare(path):
            return _decode(path, image_size, channels, resize)
    return pipeline.Source(dataset, len(paths), name=f"folder {str(folder)!r}", prepare=prepare)


def folder_arrays(folder, split, image_size, channels, bad_files="error", resize="crop"):
    """Return all images of a folder as (float32 images in [-1, 1], int32 labels).

    Args:
        folder: path of an existing directory.
        split: "train" or "all".
        image_size: output side length, or None (see `folder_source`).
        channels: 1, 3 or None (see `folder_source`).
        bad_files: "error" or "skip" for files that do not decode (see `check_files`).
        resize: "crop", "pad" or "stretch" (see `folder_source`).
    """
    source = folder_source(folder, split, image_size, channels, with_labels=True,
                           bad_files=bad_files, resize=resize)
    # Same decoding graph as load(), so arrays and streamed batches agree exactly.
    dataset = source.dataset.map(source.prepare, num_parallel_calls=tf.data.AUTOTUNE)
    images, labels = dataset.batch(source.num_examples).get_single_element()
    return images.numpy(), labels.numpy()
