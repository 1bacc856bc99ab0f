"""The `ganzoo eval` table of a GAN of 2D points on a Gaussian mixture (ring8, grid25).

Rows: the GAN's samples, and a floor of the same number of points drawn from the
mixture itself (what a perfect sampler scores), under the VEEGAN/PacGAN protocol of
`mixture_mode_metrics`.
"""

import numpy as np

from ganzoo.data.mixtures import mixture, mixture_arrays
from ganzoo.metrics.mixture_modes import mixture_mode_metrics
from ganzoo.metrics.report_table import protocol_lines  # noqa: F401 (the table's)

COLUMNS = ("modes", ">= 20/2500 modes", "high quality", "reverse KL")
DEFAULT_NUM = 2500


def mixture_report(gan, source, name="model", num=DEFAULT_NUM, seed=0, use_ema=True):
    """Rows `{name, metrics}` for a 2D GAN and the mixture's own samples, and the protocol."""
    if tuple(gan.data_shape) != (2,):
        raise ValueError(f"{source!r} is a mixture of 2D points; this GAN makes samples of "
                         f"shape {tuple(gan.data_shape)}.")
    centers, std = mixture(source)
    num = DEFAULT_NUM if num is None else int(num)
    real = mixture_arrays(source, num, seed=seed + 1)[0]
    samples = gan.generate(num, seed=seed, use_ema=use_ema)
    rows = [{"name": name, "metrics": mixture_mode_metrics(samples, centers, std)},
            {"name": f"{source} itself (floor)", "metrics": mixture_mode_metrics(real, centers, std)}]
    protocol = {"data": f"{source}: {len(centers)} modes, std {std}", "num_samples": num,
                "seed": seed, "high_quality": "within 3 std of the nearest mode",
                "modes": "modes with >= 1 high-quality sample"}
    return {"rows": rows, "protocol": protocol}


def format_row(values):
    return [f"{values['modes']}", f"{values['modes_strict']}",
            f"{100 * values['high_quality']:.1f}%", f"{values['reverse_kl']:.3f}"]
