"""What every anomaly detector shares: fit, score, the registry, and run folders.

A detector learns what normal images look like (`fit`) and gives each image a score,
higher for more anomalous ones (`score`). Subclasses say only what differs: their
state (`_fit`, `state` / `set_state`) and their score (`_score`). The base checks
the inputs (`ganzoo.anomaly.inputs`), keeps `get_config()` equal to the constructor's
arguments, and writes and reads run folders:

    detector.json        {"detector": class name, "config": constructor arguments}
    detector.npz         every array the score depends on (network weights, PCA basis)
    metadata.json        library versions, training record, the arrays' SHA-256 (last)
    config.yaml          the entry-shaped configuration, when trained from one

Example:
    >>> detector = ganzoo.anomaly.GANomaly(image_shape=(32, 32, 1))
    >>> detector.fit(normal_images, epochs=15)
    >>> scores = detector.score(test_images)         # numpy (N,), higher = more anomalous
    >>> detector.save("runs/ganomaly")
    >>> same = ganzoo.anomaly.load("runs/ganomaly")  # same.score(test_images) == scores
"""

import contextlib
import datetime
import inspect
import json
import time
from pathlib import Path

import keras
import numpy as np
import yaml

from ganzoo.anomaly.inputs import read_images
from ganzoo.errors import DataError, DivergenceError, RunFolderError
from ganzoo.files import atomic_path, check_writable, remove_leftovers, sha256_of

DETECTOR_FILE = "detector.json"
STATE_FILE = "detector.npz"
METADATA_FILE = "metadata.json"
CONFIG_FILE = "config.yaml"
FORMAT = 1
# Images scored per network call: fixed, so a score never depends on how many images
# were passed together.
SCORE_BATCH = 256
# What a model does, beside ganzoo.gans' SAMPLER and TRANSLATOR: it scores images.
DETECTOR = "detector"

DETECTORS = {}


def register(cls):
    """Class decorator: make a detector loadable by its class name."""
    DETECTORS[cls.__name__] = cls
    return cls


def get_detector(name):
    """The detector class registered as `name` (e.g. "GANomaly")."""
    if name not in DETECTORS:
        raise ValueError(f"Unknown detector {name!r}; the detectors are {sorted(DETECTORS)}.")
    return DETECTORS[name]


