"""Super-resolution quality: PSNR, SSIM and sharpness, measured as the SR literature does.

Images in [-1, 1] are compared on their luminance: Y of YCbCr (ITU-R BT.601, studio
range, as MATLAB's `rgb2ycbcr` and scikit-image's `rgb2ycbcr`: Y = 16 + 65.481 R +
128.553 G + 24.966 B for R, G, B in [0, 1], so Y lies in [16, 235]); a gray image counts
as R = G = B. `border` pixels are cropped from each side first: the literature crops
`scale` of them (Ledig et al. 2017 remove a 4-pixel strip at x4), where bicubic and
convolution padding make borders unreliable.

- `psnr`: 10 log10(255^2 / MSE) of the luminance, per image.
- `ssim`: the structural similarity of Wang et al. 2004 on the luminance: a Gaussian
  window (sigma 1.5, 11x11), K1 0.01, K2 0.03, dynamic range 255; filtered with
  mirrored borders and averaged away from the window's half-width, as scikit-image's
  `structural_similarity(gaussian_weights=True, use_sample_covariance=False)`.
- `sharpness`: the mean Sobel gradient magnitude of the luminance divided by the
  reference's: 1 is as sharp as the truth, a blurred image scores below 1 and
  invented detail (noise, ringing) can score above. It shows the other side of the
  perception-distortion trade-off (Blau & Michaeli 2018): PSNR and SSIM favour the
  blurry average; GAN outputs are sharper at a lower PSNR.

Each takes `(N, H, W, C)` batches (or one `(H, W, C)` image) and returns a NumPy
array of per-image values (or one float).

Example:
    >>> from ganzoo.metrics.super_resolution import psnr, sr_report
    >>> psnr(upscaled, truth, border=4).mean()
    >>> sr_report(upscaled, truth, border=4)      # {"psnr": ..., "ssim": ..., "sharpness": ...}
"""

import numpy as np
from scipy import ndimage

from ganzoo.data.digits_edges import sobel_gradients

# BT.601 studio-range luminance of RGB in [0, 1]
_Y_WEIGHTS = np.array([65.481, 128.553, 24.966])
_Y_OFFSET = 16.0
PEAK = 255.0
# SSIM of Wang et al. 2004
SSIM_SIGMA, SSIM_TRUNCATE, SSIM_K1, SSIM_K2 = 1.5, 3.5, 0.01, 0.03


def luminance(images):
    """Y (BT.601, [16, 235]) of images in [-1, 1], `(..., H, W, C)` with C 1 or 3 ->
    float64 `(..., H, W)`."""
    images = np.asarray(images, np.float64)
    if images.shape[-1] not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels (last axis); got shape {images.shape}")
    unit = (images + 1.0) / 2.0
    if images.shape[-1] == 1:
        return _Y_OFFSET + _Y_WEIGHTS.sum() * unit[..., 0]
    return _Y_OFFSET + unit @ _Y_WEIGHTS


def _prepared(images, references, border):
    """Luminance batches (N, H, W) of both, cropped; and whether one image was given."""
    images, references = np.asarray(images), np.asarray(references)
    if images.shape != references.shape:
        raise ValueError(f"images and references must have one shape; got {images.shape} and "
                         f"{references.shape}")
    if images.ndim not in (3, 4):
        raise ValueError(f"expected images (N, H, W, C) or one image (H, W, C); got shape "
                         f"{images.shape}")
    single = images.ndim == 3
    batch = [luminance(array[None] if single else array) for array in (images, references)]
    border = int(border)
    if border < 0 or 2 * border >= min(batch[0].shape[1:]):
        raise ValueError(f"border {border} leaves nothing of {images.shape[-3]}x"
                         f"{images.shape[-2]} images")
    if border:
        batch = [y[:, border:-border, border:-border] for y in batch]
    return batch[0], batch[1], single


def _result(values, single):
    return float(values[0]) if single else values


def psnr(images, references, border=0):
    """Peak signal-to-noise ratio in dB of the luminance (peak 255); inf where equal.

    Args:
        images: the upscaled images, in [-1, 1].
        references: the ground truth, same shape.
        border: pixels cropped from each side first (the SR literature: `scale`).
    """
    y, truth, single = _prepared(images, references, border)
    mse = np.mean((y - truth) ** 2, axis=(1, 2))
    with np.errstate(divide="ignore"):
        return _result(10.0 * np.log10(PEAK ** 2 / mse), single)


def _gaussian(images):
    # spatial axes only; mirrored borders, the 11x11 window of sigma 1.5
    return ndimage.gaussian_filter(images, sigma=(0, SSIM_SIGMA, SSIM_SIGMA), mode="reflect",
                                   truncate=SSIM_TRUNCATE)


def ssim(images, references, border=0):
    """Structural similarity (Wang et al. 2004) of the luminance, per image.

    Args:
        images, references, border: as for `psnr`.
    """
    x, y, single = _prepared(images, references, border)
    c1, c2 = (SSIM_K1 * PEAK) ** 2, (SSIM_K2 * PEAK) ** 2
    mean_x, mean_y = _gaussian(x), _gaussian(y)
    var_x = _gaussian(x * x) - mean_x ** 2
    var_y = _gaussian(y * y) - mean_y ** 2
    covariance = _gaussian(x * y) - mean_x * mean_y
    similarity = ((2 * mean_x * mean_y + c1) * (2 * covariance + c2)
                  / ((mean_x ** 2 + mean_y ** 2 + c1) * (var_x + var_y + c2)))
    half = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)  # the window's half-width: 5
    if min(similarity.shape[1:]) <= 2 * half:
        raise ValueError(f"SSIM needs images larger than its {2 * half + 1}x{2 * half + 1} "
                         f"window after cropping the border; got {similarity.shape[1:]}")
    return _result(similarity[:, half:-half, half:-half].mean(axis=(1, 2)), single)


def gradient_magnitude(luma):
    """Mean Sobel gradient magnitude of luminance images `(N, H, W)`, per image
    (mirrored borders; each image alone, never smoothed across the batch)."""
    return np.hypot(*sobel_gradients(luma, mode="reflect")).mean(axis=(1, 2))


def sharpness(images, references, border=0):
    """Mean gradient magnitude of the luminance relative to the reference's (1: as sharp).

    Args:
        images, references, border: as for `psnr`.
    """
    y, truth, single = _prepared(images, references, border)
    reference = gradient_magnitude(truth)
    if np.any(reference == 0):
        raise ValueError("a reference image is flat (no gradient): sharpness relative to it "
                         "is undefined")
    return _result(gradient_magnitude(y) / reference, single)


def sr_report(images, references, border=0):
    """`{"psnr", "ssim", "sharpness"}`: each metric's mean over the images."""
    return {name: float(np.mean(metric(images, references, border)))
            for name, metric in (("psnr", psnr), ("ssim", ssim), ("sharpness", sharpness))}
