"""ganzoo.data.load_patches and load_sr_images on TFDS photos ("div2k/bicubic_x4"),
offline under `tfds.testing.mock_data`: its 8 mock HR photos are 15 to 48 pixels a side,
two of them (15 pixels) smaller than the 16-pixel patches used here."""

import types

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import ganzoo.data as gd
from ganzoo.data.patches import bicubic_downscale, held_out_split, load_sr_images, modcrop

DIV2K = "div2k/bicubic_x4"
PHOTOS = 8


def mock_photos(split="train"):
    """The mock HR photos of DIV2K, uint8, in their stored order."""
    return [example["hr"] for example in tfds.as_numpy(tfds.load(DIV2K, split=split))]


def is_crop_of_one(patch, photos):
    """True when `patch` (in [-1, 1], unflipped) is a window of one of `photos`."""
    pixels = np.round((patch + 1) * 127.5).astype(np.uint8)
    for photo in photos:
        if min(photo.shape[:2]) >= len(pixels):
            windows = np.lib.stride_tricks.sliding_window_view(photo, pixels.shape)
            if (windows == pixels).all(axis=(-3, -2, -1)).any():
                return True
    return False


def epoch(dataset):
    batches = list(dataset)
    return [np.concatenate([batch[side].numpy() for batch in batches]) for side in (0, 1)]


def test_div2k_patches_are_crops_of_the_hr_photos_with_bicubic_twins():
    with tfds.testing.mock_data(num_examples=PHOTOS):
        patches = gd.load_patches(DIV2K, 16, 4, batch_size=4, seed=0, patches_per_image=3,
                                  flips=False)
        low, high = epoch(patches)
        photos = mock_photos()
    assert low.shape == (24, 4, 4, 3) and high.shape == (24, 16, 16, 3)
    assert low.dtype == high.dtype == np.float32 and np.abs(high).max() <= 1.0
    # the low-resolution side is ganzoo's bicubic of the HR patch, not DIV2K's "lr"
    np.testing.assert_allclose(low, bicubic_downscale(high, 4).numpy(), atol=1e-6)
    assert all(is_crop_of_one(patch, photos) for patch in high)


def test_an_epoch_is_the_counted_photos_times_the_patches_even_with_small_photos_skipped(
        monkeypatch):
    with tfds.testing.mock_data(num_examples=PHOTOS):
        # mock data has no split sizes: the count is the dataset's cardinality, 8
        patches = gd.load_patches(DIV2K, 16, 4, batch_size=4, seed=0, patches_per_image=3)
        assert int(patches.cardinality()) == PHOTOS * 3 // 4
        # two photos are too small: the next pass fills their place, every epoch
        assert [len(epoch(patches)[1]) for _ in range(2)] == [PHOTOS * 3] * 2
        # with split sizes, as a prepared dataset has, the count is the TFDS info's
        info = tfds.core.DatasetInfo
        monkeypatch.setattr(info, "splits", property(
            lambda self: {"train": types.SimpleNamespace(num_examples=5, num_bytes=0)}))
        counted = gd.load_patches(DIV2K, 16, 4, batch_size=4, seed=0, patches_per_image=4)
        assert int(counted.cardinality()) == 5
        assert len(epoch(counted)[1]) == 5 * 4


def test_whole_tfds_photos_for_evaluation_come_from_the_held_out_split():
    assert held_out_split(DIV2K) == "validation"
    with tfds.testing.mock_data(num_examples=PHOTOS):
        pairs = load_sr_images(DIV2K, 4, split=held_out_split(DIV2K), num_photos=3)
        photos = mock_photos("validation")[:3]
    assert len(pairs) == 3
    for (low, high), photo in zip(pairs, photos):
        np.testing.assert_allclose(high, modcrop(photo / 127.5 - 1, 4), atol=1e-6)
        np.testing.assert_allclose(low, bicubic_downscale(high, 4).numpy(), atol=1e-6)


def test_photos_too_small_and_bad_features_are_clear_errors(tmp_path):
    with tfds.testing.mock_data(num_examples=PHOTOS):
        # one declared size, too small: refused before any photo is read
        with pytest.raises(ValueError, match="'cifar10' split 'train' are 32x32, smaller than "
                                             "the patch size 48"):
            gd.load_patches("cifar10", 48, 4)
        # sizes that vary, none large enough: the stream stops instead of searching forever
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="no photo of TFDS dataset .*div2k/bicubic_x4.* is 64x64 or "
                                 "larger"):
            epoch(gd.load_patches(DIV2K, 64, 4, batch_size=4, patches_per_image=2))
        with pytest.raises(ValueError, match=r"no image feature 'image' \(its image features: "
                                             r"\['hr', 'lr'\]\); pass feature="):
            gd.load_patches(DIV2K, 16, 4, feature="image")
        with pytest.raises(ValueError, match="bad_files applies to folders"):
            gd.load_patches(DIV2K, 16, 4, bad_files="skip")
    with pytest.raises(ValueError, match="feature and data_dir apply to TFDS datasets only"):
        gd.load_patches("sklearn_photos", 32, 4, feature="hr")


def test_offline_the_first_load_says_it_needs_the_network_or_data_dir(monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'data.vision.ee.ethz.ch'")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(RuntimeError, match="could not load TFDS dataset 'div2k/bicubic_x4'.*"
                                           "needs network access.*pass data_dir="):
        gd.load_patches(DIV2K, 96, 4)
