"""The `ganzoo eval` table of a GAN of stacked digits (1,000 modes).

Rows: the GAN's samples, and a floor of the same number of real stacks of the digits
test split (what a perfect sampler scores at that sample size), both counted by
`stacked_modes` (PacGAN's protocol: 26,000 samples, reverse KL to the uniform).
"""

from ganzoo.data import stacked
from ganzoo.metrics.report_table import protocol_lines  # noqa: F401 (the table's)
from ganzoo.metrics.stacked import NUM_SAMPLES, stacked_modes

COLUMNS = ("modes", "reverse KL", "confident channels")


def stacked_report(gan, name="model", num=None, seed=0, use_ema=True):
    """Rows `{name, metrics}` for a GAN of stacked digits and real stacks, and the protocol."""
    size, _, channels = gan.data_shape
    if channels != stacked.CHANNELS:
        raise ValueError(f"{stacked.NAME!r} images have {stacked.CHANNELS} channels (one digit "
                         f"each); this GAN makes images of shape {tuple(gan.data_shape)}.")
    num = NUM_SAMPLES if num is None else int(num)
    rows = [{"name": name, "metrics": _metrics(gan.generate(num, seed=seed, use_ema=use_ema))},
            {"name": "real stacked test digits (floor)", "metrics": real_floor(size, num, seed)}]
    protocol = {"data": f"{stacked.NAME}: {stacked.NUM_MODES} modes, one digit per channel",
                "num_samples": num, "seed": seed,
                "modes": "modes with >= 1 sample, each channel classified by the digits "
                         "classifier (PacGAN, Table 2)"}
    return {"rows": rows, "protocol": protocol}


def real_floor(image_size=32, num=NUM_SAMPLES, seed=0):
    """The counts of `num` real stacks of the digits test split, drawn with `seed`."""
    images, _ = stacked.stacked_arrays("test", image_size, num_examples=num, seed=seed)
    return _metrics(images)


def _metrics(images):
    found = stacked_modes(images)
    return {key: found[key] for key in ("modes", "reverse_kl", "confident_fraction")}


def format_row(values):
    return [f"{values['modes']} / {stacked.NUM_MODES}", f"{values['reverse_kl']:.3f}",
            f"{100 * values['confident_fraction']:.1f}%"]
