"""ganzoo.data.load_paired: digits_edges, pix2pix-layout folders and paired TFDS sets
(mocked); A and B stay aligned through shuffling and jitter."""

from unittest import mock

import numpy as np
import pytest
from scipy import ndimage
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

import ganzoo.data as gd
from ganzoo.data.digits_edges import digits_edges_arrays, sobel_edges, sobel_gradients


def _epoch(dataset):
    pairs = list(dataset)
    return tuple(np.concatenate([pair[side].numpy() for pair in pairs]) for side in (0, 1))


# --- digits_edges ------------------------------------------------------------------


def test_edge_maps_are_thresholded_sobel_magnitudes():
    image = -np.ones((1, 12, 12, 1), np.float32)
    image[0, :, 6:] = 1.0  # a vertical black-to-white step between columns 5 and 6
    edges = sobel_edges(image)
    assert set(np.unique(edges)) == {-1.0, 1.0}
    np.testing.assert_array_equal(np.flatnonzero(edges[0, 0, :, 0] > 0), [5, 6])
    assert np.all(sobel_edges(np.zeros((1, 8, 8, 3), np.float32)) == -1.0)  # flat: no edge
    # image by image, the same derivatives as scipy's Sobel on one 2D image
    gray = np.random.default_rng(0).uniform(size=(3, 9, 7))
    for axis, gradient in zip((0, 1), sobel_gradients(gray)):
        np.testing.assert_allclose(gradient[1], ndimage.sobel(gray[1], axis=axis, mode="mirror"))
    edges_a, digits, labels = digits_edges_arrays("test", 32)
    assert edges_a.shape == digits.shape == (360, 32, 32, 1) and len(labels) == 360
    np.testing.assert_array_equal(edges_a, sobel_edges(digits))
    assert 0.15 < np.mean(edges_a > 0) < 0.45  # outlines, not filled shapes


def test_digits_edges_stay_aligned_under_shuffling_and_jitter():
    ordered_a, ordered_b = gd.load_paired_arrays("digits_edges", 16)
    shuffled_a, shuffled_b = _epoch(gd.load_paired("digits_edges", 16, batch_size=100, seed=3))
    assert shuffled_a.shape == (1400, 16, 16, 1)
    assert not np.array_equal(shuffled_b, ordered_b[:1400])  # the order did change
    np.testing.assert_array_equal(shuffled_a, sobel_edges(shuffled_b))
    # Jitter crops and mirrors both sides alike: inverted digits as A stay B's inverse.
    inverted = gd.load_paired("digits_edges", 16, batch_size=64, seed=0, jitter=True)
    for edges, digits in inverted.take(3):
        assert edges.shape == digits.shape == (64, 16, 16, 1)
    jitter = gd.paired.jittered(gd.pipeline.Source(
        tf.data.Dataset.from_tensor_slices((-ordered_b[:64], ordered_b[:64])), 64, "inverse"), 0)
    images_a, images_b = _epoch(gd.pipeline.finish(jitter, 64, shuffle=True, seed=0,
                                                   drop_remainder=True))
    np.testing.assert_allclose(images_a, -images_b, atol=1e-6)
    assert not np.allclose(images_b, ordered_b[:64], atol=1e-3)  # jitter moved them


def test_direction_b2a_swaps_the_sides():
    edges, digits = gd.load_paired_arrays("digits_edges", 8, split="test")
    swapped = gd.load_paired_arrays("digits_edges", 8, split="test", direction="b2a")
    np.testing.assert_array_equal(swapped[0], digits)
    np.testing.assert_array_equal(swapped[1], edges)
    images_a, images_b = _epoch(gd.load_paired("digits_edges", 8, 40, split="test",
                                               shuffle=False, direction="b2a"))
    np.testing.assert_array_equal(images_a, digits)
    with pytest.raises(ValueError, match="direction must be 'a2b'"):
        gd.load_paired("digits_edges", direction="ab")


# --- pix2pix-layout folders -------------------------------------------------------


