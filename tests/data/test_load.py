"""Tests for ganzoo.data: digits, image folders and TFDS (mocked, no network)."""

import hashlib
import re
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

import ganzoo.data as gd


def _row_hashes(images):
    return {hashlib.sha1(row.tobytes()).hexdigest() for row in images}


def _first_batch(dataset):
    return next(iter(dataset))


# --- digits -----------------------------------------------------------------


@pytest.mark.parametrize("image_size", [None, 8, 28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_digits_shapes_and_range(image_size, channels):
    batch = _first_batch(gd.load("digits", image_size, 16, channels=channels, seed=0))
    size = image_size or 8
    assert batch.shape == (16, size, size, channels)
    assert batch.dtype == tf.float32

    images, labels = gd.load_arrays("digits", image_size, split="all", channels=channels)
    assert images.shape == (1797, size, size, channels)
    assert images.dtype == np.float32
    assert labels.shape == (1797,)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() < -0.9 and images.max() > 0.9


def test_digits_default_channels_is_one():
    assert gd.load("digits", batch_size=8).element_spec.shape == (8, 8, 8, 1)


def test_digits_splits_are_disjoint_complete_and_stable():
    train, _ = gd.load_arrays("digits", split="train")
    test, test_labels = gd.load_arrays("digits", split="test")
    assert len(train) + len(test) == 1797
    assert len(test) == 360
    # The 1797 digits are pairwise distinct, so pixel hashes identify them.
    all_images, _ = gd.load_arrays("digits", split="all")
    assert len(_row_hashes(all_images)) == 1797
    assert not _row_hashes(train) & _row_hashes(test)
    assert _row_hashes(train) | _row_hashes(test) == _row_hashes(all_images)
    # Stratified: every class is in the test split in proportion.
    assert np.all(np.bincount(test_labels, minlength=10) >= 35)

    test_again, _ = gd.load_arrays("digits", split="test")
    np.testing.assert_array_equal(test, test_again)


def test_digits_labels():
    dataset = gd.load("digits", batch_size=64, with_labels=True, seed=1)
    labels = np.concatenate([labels.numpy() for _, labels in dataset])
    assert labels.dtype in (np.int32, np.int64)
    assert labels.min() >= 0 and labels.max() <= 9
    assert set(labels.tolist()) == set(range(gd.DIGITS_NUM_CLASSES))


def test_digits_drop_remainder():
    sizes = [len(batch) for batch in gd.load("digits", batch_size=100, split="test")]
    assert sizes == [100, 100, 100]
    sizes = [len(batch) for batch in gd.load("digits", batch_size=100, split="test", drop_remainder=False)]
    assert sizes == [100, 100, 100, 60]


def test_digits_few_shot_subset_is_balanced_seeded_and_from_the_split():
    train, _ = gd.load_arrays("digits", split="train")
    subset, labels = gd.load_arrays("digits", split="train", num_examples=100, seed=0)
    assert subset.shape == (100, 8, 8, 1)
    np.testing.assert_array_equal(np.bincount(labels), [10] * 10)
    train_hashes = {hashlib.sha256(image.tobytes()).hexdigest() for image in train}
    subset_hashes = {hashlib.sha256(image.tobytes()).hexdigest() for image in subset}
    assert len(subset_hashes) == 100 and subset_hashes <= train_hashes  # distinct, train only
    again, _ = gd.load_arrays("digits", split="train", num_examples=100, seed=0)
    other, _ = gd.load_arrays("digits", split="train", num_examples=100, seed=1)
    np.testing.assert_array_equal(subset, again)
    assert not np.array_equal(subset, other)
    # load streams the same subset as load_arrays
    streamed = np.concatenate(list(gd.load("digits", batch_size=50, shuffle=False,
                                           num_examples=100, seed=0).as_numpy_iterator()))
    np.testing.assert_array_equal(streamed, subset)


@pytest.mark.parametrize("num_examples, message", [
    (105, "a positive multiple of 10"), (0, "a positive multiple of 10"),
    (1000, "has 35 of its rarest class, so at most 350"),
])
def test_digits_few_shot_subset_errors(num_examples, message):
    with pytest.raises(ValueError, match=message):
        gd.load_arrays("digits", split="test", num_examples=num_examples)


def test_digits_shuffle_is_seeded():
    def first(seed, shuffle=True):
        return _first_batch(gd.load("digits", batch_size=32, shuffle=shuffle, seed=seed)).numpy()

    np.testing.assert_array_equal(first(7), first(7))
    assert not np.array_equal(first(7), first(8))
    unshuffled = first(None, shuffle=False)
    assert not np.array_equal(first(7), unshuffled)
    np.testing.assert_array_equal(unshuffled, gd.load_arrays("digits")[0][:32])


# --- folders ----------------------------------------------------------------


def _write_images(root):
    """Write 6 small PNGs in two class subfolders, mixing grayscale and RGB."""
    rng = np.random.default_rng(0)
    layout = {"cats": ["RGB", "L", "RGB"], "dogs": ["L", "RGB", "RGBA"]}
    for class_name, modes in layout.items():
        (root / class_name).mkdir(parents=True)
        for i, mode in enumerate(modes):
            pixels = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
            # Solid blocks so the full range survives the antialiased downsizing.
            pixels[:6, :6], pixels[-6:, -6:] = 0, 255
            Image.fromarray(pixels).convert(mode).save(root / class_name / f"img{i}.PNG")
    (root / "dogs" / "notes.txt").write_text("not an image")


def test_folder_shapes_range_and_labels(tmp_path):
    _write_images(tmp_path)
    dataset = gd.load(tmp_path, 16, batch_size=3, with_labels=True, shuffle=False)
    batches = list(dataset)
    assert len(batches) == 2
    images = np.concatenate([images.numpy() for images, _ in batches])
    labels = np.concatenate([labels.numpy() for _, labels in batches])
    # The first image (cats/img0) is RGB, so 3 channels by default.
    assert images.shape == (6, 16, 16, 3)
    assert images.dtype == np.float32
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() < -0.9 and images.max() > 0.9
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]

    arrays, array_labels = gd.load_arrays(str(tmp_path), 16, channels=1)
    assert arrays.shape == (6, 16, 16, 1)
    assert array_labels.tolist() == [0, 0, 0, 1, 1, 1]


def test_folder_flat_and_native_size(tmp_path):
    for i in range(4):
        Image.new("L", (12, 12), color=40 * i).save(tmp_path / f"{i}.png")
    images, labels = gd.load_arrays(tmp_path)
    assert images.shape == (4, 12, 12, 1)
    assert labels.tolist() == [0, 0, 0, 0]
    batch = _first_batch(gd.load(tmp_path, batch_size=4, channels=3, shuffle=False))
    assert batch.shape == (4, 12, 12, 3)


def test_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=re.escape(str(empty))):
        gd.load(empty)
    with pytest.raises(ValueError, match="no such folder"):
        gd.load(str(tmp_path / "missing" / "faces"))

    full = tmp_path / "few"
    _write_images(full)
    with pytest.raises(ValueError, match="fewer than one batch"):
        gd.load(full, 16, batch_size=64)
    with pytest.raises(ValueError, match="split"):
        gd.load(full, 16, batch_size=2, split="test")
    Image.new("RGB", (10, 8)).save(full / "cats" / "a_wide.png")
    (full / "cats" / "img0.PNG").unlink()
    with pytest.raises(ValueError, match="image_size is required"):
        gd.load_arrays(full)


