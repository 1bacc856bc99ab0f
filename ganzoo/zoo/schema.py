"""What a zoo entry (a YAML file in zoo_configs/) may say, and the check that enforces it.

Errors name the file, the key and what was expected, so a typo in a config is found
before any training starts.
"""

import inspect
import re

from ganzoo import data
from ganzoo.data.pipeline import RESIZE_MODES
from ganzoo.gans import SAMPLER, TRANSLATOR, UPSCALER, get_variant
from ganzoo.gans.learning_rates import SCHEDULES
from ganzoo.gans.optimizers import HOLDING_SCHEDULES
from ganzoo.zoo import recipes

NUMBER = (int, float)
# Allowed keys of an entry, per section; None marks a free-form mapping (variant
# arguments are checked against the variant's signature by `zoo.build_gan`).
SCHEMA = {
    "name": str,
    "description": str,
    "paper": str,
    "variant": str,
    "model": None,
    # image size and channels come from model: image_shape (or an image data_shape);
    # each key must be an argument of the variant's loader (`data_loader_of`):
    # direction and jitter are load_paired's, patch_size, scale, patches_per_image,
    # rotations and rescale_range load_patches' (a super-resolution model's scale and
    # patch size are stated here)
    "data": {"source": str, "batch_size": int, "split": str, "num_examples": int,
             "bad_files": str, "resize": str, "direction": str, "jitter": bool,
             "patch_size": int, "scale": int, "patches_per_image": int, "rotations": bool,
             "rescale_range": list},
    # generator_from: a pretrained entry whose generator this one starts from (SRGAN
    # starts from a trained SRResNet), checked when training starts
    # jit_compile: XLA for the training step where it can run (`trainer.xla_setting`)
    "training": {"epochs": int, "seed": int, "steps_per_execution": int, "steps_per_epoch": int,
                 "learning_rate": float, "lr_schedule": str, "lr_hold_epochs": int,
                 "generator_from": str, "jit_compile": bool},
    # how `ganzoo eval` measures the entry, and how far from each metric on the card a
    # retrained run may land (`scripts/zoo_pretrained.py reproduce`); measuring the
    # shipped weights again is held much closer (tests/test_zoo_quality.py)
    "evaluation": {"num": int, "seed": int, "tolerance": None},
    # what `ganzoo-export ENTRY` produces by default
    "export": {"formats": list, "quantize": list},
    # the shipped weights and their record: the model card
    "pretrained": {"file": str, "url": str, "sha256": str, "command": str,
                   "wall_time_s": NUMBER, "machine": str, "trained": str,
                   "generator_steps": int, "metrics": None,
                   # {label: {model (the arguments changed), metrics, wall_time_s}}: the
                   # entry without what it adds, trained the same way (its card shows them)
                   "baselines": None,
                   # [{truncation: psi, metric: value, ...}]: a model with the truncation
                   # trick measured at several psi
                   "truncation_curve": list,
                   # what `ganzoo-export` measured on the weights (size, latency, parity;
                   # `scripts/zoo_pretrained.py export`), checked by the card (zoo.cards)
                   "export": None},
    # a paper recipe instead of pretrained weights (ganzoo.zoo.recipes checks it)
    "recipe": None,
    # trained by distillation instead (ganzoo.training.distillation): model: is the
    # student, teacher the zoo entry or run folder whose generator it imitates, and the
    # weights of its losses (ganzoo.gans.distill); the schedule is training: epochs x
    # steps_per_epoch, learning_rate and lr_schedule as for any entry
    "distill": {"teacher": str, "pixel_loss": str, "feature_weight": NUMBER,
                "adversarial_weight": NUMBER},
}
# An anomaly detector's entry: `ganzoo.anomaly.entries.SCHEMA` (the detector and its
# task), plus the zoo's sections, checked here. Its weights are the detector's state.
DETECTOR_SCHEMA = {
    "evaluation": {"tolerance": None},
    "pretrained": {"file": str, "url": str, "sha256": str, "command": str,
                   "wall_time_s": NUMBER, "machine": str, "trained": str, "task": str,
                   "test_images": {"normal": int, "anomalous": int},
                   "metrics": None,
                   # {detector class: {model, epochs, auroc, average_precision, wall_time_s}}:
                   # the baselines measured on the same task with the same seed
                   "baselines": None,
                   # as a GAN's: what `ganzoo-export` measured on its scorer
                   "export": None},
}
BASELINE_KEYS = ("auroc", "average_precision")
REQUIRED = ("name", "variant", "model", "data", "training")
REQUIRED_IN = {"data": ("source", "batch_size"), "training": ("epochs", "seed"),
               "pretrained": ("sha256", "metrics", "command", "wall_time_s"),
               "distill": ("teacher",)}
