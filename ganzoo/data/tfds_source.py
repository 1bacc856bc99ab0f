"""Datasets from the TensorFlow Datasets catalog (downloaded and prepared on first use)."""

import re

import tensorflow as tf

from ganzoo.data import pipeline

# name, optional "/config", optional ":version", e.g. "mnist", "cifar10:3.*.*",
# "downsampled_imagenet/32x32".
_NAME = re.compile(r"[a-z][a-z0-9_]*(/[\w.+-]+)?(:[\w.*]+)?")
# Bounds the shuffle buffer: it holds decoded uint8 images, and a whole split of
# e.g. celeb_a would need ~19 GB.
_SHUFFLE_BUDGET_BYTES = 1 << 30


def _tfds():
    # Imported on demand: tensorflow_datasets takes seconds to import and only this source needs it.
    import tensorflow_datasets as tfds

    return tfds


def looks_like_tfds_name(name):
    """Return whether a string can be a TFDS dataset name rather than a file path.

    A name with a "/" is only taken as "dataset/config" when the dataset part is a
    registered TFDS builder, so a mistyped relative path is reported as a missing folder.

    Args:
        name: the string passed as `source`.
    """
    if not _NAME.fullmatch(name):
        return False
    if "/" not in name:
        return True
    return name.split("/")[0] in _tfds().list_builders(with_community_datasets=False)


def dataset_name(name):
    """The dataset part of a TFDS name, without "/config" or ":version"."""
    return name.split("/")[0].split(":")[0]


def _load(name, split, data_dir, shuffle, seed):
    tfds = _tfds()
    from tensorflow_datasets.core.registered import DatasetNotFoundError

    try:
        return tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            with_info=True,
            shuffle_files=shuffle,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
        )
    except DatasetNotFoundError as e:
        raise ValueError(
            f"{name!r} is neither 'digits', an existing folder, nor a TFDS dataset name "
            "(see tfds.list_builders())"
        ) from e
    except ValueError as e:
        # With the data present, TFDS reports bad arguments such as an unknown split this way.
        raise ValueError(f"cannot read split {split!r} of TFDS dataset {name!r}: {e}") from e
    except Exception as e:
        raise RuntimeError(
            f"could not load TFDS dataset {name!r} ({type(e).__name__}: {e}). The first use "
            "needs network access to download and prepare it; offline, pass data_dir= "
            "pointing to a directory with the prepared data."
        ) from e


def _count(info, split, dataset):
    try:
        return info.splits[split].num_examples
    except (KeyError, ValueError):
        # Info without split metadata (e.g. under tfds.testing.mock_data) leaves the cardinality.
        cardinality = int(dataset.cardinality())
        return cardinality if cardinality >= 0 else None


def _scale(image, image_size, channels, resize):
    return pipeline.scale_images(tf.image.convert_image_dtype(image, tf.float32), image_size,
                                 channels, resize)


def tfds_source(name, split, image_size, channels, with_labels, data_dir, shuffle, seed,
                resize="crop"):
    """Return one split of a TFDS dataset as an unbatched `pipeline.Source`.

    Args:
        name: TFDS name, e.g. "mnist", "cifar10", "celeb_a".
        split: TFDS split, e.g. "train", "test", "all", "train[:10%]".
        image_size: output side length; None keeps the dataset's size if square and fixed.
        channels: 1, 3 or None for the dataset's own channels.
        with_labels: yield `(image, label)` pairs; needs a "label" feature.
        data_dir: TFDS data directory, or None for the TFDS default.
        shuffle: also shuffle the order of the dataset's files.
        seed: seed for that file shuffling.
        resize: how non-square images become square: "crop", "pad" or "stretch"
            (see `pipeline.to_square`).
    """
    pipeline.check_resize(resize)
    dataset, info = _load(name, split, data_dir, shuffle, seed)
    features = info.features
    if "image" not in features:
        raise ValueError(f"TFDS dataset {name!r} has no 'image' feature (features: {sorted(features)})")
    if with_labels and "label" not in features:
        raise ValueError(f"TFDS dataset {name!r} has no 'label' feature; use with_labels=False")
    height, width, stored_channels = features["image"].shape
    if image_size is None:
        if height is None or height != width:
            raise ValueError(
                f"image_size is required for TFDS dataset {name!r}: its images are "
                f"{height}x{width}, not of one square size"
            )
        image_size = height
    if channels is None:
        channels = pipeline.native_channels(stored_channels)

    # Keep only what is used, so the shuffle buffer holds raw images and nothing else.
    if with_labels:
        dataset = dataset.map(lambda example: (example["image"], example["label"]))
        def prepare(image, label):
            return _scale(image, image_size, channels, resize), tf.cast(label, tf.int32)
    else:
        dataset = dataset.map(lambda example: example["image"])
        def prepare(image):
            return _scale(image, image_size, channels, resize)

    max_buffer = None
    if None not in (height, width, stored_channels):
        max_buffer = max(1_000, _SHUFFLE_BUDGET_BYTES // (height * width * stored_channels))
    return pipeline.Source(
        dataset,
        _count(info, split, dataset),
        name=f"TFDS dataset {name!r} split {split!r}",
        prepare=prepare,
        max_shuffle_buffer=max_buffer,
    )


def photos(name, split, feature, data_dir, shuffle, seed):
    """One split of a TFDS dataset's image feature: photos at their own sizes, unresized.

    Returns `(dataset of uint8 RGB images (H, W, 3), their number or None, (height,
    width))`, the sizes as the feature declares them (None where they vary).

    Args:
        name: TFDS name, e.g. "div2k/bicubic_x4".
        split: TFDS split, e.g. "train", "validation".
        feature: the name of the image feature, e.g. "hr" (DIV2K) or "image".
        data_dir, shuffle, seed: as for `tfds_source`.
    """
    dataset, info = _load(name, split, data_dir, shuffle, seed)
    features, image_type = info.features, _tfds().features.Image
    if feature not in features or not isinstance(features[feature], image_type):
        images = sorted(key for key in features if isinstance(features[key], image_type))
        raise ValueError(f"TFDS dataset {name!r} has no image feature {feature!r} (its image "
                         f"features: {images}); pass feature= one of them")
    height, width, _ = features[feature].shape
    count = _count(info, split, dataset)
    dataset = dataset.map(lambda example: pipeline.convert_channels(example[feature], 3),
                          num_parallel_calls=tf.data.AUTOTUNE)
    return dataset, count, (height, width)
