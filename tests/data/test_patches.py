"""ganzoo.data.load_patches: (low, high) pairs from the scikit-learn photos and folders."""

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_sample_image

import ganzoo.data as gd
from ganzoo.data.patches import (TEST_PHOTO, TRAIN_PHOTO, bicubic_downscale, bicubic_upscale,
                                 load_sr_images)


def _epoch(dataset):
    pairs = list(dataset)
    return tuple(np.concatenate([pair[side].numpy() for pair in pairs]) for side in (0, 1))


def _is_patch_of(patch, photo):
    """True when `patch` (in [-1, 1]) is a crop of `photo` (uint8), flipped or not."""
    pixels = np.round((patch + 1) * 127.5).astype(np.uint8)
    size = len(pixels)
    for candidate in (pixels, pixels[:, ::-1], pixels[::-1], pixels[::-1, ::-1]):
        rows, cols = np.nonzero(np.all(photo[: 1 - size or None, : 1 - size or None]
                                       == candidate[0, 0], axis=-1))
        for row, col in zip(rows, cols):
            if np.array_equal(photo[row:row + size, col:col + size], candidate):
                return True
    return False


def test_patches_are_crops_of_the_training_photo_with_bicubic_twins():
    dataset = gd.load_patches("sklearn_photos", 32, 4, batch_size=8, seed=0, patches_per_image=16)
    assert int(dataset.cardinality()) == 2
    low, high = _epoch(dataset)
    assert low.shape == (16, 8, 8, 3) and high.shape == (16, 32, 32, 3)
    assert low.dtype == high.dtype == np.float32 and np.abs(low).max() <= 1.0
    np.testing.assert_allclose(low, bicubic_downscale(high, 4).numpy(), atol=1e-6)
    china, flower = load_sample_image(TRAIN_PHOTO), load_sample_image(TEST_PHOTO)
    assert all(_is_patch_of(patch, china) for patch in high[:4])
    assert not _is_patch_of(high[0], flower)
    held_out = _epoch(gd.load_patches("sklearn_photos", 32, 4, batch_size=8, split="test",
                                      seed=0, patches_per_image=8))[1]
    assert _is_patch_of(held_out[0], flower)


def test_a_seed_gives_the_same_patches_and_each_epoch_new_ones():
    def epochs(seed):
        dataset = gd.load_patches("sklearn_photos", 16, 2, batch_size=4, seed=seed,
                                  patches_per_image=8, channels=1)
        return _epoch(dataset)[1], _epoch(dataset)[1]

    first, second = epochs(7)
    assert first.shape == (8, 16, 16, 1)
    np.testing.assert_array_equal(first, epochs(7)[0])
    assert not np.array_equal(first, second)


def test_rotations_transpose_about_half_the_patches_and_leave_the_rest_unchanged():
    def patches(rotations):
        return _epoch(gd.load_patches("sklearn_photos", 16, 4, batch_size=16, seed=3,
                                      patches_per_image=64, rotations=rotations))

    (plain_low, plain), (turned_low, turned) = patches(False), patches(True)
    transposed = np.array([not np.array_equal(a, b) for a, b in zip(plain, turned)])
    np.testing.assert_array_equal(turned[transposed], plain[transposed].transpose(0, 2, 1, 3))
    np.testing.assert_array_equal(turned[~transposed], plain[~transposed])
    assert 16 <= transposed.sum() <= 48          # p = 1/2 of 64 patches
    # the low-resolution twin turns with its patch
    np.testing.assert_allclose(turned_low[transposed],
                               plain_low[transposed].transpose(0, 2, 1, 3), atol=1e-6)


def test_rescale_range_cuts_patches_from_the_photo_shrunk_by_its_factors(tmp_path):
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (48, 1, 3))
    Image.fromarray(ramp).save(tmp_path / "ramp.png")  # one grey level per column

    def steps(rescale_range):
        """The median step between neighbouring columns of each patch."""
        high = _epoch(gd.load_patches(tmp_path, 16, 4, batch_size=8, seed=0, flips=False,
                                      patches_per_image=16, rescale_range=rescale_range))[1]
        return np.median(np.diff(np.round((high[..., 0] + 1) * 127.5), axis=2), axis=(1, 2))

    np.testing.assert_array_equal(steps(None), 1)
    np.testing.assert_array_equal(steps((0.5, 0.5)), 2)      # 32 columns shrunk into 16
    varied = steps((0.5, 1.0))
    assert varied.min() >= 1 and varied.max() <= 2 and len(set(varied)) > 1
    # a factor of 1 leaves the crops (and their seeds) as without the option
    plain = _epoch(gd.load_patches("sklearn_photos", 16, 4, batch_size=8, seed=2,
                                   patches_per_image=8, rotations=True))
    unit = _epoch(gd.load_patches("sklearn_photos", 16, 4, batch_size=8, seed=2,
                                  patches_per_image=8, rotations=True, rescale_range=(1, 1)))
    np.testing.assert_array_equal(plain[1], unit[1])
    for bad in ((0, 1), (0.8, 0.5), (0.5, 1.5), 0.5, ("a", "b")):
        with pytest.raises(ValueError, match="rescale_range must"):
            gd.load_patches("sklearn_photos", 16, 4, rescale_range=bad)


def test_folder_of_photos_and_whole_image_pairs(tmp_path):
    rng = np.random.default_rng(0)
    for name, size in (("a.png", (30, 41)), ("b.jpg", (50, 36))):
        Image.fromarray(rng.integers(0, 256, (*size, 3), np.uint8)).save(tmp_path / name)
    low, high = _epoch(gd.load_patches(tmp_path, 24, 3, batch_size=5, seed=0,
                                       patches_per_image=5))
    assert low.shape == (10, 8, 8, 3) and high.shape == (10, 24, 24, 3)
    pairs = load_sr_images(tmp_path, 4, split="all")
    assert [(lo.shape, hi.shape) for lo, hi in pairs] == [((7, 10, 3), (28, 40, 3)),
                                                         ((12, 9, 3), (48, 36, 3))]
    (photo_low, photo_high), = load_sr_images("sklearn_photos", 4)  # the held-out photo
    assert photo_high.shape == (424, 640, 3) and photo_low.shape == (106, 160, 3)
    up = bicubic_upscale(photo_low, 4)
    assert up.shape == photo_high.shape and np.abs(up - photo_high).mean() < 0.1


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="patch_size must be a positive multiple of scale 4"):
        gd.load_patches("sklearn_photos", 30, 4)
    with pytest.raises(ValueError, match=r"china.jpg is 640x427, smaller than the patch size 512"):
        gd.load_patches("sklearn_photos", 512, 4)
    with pytest.raises(ValueError, match=r"split 'val'.*'train' \(china.jpg\) or 'test' \(flower.jpg"):
        gd.load_patches("sklearn_photos", 32, 4, split="val")
    with pytest.raises(ValueError, match="not an existing folder"):
        gd.load_patches(tmp_path / "missing", 32, 4)
    with pytest.raises(ValueError, match="fewer than one batch of 16"):
        gd.load_patches("sklearn_photos", 32, 4, patches_per_image=8)
    with pytest.raises(ValueError, match="scale must be an integer factor"):
        gd.load_patches("sklearn_photos", 32, 1)
