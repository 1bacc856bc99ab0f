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
            name = (yaml.safe_load(path.read_text()) or {}).get("name")
            if f"{name}.yaml" != path.name:
                raise ValueError(f"{path.name}: name {name!r} differs from the file name.")
            files[name] = path
    return files


KINDS = ("gan", "detector")


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


def image_shape_of(config):
    """The entry's image shape `(size, size, channels)` from its model arguments (the one
    place an entry states it), or None for non-image data such as 2D points."""
    model = config["model"]
    shape = model.get("image_shape") or model.get("data_shape")
    return tuple(shape) if shape is not None and len(shape) == 3 else None


def key_metrics(config):
    """A short text of the metrics recorded for the entry's pretrained weights."""
    metrics = (config.get("pretrained") or {}).get("metrics") or {}
    parts = []
    if "auroc" in metrics:
        parts.append(f"AUROC {metrics['auroc']:.3f}, AP {metrics['average_precision']:.3f}")
        baselines = config["pretrained"].get("baselines") or {}
        if baselines:
            best = max(baselines, key=lambda name: baselines[name]["auroc"])
            parts.append(f"best baseline {best} AUROC {baselines[best]['auroc']:.3f}")
    if "fid" in metrics:
        parts.append(f"digits-FID {metrics['fid']:.2f}")
    if "modes_covered" in metrics:
        parts.append(f"classes {metrics['modes_covered']}/{metrics.get('num_modes', 10)}")
    if "high_quality" in metrics:  # a 2D mixture
        parts.append(f"modes {metrics['modes']}, {100 * metrics['high_quality']:.1f}% high quality")
    elif "modes" in metrics:  # stacked digits
        parts.append(f"modes {metrics['modes']}/1000, reverse KL {metrics['reverse_kl']:.3f}")
    if "a2b_MAE" in metrics:
        parts.append(f"a2b MAE {metrics['a2b_MAE']:.3f}, class kept "
                     f"{100 * metrics['a2b_class_kept']:.1f}%")
    return "; ".join(parts)