# --- argument checks ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_size": 0}, "image_size"),
        ({"image_size": 12.5}, "image_size"),
        ({"channels": 2}, "channels"),
        ({"batch_size": 0}, "batch_size"),
        ({"split": "validation"}, "split"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gd.load("digits", **kwargs)


def test_too_few_digits_for_a_batch():
    with pytest.raises(ValueError, match="has 360 images, fewer than one batch of 512"):
        gd.load("digits", batch_size=512, split="test")


# --- TFDS (mocked) -------------------------------------------------------------


def test_tfds_mnist_resized():
    with tfds.testing.mock_data(num_examples=20):
        dataset = gd.load("mnist", 32, batch_size=8, seed=0, with_labels=True)
        images, labels = _first_batch(dataset)
        batches = list(dataset)
    assert images.shape == (8, 32, 32, 1)
    assert images.dtype == tf.float32
    assert labels.shape == (8,)
    assert np.all(images.numpy() >= -1.0) and np.all(images.numpy() <= 1.0)
    assert images.numpy().min() < -0.9 and images.numpy().max() > 0.9
    assert len(batches) == 2  # 20 examples, drop_remainder


def test_tfds_cifar10_to_grayscale():
    with tfds.testing.mock_data(num_examples=10):
        images = _first_batch(gd.load("cifar10", batch_size=10, channels=1, shuffle=False))
        with pytest.raises(ValueError, match="fewer than one batch"):
            gd.load("cifar10", batch_size=11)
    assert images.shape == (10, 32, 32, 1)
    assert np.all(np.abs(images.numpy()) <= 1.0)


def test_tfds_failure_is_a_runtime_error():
    error = ConnectionError("network is unreachable")
    with mock.patch.object(tfds, "load", side_effect=error):
        with pytest.raises(RuntimeError, match="'mnist'.*network") as info:
            gd.load("mnist")
    assert info.value.__cause__ is error


def test_unknown_tfds_name_and_load_arrays_rejects_tfds():
    with pytest.raises(ValueError, match="not_a_real_dataset"):
        gd.load("not_a_real_dataset")
    with pytest.raises(ValueError, match="load_arrays"):
        gd.load_arrays("mnist")
