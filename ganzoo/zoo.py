"""The zoo: entries described by YAML files in zoo_configs/, shipped with the package.

An entry is data, not code: which variant with which arguments, on which data, for
how long. Unknown keys are errors that name the key and the file.
"""

import difflib
import functools
import inspect
from importlib import resources

import yaml

from ganzoo import data
from ganzoo.gans import get_variant
from ganzoo.gans.adversarial import AdversarialModel
from ganzoo.gans.optimizers import SCHEDULES

# Allowed keys of an entry, per section; None marks a free-form mapping
# (variant arguments are checked by the variant's constructor).
SCHEMA = {
    "name": str,
    "description": str,
    "paper": str,
    "variant": str,
    "model": None,
    "data": {"source": str, "image_size": int, "batch_size": int, "channels": int,
             "split": str, "num_examples": int, "bad_files": str},
    "training": {"epochs": int, "seed": int, "steps_per_execution": int,
                 "learning_rate": float, "lr_schedule": str, "lr_hold_epochs": int},
}
REQUIRED = ("name", "variant", "model", "data", "training")
REQUIRED_IN = {"data": ("source", "batch_size"), "training": ("epochs", "seed")}


def list_entries():
    """Names of all zoo entries, sorted."""
    return sorted(_entries())


def get_entry(name):
    """The validated configuration of entry `name` (a fresh dict each call)."""
    entries = _entries()
    if name not in entries:
        close = difflib.get_close_matches(name, entries, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown zoo entry {name!r}.{hint} Known entries: "
                         f"{', '.join(sorted(entries))}.")
    return yaml.safe_load(entries[name].read_text())


def build_gan(config):
    """An untrained GAN of the entry's variant and model arguments."""
    variant = get_variant(config["variant"])
    # a variant forwards **kwargs to its bases (seed, loss ...), which take them
    accepted = set().union(*(_arguments_of(cls) for cls in variant.__mro__
                             if issubclass(cls, AdversarialModel)))
    for key in config["model"]:
        if key not in accepted:
            raise ValueError(f"{config['name']}: model argument {key!r} is not an argument of "
                             f"{variant.__name__}; it takes {sorted(accepted)}.")
    return variant(**config["model"])


def _arguments_of(cls):
    # Networks are objects, not YAML.
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {p.name for p in parameters if p.kind in named and p.name != "self"
            and not p.name.startswith(("generator", "discriminator"))}


def load_dataset(config, seed):
    """The entry's training data: unpaired `(images_a, images_b)` batches for a
    translator (CycleGAN), batches of samples otherwise."""
    translator = hasattr(get_variant(config["variant"]), "translate")
    return (data.load_unpaired if translator else data.load)(**config["data"], seed=seed)


def load(name, pretrained=True):
    """The GAN of zoo entry `name`, ready to generate.

    Args:
        name: a zoo entry, see `list_entries()`.
        pretrained: load the entry's shipped weights; False gives a fresh, untrained GAN.
    """
    config = get_entry(name)
    if pretrained:
        raise ValueError(f"Zoo entry {name!r} ships no pretrained weights yet: train it with "
                         f"`ganzoo train {name} --run-dir DIR` and sample from DIR, or pass "
                         "pretrained=False for an untrained GAN.")
    return build_gan(config)


def validate(config, source="config"):
    """Check an entry's keys and value types; raise ValueError naming the first problem."""
    if not isinstance(config, dict):
        raise ValueError(f"{source}: a zoo entry is a mapping of keys; got {type(config).__name__}.")
    for key in REQUIRED:
        if key not in config:
            raise ValueError(f"{source}: missing required key {key!r}.")
    _check_keys(config, SCHEMA, source)
    for section, keys in REQUIRED_IN.items():
        for key in keys:
            if key not in config[section]:
                raise ValueError(f"{source}: {section}: missing required key {key!r}.")
    get_variant(config["variant"])
    if not isinstance(config["model"], dict):
        raise ValueError(f"{source}: 'model' must be a mapping of variant arguments.")
    schedule = config["training"].get("lr_schedule", "constant")
    if schedule not in SCHEDULES:
        raise ValueError(f"{source}: training: lr_schedule must be one of {list(SCHEDULES)}; "
                         f"got {schedule!r}.")
    hold = config["training"].get("lr_hold_epochs", 0)
    if hold and schedule != "linear_decay":
        raise ValueError(f"{source}: training: lr_hold_epochs applies to lr_schedule "
                         f"linear_decay only; the schedule is {schedule!r}.")
    return config


def _check_keys(mapping, schema, where):
    for key, value in mapping.items():
        if key not in schema:
            raise ValueError(f"{where}: unknown key {key!r}; expected one of {sorted(schema)}.")
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ValueError(f"{where}: {key!r} must be a mapping.")
            _check_keys(value, expected, f"{where}: {key}")
        elif expected is not None and not isinstance(value, expected):
            raise ValueError(f"{where}: {key!r} must be {expected.__name__}; "
                             f"got {type(value).__name__} {value!r}.")


@functools.cache
def _entries():
    entries = {}
    for path in resources.files("ganzoo.zoo_configs").iterdir():
        if path.name.endswith(".yaml"):
            config = validate(yaml.safe_load(path.read_text()), source=path.name)
            if f"{config['name']}.yaml" != path.name:
                raise ValueError(f"{path.name}: name {config['name']!r} differs from the file name.")
            entries[config["name"]] = path
    return entries
