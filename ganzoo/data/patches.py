"""(low-resolution, high-resolution) pairs for super-resolution, made from photos.

A `source` of photos is one of:
- "sklearn_photos": the two photos scikit-learn ships
  (`sklearn.datasets.load_sample_images`), an offline train/test pair: split
  "train" is `TRAIN_PHOTO` (china.jpg, a temple among trees), split "test" the
  held-out `TEST_PHOTO` (flower.jpg); both 640x427;
- a folder of photos (every image in it, found recursively; e.g. DIV2K's HR images);
- a TFDS dataset with an image feature, streamed (`tfds.load` downloads and prepares
  it on first use): "div2k/bicubic_x4" (DIV2K's 800 train and 100 validation 2K
  photos, feature "hr"), or any other; the photos are its feature `TFDS_PHOTOS`
  names, "image" for datasets not listed, or `feature=`.

The low-resolution image is always made from the high-resolution one, never loaded:
bicubic downscaling by `scale` with antialiasing (`tf.image.resize(..., "bicubic",
antialias=True)`: the bicubic kernel widened by the factor, as MATLAB's `imresize`
makes the SR literature's test sets; no rounding to 8 bits in between). DIV2K's own
low-resolution images (its "lr" feature, MATLAB's bicubic rounded to 8 bits) are not
used: one definition of the low-resolution image for every source, so a model trained
on DIV2K is measured as one trained on a folder or on "sklearn_photos".
"""

import os
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from ganzoo.data import folder, pipeline, tfds_source

SKLEARN_PHOTOS = "sklearn_photos"
# The two photos scikit-learn ships: one to train on, one held out.
TRAIN_PHOTO, TEST_PHOTO = "china.jpg", "flower.jpg"
SKLEARN_SPLITS = {"train": TRAIN_PHOTO, "test": TEST_PHOTO}
FOLDER_SPLITS = ("train", "all")
# TFDS datasets whose photos are not in the feature "image": dataset -> image feature.
TFDS_PHOTOS = {"div2k": "hr"}
TFDS_PHOTO_FEATURE = "image"
# Patches held by the shuffle buffer at most (uint8, so 96x96 patches take ~110 MB).
MAX_SHUFFLE_PATCHES = 4096

PHOTOS_HELP = (f"a source of photos is {SKLEARN_PHOTOS!r} (split 'train': {TRAIN_PHOTO}, split "
               f"'test': {TEST_PHOTO}), a folder of images or a TFDS dataset with an image "
               "feature (e.g. 'div2k/bicubic_x4')")


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


def held_out_split(source):
    """The split of a source of photos that training on its "train" split leaves unseen:
    "test" for "sklearn_photos" (flower.jpg), "validation" for a TFDS dataset (DIV2K's
    100 photos), "all" for a folder (it has no splits: pass one the model did not train
    on)."""
    return {"sklearn": "test", "folder": "all", "tfds": "validation"}[_resolve(source)[0]]


