"""(low-resolution, high-resolution) pairs for super-resolution, made from photos.

A `source` of photos is one of:
- "sklearn_photos": the two photos scikit-learn ships
  (`sklearn.datasets.load_sample_images`), an offline train/test pair: split
  "train" is `TRAIN_PHOTO` (china.jpg, a temple among trees), split "test" the
  held-out `TEST_PHOTO` (flower.jpg); both 640x427;
- a folder of photos (every image in it, found recursively; e.g. DIV2K's HR images).

The low-resolution image is always made from the high-resolution one, never loaded:
bicubic downscaling by `scale` with antialiasing (`tf.image.resize(..., "bicubic",
antialias=True)`: the bicubic kernel widened by the factor, as MATLAB's `imresize`
makes the SR literature's test sets; no rounding to 8 bits in between).
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from ganzoo.data import folder, pipeline

SKLEARN_PHOTOS = "sklearn_photos"
# The two photos scikit-learn ships: one to train on, one held out.
TRAIN_PHOTO, TEST_PHOTO = "china.jpg", "flower.jpg"
SKLEARN_SPLITS = {"train": TRAIN_PHOTO, "test": TEST_PHOTO}
FOLDER_SPLITS = ("train", "all")
# Patches held by the shuffle buffer at most (uint8, so 96x96 patches take ~110 MB).
MAX_SHUFFLE_PATCHES = 4096

PHOTOS_HELP = (f"a source of photos is {SKLEARN_PHOTOS!r} (split 'train': {TRAIN_PHOTO}, split "
               f"'test': {TEST_PHOTO}) or a folder of images")


def check_scale(scale):
    """Return `scale` as an int, refusing anything but an integer factor of at least 2."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise ValueError(f"scale must be an integer factor of at least 2; got {scale!r}")
    return int(scale)


def bicubic_downscale(images, scale):
    """Images in [-1, 1], `(N, H, W, C)` or `(H, W, C)`, `scale` times smaller: how
    every low-resolution image here is made.

    Bicubic with antialiasing, clipped to [-1, 1] (bicubic overshoots at edges). H and
    W must be multiples of `scale` (see `modcrop`). Returns a float32 tensor.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    height, width = images.shape[-3], images.shape[-2]
    if height % scale or width % scale:
        raise ValueError(f"{height}x{width} images do not divide by scale {scale}: crop them "
                         "to a multiple first (modcrop)")
    small = tf.image.resize(images, (height // scale, width // scale), method="bicubic",
                            antialias=True)
    return tf.clip_by_value(small, -1.0, 1.0)


def bicubic_upscale(images, scale):
    """Images in [-1, 1], `(N, H, W, C)` or `(H, W, C)`, `scale` times larger: the
    bicubic baseline of super-resolution (antialiasing has no effect upwards)."""
    images = tf.convert_to_tensor(images, tf.float32)
    height, width = images.shape[-3], images.shape[-2]
    large = tf.image.resize(images, (height * scale, width * scale), method="bicubic")
    return tf.clip_by_value(large, -1.0, 1.0).numpy()


def modcrop(image, scale):
    """`image` (H, W, C) cropped at the bottom and right to multiples of `scale`."""
    height, width = image.shape[0] - image.shape[0] % scale, image.shape[1] - image.shape[1] % scale
    return image[:height, :width]


def sklearn_photo(split):
    """The uint8 RGB photo (427, 640, 3) of a split of "sklearn_photos"."""
    from sklearn.datasets import load_sample_image

    if split not in SKLEARN_SPLITS:
        raise ValueError(f"unknown split {split!r} for {SKLEARN_PHOTOS!r}; expected 'train' "
                         f"({TRAIN_PHOTO}) or 'test' ({TEST_PHOTO}, held out)")
    return load_sample_image(SKLEARN_SPLITS[split])


def _photo_files(source, split, bad_files):
    """('sklearn' | 'folder', [(name, uint8 array or path)], [(height, width)])."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    if source == SKLEARN_PHOTOS:
        photo = sklearn_photo(split)
        return "sklearn", [(SKLEARN_SPLITS[split], photo)], [photo.shape[:2]]
    path = Path(source).expanduser()
    if not path.is_dir():
        raise ValueError(f"{str(source)!r} is not an existing folder; {PHOTOS_HELP}")
    if split not in FOLDER_SPLITS:
        raise ValueError(f"unknown split {split!r} for a folder; folders have no splits, use "
                         "'train' or 'all' (and another folder for held-out photos)")
    paths = folder.check_files(folder.list_images(path)[0], bad_files, path)
    sizes = []
    for file in paths:
        with Image.open(file) as image:  # reads the header only
            sizes.append((image.height, image.width))
    return "folder", [(file, file) for file in paths], sizes


def _to_float(images, channels):
    """uint8 RGB -> float32 in [-1, 1] with `channels`."""
    images = tf.image.convert_image_dtype(images, tf.float32)
    return pipeline.convert_channels(images, channels) * 2.0 - 1.0


