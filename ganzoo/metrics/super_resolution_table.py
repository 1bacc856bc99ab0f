"""The `ganzoo eval` table of a super-resolution model (SRResNet, SRGAN): PSNR, SSIM
and sharpness of its upscaling of held-out photos, against bicubic upscaling.

Each photo is cropped to a multiple of the scale, downscaled bicubically with
antialiasing (as the training patches are made, `ganzoo.data.patches.load_sr_images`),
upscaled by the model and by bicubic interpolation, and both are compared with the
photo by `ganzoo.metrics.super_resolution` (luminance, `scale` border pixels cropped,
as the SR literature measures). "sklearn_photos" is measured on its held-out photo
(flower.jpg); a TFDS dataset on its validation split (DIV2K's 100 photos); a folder on
every photo in it (pass a folder of photos the model did not train on).
"""

import functools

import numpy as np

from ganzoo.data.patches import (SKLEARN_PHOTOS, TEST_PHOTO, bicubic_upscale, held_out_split,
                                 load_sr_images)
from ganzoo.metrics.report_table import format_cells, protocol_lines  # noqa: F401 (the table's)
from ganzoo.metrics.super_resolution import sr_report

# The name of the self-ensembled row, after the model's.
ENSEMBLE_SUFFIX = "x8 self-ensemble"
# Each column: (the metric it shows, its cell's format).
TABLE = {"PSNR (dB)": ("psnr", "{:.2f}"), "SSIM": ("ssim", "{:.4f}"),
         "sharpness": ("sharpness", "{:.3f}"),
         "PSNR over bicubic": ("psnr_over_bicubic", "{:+.2f}")}
COLUMNS = tuple(TABLE)
FORMATS = dict(TABLE.values())


def super_resolution_report(model, source, name="model", self_ensemble=False, use_ema=True):
    """Rows `{name, metrics}` for an upscaler and for bicubic upscaling of the held-out
    photos of `source`, and the protocol. Metrics are means over the photos.

    Args:
        model: a trained `ganzoo.SRResNet` or `ganzoo.SRGAN` (anything with `scale`,
            `channels` and `upscale(image)`).
        source: "sklearn_photos" (its held-out flower.jpg), a TFDS dataset (its
            validation split) or a folder of photos.
        name: the model's row name.
        self_ensemble: also a row "NAME x8 self-ensemble", the model's upscaling
            averaged over the photo's eight flips and rotations (`upscale(...,
            self_ensemble=True)`, EDSR+).
        use_ema: as `upscale`'s: a model's generator EMA (if it keeps one) or, False,
            its raw generator.
    """
    scale = model.scale
    split = held_out_split(source)
    pairs = load_sr_images(source, scale, split=split, channels=model.channels)
    upscalers = {name: functools.partial(model.upscale, use_ema=use_ema)}
    if self_ensemble:
        upscalers[f"{name} {ENSEMBLE_SUFFIX}"] = functools.partial(
            model.upscale, self_ensemble=True, use_ema=use_ema)
    upscalers["bicubic"] = lambda low: bicubic_upscale(low, scale)
    measured = {row: [] for row in upscalers}
    for low, high in pairs:  # photos differ in size: one at a time
        for row, upscale in upscalers.items():
            measured[row].append(sr_report(upscale(low), high, border=scale))
    means = {row: {key: float(np.mean([photo[key] for photo in photos])) for key in photos[0]}
             for row, photos in measured.items()}
    for row in means:
        if row != "bicubic":
            means[row]["psnr_over_bicubic"] = means[row]["psnr"] - means["bicubic"]["psnr"]
    photos = {"test": f"{SKLEARN_PHOTOS} split test ({TEST_PHOTO}, held out)",
              "validation": f"TFDS dataset {source} split validation (held out)",
              "all": f"every photo in {source} (held out only if the model did not train on "
                     "it)"}[split]
    protocol = {"data": photos, "num_photos": len(pairs), "scale": scale,
                "inputs": f"each photo cropped to a multiple of {scale}, downscaled x{scale} "
                          "bicubically with antialiasing",
                "measured": f"on luminance (BT.601 Y), {scale} border pixels cropped; PSNR "
                            "peak 255; SSIM Gaussian 11x11, sigma 1.5; sharpness = mean "
                            "gradient magnitude / the photo's (1: as sharp)"}
    if self_ensemble:
        protocol["self_ensemble"] = ("the mean of the upscalings of the photo's eight flips "
                                     "and 90-degree rotations, each transformed back")
    return {"rows": [{"name": row, "metrics": metrics} for row, metrics in means.items()],
            "protocol": protocol}


def format_row(values):
    """Table cells of one row, blank where a metric does not apply."""
    return format_cells(values, FORMATS)
