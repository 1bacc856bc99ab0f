"""Tests for ganzoo.data.load_unpaired: digits2negative, two-domain folders and TFDS cycle_gan (mocked)."""

import hashlib
import re
from collections import Counter
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

import ganzoo.data as gd
from ganzoo.data.digits_pair import digits_pair_arrays, negative_bold


def _hashes(images):
    return [hashlib.sha1(np.asarray(row).tobytes()).hexdigest() for row in images]


def _epoch(dataset):
    """Return one pass over a pair dataset as (A images, B images) numpy arrays."""
    pairs = list(dataset)
    return (np.concatenate([a.numpy() for a, _ in pairs]), np.concatenate([b.numpy() for _, b in pairs]))


# --- digits2negative -------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3])
def test_digits2negative_batches(channels):
    dataset = gd.load_unpaired("digits2negative", 32, 16, channels=channels, seed=0)
    images_a, images_b = next(iter(dataset))
    for images in (images_a, images_b):
        assert images.shape == (16, 32, 32, channels)
        assert images.dtype == tf.float32
        assert np.all(images.numpy() >= -1.0) and np.all(images.numpy() <= 1.0)
    # A is bright ink on a dark background, B its negative: mostly light.
    assert images_a.numpy().mean() < -0.2 and images_b.numpy().mean() > 0.0
    if channels == 3:
        np.testing.assert_array_equal(images_b[..., 0], images_b[..., 2])

    # Train domains hold 718 (A) and 719 (B) digits; one epoch is the larger domain's
    # batches: floor(719 / 16) = 44 full batches, or ceil = 45 without drop_remainder.
    assert int(dataset.cardinality()) == 44
    assert len(list(dataset)) == 44
    assert int(gd.load_unpaired("digits2negative", 32, 16, drop_remainder=False).cardinality()) == 45


def test_digits2negative_train_domains_are_disjoint():
    images_a, labels_a, images_b, labels_b = digits_pair_arrays("train", 32)
    assert (len(images_a), len(images_b)) == (718, 719)
    # No B image is the transform of any A image: the domains are truly unpaired.
    assert not set(_hashes(negative_bold(images_a))) & set(_hashes(images_b))
    # Together they are exactly the 1,437 digits of the train split, B transformed.
    train, _ = gd.load_arrays("digits", 32, split="train")
    expected = set(_hashes(negative_bold(train)))
    assert set(_hashes(negative_bold(images_a))) | set(_hashes(images_b)) == expected
    # Stratified halves: every class is split evenly.
    assert np.all(np.abs(np.bincount(labels_a) - np.bincount(labels_b)) <= 1)

    arrays_a, arrays_b = gd.load_unpaired_arrays("digits2negative", 32)
    np.testing.assert_array_equal(arrays_a, images_a)
    np.testing.assert_array_equal(arrays_b, images_b)


def test_digits2negative_test_split_is_aligned():
    images_a, labels_a, images_b, labels_b = digits_pair_arrays("test", 32, channels=3)
    assert images_a.shape == images_b.shape == (360, 32, 32, 3)
    np.testing.assert_array_equal(images_b, negative_bold(images_a))
    np.testing.assert_array_equal(labels_a, labels_b)
    test, _ = gd.load_arrays("digits", 32, split="test", channels=3)
    np.testing.assert_array_equal(images_a, test)