# Data keys an upscaler's entry must give: its training pairs are cut and shrunk by them.
UPSCALER_DATA = ("patch_size", "scale")
# Model arguments an upscaler's entry states in data: instead (once), as `ganzoo.zoo`
# passes them to the model: {argument: why}.
STATED_IN_DATA = {"scale": "the factor between the low- and high-resolution images",
                  "patch_size": "the side of the high-resolution training patches"}
# Loader arguments that an entry derives instead of stating (from model: image_shape or
# channels), or that training sets itself.
DERIVED_LOADER_ARGUMENTS = ("image_size", "channels", "seed", "shuffle", "drop_remainder")
EXPORT_CHOICES = {"formats": ("onnx", "tflite"),
                  "quantize": ("none", "float16", "dynamic", "int8")}
_SHA256 = re.compile(r"[0-9a-f]{64}")


def validate(config, source="config", base_dir=None):
    """Check an entry's keys, value types and consistency; raise ValueError naming the
    file (`source`), the key and what was expected.

    Args:
        config: the entry, as read from YAML.
        source: how messages name it (the file).
        base_dir: the folder of the YAML file, when the entry was read from one: a
            relative `data: source` path is then read from there, not from the current
            directory (see `ganzoo.data.resolve_source`).

    Returns:
        `config`; with `base_dir`, a copy whose `data: source` is resolved.

    Example:
        >>> zoo.validate(yaml.safe_load(path.read_text()), source=str(path), base_dir=path.parent)
    """
    if not isinstance(config, dict):
        raise ValueError(f"{source}: a zoo entry is a mapping of keys; got {type(config).__name__}.")
    if "detector" in config:
        return _validate_detector(config, source, base_dir)
    for key in REQUIRED:
        if key not in config:
            raise ValueError(f"{source}: missing required key {key!r}.")
    _check_stated_once(config, source)
    _check_keys(config, SCHEMA, source)
    if recipes.is_recipe(config) and "pretrained" in config:
        raise ValueError(f"{source}: a recipe ships no weights: give 'recipe' or 'pretrained', "
                         "not both.")
    for section, keys in REQUIRED_IN.items():
        for key in keys:
            if section in config and key not in config[section]:
                raise ValueError(f"{source}: {section}: missing required key {key!r}.")
    try:
        variant = get_variant(config["variant"])
    except ValueError as error:
        raise ValueError(f"{source}: variant: {error}") from None
    if not isinstance(config["model"], dict):
        raise ValueError(f"{source}: 'model' must be a mapping of variant arguments.")
    _check_data_loader(config, variant, source)
    _check_training(config["training"], source)
    _check_export(config.get("export", {}), source)
    _check_pretrained(config.get("pretrained"), source)
    if recipes.is_recipe(config):
        recipes.validate(config["recipe"], config, source)
    _check_distill(config, variant, source)
    _check_tolerance(config, source)
    _check_resize(config["data"], source)
    if base_dir is not None:
        config = {**config, "data": {**config["data"],
                                     "source": _resolved_source(config["data"], base_dir, source)}}
    return config


def _validate_detector(config, source, base_dir):
    """An anomaly detector's entry: its detector and task as `ganzoo.anomaly.entries`
    checks them, its zoo sections (evaluation, pretrained) as a GAN's are checked."""
    from ganzoo.anomaly import entries as detector_entries

    config = detector_entries.validate(config, source=source, base_dir=base_dir)
    _check_keys({key: config[key] for key in DETECTOR_SCHEMA if key in config},
                DETECTOR_SCHEMA, source)
    if "pretrained" in config:
        for key in REQUIRED_IN["pretrained"]:
            if key not in config["pretrained"]:
                raise ValueError(f"{source}: pretrained: missing required key {key!r}.")
    _check_pretrained(config.get("pretrained"), source)
    _check_baselines((config.get("pretrained") or {}).get("baselines"), source)
    _check_tolerance(config, source)
    return config


