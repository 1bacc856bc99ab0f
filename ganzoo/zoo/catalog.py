"""The zoo's entries as shipped YAML, read without TensorFlow.

Listing, reading and describing entries need only the files: `ganzoo list` and
`ganzoo --help` stay fast. Validating and building an entry (`ganzoo.zoo.entries`)
need the variants, and so TensorFlow.

An entry is a GAN's (`variant:`) or an anomaly detector's (`detector:`, see
`ganzoo.anomaly.entries`); `is_detector` tells them apart from the YAML alone.
"""

import difflib
import functools
from importlib import resources

import yaml


@functools.cache
def entry_files():
    """{entry name: its YAML file in the package}, refusing a file named unlike its entry."""
    files = {}
    for path in resources.files("ganzoo.zoo_configs").iterdir():
        if path.name.endswith(".yaml"):
            try:
                name = (yaml.safe_load(path.read_text()) or {}).get("name")
            except yaml.YAMLError as error:
                raise ValueError(f"{path.name} is not valid YAML: {error}") from None
            if f"{name}.yaml" != path.name:
                raise ValueError(f"{path.name}: name {name!r} differs from the file name.")
            files[name] = path
    return files


KINDS = ("gan", "detector")
# The losses of a distill: section when it leaves them out (ganzoo.training.distillation).
DISTILL_DEFAULTS = {"pixel_loss": "l1", "feature_weight": 1.0, "adversarial_weight": 0.0}


def list_entries(kind=None):
    """Names of the zoo entries, sorted: all of them, or those of one `kind`, "gan" or
    "detector" (anomaly detectors)."""
    if kind is None:
        return sorted(entry_files())
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {list(KINDS)} or None; got {kind!r}.")
    return [name for name in sorted(entry_files())
            if is_detector(read_entry(name)) == (kind == "detector")]


def is_detector(config):
    """True for an anomaly detector's entry (`detector:` where a GAN's entry says
    `variant:`)."""
    return "detector" in config


def model_name(config):
    """The entry's GAN variant or detector class name, e.g. "DCGAN" or "GANomaly"."""
    return config["detector"] if is_detector(config) else config["variant"]


def read_entry(name):
    """Entry `name` as its YAML says (a fresh dict each call), not yet validated."""
    files = entry_files()
    if name not in files:
        close = difflib.get_close_matches(name, files, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown zoo entry {name!r}.{hint} Known entries: "
                         f"{', '.join(sorted(files))}.")
    return yaml.safe_load(files[name].read_text())


# Channels of a super-resolution entry that states none: SRResNet's and load_patches' 3.
DEFAULT_SR_CHANNELS = 3


def image_shape_of(config):
    """The entry's image shape `(size, size, channels)` from its model arguments (the one
    place an entry states it), or None for non-image data such as 2D points.

    A super-resolution entry (`data: patch_size`, `scale`) takes images of any size:
    its training patches' shape, `(patch_size, patch_size, channels)`."""
    model, data = config["model"], config.get("data") or {}
    shape = model.get("image_shape") or model.get("data_shape")
    if shape is None and "patch_size" in data:
        return (data["patch_size"], data["patch_size"],
                model.get("channels", DEFAULT_SR_CHANNELS))
    return tuple(shape) if shape is not None and len(shape) == 3 else None


def size_of(config):
    """What `ganzoo list` shows of the entry's size: "32x32", "2D", or for a
    super-resolution entry its factor and patches, "x4, 64px patches"."""
    data, shape = config.get("data") or {}, image_shape_of(config)
    if "scale" in data:
        return f"x{data['scale']}, {data['patch_size']}px patches"
    return f"{shape[0]}x{shape[1]}" if shape else "2D"


# What `ganzoo list` and the README's zoo table show of an entry's pretrained metrics,
# one text per kind of metrics recorded, in this order: (the metrics that tell the kind,
# all present; the text, formatted with the entry's metrics).
KEY_METRICS = (
    (("fid",), "digits-FID {fid:.2f}"),
    (("modes_covered",), "classes {modes_covered}/{num_modes}"),
    (("high_quality",), "modes {modes}, {high_quality:.1%} high quality"),  # a 2D mixture
    (("modes", "confident_fraction"),  # stacked digits
     "modes {modes}/1000, reverse KL {reverse_kl:.3f}"),
    (("class_agreement",), "class agreement {class_agreement:.1%}, L1 {L1:.3f}"),  # Pix2Pix
    (("psnr",), "PSNR {psnr:.2f} dB ({psnr_over_bicubic:+.2f} over bicubic), SSIM {ssim:.3f}, "
                "sharpness {sharpness:.2f}"),  # super-resolution
    (("a2b_MAE",), "a2b MAE {a2b_MAE:.3f}, class kept {a2b_class_kept:.1%}"),  # CycleGAN
    (("conditional_accuracy", "cas"),  # a class-conditional GAN
     "class accuracy {conditional_accuracy:.1%}, intra-FID {intra_fid:.2f}, "
     "CAS {cas:.1%} (real {cas_ceiling:.1%})"),
)
# Metrics an older record may lack: the digits' 10 classes.
KEY_METRIC_DEFAULTS = {"num_modes": 10}


def key_metrics(config):
    """A short text of the metrics recorded for the entry's pretrained weights (a paper
    recipe's: the metric its paper reports)."""
    if "recipe" in config:  # what the paper reports, to train towards
        reported = config["recipe"]["reported"]
        return (f"reported {reported['metric']} {reported['value']:g}"
                if reported["value"] is not None else f"no {reported['metric']} published")
    metrics = (config.get("pretrained") or {}).get("metrics") or {}
    parts = []
    if "auroc" in metrics:  # a detector: against its best baseline
        parts.append(f"AUROC {metrics['auroc']:.3f}, AP {metrics['average_precision']:.3f}")
        baselines = config["pretrained"].get("baselines") or {}
        if baselines:
            best = max(baselines, key=lambda name: baselines[name]["auroc"])
            parts.append(f"best baseline {best} AUROC {baselines[best]['auroc']:.3f}")
    values = {**KEY_METRIC_DEFAULTS, **metrics}
    parts += [text.format(**values) for kind, text in KEY_METRICS
              if all(key in metrics for key in kind)]
    return "; ".join(parts)
