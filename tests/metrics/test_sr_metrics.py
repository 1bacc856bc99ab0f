"""PSNR, SSIM and sharpness on luminance, against scikit-image and closed forms."""

import numpy as np
import pytest
from scipy import ndimage

from ganzoo.metrics.super_resolution import luminance, psnr, sharpness, sr_report, ssim

skimage = pytest.importorskip("skimage", reason="scikit-image is a test dependency (ganzoo[test])")
from skimage.color import rgb2ycbcr  # noqa: E402
from skimage.metrics import peak_signal_noise_ratio, structural_similarity  # noqa: E402


def _made_up(seed, shape=(2, 40, 48, 3)):
    """A smooth image plus a noisy, blurred copy: a plausible (SR output, truth) pair."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:shape[1], 0:shape[2]] / 10.0
    truth = np.stack([np.sin(ys * (c + 1) + xs) * np.cos(xs * 0.7 - c) for c in range(3)], -1)
    truth = np.clip(truth[None] * rng.uniform(0.5, 1, (shape[0], 1, 1, 1)), -1, 1)
    output = np.clip(truth + rng.normal(0, 0.1, truth.shape), -1, 1)
    return output.astype("float32"), truth.astype("float32")


def _skimage_y(images, border):
    y = rgb2ycbcr((images.astype(np.float64) + 1) / 2)[..., 0]
    return y[..., border:-border, border:-border] if border else y


def test_luminance_is_bt601_studio_range():
    _, truth = _made_up(0)
    np.testing.assert_allclose(luminance(truth), _skimage_y(truth, 0), atol=1e-9)
    assert luminance(np.ones((2, 2, 1)))[0, 0] == pytest.approx(235.0)
    assert luminance(-np.ones((2, 2, 3)))[0, 0] == pytest.approx(16.0)


@pytest.mark.parametrize("border", [0, 4])
def test_psnr_and_ssim_match_scikit_image(border):
    output, truth = _made_up(1)
    expected_psnr = [peak_signal_noise_ratio(t, o, data_range=255)
                     for o, t in zip(_skimage_y(output, border), _skimage_y(truth, border))]
    expected_ssim = [structural_similarity(o, t, data_range=255, gaussian_weights=True, sigma=1.5,
                                           use_sample_covariance=False)
                     for o, t in zip(_skimage_y(output, border), _skimage_y(truth, border))]
    np.testing.assert_allclose(psnr(output, truth, border=border), expected_psnr, rtol=1e-10)
    np.testing.assert_allclose(ssim(output, truth, border=border), expected_ssim, rtol=1e-10)
    assert isinstance(psnr(output[0], truth[0], border=border), float)
    assert 0 < expected_ssim[0] < 1 and expected_psnr[0] > 10


def test_closed_forms_and_the_border_crop():
    truth = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 20, 20, 1))
    # a constant offset d in [-1, 1] is 219 d / 2 in luminance: PSNR 20 log10(255 / that)
    shifted = truth + 0.1
    assert psnr(shifted, truth) == pytest.approx(20 * np.log10(255 / (219 * 0.05)))
    assert ssim(truth, truth)[0] == pytest.approx(1.0)
    assert psnr(truth, truth)[0] == np.inf
    # damage confined to a 3-pixel frame vanishes once that border is cropped
    framed = truth.copy()
    framed[:, :3], framed[:, -3:], framed[:, :, :3], framed[:, :, -3:] = 1, 1, 1, 1
    assert psnr(framed, truth, border=3)[0] == np.inf and psnr(framed, truth)[0] < 30
    assert psnr(framed, truth, border=2)[0] < 30


def test_sharpness_is_the_gradient_ratio_to_the_truth():
    output, truth = _made_up(2, shape=(1, 32, 32, 1))
    assert sharpness(truth, truth)[0] == pytest.approx(1.0)
    # contrast doubled about a constant: every gradient doubles
    assert sharpness(0.5 * truth, 0.25 * truth)[0] == pytest.approx(2.0)
    texture = np.random.default_rng(3).uniform(-1, 1, (1, 32, 32, 1))
    blurred = ndimage.uniform_filter(texture, size=(1, 3, 3, 1))
    assert sharpness(blurred, texture, border=2)[0] < 0.5
    assert sharpness(output, truth)[0] > 1.0  # noise adds gradient
    report = sr_report(output, truth, border=2)
    assert set(report) == {"psnr", "ssim", "sharpness"} and report["sharpness"] > 1.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="one shape"):
        psnr(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 9, 3)))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        ssim(np.zeros((1, 16, 16, 2)), np.zeros((1, 16, 16, 2)))
    with pytest.raises(ValueError, match="border 4 leaves nothing"):
        psnr(np.zeros((1, 8, 8, 3)), np.zeros((1, 8, 8, 3)), border=4)
    with pytest.raises(ValueError, match="flat"):
        sharpness(np.zeros((1, 8, 8, 1)), np.zeros((1, 8, 8, 1)))