class AnomalyDetector:
    """Base of every detector: learns normal images, scores any image.

    Args:
        image_shape: `(size, size, channels)` of the images it takes.
        seed: seeds the networks' initial weights (Keras' global seed is set to it while
            they are built), the order of the normal images and any training noise.
            One seed, one detector: same data and seed give the same scores.
    """

    kind = DETECTOR
    # Epochs `fit` trains for when given none (None: fitted in closed form).
    default_epochs = None
    # What the score measures, for tables and plots.
    score_name = "score"

    def __init__(self, image_shape=(32, 32, 1), seed=0):
        self.image_shape = tuple(int(size) for size in image_shape)
        if len(self.image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got "
                             f"{tuple(image_shape)}.")
        self.seed = int(seed)
        self.fitted = False
        self.history = {}
        self.training_record = {}

    # ------------------------------------------------------------------ configuration

    def get_config(self):
        """The constructor's arguments: `type(d)(**d.get_config())` builds the same detector."""
        config = {}
        for name in inspect.signature(type(self).__init__).parameters:
            if name != "self":
                config[name] = getattr(self, name)
        config["image_shape"] = list(self.image_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------------- the interface

    def fit(self, normal, epochs=None, *, batch_size=64, verbose=0):
        """Learn what the normal images look like; returns the detector.

        Args:
            normal: the normal images: a NumPy array `(N, H, W, C)` in [-1, 1] or a
                finite `tf.data.Dataset` of images or image batches, without labels.
            epochs: passes over the normal images; None takes `default_epochs`.
            batch_size: images per training step (fewer when the set is smaller).
            verbose: Keras' progress output (0 silent, 1 bar, 2 one line per epoch).
        """
        images = read_images(normal, self.image_shape, "the normal set")
        if epochs is None:
            epochs = self.default_epochs
        elif self.default_epochs is None:
            raise ValueError(f"{type(self).__name__} is fitted in closed form; epochs does "
                             "not apply.")
        if epochs is not None and int(epochs) < 1:
            raise ValueError(f"epochs must be at least 1; got {epochs}.")
        start = time.perf_counter()
        self.history = self._fit(images, epochs, int(batch_size), verbose) or {}
        self.fitted = True
        self.training_record = {
            "normal_images": len(images), "epochs": epochs, "batch_size": int(batch_size),
            "wall_time_s": round(time.perf_counter() - start, 2),
            "final_losses": {name: float(values[-1]) for name, values in self.history.items()
                             if values}}
        return self

    def score(self, images):
        """Anomaly scores of `images`: NumPy float64 `(N,)`, higher = more anomalous.

        A function of each image alone (networks in inference mode, fixed batches), so
        scoring the same images again, or after `save` and `load`, gives the same numbers.

        Args:
            images: a NumPy array `(N, H, W, C)` in [-1, 1], or a finite
                `tf.data.Dataset` of images or image batches, without labels.
        """
        if not self.fitted:
            raise ValueError(f"This {type(self).__name__} has not been fitted: call "
                             "fit(normal_images) first, or load a fitted one.")
        images = read_images(images, self.image_shape, "the images to score", allow_empty=True)
        if not len(images):
            return np.zeros((0,), np.float64)
        scores = np.concatenate([np.asarray(self._score(images[start:start + SCORE_BATCH]),
                                            np.float64).reshape(-1)
                                 for start in range(0, len(images), SCORE_BATCH)])
        return scores

    # ------------------------------------------------------------- subclass hooks

    def _fit(self, images, epochs, batch_size, verbose):
        """Train on the checked normal images; return a history {name: [per-epoch values]}."""
        raise NotImplementedError

    def _score(self, images):
        """Scores of one chunk of checked images (at most SCORE_BATCH)."""
        raise NotImplementedError

    def state(self):
        """Every array the score depends on, by name."""
        raise NotImplementedError

    def set_state(self, arrays):
        """Restore what `state()` returned."""
        raise NotImplementedError

    # ------------------------------------------------------------------ run folders

    def save(self, run_dir, config=None, metadata=None):
        """Write the fitted detector into the run folder `run_dir`; returns the folder.

        Every file is written under a temporary name and renamed into place;
        `metadata.json`, with the SHA-256 of the arrays, comes last, so a folder with
        metadata is complete. Arrays holding NaN or inf are refused.

        Args:
            run_dir: the run folder; created if missing.
            config: the entry-shaped configuration it was trained from, if any.
            metadata: extra facts to record.
        """
        if not self.fitted:
            raise ValueError(f"This {type(self).__name__} has not been fitted; there is "
                             "nothing to save.")
        run_dir = Path(run_dir)
        arrays = self.state()
        bad = [name for name, array in arrays.items() if not np.all(np.isfinite(array))]
        if bad:
            raise DivergenceError(f"Not saving the detector in {run_dir}: {bad[0]} holds NaN "
                                  "or inf (training diverged). Nothing in the folder was "
                                  "overwritten.")
        check_writable(run_dir, f"the run folder {run_dir}")
        remove_leftovers(run_dir)
        files = [STATE_FILE, DETECTOR_FILE] + ([CONFIG_FILE] if config is not None else []) + [
            METADATA_FILE]
        with contextlib.ExitStack() as stack:
            tmp = {name: stack.enter_context(atomic_path(run_dir / name, f"{run_dir / name}"))
                   for name in reversed(files)}  # renamed last-entered first: metadata last
            with open(tmp[STATE_FILE], "wb") as stream:
                np.savez(stream, **arrays)
            tmp[DETECTOR_FILE].write_text(json.dumps(
                {"detector": type(self).__name__, "format": FORMAT,
                 "config": self.get_config()}, indent=1))
            if config is not None:
                tmp[CONFIG_FILE].write_text(yaml.safe_dump(config, sort_keys=False))
            from ganzoo.runs import library_versions

            record = {"created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                          timespec="seconds"),
                      "detector": type(self).__name__, "seed": self.seed,
                      "training": self.training_record,
                      "state_sha256": sha256_of(tmp[STATE_FILE]),
                      "versions": library_versions(), **(metadata or {})}
            tmp[METADATA_FILE].write_text(json.dumps(record, indent=2))
        return run_dir


def load(run_dir):
    """The fitted detector saved in `run_dir` by `save` (or by `entries.train`).

    Raises `RunFolderError` for a folder that holds no detector, is damaged, or was
    changed since it was saved (checksum).
    """
    run_dir = Path(run_dir)
    if not (run_dir / DETECTOR_FILE).is_file() or not (run_dir / STATE_FILE).is_file():
        hint = (" It is a GAN run folder: load it with ganzoo.runs.load_run."
                if (run_dir / "gan.json").is_file() else "")
        raise RunFolderError(f"{run_dir} is not an anomaly detector's run folder: it has no "
                             f"{DETECTOR_FILE} and {STATE_FILE}.{hint}")
    try:
        description = json.loads((run_dir / DETECTOR_FILE).read_text())
        name, config = description["detector"], description["config"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RunFolderError(f"Cannot read {run_dir / DETECTOR_FILE}: {error}. The run folder "
                             "is damaged or was not written by ganzoo.") from error
    _verify_state(run_dir)
    try:
        detector = get_detector(name).from_config(config)
    except (ValueError, TypeError) as error:
        raise RunFolderError(f"{run_dir / DETECTOR_FILE} describes a detector this version of "
                             f"ganzoo cannot build: {error}") from error
    try:
        with np.load(run_dir / STATE_FILE) as stored:
            detector.set_state({key: stored[key] for key in stored.files})
    except (OSError, ValueError, KeyError) as error:
        raise RunFolderError(f"Cannot load {run_dir / STATE_FILE}: {error}. It does not fit the "
                             f"detector in {DETECTOR_FILE}: the folder is damaged or its files "
                             "come from different runs.") from error
    detector.fitted = True
    metadata_path = run_dir / METADATA_FILE
    if metadata_path.is_file():
        detector.training_record = json.loads(metadata_path.read_text()).get("training", {})
    return detector


def _verify_state(run_dir):
    path = run_dir / METADATA_FILE
    if not path.is_file():
        return  # saved without metadata: nothing to check against
    try:
        expected = json.loads(path.read_text()).get("state_sha256")
    except (OSError, ValueError) as error:
        raise RunFolderError(f"Cannot read {path}: {error}.") from error
    if expected and sha256_of(run_dir / STATE_FILE) != expected:
        raise RunFolderError(f"{run_dir / STATE_FILE} does not match the checksum recorded in "
                             f"{METADATA_FILE}: the file was truncated, damaged or modified. "
                             "Copy the run folder again from its source, or train again.")


# ---------------------------------------------------------------- helpers for subclasses

def network_state(networks):
    """`{network name: keras.Model}` -> `{"name/000": array, ...}`, every weight in order
    (trainable and not: batch-norm statistics are part of the score)."""
    return {f"{name}/{index:03d}": np.asarray(weight)
            for name, network in networks.items()
            for index, weight in enumerate(network.get_weights())}


def set_network_state(networks, arrays):
    """Restore what `network_state` gave, checking every network's count and shapes."""
    for name, network in networks.items():
        weights = [arrays[key] for key in sorted(key for key in arrays
                                                 if key.rsplit("/", 1)[0] == name)]
        expected = network.get_weights()
        if len(weights) != len(expected) or any(
                have.shape != want.shape for have, want in zip(weights, expected)):
            raise ValueError(f"the stored weights of {name!r} do not fit its network "
                             f"({len(weights)} arrays for {len(expected)} weights)")
        network.set_weights(weights)


def image_batches(images, batch_size, seed):
    """The normal images as shuffled full batches (a fresh order every epoch, from `seed`).

    A set smaller than one batch trains on batches of its own size, so a handful of
    images (or one) still trains.
    """
    import tensorflow as tf

    batch_size = max(1, min(batch_size, len(images)))
    return (tf.data.Dataset.from_tensor_slices(images)
            .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


def seeded(seed):
    """Seed Keras' global random state (initial weights) with `seed`; see AnomalyDetector."""
    keras.utils.set_random_seed(seed)


def history_of(keras_history, prefix=""):
    """A Keras `History` as `{prefix + name: [per-epoch floats]}`."""
    return {f"{prefix}{name}": [float(value) for value in values]
            for name, values in keras_history.history.items()}


__all__ = ["AnomalyDetector", "DETECTOR", "DETECTORS", "DataError", "get_detector", "load",
           "register"]