def data_loader_of(variant):
    """The name of the `ganzoo.data` function that loads a variant's training data: its
    `data_loader` ("load_paired" for Pix2Pix, "load_patches" for SRResNet and SRGAN),
    else "load_unpaired" for a translator (CycleGAN) and "load" for the others."""
    named = getattr(variant, "data_loader", None)
    if named:
        return named
    return "load_unpaired" if variant.kind == TRANSLATOR else "load"


def _check_data_loader(config, variant, source):
    """The data section gives only arguments of the variant's loader, and an upscaler's
    gives its scale and patch size there, once."""
    loader = data_loader_of(variant)
    accepted = set(inspect.signature(getattr(data, loader)).parameters)
    accepted -= set(DERIVED_LOADER_ARGUMENTS)
    for key in config["data"]:
        if key not in accepted:
            raise ValueError(f"{source}: data: {key!r} does not apply to {variant.__name__}: "
                             f"its data comes from ganzoo.data.{loader}, whose keys an entry "
                             f"may give are {sorted(accepted & set(SCHEMA['data']))}.")
    if variant.kind != UPSCALER:
        return
    for key in UPSCALER_DATA:
        if key not in config["data"]:
            raise ValueError(f"{source}: data: missing required key {key!r} ({variant.__name__} "
                             "trains on patches: data: patch_size, e.g. 96, and scale, e.g. "
                             "4).")
    for key, meaning in STATED_IN_DATA.items():
        if key in config["model"]:
            raise ValueError(f"{source}: model: {key!r} is stated in data: ({meaning}), once; "
                             f"remove it from model: (the zoo passes data: {key} to "
                             f"{variant.__name__}).")


def _check_baselines(baselines, source):
    if baselines is None:
        return
    from ganzoo.anomaly import DETECTORS

    if not isinstance(baselines, dict):
        raise ValueError(f"{source}: pretrained: baselines must map detector names to their "
                         f"measured auroc and average_precision; got {baselines!r}.")
    for name, record in baselines.items():
        if name not in DETECTORS:
            raise ValueError(f"{source}: pretrained: baselines: unknown detector {name!r}; the "
                             f"detectors are {sorted(DETECTORS)}.")
        missing = [key for key in BASELINE_KEYS if not isinstance((record or {}).get(key), NUMBER)]
        if missing:
            raise ValueError(f"{source}: pretrained: baselines: {name}: needs numbers for "
                             f"{missing}.")


def _check_resize(data_section, source):
    resize = data_section.get("resize", "crop")
    if resize not in RESIZE_MODES:
        raise ValueError(f"{source}: data: resize must be one of {list(RESIZE_MODES)} (crop: "
                         "centre square, the default; pad: black borders; stretch: squash to "
                         f"a square); got {resize!r}.")


def _resolved_source(data_section, base_dir, source):
    try:
        return data.resolve_source(data_section["source"], base_dir)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{source}: data: {error}.") from None


def _check_keys(mapping, schema, where):
    for key, value in mapping.items():
        if key not in schema:
            raise ValueError(f"{where}: unknown key {key!r}; expected one of {sorted(schema)}.")
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ValueError(f"{where}: {key!r} must be a mapping.")
            _check_keys(value, expected, f"{where}: {key}")
        elif expected is not None and (not isinstance(value, expected)
                                       or (isinstance(value, bool) and expected is not bool)):
            names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple)
                                                     else (expected,)))
            raise ValueError(f"{where}: {key!r} must be {names}; "
                             f"got {type(value).__name__} {value!r}.")


def _check_training(training, source):
    if training["epochs"] < 1:
        raise ValueError(f"{source}: training: epochs must be at least 1; got "
                         f"{training['epochs']}.")
    if training.get("steps_per_epoch", 1) < 1:
        raise ValueError(f"{source}: training: steps_per_epoch must be at least 1; got "
                         f"{training['steps_per_epoch']}.")
    schedule = training.get("lr_schedule", "constant")
    if schedule not in SCHEDULES:
        raise ValueError(f"{source}: training: lr_schedule must be one of {list(SCHEDULES)}; "
                         f"got {schedule!r}.")
    hold = training.get("lr_hold_epochs", 0)
    if hold < 0:
        raise ValueError(f"{source}: training: lr_hold_epochs must not be negative; got {hold}.")
    if hold and schedule not in HOLDING_SCHEDULES:
        raise ValueError(f"{source}: training: lr_hold_epochs applies to lr_schedule "
                         f"{' and '.join(HOLDING_SCHEDULES)} only; the schedule is "
                         f"{schedule!r}.")
    if hold and hold >= training["epochs"]:
        raise ValueError(f"{source}: training: lr_hold_epochs ({hold}) must be fewer than "
                         f"epochs ({training['epochs']}).")