def _pair_folder(root, splits=("train", "val"), count=6, size=(8, 16)):
    """Side-by-side pairs: the left half has gray level 20 i, the right half 255 - 20 i."""
    for split in splits:
        (root / split).mkdir(parents=True)
        for i in range(count):
            pixels = np.empty((*size, 3), np.uint8)
            pixels[:, : size[1] // 2], pixels[:, size[1] // 2:] = 20 * i, 255 - 20 * i
            Image.fromarray(pixels).save(root / split / f"{i}.png")
    return root


def test_folder_pairs_stay_aligned_under_shuffling(tmp_path):
    root = _pair_folder(tmp_path / "facades")
    images_a, images_b = _epoch(gd.load_paired(root, batch_size=2, seed=1))
    assert images_a.shape == (6, 8, 8, 3)  # native size: the halves' 8 px
    np.testing.assert_allclose(images_a, -images_b, atol=1e-5)  # left i with right i
    assert len(np.unique(images_a[:, 0, 0, 0])) == 6
    ordered_a, _ = gd.load_paired_arrays(root, split="val", channels=1)
    # gray from RGB: BT.601 weights summing to 0.9999
    np.testing.assert_allclose(ordered_a[:, 0, 0, 0], [40 * i / 255 - 1 for i in range(6)],
                               atol=1e-3)
    assert not np.allclose(images_a[:, 0, 0, 0], ordered_a[:, 0, 0, 0])  # shuffled
    # resized to a requested size, both halves alike
    big_a, big_b = _epoch(gd.load_paired(root, 16, batch_size=3, split="val", seed=0))
    assert big_a.shape == (6, 16, 16, 3)
    np.testing.assert_allclose(big_a, -big_b, atol=1e-5)


def test_folder_errors_name_the_problem(tmp_path):
    root = _pair_folder(tmp_path / "maps", splits=("train",))
    with pytest.raises(ValueError, match=r"has no test/ subfolder \(it has train/\)"):
        gd.load_paired(root, split="test")
    with pytest.raises(ValueError, match="none of the subfolders train/, val/, test/"):
        gd.load_paired(tmp_path / "maps" / "train")
    wide = _pair_folder(tmp_path / "wide", splits=("train",), size=(8, 24))
    with pytest.raises(ValueError, match="image_size is required.*24x8"):
        gd.load_paired(wide)
    assert gd.load_paired(wide, 8).element_spec[0].shape == (1, 8, 8, 3)
    with pytest.raises(ValueError, match="not a paired source"):
        gd.load_paired("digits2negative")


# --- TFDS (mocked) ------------------------------------------------------------------


def _mock_scene_parse(self, split, decoders=None, read_config=None, **kwargs):
    """Examples whose annotation is the inverse of their image, of varied sizes."""
    del self, split, decoders, read_config, kwargs

    def examples():
        for i in range(7):
            image = np.full((20 + i, 24, 3), 30 * i, np.uint8)
            yield {"image": image, "annotation": 255 - image}

    spec = tf.TensorSpec((None, None, 3), tf.uint8)
    dataset = tf.data.Dataset.from_generator(
        examples, output_signature={"image": spec, "annotation": spec})
    return dataset.apply(tf.data.experimental.assert_cardinality(7))


def test_tfds_pairs_stay_aligned():
    load = mock.Mock(wraps=tfds.load)
    with tfds.testing.mock_data(as_dataset_fn=_mock_scene_parse), \
            mock.patch.object(tfds, "load", load):
        annotations, photos = _epoch(gd.load_paired("scene_parse150", 16, batch_size=7, seed=0))
        swapped = _epoch(gd.load_paired("scene_parse150", 16, batch_size=7, seed=0,
                                        features=("image", "annotation")))
        with pytest.raises(ValueError, match="image_size is required"):
            gd.load_paired("scene_parse150")
        with pytest.raises(ValueError, match="no feature 'mask'"):
            gd.load_paired("scene_parse150", 16, features=("mask", "image"))
    assert load.call_args.args[0] == "scene_parse150"
    assert annotations.shape == photos.shape == (7, 16, 16, 3)
    np.testing.assert_allclose(annotations, -photos, atol=1e-5)
    assert len(np.unique(photos[:, 0, 0, 0])) == 7
    np.testing.assert_allclose(swapped[0], -swapped[1], atol=1e-5)
    with pytest.raises(ValueError, match="not one ganzoo knows to hold pairs"):
        gd.load_paired("mnist")
    with pytest.raises(ValueError, match="only supports in-memory sources"):
        gd.load_paired_arrays("scene_parse150")


@pytest.mark.parametrize("source, loader", [("digits_edges", "load_paired"),
                                            ("sklearn_photos", "load_patches")])
def test_single_domain_load_names_the_loader_of_paired_and_photo_sources(source, loader,
                                                                         tmp_path):
    for load in (gd.load, gd.load_arrays):
        with pytest.raises(ValueError, match=rf"'{source}' .*use {loader}\(\)"):
            load(source)
    # a named source, even where a folder of its name sits next to a config
    (tmp_path / source).mkdir()
    assert gd.resolve_source(source, tmp_path) == source
