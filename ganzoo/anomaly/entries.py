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
file's folder) when given. A zoo entry (zoo_configs/) adds `evaluation` and
`pretrained`, which `ganzoo.zoo.schema` checks.

A run folder is trained once: a detector's fit does not resume, so training into a
folder that holds a trained detector is refused unless `overwrite` says to replace it.

Example:
    >>> detector = train(config, "runs/ganomaly-digits")      # fits, saves, returns it
    >>> evaluate("runs/ganomaly-digits")                      # {"auroc": ..., ...}
"""

import inspect
import warnings
from pathlib import Path

import yaml

from ganzoo.anomaly import protocol
from ganzoo.anomaly.base import CONFIG_FILE, DETECTOR_FILE, METADATA_FILE, get_detector, load
from ganzoo.errors import DataError, RunFolderError
from ganzoo.files import exclusive_lock
from ganzoo.runs import GAN_FILE
from ganzoo.training.trainer import LOCK_FILE  # one training per run folder, GAN or detector

SCHEMA = {
    "name": str, "description": str, "paper": str, "detector": str, "model": dict,
    "data": {"source": str, "anomaly_class": int, "anomalous": str, "normal_test": str,
             "test_fraction": float, "batch_size": int, "resize": str, "bad_files": str},
    "training": {"epochs": int, "seed": int},
    # a zoo entry's sections, checked by ganzoo.zoo.schema
    "evaluation": dict, "pretrained": dict,
}
# The zoo's record of its shipped weights: not part of a run trained from the entry.
ZOO_RECORD = "pretrained"
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


def train(config, run_dir, verbose=0, base_dir=None, *, epochs=None, seed=None,
          overwrite=False):
    """Fit the detector of an entry on its task's normal images and save it in `run_dir`.

    Returns the fitted detector. `run_dir` then holds the detector's files and the
    entry as `config.yaml`, so `evaluate(run_dir)` needs nothing else.

    Args:
        config: an anomaly entry (a mapping).
        run_dir: the run folder; it must be new or empty, unless `overwrite`.
        verbose: Keras' progress output while fitting (0, 1 or 2).
        base_dir: the folder relative `data:` folders are read from.
        epochs, seed: override the entry's `training:` epochs and seed.
        overwrite: replace the detector files of an existing run folder. The old run
            stays whole until the new detector is fitted and saved.
    """
    config = validate(config, base_dir=base_dir)
    config.pop(ZOO_RECORD, None)
    config["training"] = {**config["training"],
                          **({"epochs": epochs} if epochs is not None else {}),
                          **({"seed": seed} if seed is not None else {})}
    run_dir = Path(run_dir)
    detector = build_detector(config)  # bad arguments and data fail before the folder is touched
    task = task_of(config)
    check_run_folder(run_dir, overwrite)
    run_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(run_dir / LOCK_FILE,
                        f"Run folder {run_dir} is in use by another training; wait for it to "
                        "end or choose another --run-dir"):
        check_run_folder(run_dir, overwrite)  # another training may have finished meanwhile
        detector.fit(task.normal, epochs=config["training"].get("epochs"),
                     batch_size=config["data"].get("batch_size", 64), verbose=verbose)
        detector.save(run_dir, config=config, metadata={"task": task.name})
    return detector


def check_run_folder(run_dir, overwrite=False):
    """Refuse a run folder whose contents training would destroy, with what to do.

    New, empty or (with `overwrite`) holding a detector's run: fine. A trained detector
    without `overwrite`, a GAN's run, or other files: `FileExistsError`.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise FileExistsError(f"{run_dir} is a file, not a run folder; choose another --run-dir.")
    if not run_dir.is_dir() or not any(path.name != LOCK_FILE for path in run_dir.iterdir()):
        return
    if (run_dir / GAN_FILE).is_file():
        raise FileExistsError(f"Run folder {run_dir} holds a GAN's run; train the detector into "
                              "another folder: --run-dir DIR, or --new.")
    if overwrite:
        return
    if (run_dir / DETECTOR_FILE).is_file() and (run_dir / METADATA_FILE).is_file():
        raise FileExistsError(f"Run folder {run_dir} holds a trained detector, and a detector's "
                              "training does not resume; pass --new for a new folder, --run-dir "
                              "for one of your choice, or --overwrite to replace it.")
    raise FileExistsError(f"Run folder {run_dir} exists, is not empty and holds no trained "
                          "detector; choose another --run-dir or pass --overwrite to write the "
                          "detector into it.")