def _check_distill(config, variant, source):
    """A distilled entry: a sampler student, a schedule in steps, known losses."""
    from ganzoo.gans.distill import PIXEL_LOSSES

    section = config.get("distill")
    if section is None:
        return
    if variant.kind != SAMPLER:
        raise ValueError(f"{source}: distill: applies to GANs that sample from noise; "
                         f"{variant.__name__} does not.")
    if recipes.is_recipe(config):
        raise ValueError(f"{source}: give 'recipe' or 'distill', not both.")
    if section["teacher"] == config["name"]:
        raise ValueError(f"{source}: distill: teacher is the entry itself; name another entry "
                         "or a run folder.")
    if "steps_per_epoch" not in config["training"]:
        raise ValueError(f"{source}: training: a distilled entry states steps_per_epoch (its "
                         "latents never repeat, so an epoch is a number of steps: checkpoints "
                         "and pictures follow it), e.g. steps_per_epoch: 200.")
    pixel_loss = section.get("pixel_loss", "l1")
    if pixel_loss not in PIXEL_LOSSES:
        raise ValueError(f"{source}: distill: pixel_loss must be one of {list(PIXEL_LOSSES)}; "
                         f"got {pixel_loss!r}.")
    for key in ("feature_weight", "adversarial_weight"):
        if section.get(key, 0) < 0:
            raise ValueError(f"{source}: distill: {key} must be >= 0; got {section[key]}.")


def _check_stated_once(config, source):
    # The networks are built for model: image_shape; the data is loaded at that size.
    data = config["data"] if isinstance(config["data"], dict) else {}
    for key in ("image_size", "channels"):
        if key in data:
            raise ValueError(f"{source}: data: {key!r} is not a data key: an entry states its "
                             "image size and channels once, in model: image_shape (or "
                             "data_shape), e.g. image_shape: [32, 32, 1]; the data is loaded "
                             "at that size.")


def _check_export(export, source):
    for key, values in export.items():
        unknown = [value for value in values if value not in EXPORT_CHOICES[key]]
        if unknown:
            raise ValueError(f"{source}: export: {key}: unknown {unknown}; expected some of "
                             f"{list(EXPORT_CHOICES[key])}.")


def _check_pretrained(pretrained, source):
    if pretrained is None:
        return
    if "file" not in pretrained and "url" not in pretrained:
        raise ValueError(f"{source}: pretrained: needs 'file' (shipped with the package) or "
                         "'url'.")
    if not _SHA256.fullmatch(pretrained["sha256"]):
        raise ValueError(f"{source}: pretrained: sha256 must be 64 lowercase hex digits; got "
                         f"{pretrained['sha256']!r}.")
    if not isinstance(pretrained["metrics"], dict) or not pretrained["metrics"]:
        raise ValueError(f"{source}: pretrained: metrics must map metric names to the values "
                         "measured on the weights.")


def _check_tolerance(config, source):
    # every metric on the card states how far a retrained run may land, and only those
    tolerance = (config.get("evaluation") or {}).get("tolerance", {})
    if not isinstance(tolerance, dict):
        raise ValueError(f"{source}: evaluation: tolerance must map metric names to numbers; "
                         f"got {tolerance!r}.")
    for key, value in tolerance.items():
        if not isinstance(value, NUMBER) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{source}: evaluation: tolerance: {key!r} must be a number >= 0; "
                             f"got {value!r}.")
    if config.get("pretrained") is None:
        return
    recorded = config["pretrained"]["metrics"]
    missing = [key for key in recorded if key not in tolerance]
    if missing:
        raise ValueError(f"{source}: evaluation: tolerance: no tolerance for {missing}: every "
                         "metric in pretrained: metrics needs one, how far a retrained run may "
                         f"land from it (0 for an exact count), e.g. {{{missing[0]}: 0.1}}.")
    extra = [key for key in tolerance if key not in recorded]
    if extra:
        raise ValueError(f"{source}: evaluation: tolerance: {extra} not in pretrained: "
                         f"metrics; the card records {list(recorded)}.")