def load_patches(source, patch_size, scale, batch_size=16, *, split="train", channels=3,
                 shuffle=True, seed=None, patches_per_image=64, flips=True,
                 drop_remainder=True, bad_files="error"):
    """Return a prefetched dataset of `(low_resolution, high_resolution)` patch batches.

    Every epoch cuts `patches_per_image` random `patch_size` squares from each photo
    (new positions each epoch), flips each left-right and upside-down with probability
    1/2 each (`flips`), and makes its low-resolution twin by bicubic downscaling
    (antialiased; see the module docstring). Float32 in [-1, 1]:
    `(batch, patch_size / scale, ..., channels)` and `(batch, patch_size, ...,
    channels)`. The dataset's `cardinality()` is the number of batches per epoch.

    Args:
        source: "sklearn_photos" or a folder of photos (see the module docstring).
        patch_size: side of the high-resolution patches (96 in SRGAN), a multiple of
            `scale`, at most the smallest photo's side.
        scale: the downscaling factor (4 in SRGAN).
        batch_size: patches per batch (16 in SRGAN).
        split: "train" (china.jpg) or "test" (flower.jpg, held out) for
            "sklearn_photos"; "train" or "all" (both: every image) for a folder.
        channels: 3 (default) or 1 (gray).
        shuffle: shuffle the photos and the patches every epoch.
        seed: seed of the crops, flips and shuffles (None: different every run).
        patches_per_image: patches cut from each photo per epoch.
        flips: random left-right and up-down flips.
        drop_remainder: drop the last partial batch.
        bad_files: for folders, "error" (default) or "skip" undecodable files.

    Example:
        >>> pairs = ganzoo.data.load_patches("sklearn_photos", 96, 4, batch_size=16, seed=0)
        >>> low, high = next(iter(pairs))        # (16, 24, 24, 3), (16, 96, 96, 3)
    """
    scale = check_scale(scale)
    channels = pipeline.check_channels(channels) or 3
    batch_size = pipeline.check_batch_size(batch_size)
    if not pipeline._is_int(patch_size) or patch_size < scale or patch_size % scale:
        raise ValueError(f"patch_size must be a positive multiple of scale {scale}; got "
                         f"{patch_size!r}")
    if not pipeline._is_int(patches_per_image) or patches_per_image < 1:
        raise ValueError(f"patches_per_image must be a positive int; got {patches_per_image!r}")
    kind, photos, sizes = _photo_files(source, split, bad_files)
    for (name, _), (height, width) in zip(photos, sizes):
        if min(height, width) < patch_size:
            raise ValueError(f"photo {name} is {width}x{height}, smaller than the patch size "
                             f"{patch_size}: use a smaller patch_size or leave the photo out")
    total = len(photos) * patches_per_image
    if drop_remainder and total < batch_size:
        raise pipeline.BatchLargerThanDataError(
            f"{len(photos)} photo(s) x {patches_per_image} patches", total, batch_size)

    if kind == "sklearn":
        images = tf.data.Dataset.from_tensors(photos[0][1])
    else:
        images = tf.data.Dataset.from_tensor_slices([path for path, _ in photos])
        if shuffle:
            images = images.shuffle(len(photos), seed=seed, reshuffle_each_iteration=True)
        images = images.map(lambda path: tf.io.decode_image(tf.io.read_file(path), channels=3,
                                                            expand_animations=False),
                            num_parallel_calls=tf.data.AUTOTUNE)
    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    shape = (patch_size, patch_size, 3)

    def cut(image, draw):
        seeds = tf.random.experimental.stateless_split(
            tf.stack([draw, tf.constant(0, tf.int64)]), patches_per_image)

        def one(patch_seed):
            crop_seed, lr_seed, ud_seed = tf.unstack(
                tf.random.experimental.stateless_split(patch_seed, 3))
            patch = tf.image.stateless_random_crop(image, shape, seed=crop_seed)
            if flips:
                patch = tf.image.stateless_random_flip_left_right(patch, seed=lr_seed)
                patch = tf.image.stateless_random_flip_up_down(patch, seed=ud_seed)
            return patch

        return tf.data.Dataset.from_tensor_slices(seeds).map(one)

    patches = tf.data.Dataset.zip((images, draws)).flat_map(cut)
    if shuffle:
        patches = patches.shuffle(min(total, MAX_SHUFFLE_PATCHES), seed=seed,
                                  reshuffle_each_iteration=True)

    def pair(patch):
        high = _to_float(patch, channels)
        return bicubic_downscale(high, scale), high

    batches = patches.map(pair, num_parallel_calls=tf.data.AUTOTUNE).batch(
        batch_size, drop_remainder=drop_remainder)
    count = total // batch_size if drop_remainder else -(-total // batch_size)
    batches = batches.apply(tf.data.experimental.assert_cardinality(count))
    return batches.prefetch(tf.data.AUTOTUNE)


def load_sr_images(source, scale, *, split="test", channels=3, bad_files="error"):
    """Whole photos as `[(low_resolution, high_resolution), ...]` for evaluation.

    Each high-resolution photo is cropped at the bottom and right to a multiple of
    `scale` (`modcrop`) and bicubically downscaled with antialiasing, as `load_patches`
    makes its pairs. Float32 (H, W, C) arrays in [-1, 1]; photos differ in size, so a
    list, in the order of their (sorted) file names.

    Args:
        source: "sklearn_photos" (split "test": the held-out flower.jpg) or a folder.
        scale: the downscaling factor.
        split: as for `load_patches`.
        channels: 3 (default) or 1.
        bad_files: for folders, "error" or "skip".
    """
    scale = check_scale(scale)
    channels = pipeline.check_channels(channels) or 3
    kind, photos, sizes = _photo_files(source, split, bad_files)
    for (name, _), (height, width) in zip(photos, sizes):
        if min(height, width) < scale:
            raise ValueError(f"photo {name} is {width}x{height}, smaller than the scale {scale}: "
                             "it has no low-resolution version; leave it out")
    pairs = []
    for _, photo in photos:
        if kind == "folder":
            photo = tf.io.decode_image(tf.io.read_file(photo), channels=3,
                                       expand_animations=False)
        high = modcrop(_to_float(tf.convert_to_tensor(photo), channels).numpy(), scale)
        pairs.append((bicubic_downscale(high, scale).numpy(), high))
    return pairs