def evaluate(run_dir):
    """AUROC and average precision of the detector in `run_dir` on its entry's task.

    Returns `measure`'s dict.
    """
    run_dir = Path(run_dir)
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise RunFolderError(f"{run_dir} has no {CONFIG_FILE}: it was saved from Python without "
                             "an entry, so its task is unknown. Measure it with "
                             "ganzoo.anomaly.protocol.evaluate(detector, task).")
    config = yaml.safe_load(path.read_text())
    return measure(load(run_dir), config, source=str(path))


def measure(detector, config, source="config"):
    """Score the test images of the entry's task with a fitted detector and measure them.

    What `ganzoo eval` reports for a detector, for a run folder and for a zoo entry alike.

    Returns a dict: `task`, `detector`, `score` (what the score measures), `auroc`,
    `average_precision`, `normal`, `anomalous` (counts of test images), and per test
    image its `scores` and `is_anomaly` flags.
    """
    config = validate(config, source=source)
    task = task_of(config)
    result = protocol.evaluate(detector, task)
    return {"task": task.name, "detector": type(detector).__name__,
            "score": detector.score_name,
            **{key: result[key] for key in ("auroc", "average_precision", "normal",
                                            "anomalous", "scores")},
            "is_anomaly": task.is_anomaly.astype(int).tolist()}


def read_inputs(path, image_shape, resize="crop"):
    """`(paths, images)` of an image file or a folder of them, read as training read them.

    A folder is searched recursively (PNG, JPEG, BMP, GIF; `ganzoo.data`'s rules), its
    files in sorted order; every file must decode. Images are made square by `resize`
    (the entry's `data: resize`) and resized to `image_shape`.

    Raises:
        FileNotFoundError: `path` does not exist.
        DataError: a file that does not decode, or a folder without images.
    """
    from ganzoo import data
    from ganzoo.data.folder import check_files, list_images
    from ganzoo.images import read_images

    path = Path(path)
    size, _, channels = image_shape
    if path.is_dir():
        try:
            paths = list_images(path)[0]
            with warnings.catch_warnings():  # the bad files are named below
                warnings.simplefilter("ignore")
                good = set(check_files(paths, "skip", str(path)))
        except ValueError as error:
            raise DataError(f"cannot score the images in {str(path)!r}: {error}.") from None
        bad = [name for name in paths if name not in good]
        if bad:
            shown = ", ".join(str(Path(name).relative_to(path)) for name in bad[:10])
            raise DataError(f"{len(bad)} of {len(paths)} files in {str(path)!r} cannot be "
                            f"decoded as images (corrupt, truncated or not an image): {shown}"
                            f"{', ...' if len(bad) > 10 else ''}. Fix or remove them and score "
                            "again.")
        # a Path, never a str: a folder named like a dataset ("digits") is still the folder
        images = data.load_arrays(path, size, split="all", channels=channels, resize=resize)[0]
        if len(images) != len(paths):
            raise DataError(f"read {len(images)} images from {str(path)!r}, which lists "
                            f"{len(paths)} image files; score it again.")
        return paths, images
    if not path.is_file():
        raise FileNotFoundError(f"no such image file or folder: {str(path)!r}.")
    if resize != "crop":
        _check_square(path, resize)
    try:
        return [str(path)], read_images([path], size, channels)
    except ValueError:  # TensorFlow's message names its kernel, not the file's problem
        raise DataError(f"cannot read {str(path)!r} as an image: it is corrupt, truncated or "
                        "not an image (PNG, JPEG, BMP or GIF).") from None


def _check_square(path, resize):
    # A single file is read with a centre crop; for a square image every mode agrees.
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
    except OSError:
        return  # not an image: read_images says so
    if width != height:
        raise DataError(f"{str(path)!r} is {width}x{height}, and this detector's training data "
                        f"was made square by resize: {resize}, which is applied to folders: "
                        "pass the image's folder as --input.")


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
