"""Run folders: a trained GAN that describes itself.

A run folder holds everything needed to sample from, evaluate, export or resume a
GAN, and nothing that needs the code that trained it:

    config.yaml        the training configuration (zoo entry plus overrides)
    metadata.json      library versions, seed, optimizer steps, wall time ...
    gan.json           the GAN's Keras config (variant, networks, optimizers)
    gan.weights.h5     weights of both networks and both optimizers' state
    generator.keras    the generator alone, loadable with keras.saving.load_model
    samples/           PNG grids written during training
    logs/              TensorBoard logs
"""

import datetime
import json
import platform
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

import ganzoo

CONFIG_FILE = "config.yaml"
METADATA_FILE = "metadata.json"
GAN_FILE = "gan.json"
WEIGHTS_FILE = "gan.weights.h5"
GENERATOR_FILE = "generator.keras"


def save_run(gan, run_dir, config=None, metadata=None):
    """Write `gan` (compiled) and its description into `run_dir`; returns the folder.

    Args:
        gan: a compiled `ganzoo.GAN`.
        run_dir: the run folder; created if missing.
        config: the training configuration to record (a dict), if any.
        metadata: extra facts to record (epochs, wall time ...).
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    # The serialized GAN carries its variant, networks and compile config (optimizers).
    description = keras.saving.serialize_keras_object(gan)
    (run_dir / GAN_FILE).write_text(json.dumps(description, indent=1, default=_to_json))
    gan.save_weights(run_dir / WEIGHTS_FILE)
    gan.generator.save(run_dir / GENERATOR_FILE)
    if config is not None:
        (run_dir / CONFIG_FILE).write_text(yaml.safe_dump(config, sort_keys=False))
    record = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "variant": type(gan).__name__,
        "noise_seed": gan.seed,
        "generator_steps": int(gan.g_optimizer.iterations),
        "discriminator_steps": int(gan.d_optimizer.iterations),
        "versions": library_versions(),
        **(metadata or {}),
    }
    (run_dir / METADATA_FILE).write_text(json.dumps(record, indent=2, default=_to_json))
    return run_dir


def load_run(run_dir):
    """Rebuild the compiled GAN saved in `run_dir`, with weights and optimizer state."""
    run_dir = Path(run_dir)
    if not is_run_dir(run_dir):
        raise ValueError(f"{run_dir} is not a ganzoo run folder: it has no {GAN_FILE} "
                         f"and {WEIGHTS_FILE}.")
    gan = keras.saving.deserialize_keras_object(json.loads((run_dir / GAN_FILE).read_text()))
    # Optimizers are built by compile, so their state loads too (unbuilt, it is skipped).
    gan.load_weights(run_dir / WEIGHTS_FILE)
    return gan


def is_run_dir(path):
    path = Path(path)
    return (path / GAN_FILE).is_file() and (path / WEIGHTS_FILE).is_file()


def read_config(run_dir):
    """The training configuration recorded in `run_dir`, or None if there is none."""
    path = Path(run_dir) / CONFIG_FILE
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def read_metadata(run_dir):
    return json.loads((Path(run_dir) / METADATA_FILE).read_text())


def library_versions():
    return {"ganzoo": ganzoo.__version__, "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def _to_json(value):
    # Metadata may hold NumPy scalars (history values), which json cannot write.
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Cannot record {type(value).__name__} in a run folder.")