def _resolve(source):
    """('sklearn' | 'folder' | 'tfds', source or its folder's Path); a ValueError for others."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike, got {type(source).__name__}")
    if source == SKLEARN_PHOTOS:
        return "sklearn", source
    path = Path(source).expanduser()
    if path.is_dir():
        return "folder", path
    if isinstance(source, str) and not path.exists() and tfds_source.looks_like_tfds_name(source):
        return "tfds", source
    raise ValueError(f"{str(source)!r} is not an existing folder nor a TFDS dataset name; "
                     f"{PHOTOS_HELP}")


def _check_arguments(kind, feature, data_dir, bad_files):
    if kind != "tfds" and (feature is not None or data_dir is not None):
        raise ValueError("feature and data_dir apply to TFDS datasets only.")
    if kind == "tfds" and bad_files != "error":
        raise ValueError("bad_files applies to folders of photos only.")


def _photo_files(kind, path, split, bad_files):
    """([(name, uint8 array or path)], [(height, width)]) of "sklearn_photos" or a folder."""
    if kind == "sklearn":
        photo = sklearn_photo(split)
        return [(SKLEARN_SPLITS[split], photo)], [photo.shape[:2]]
    if split not in FOLDER_SPLITS:
        raise ValueError(f"unknown split {split!r} for a folder; folders have no splits, use "
                         "'train' or 'all' (and another folder for held-out photos)")
    paths = folder.check_files(folder.list_images(path)[0], bad_files, path)
    sizes = []
    for file in paths:
        with Image.open(file) as image:  # reads the header only
            sizes.append((image.height, image.width))
    return [(file, file) for file in paths], sizes


def _decode(path):
    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)


def _listed_photos(kind, source, split, bad_files, shuffle, seed, patch_size):
    """(dataset of the uint8 RGB photos of "sklearn_photos" or a folder, their number),
    refusing photos smaller than the patches."""
    photos, sizes = _photo_files(kind, source, split, bad_files)
    for (name, _), (height, width) in zip(photos, sizes):
        if min(height, width) < patch_size:
            raise ValueError(f"photo {name} is {width}x{height}, smaller than the patch size "
                             f"{patch_size}: use a smaller patch_size or leave the photo out")
    if kind == "sklearn":
        return tf.data.Dataset.from_tensors(photos[0][1]), 1
    images = tf.data.Dataset.from_tensor_slices([path for path, _ in photos])
    if shuffle:
        images = images.shuffle(len(photos), seed=seed, reshuffle_each_iteration=True)
    return images.map(_decode, num_parallel_calls=tf.data.AUTOTUNE), len(photos)


def _tfds_photos(name, split, feature, data_dir, shuffle, seed):
    """(dataset of a TFDS split's uint8 RGB photos, their number, (height, width) or
    None where they vary, how messages name the split)."""
    feature = feature or TFDS_PHOTOS.get(tfds_source.dataset_name(name), TFDS_PHOTO_FEATURE)
    photos, count, sizes = tfds_source.photos(name, split, feature, data_dir, shuffle, seed)
    return photos, count, sizes, f"TFDS dataset {name!r} split {split!r}"


def _large_enough(photos, count, sizes, patch_size, described):
    """`count` photos from the repeated stream `photos` whose sides are all at least
    `patch_size`: a smaller photo is skipped and the next pass fills its place, so an
    epoch keeps its length. Photos of one declared size too small are refused at once;
    a stream with none large enough stops with an error instead of searching forever."""
    if count is None:
        raise ValueError(f"cannot count the photos of {described}: its info has no size for "
                         "the split and the dataset no known cardinality")
    if min((side for side in sizes if side is not None), default=patch_size) < patch_size:
        size = "x".join("?" if side is None else str(side) for side in reversed(sizes))
        raise ValueError(f"the photos of {described} are {size}, smaller than the patch size "
                         f"{patch_size}: use a smaller patch_size")
    if None not in sizes:
        return photos
    limit = tf.constant(2 * count, tf.int64)  # two passes: at least one full pass among them

    def check(skipped, photo):
        usable = tf.reduce_min(tf.shape(photo)[:2]) >= patch_size
        skipped = tf.where(usable, tf.constant(0, tf.int64), skipped + 1)
        found = tf.debugging.assert_less(
            skipped, limit, message=f"no photo of {described} is {patch_size}x{patch_size} or "
                                    "larger: use a smaller patch_size")
        with tf.control_dependencies([found]):
            return skipped, (photo, tf.identity(usable))

    checked = photos.repeat().scan(tf.constant(0, tf.int64), check)
    kept = checked.filter(lambda photo, usable: usable)
    return kept.map(lambda photo, _: photo).take(count)


def check_rescale_range(rescale_range):
    """`rescale_range` as a `(low, high)` tuple of floats in (0, 1], or None."""
    if rescale_range is None:
        return None
    try:
        low, high = (float(bound) for bound in rescale_range)
    except (TypeError, ValueError):
        raise ValueError(f"rescale_range must be None or (low, high); got {rescale_range!r}")
    if not 0 < low <= high <= 1:
        raise ValueError(f"rescale_range must have 0 < low <= high <= 1 (factors that shrink "
                         f"the photo); got {rescale_range!r}")
    return low, high


def _rescaled_crop(image, patch_size, rescale_range, crop_seed, factor_seed):
    """A uint8 `patch_size` square of `image` shrunk by a random factor in
    `rescale_range`: a square of side `patch_size / factor` (at most the photo's shorter
    side), bicubically downscaled with antialiasing and rounded back to 8 bits."""
    low, high = rescale_range
    factor = tf.random.stateless_uniform((), factor_seed, minval=low, maxval=high)
    shorter = tf.reduce_min(tf.shape(image)[:2])
    side = tf.minimum(tf.cast(tf.round(patch_size / factor), tf.int32), shorter)
    square = tf.image.stateless_random_crop(image, tf.stack([side, side, 3]), seed=crop_seed)
    shrunk = tf.image.resize(tf.cast(square, tf.float32), (patch_size, patch_size),
                             method="bicubic", antialias=True)
    return tf.cast(tf.round(tf.clip_by_value(shrunk, 0.0, 255.0)), tf.uint8)


def _to_float(images, channels):
    """uint8 RGB -> float32 in [-1, 1] with `channels`."""
    images = tf.image.convert_image_dtype(images, tf.float32)
    return pipeline.convert_channels(images, channels) * 2.0 - 1.0


def load_patches(source, patch_size, scale, batch_size=16, *, split="train", channels=3,
                 shuffle=True, seed=None, patches_per_image=64, flips=True, rotations=False,
                 rescale_range=None, drop_remainder=True, bad_files="error", feature=None,
                 data_dir=None):
    """Return a prefetched dataset of `(low_resolution, high_resolution)` patch batches.

    Every epoch cuts `patches_per_image` random `patch_size` squares from each photo
    (new positions each epoch; with `rescale_range`, of a photo shrunk first), flips
    each left-right and upside-down with probability 1/2 each (`flips`), transposes it
    with probability 1/2 (`rotations`: with the flips, each of the square's eight
    symmetries, quarter turns included, is equally likely, as EDSR trains), and makes
    its low-resolution twin by bicubic downscaling (antialiased; see the module
    docstring). Float32 in [-1, 1]: `(batch, patch_size / scale, ..., channels)` and
    `(batch, patch_size, ..., channels)`. The dataset's `cardinality()` is the number of batches per epoch:
    photos x `patches_per_image` / `batch_size`, the photos of a TFDS split counted by
    its info. A TFDS split is streamed, one photo decoded at a time; photos with a side
    shorter than `patch_size` are skipped there (the next photos fill their place),
    while a folder's or a TFDS feature's declared size that small is an error.

    Args:
        source: "sklearn_photos", a folder of photos or a TFDS dataset such as
            "div2k/bicubic_x4" (see the module docstring).
        patch_size: side of the high-resolution patches (96 in SRGAN), a multiple of
            `scale`, at most the smallest photo's side.
        scale: the downscaling factor (4 in SRGAN).
        batch_size: patches per batch (16 in SRGAN).
        split: "train" (china.jpg) or "test" (flower.jpg, held out) for
            "sklearn_photos"; "train" or "all" (both: every image) for a folder; a TFDS
            split for a TFDS dataset ("train", "validation" for DIV2K).
        channels: 3 (default) or 1 (gray).
        shuffle: shuffle the photos and the patches every epoch.
        seed: seed of the crops, flips and shuffles (None: different every run).
        patches_per_image: patches cut from each photo per epoch.
        flips: random left-right and up-down flips.
        rotations: random quarter turns (a transpose with probability 1/2); off by
            default so that runs made before it existed stay reproducible.
        rescale_range: None, or `(low, high)` with 0 < low <= high <= 1: each patch is
            cut from the photo shrunk by a random factor in that range (a square of
            side `patch_size / factor`, bicubically downscaled with antialiasing to
            `patch_size`), as LapSRN trains (Lai et al. 2017: [0.5, 1]). A photo seen
            at several scales gives more distinct patches; the low-resolution twin is
            still the patch downscaled by `scale`.
        drop_remainder: drop the last partial batch.
        bad_files: for folders, "error" (default) or "skip" undecodable files.
        feature: for a TFDS dataset, its image feature; default `TFDS_PHOTOS`' entry
            ("hr" for DIV2K), else "image".
        data_dir: TFDS data directory (TFDS datasets only), e.g. prepared data offline.

    Example:
        >>> pairs = ganzoo.data.load_patches("sklearn_photos", 96, 4, batch_size=16, seed=0)
        >>> low, high = next(iter(pairs))        # (16, 24, 24, 3), (16, 96, 96, 3)
        >>> div2k = ganzoo.data.load_patches("div2k/bicubic_x4", 96, 4, patches_per_image=100)
    """
    scale = check_scale(scale)
    channels = pipeline.check_channels(channels) or 3
    batch_size = pipeline.check_batch_size(batch_size)
    if not pipeline._is_int(patch_size) or patch_size < scale or patch_size % scale:
        raise ValueError(f"patch_size must be a positive multiple of scale {scale}; got "
                         f"{patch_size!r}")
    if not pipeline._is_int(patches_per_image) or patches_per_image < 1:
        raise ValueError(f"patches_per_image must be a positive int; got {patches_per_image!r}")
    rescale_range = check_rescale_range(rescale_range)
    kind, where = _resolve(source)
    _check_arguments(kind, feature, data_dir, bad_files)
    if kind == "tfds":
        images, count, sizes, described = _tfds_photos(where, split, feature, data_dir, shuffle,
                                                       seed)
        images = _large_enough(images, count, sizes, patch_size, described)
    else:
        images, count = _listed_photos(kind, where, split, bad_files, shuffle, seed, patch_size)
    total = count * patches_per_image
    if drop_remainder and total < batch_size:
        raise pipeline.BatchLargerThanDataError(
            f"{count} photo(s) x {patches_per_image} patches", total, batch_size)

    draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    shape = (patch_size, patch_size, 3)

    def cut(image, draw):
        seeds = tf.random.experimental.stateless_split(
            tf.stack([draw, tf.constant(0, tf.int64)]), patches_per_image)

        def one(patch_seed):
            crop_seed, lr_seed, ud_seed = tf.unstack(
                tf.random.experimental.stateless_split(patch_seed, 3))
            if rescale_range is None:
                patch = tf.image.stateless_random_crop(image, shape, seed=crop_seed)
            else:  # its own seed, folded in, as the quarter turns'
                factor_seed = tf.random.experimental.stateless_fold_in(patch_seed, 4)
                patch = _rescaled_crop(image, patch_size, rescale_range, crop_seed, factor_seed)
            if flips:
                patch = tf.image.stateless_random_flip_left_right(patch, seed=lr_seed)
                patch = tf.image.stateless_random_flip_up_down(patch, seed=ud_seed)
            if rotations:
                # its own seed, folded in, leaves the crops and flips of runs without it
                turn_seed = tf.random.experimental.stateless_fold_in(patch_seed, 3)
                patch = tf.cond(tf.random.stateless_uniform((), turn_seed) < 0.5,
                                lambda: tf.transpose(patch, (1, 0, 2)), lambda: patch)
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


def load_sr_images(source, scale, *, split="test", channels=3, bad_files="error",
                   num_photos=None, feature=None, data_dir=None):
    """Whole photos as `[(low_resolution, high_resolution), ...]` for evaluation.

    Each high-resolution photo is cropped at the bottom and right to a multiple of
    `scale` (`modcrop`) and bicubically downscaled with antialiasing, as `load_patches`
    makes its pairs. Float32 (H, W, C) arrays in [-1, 1]; photos differ in size, so a
    list, in the order of their (sorted) file names, or a TFDS split's stored order.
    All in memory: DIV2K's 100 validation photos take about 3.4 GB; `num_photos` or a
    TFDS slice ("validation[:20]") takes fewer.

    Args:
        source: "sklearn_photos" (split "test": the held-out flower.jpg), a folder or
            a TFDS dataset (split "validation" for DIV2K).
        scale: the downscaling factor.
        split: as for `load_patches`.
        channels: 3 (default) or 1.
        bad_files: for folders, "error" or "skip".
        num_photos: only the first this many photos (None: all).
        feature, data_dir: for a TFDS dataset, as for `load_patches`.
    """
    scale = check_scale(scale)
    channels = pipeline.check_channels(channels) or 3
    if num_photos is not None and (not pipeline._is_int(num_photos) or num_photos < 1):
        raise ValueError(f"num_photos must be a positive int or None; got {num_photos!r}")
    kind, where = _resolve(source)
    _check_arguments(kind, feature, data_dir, bad_files)
    if kind == "tfds":
        images, _, _, described = _tfds_photos(where, split, feature, data_dir, False, None)
        images = images.take(-1 if num_photos is None else num_photos)
        photos = ((f"{index + 1} of {described}", photo) for index, photo in enumerate(images))
    else:
        photos = _photo_files(kind, where, split, bad_files)[0][:num_photos]
    pairs = []
    for name, photo in photos:
        if kind == "folder":
            photo = _decode(photo)
        height, width = photo.shape[:2]
        if min(height, width) < scale:
            raise ValueError(f"photo {name} is {width}x{height}, smaller than the scale {scale}: "
                             "it has no low-resolution version; leave it out")
        high = modcrop(_to_float(tf.convert_to_tensor(photo), channels).numpy(), scale)
        pairs.append((bicubic_downscale(high, scale).numpy(), high))
    return pairs
