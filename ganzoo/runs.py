"""Run folders: a trained GAN that describes itself.

A run folder holds everything needed to sample from, evaluate, export or resume a
GAN, and nothing that needs the code that trained it:

    config.yaml        the training configuration (zoo entry plus overrides)
    metadata.json      library versions, seed, optimizer steps, wall time ...
    gan.json           the GAN's Keras config (variant, networks, optimizers)
    gan.weights.h5     weights of both networks (and the generator EMA) and both
                       optimizers' state
    generator.keras    the generator to sample from, alone, loadable with
                       keras.saving.load_model: the generator EMA when the GAN keeps
                       one (metadata.json says which: "generator_keras": "ema" or "raw")
    samples/           PNG grids written during training
    checkpoints/       step-N/ folders to resume from (see ganzoo.training.checkpoints)
    logs/              TensorBoard logs
"""

import contextlib
import datetime
import json
import platform
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
import yaml

import ganzoo
from ganzoo.gans import learning_rates  # noqa: F401  (registers ScaledSchedule for gan.json)
from ganzoo.training.checkpoints import nonfinite_variables
from ganzoo.errors import DivergenceError, RunFolderError
from ganzoo.files import atomic_path, check_writable, remove_leftovers, sha256_of
from ganzoo.gans.adversarial import updates_applied

CONFIG_FILE = "config.yaml"
METADATA_FILE = "metadata.json"
GAN_FILE = "gan.json"
WEIGHTS_FILE = "gan.weights.h5"
GENERATOR_FILE = "generator.keras"


def save_run(gan, run_dir, config=None, metadata=None):
    """Write `gan` (compiled) and its description into `run_dir`; returns the folder.

    Every file is written under a temporary name and renamed into place, and
    `metadata.json` (with the weights' SHA-256) comes last, so a run folder with
    metadata is complete. Weights holding NaN or inf are refused.

    Args:
        gan: a compiled `ganzoo.GAN`.
        run_dir: the run folder; created if missing.
        config: the training configuration to record (a dict), if any.
        metadata: extra facts to record (epochs, wall time ...).
    """
    run_dir = Path(run_dir)
    bad = nonfinite_variables(gan)
    if bad:
        raise DivergenceError(f"Not saving the run in {run_dir}: {bad[0]} holds NaN or inf "
                              "(training diverged). Nothing in the folder was overwritten.")
    check_writable(run_dir, f"the run folder {run_dir}")
    remove_leftovers(run_dir)
    files = [WEIGHTS_FILE, GAN_FILE, GENERATOR_FILE, METADATA_FILE]
    files[3:3] = [CONFIG_FILE] if config is not None else []
    # Every file goes to a temporary name first; only when all are written are they
    # renamed into place (in this order, metadata last), so a failure leaves the
    # previous run's files as they were.
    with contextlib.ExitStack() as stack:
        tmp = {name: stack.enter_context(atomic_path(run_dir / name, f"{run_dir / name}"))
               for name in reversed(files)}  # contexts exit (rename) last-entered first
        gan.save_weights(tmp[WEIGHTS_FILE])
        # The serialized GAN carries its variant, networks and compile config (optimizers).
        description = keras.saving.serialize_keras_object(gan)
        tmp[GAN_FILE].write_text(json.dumps(description, indent=1, default=_to_json))
        # The network a user of the file expects: the one `generate` runs (the EMA, if any).
        sampler = gan.inference_generator()
        sampler.save(tmp[GENERATOR_FILE])
        if config is not None:
            tmp[CONFIG_FILE].write_text(yaml.safe_dump(config, sort_keys=False))
        record = {
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
            "variant": type(gan).__name__,
            "noise_seed": gan.seed,
            "generator_steps": gan.generator_steps,
            "discriminator_steps": updates_applied(gan.d_optimizer),
            "generator_keras": "raw" if sampler is gan.generator else "ema",
            "weights_sha256": sha256_of(tmp[WEIGHTS_FILE]),
            "versions": library_versions(),
            **(metadata or {}),
        }
        tmp[METADATA_FILE].write_text(json.dumps(record, indent=2, default=_to_json))
    return run_dir