def test_negative_bold():
    images, _ = gd.load_arrays("digits", 32, split="test")
    result = negative_bold(images)
    assert result.dtype == np.float32 and result.shape == images.shape
    assert result.min() >= -1.0 and result.max() <= 1.0
    # Inverted and bolder: more ink (dark in B) than the source had (bright in A).
    assert np.all((result < 0).sum(axis=(1, 2, 3)) > (images > 0).sum(axis=(1, 2, 3)))
    np.testing.assert_array_equal(negative_bold(tf.constant(images)), result)

    blank = -np.ones((1, 32, 32, 1), np.float32)
    np.testing.assert_array_equal(negative_bold(blank), -blank)
    # One bright pixel grows into a dark square of side 3 at 32 px and 5 at 64 px.
    for size, side in [(32, 3), (64, 5)]:
        dot = -np.ones((1, size, size, 1), np.float32)
        dot[0, 10, 10, 0] = 1.0
        dark = negative_bold(dot)[0, ..., 0] == -1.0
        rows, cols = np.nonzero(dark)
        assert dark.sum() == side * side
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (
            10 - side // 2, 10 + side // 2, 10 - side // 2, 10 + side // 2)


def test_domains_shuffle_independently_and_reproducibly():
    def epochs(seed, count=2):
        dataset = gd.load_unpaired("digits2negative", split="test", batch_size=60, seed=seed)
        return [_epoch(dataset) for _ in range(count)]

    first, second = epochs(5)
    # On the aligned test split, equal seeds for both domains would keep every pair
    # aligned; independent shuffles pair an A with its own negative only by chance.
    for images_a, images_b in (first, second):
        aligned = np.all(negative_bold(images_a) == images_b, axis=(1, 2, 3))
        assert aligned.mean() < 0.05
        assert sorted(_hashes(images_a)) == sorted(_hashes(digits_pair_arrays("test")[0]))
    # Reshuffled every epoch: both orders and the A-B pairing change.
    pairs = [set(zip(_hashes(a), _hashes(b))) for a, b in (first, second)]
    assert pairs[0] != pairs[1]
    assert _hashes(first[0]) != _hashes(second[0]) and _hashes(first[1]) != _hashes(second[1])

    for again, original in zip(epochs(5), (first, second)):
        np.testing.assert_array_equal(again[0], original[0])
        np.testing.assert_array_equal(again[1], original[1])
    other = epochs(6, count=1)[0]
    assert not np.array_equal(other[0], first[0]) and not np.array_equal(other[1], first[1])


# --- two-domain folders --------------------------------------------------------


def _write_domains(root, counts, size=12):
    """Write solid gray PNGs, gray level 20 * i + 100 * domain, into root/<subfolder>."""
    for (subfolder, count), offset in zip(counts.items(), (0, 100, 0, 100)):
        (root / subfolder).mkdir(parents=True)
        for i in range(count):
            Image.new("L", (size, size), color=offset + 20 * i).save(root / subfolder / f"{i}.png")


def _levels(images):
    """Map images in [-1, 1] back to the gray level of their file."""
    return np.rint((images[:, 0, 0, 0] + 1.0) / 2.0 * 255.0).astype(int).tolist()


def test_folder_epoch_follows_larger_domain(tmp_path):
    _write_domains(tmp_path, {"trainA": 2, "trainB": 5, "testA": 3, "testB": 1})
    dataset = gd.load_unpaired(tmp_path, seed=0)  # batch_size 1, as CycleGAN trains
    assert dataset.element_spec[0].shape == (1, 12, 12, 1)
    assert int(dataset.cardinality()) == 5
    for _ in range(2):
        images_a, images_b = _epoch(dataset)
        # B (5 images) is seen once; A (2 images) repeats, each pass a reshuffled full pass.
        assert sorted(_levels(images_b)) == [100, 120, 140, 160, 180]
        levels_a = _levels(images_a)
        assert sorted(levels_a[:2]) == sorted(levels_a[2:4]) == [0, 20]
        assert Counter(levels_a) in (Counter({0: 3, 20: 2}), Counter({0: 2, 20: 3}))

    # Two batches of 2 from B's 5 images, one from A's 2 (dropping remainders).
    assert int(gd.load_unpaired(tmp_path, batch_size=2).cardinality()) == 2

    test_a, test_b = _epoch(gd.load_unpaired(str(tmp_path), 8, split="test", channels=3, shuffle=False))
    assert test_a.shape == (3, 8, 8, 3)
    assert _levels(test_a) == [0, 20, 40] and _levels(test_b) == [100, 100, 100]

    arrays_a, arrays_b = gd.load_unpaired_arrays(tmp_path)
    assert _levels(arrays_a) == [0, 20] and _levels(arrays_b) == [100, 120, 140, 160, 180]


def test_folder_errors(tmp_path):
    root = tmp_path / "horses"
    _write_domains(root, {"trainA": 2, "testA": 2})
    with pytest.raises(ValueError, match=re.escape(repr(str(root / "trainB")))):
        gd.load_unpaired(root)
    with pytest.raises(ValueError, match=re.escape(repr(str(root / "testB")))):
        gd.load_unpaired_arrays(root, split="test")

    plain = tmp_path / "plain"
    (plain / "cats").mkdir(parents=True)
    Image.new("L", (12, 12)).save(plain / "cats" / "0.png")
    with pytest.raises(ValueError, match="not a two-domain folder.*trainA/ and trainB/"):
        gd.load_unpaired(plain)

    sizes = tmp_path / "sizes"
    _write_domains(sizes, {"trainA": 2}, size=16)
    _write_domains(sizes, {"trainB": 2}, size=12)
    with pytest.raises(ValueError, match=r"different image shapes \(A \(16, 16, 1\), B \(12, 12, 1\)\)"):
        gd.load_unpaired(sizes)
    assert gd.load_unpaired(sizes, 8).element_spec[1].shape == (1, 8, 8, 1)


# --- TFDS cycle_gan (mocked) ---------------------------------------------------------


_MOCK_SPLITS = {"trainA": (7, 0), "trainB": (4, 255), "testA": (2, 0), "testB": (3, 255)}


def _mock_cycle_gan(self, split, decoders=None, read_config=None, **kwargs):
    """Replace the builder's reading with per-split data: A black, B white, of varied sizes."""
    del decoders, read_config, kwargs
    count, value = _MOCK_SPLITS[str(split)]
    label = 0 if str(split).endswith("A") else 1

    def examples():
        for i in range(count):
            yield {"image": np.full((20 + i, 30, 3), value, np.uint8), "label": label}

    dataset = tf.data.Dataset.from_generator(
        examples,
        output_signature={
            "image": tf.TensorSpec((None, None, 3), tf.uint8),
            "label": tf.TensorSpec((), tf.int64),
        },
    )
    return dataset.apply(tf.data.experimental.assert_cardinality(count))


def test_tfds_cycle_gan():
    load = mock.Mock(wraps=tfds.load)
    # The real tfds.load and builder run; only the reading of prepared files is mocked.
    with tfds.testing.mock_data(as_dataset_fn=_mock_cycle_gan), mock.patch.object(tfds, "load", load):
        dataset = gd.load_unpaired("cycle_gan/horse2zebra", 16, batch_size=2, seed=0)
        images_a, images_b = _epoch(dataset)
        test_a, test_b = _epoch(gd.load_unpaired("cycle_gan/horse2zebra", 16, split="test", shuffle=False))
        with pytest.raises(ValueError, match="image_size is required"):
            gd.load_unpaired("cycle_gan/horse2zebra")

    assert [c.args[0] for c in load.call_args_list[:4]] == ["cycle_gan/horse2zebra"] * 4
    assert [c.kwargs["split"] for c in load.call_args_list[:4]] == ["trainA", "trainB", "testA", "testB"]
    # Epoch = trainA's floor(7 / 2) = 3 batches; trainB (2 batches) repeats.
    assert int(dataset.cardinality()) == 3
    assert images_a.shape == images_b.shape == (6, 16, 16, 3)
    # All of A from trainA (black), all of B from trainB (white), up to resizing round-off.
    np.testing.assert_allclose(images_a, -1.0, atol=1e-5)
    np.testing.assert_allclose(images_b, 1.0, atol=1e-5)
    # Test epoch = testB's 3 images (batch_size 1); testA's 2 repeat.
    assert test_a.shape == test_b.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(test_a, -1.0, atol=1e-5)
    np.testing.assert_allclose(test_b, 1.0, atol=1e-5)


# --- errors ---------------------------------------------------------------------------


def test_single_domain_load_rejects_digits2negative():
    with pytest.raises(ValueError, match="'digits2negative' is a two-domain source.*load_unpaired"):
        gd.load("digits2negative")
    with pytest.raises(ValueError, match="two-domain source.*load_unpaired"):
        gd.load_arrays("digits2negative")


@pytest.mark.parametrize(
    "source, message",
    [
        ("digits", "'digits' has a single domain, use load"),
        ("ring8", "'ring8' has a single domain, use load"),
        ("stacked_digits", "'stacked_digits' has a single domain, use load"),
        ("mnist", "'mnist' is not a two-domain TFDS dataset"),
    ],
)
def test_single_domain_sources_are_rejected(source, message):
    with pytest.raises(ValueError, match=f"{message}.*two-domain source is two unpaired sets"):
        gd.load_unpaired(source)


@pytest.mark.parametrize(
    "source, kwargs, message",
    [
        ("digits2negative", {"image_size": 0}, "image_size"),
        ("digits2negative", {"channels": 2}, "channels"),
        ("digits2negative", {"batch_size": 0}, "batch_size"),
        ("digits2negative", {"split": "all"}, "unknown split 'all'"),
        ("digits2negative", {"split": "test", "batch_size": 400}, "has 360 images, fewer than one batch"),
        ("cycle_gan/horse2zebra", {"split": "trainA"}, "unknown split 'trainA'.*'train', 'test'"),
        ("no_such_two_domain_data", {}, "is not a two-domain"),
    ],
)
def test_bad_arguments(source, kwargs, message):
    with pytest.raises(ValueError, match=message):
        gd.load_unpaired(source, **kwargs)


def test_load_unpaired_arrays_rejects_tfds():
    with pytest.raises(ValueError, match="load_unpaired_arrays only supports in-memory.*use load_unpaired"):
        gd.load_unpaired_arrays("cycle_gan/horse2zebra")
