"""Anomaly detectors from entry-shaped configurations: train a run folder, evaluate it.

An anomaly entry looks like a zoo entry, with `detector` where a GAN entry has `variant`:

    name: ganomaly-digits
    detector: GANomaly                  # a name in ganzoo.anomaly.DETECTORS
    model: {image_shape: [32, 32, 1], latent_dim: 100, base_filters: 32}
    data: {source: digits, anomaly_class: 0, batch_size: 64}
    training: {epochs: 15, seed: 0}

`data` is the task (`ganzoo.anomaly.protocol`): `source: digits` with `anomaly_class`,
or `source: <folder of normal images>` with `anomalous: <folder>` (and optionally
`normal_test`, `test_fraction`, `resize`, `bad_files`). Image size and channels come
from `model: image_shape` alone. Relative folders are read from `base_dir` (the YAML
file's folder) when given.

Example:
    >>> detector = train(config, "runs/ganomaly-digits")      # fits, saves, returns it
    >>> evaluate("runs/ganomaly-digits")                      # {"auroc": ..., ...}
"""

import inspect
from pathlib import Path

import yaml

from ganzoo.anomaly import protocol
from ganzoo.anomaly.base import CONFIG_FILE, get_detector, load
from ganzoo.errors import RunFolderError

SCHEMA = {
    "name": str, "description": str, "paper": str, "detector": str, "model": dict,
    "data": {"source": str, "anomaly_class": int, "anomalous": str, "normal_test": str,
             "test_fraction": float, "batch_size": int, "resize": str, "bad_files": str},
    "training": {"epochs": int, "seed": int},
}
REQUIRED = ("name", "detector", "model", "data", "training")
FOLDER_KEYS = ("source", "anomalous", "normal_test")


def validate(config, source="config", base_dir=None):
    """Check an anomaly entry; return a copy with folders resolved against `base_dir`.

    Raises ValueError naming `source` (the file), the key and what was expected.
    """
    if not isinstance(config, dict):
        raise ValueError(f"{source}: an anomaly entry is a mapping of keys; got "
                         f"{type(config).__name__}.")
    for key in REQUIRED:
        if key not in config:
            raise ValueError(f"{source}: missing required key {key!r}.")
    for key, value in config.items():
        if key not in SCHEMA:
            raise ValueError(f"{source}: unknown key {key!r}; an anomaly entry has "
                             f"{sorted(SCHEMA)}.")
        expected = SCHEMA[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ValueError(f"{source}: {key!r} must be a mapping.")
            for inner, inner_value in value.items():
                if inner not in expected:
                    raise ValueError(f"{source}: {key}: unknown key {inner!r}; expected one "
                                     f"of {sorted(expected)}.")
                _check_type(inner_value, expected[inner], f"{source}: {key}: {inner}")
        else:
            _check_type(value, expected, f"{source}: {key}")
    detector = _detector_class(config, source)
    model = dict(config["model"])
    if "seed" in model:
        raise ValueError(f"{source}: model: seed is stated in training: seed; state it once.")
    parameters = set(inspect.signature(detector.__init__).parameters) - {"self", "seed"}
    for key in model:
        if key not in parameters:
            raise ValueError(f"{source}: model: {detector.__name__} takes no argument {key!r}; "
                             f"it takes {sorted(parameters)}.")
    if "image_shape" not in model:
        raise ValueError(f"{source}: model: missing required key 'image_shape'.")
    data, training = config["data"], config["training"]
    if "source" not in data:
        raise ValueError(f"{source}: data: missing required key 'source'.")
    if "seed" not in training:
        raise ValueError(f"{source}: training: missing required key 'seed'.")
    if data["source"] == "digits":
        if "anomaly_class" not in data:
            raise ValueError(f"{source}: data: source digits needs anomaly_class (0-9).")
        extra = sorted(set(data) & {"anomalous", "normal_test", "test_fraction"})
        if extra:
            raise ValueError(f"{source}: data: {extra[0]} applies to folders, not to digits.")
    elif "anomalous" not in data:
        raise ValueError(f"{source}: data: a folder source needs anomalous: <folder of "
                         "anomalous images>.")
    config = {**config, "data": dict(data)}
    if base_dir is not None:
        for key in FOLDER_KEYS:
            value = config["data"].get(key)
            if value is not None and value != "digits" and not Path(value).is_absolute():
                config["data"][key] = str((Path(base_dir) / value).resolve())
    return config


def build_detector(config):
    """The (unfitted) detector an entry describes."""
    return _detector_class(config, "config")(**config["model"], seed=config["training"]["seed"])


def task_of(config):
    """The `protocol.Task` an entry's `data` section describes."""
    data, model = config["data"], config["model"]
    size, channels = int(model["image_shape"][0]), int(model["image_shape"][2])
    if data["source"] == "digits":
        return protocol.digits_task(data["anomaly_class"], size, channels)
    return protocol.folder_task(
        data["source"], data["anomalous"], size, channels,
        test_fraction=data.get("test_fraction", 0.2), normal_test_dir=data.get("normal_test"),
        seed=config["training"]["seed"], resize=data.get("resize", "crop"),
        bad_files=data.get("bad_files", "error"))


def train(config, run_dir, verbose=0, base_dir=None):
    """Fit the detector of an entry on its task's normal images and save it in `run_dir`.

    Returns the fitted detector. `run_dir` then holds the detector's files and the
    entry as `config.yaml`, so `evaluate(run_dir)` needs nothing else.
    """
    config = validate(config, base_dir=base_dir)
    detector = build_detector(config)
    task = task_of(config)
    detector.fit(task.normal, epochs=config["training"].get("epochs"),
                 batch_size=config["data"].get("batch_size", 64), verbose=verbose)
    detector.save(run_dir, config=config, metadata={"task": task.name})
    return detector


def evaluate(run_dir):
    """AUROC and average precision of the detector in `run_dir` on its entry's task.

    Returns a dict: `task`, `detector`, `auroc`, `average_precision`, `normal`,
    `anomalous` (counts of test images).
    """
    run_dir = Path(run_dir)
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise RunFolderError(f"{run_dir} has no {CONFIG_FILE}: it was saved from Python without "
                             "an entry, so its task is unknown. Measure it with "
                             "ganzoo.anomaly.protocol.evaluate(detector, task).")
    config = validate(yaml.safe_load(path.read_text()), source=str(path))
    detector = load(run_dir)
    task = task_of(config)
    result = protocol.evaluate(detector, task)
    return {"task": task.name, "detector": config["detector"],
            **{key: result[key] for key in ("auroc", "average_precision", "normal",
                                            "anomalous")}}


def _detector_class(config, source):
    try:
        return get_detector(config["detector"])
    except ValueError as error:
        raise ValueError(f"{source}: detector: {error}") from None


def _check_type(value, expected, where):
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return
    if expected is not None and (not isinstance(value, expected) or isinstance(value, bool)
                                 and expected is not bool):
        raise ValueError(f"{where} must be {expected.__name__}; got {value!r}.")