def load_run(run_dir, safe_mode=True):
    """Rebuild the compiled GAN saved in `run_dir`, with weights and optimizer state.

    Args:
        run_dir: a folder written by `save_run` (or `ganzoo train`).
        safe_mode: refuse networks that run arbitrary Python code (`Lambda` layers);
            pass False only for run folders from a source you trust (CLI: --unsafe).

    Raises `RunFolderError` for a folder that is not a run, unreadable, damaged,
    modified since it was saved (checksum), or refused by safe mode.
    """
    run_dir = Path(run_dir)
    if not is_run_dir(run_dir):
        raise RunFolderError(f"{run_dir} is not a ganzoo run folder: it has no {GAN_FILE} "
                             f"and {WEIGHTS_FILE}.")
    verify_weights(run_dir)
    try:
        description = json.loads((run_dir / GAN_FILE).read_text())
    except (OSError, ValueError) as error:
        raise RunFolderError(f"Cannot read {run_dir / GAN_FILE}: {_reason(error)}. The run "
                             "folder is damaged or was not written by ganzoo.") from error
    with _refusals(run_dir / GAN_FILE):
        gan = keras.saving.deserialize_keras_object(description, safe_mode=safe_mode)
    if not hasattr(gan, "g_optimizer"):
        raise RunFolderError(f"{run_dir / GAN_FILE} describes a {type(gan).__name__}, not a "
                             "compiled ganzoo model; the run folder was not written by ganzoo.")
    # Optimizers are built by compile, so their state loads too (unbuilt, it is skipped).
    try:
        gan.load_weights(run_dir / WEIGHTS_FILE)
    except (OSError, ValueError, KeyError) as error:
        raise RunFolderError(f"Cannot load {run_dir / WEIGHTS_FILE}: {_reason(error)}. It does "
                             f"not fit the model in {GAN_FILE}: the folder is damaged or its "
                             "files come from different runs.") from error
    return gan


def load_generator(path, safe_mode=True, use_ema=True):
    """The generator alone, from a run folder or a `.keras` file, uncompiled.

    Args:
        path: a run folder (its `generator.keras` is read) or a `.keras` file.
        safe_mode: refuse `Lambda` layers, which run arbitrary Python code from the
            file; pass False only for files from a source you trust.
        use_ema: for a run folder of a GAN with a generator EMA (whose
            `generator.keras` is the average), False gives the raw generator instead,
            from the whole run (`load_run(path).generator`).
    """
    path = Path(path)
    if path.is_dir():
        if not use_ema:
            return load_run(path, safe_mode=safe_mode).generator
        path = path / GENERATOR_FILE
    if not path.is_file():
        raise RunFolderError(f"{path} does not exist: expected a run folder or a .keras file.")
    with _refusals(path):
        return keras.saving.load_model(path, compile=False, safe_mode=safe_mode)


def verify_weights(run_dir):
    """Check `gan.weights.h5` against the SHA-256 recorded in metadata.json (if any)."""
    run_dir = Path(run_dir)
    try:
        expected = read_metadata(run_dir).get("weights_sha256")
    except FileNotFoundError:
        return  # saved without metadata: nothing to check against
    except (OSError, ValueError) as error:
        raise RunFolderError(f"Cannot read {run_dir / METADATA_FILE}: {_reason(error)}. The run "
                             "folder is damaged or was not written by ganzoo.") from error
    try:
        actual = sha256_of(run_dir / WEIGHTS_FILE)
    except OSError as error:
        raise RunFolderError(f"Cannot read {run_dir / WEIGHTS_FILE}: {_reason(error)}.") from error
    if expected and actual != expected:
        raise RunFolderError(
            f"{run_dir / WEIGHTS_FILE} does not match the checksum recorded in {METADATA_FILE} "
            "when the run was saved: the file was truncated, damaged or modified. Copy the run "
            "folder again from its source, or train again.")


def is_finished(run_dir):
    """True when `run_dir` holds a completely saved run (metadata.json is written last)."""
    return is_run_dir(run_dir) and (Path(run_dir) / METADATA_FILE).is_file()


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


@contextlib.contextmanager
def _refusals(path):
    """Turn Keras' deserialization errors into one `RunFolderError` that says what to do."""
    try:
        yield
    except RunFolderError:
        raise
    except (ValueError, TypeError, KeyError, OSError) as error:
        if "safe_mode" in str(error) or "unsafe_deserialization" in str(error):
            raise RunFolderError(
                f"{path} contains a Lambda layer, i.e. Python code that would run on loading; "
                "ganzoo refuses it in safe mode. Load it only if you trust its source: pass "
                "safe_mode=False (command line: --unsafe).") from error
        raise RunFolderError(f"Cannot rebuild the model in {path}: {_reason(error)}. It was "
                             "not written by this version of ganzoo, or is damaged.") from error


def _reason(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _to_json(value):
    # Metadata may hold NumPy scalars (history values), which json cannot write.
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Cannot record {type(value).__name__} in a run folder.")
