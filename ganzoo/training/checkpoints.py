"""Checkpoints inside a run folder, written so that a crash never breaks one.

A checkpoint describes itself (nanoGPT style): a folder `checkpoints/step-000000200/`
with

    gan.weights.h5   both networks and both optimizers' state (incl. step counters)
    state.json       the generator step, the data position (epoch, batch), the
                     config hash, seeds, learning-rate scale, weights checksum

It is written to a temporary folder and renamed into place, so a kill mid-write leaves
the previous checkpoint as the newest. Weights holding NaN or inf are never written.
The training randomness is a function of (noise seed, generator step), and the data
order a function of (data seed, position), so this is all a resume needs.

Example:
    >>> store = CheckpointStore("runs/demo/checkpoints")
    >>> gan.fit(ds, callbacks=[PeriodicCheckpoint(store, every=200)])
    >>> store.restore(gan)           # the newest good checkpoint
"""

import dataclasses
import datetime
import json
import shutil
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from ganzoo.errors import DivergenceError, RunFolderError
from ganzoo.files import atomic_folder, remove_leftovers, sha256_of

CHECKPOINT_DIR = "checkpoints"
WEIGHTS_FILE = "gan.weights.h5"
STATE_FILE = "state.json"
PREFIX = "step-"
BROKEN_PREFIX = "broken-"


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """One saved checkpoint: its folder and its state record."""

    path: Path
    state: dict

    @property
    def step(self):
        return int(self.state["step"])


def float_variables(gan):
    """(owner, variable) for every float variable of the model and both optimizers."""
    owners = {"model": gan.weights, "g_optimizer": gan.g_optimizer.variables,
              "d_optimizer": gan.d_optimizer.variables}
    return [(owner, variable) for owner, variables in owners.items() for variable in variables
            if keras.backend.standardize_dtype(variable.dtype).startswith(("float", "bfloat"))]


def nonfinite_variables(gan):
    """Paths of the model's and optimizers' float variables that hold NaN or inf."""
    return [f"{owner} variable {variable.path}" for owner, variable in float_variables(gan)
            if not np.isfinite(keras.ops.convert_to_numpy(variable)).all()]


class CheckpointStore:
    """The checkpoints of one training run, newest last.

    Args:
        directory: the checkpoints folder (usually `RUN/checkpoints`); created on save.
        keep: how many of the newest checkpoints to keep (at least 1).

    Example:
        >>> store = CheckpointStore(run_dir / "checkpoints", keep=2)
        >>> store.save(gan, {"epoch": 3, "batch": 0})
        >>> store.latest().step
    """

    def __init__(self, directory, keep=2):
        if keep < 1:
            raise ValueError(f"keep must be at least 1; got {keep}.")
        self.directory = Path(directory)
        self.keep = int(keep)

    def save(self, gan, state=None):
        """Write a checkpoint of `gan` at its current generator step; returns it.

        Raises `DivergenceError` (and writes nothing) when a weight is NaN or inf, and
        `StorageError` when the disk refuses (the earlier checkpoints stay intact).
        """
        step = gan.generator_steps
        bad = nonfinite_variables(gan)
        if bad:
            latest = self.latest()
            where = (f"the last good checkpoint is {latest.path} (step {latest.step})"
                     if latest else "there is no earlier checkpoint")
            raise DivergenceError(
                f"Not checkpointing step {step}: {bad[0]}"
                f"{f' and {len(bad) - 1} more variables' if len(bad) > 1 else ''} hold NaN or "
                f"inf, so training has diverged; {where}. Lower the learning rate and train again.")
        path = self.directory / f"{PREFIX}{step:09d}"
        if path.exists():
            try:
                return self.load(path)  # this step is saved already (e.g. after a restore)
            except RunFolderError:
                self._set_aside(path)
        self.directory.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.directory)
        with atomic_folder(path, f"checkpoint step {step} to {self.directory}") as tmp:
            gan.save_weights(tmp / WEIGHTS_FILE)
            record = {**(state or {}), "step": step,
                      "weights_sha256": sha256_of(tmp / WEIGHTS_FILE),
                      "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                          timespec="seconds")}
            (tmp / STATE_FILE).write_text(json.dumps(record, indent=2))
        self._prune()
        return Checkpoint(path, record)

    def paths(self):
        """Checkpoint folders, oldest first (by step)."""
        if not self.directory.is_dir():
            return []
        found = [p for p in self.directory.iterdir()
                 if p.is_dir() and p.name.startswith(PREFIX) and p.name[len(PREFIX):].isdigit()]
        return sorted(found, key=lambda p: int(p.name[len(PREFIX):]))

    def load(self, path):
        """Read and verify one checkpoint folder; `RunFolderError` if it is damaged."""
        path = Path(path)
        try:
            state = json.loads((path / STATE_FILE).read_text())
            expected = state["weights_sha256"]
            int(state["step"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RunFolderError(f"Checkpoint {path} is unreadable or not a ganzoo checkpoint "
                                 f"({type(error).__name__}: {error}).") from error
        try:
            actual = sha256_of(path / WEIGHTS_FILE)
        except OSError as error:
            raise RunFolderError(f"Checkpoint {path} has no readable {WEIGHTS_FILE} "
                                 f"({error.strerror or error}).") from error
        if actual != expected:
            raise RunFolderError(f"Checkpoint {path}: {WEIGHTS_FILE} does not match the checksum "
                                 "recorded when it was written (truncated or modified).")
        return Checkpoint(path, state)

    def latest(self):
        """The newest checkpoint that verifies, or None.

        A damaged newer one is renamed `broken-step-...` (kept for inspection, never
        used) with a warning, and the next older one is used instead.
        """
        for path in reversed(self.paths()):
            try:
                return self.load(path)
            except RunFolderError as error:
                warnings.warn(f"{error} Falling back to an older checkpoint.", stacklevel=2)
                self._set_aside(path)
        return None

    def restore(self, gan, checkpoint=None):
        """Load a checkpoint (default: the newest good one) into the compiled `gan`; returns it."""
        checkpoint = checkpoint or self.latest()
        if checkpoint is None:
            raise RunFolderError(f"No usable checkpoint in {self.directory}.")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                gan.load_weights(checkpoint.path / WEIGHTS_FILE)
            except (OSError, ValueError, KeyError) as error:
                raise RunFolderError(
                    f"Checkpoint {checkpoint.path} does not fit this model ({error}); was it "
                    "written with another configuration? Use another --run-dir, or --overwrite "
                    "to start again.") from error
        skipped = [str(w.message) for w in caught if "Skipping variable loading" in str(w.message)]
        if skipped:
            # Keras only warns when optimizer state does not fit; a resume would then
            # silently restart Adam's moments.
            raise RunFolderError(f"Checkpoint {checkpoint.path} does not fit this model's "
                                 f"optimizers: {skipped[0]}")
        for warning in caught:
            if "Skipping variable loading" not in str(warning.message):
                warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                       warning.lineno)
        return checkpoint

    def _prune(self):
        for path in self.paths()[:-self.keep]:
            shutil.rmtree(path, ignore_errors=True)

    def _set_aside(self, path):
        try:
            path.rename(path.with_name(BROKEN_PREFIX + path.name))
        except OSError:
            pass  # a read-only folder: it is skipped all the same


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Save a checkpoint every `every` generator steps, every `every_seconds` of wall
    time, at each epoch end (optional) and at the end of training.

    Step checkpoints land on multiples of `every` (step-000000200, step-000000400 ...);
    Keras runs batch callbacks once per `steps_per_execution` steps, so each lands on
    the first such boundary at or after the multiple. The wall-time rule bounds what a
    crash loses on slow steps; the epoch-end rule what it loses on short epochs.

    Args:
        store: a `CheckpointStore`, or a folder for one.
        every: generator steps between checkpoints.
        every_seconds: wall-time seconds after which the next batch boundary saves
            (None: no wall-time rule).
        at_epoch_end: also save at the end of every epoch.
        describe: optional `describe(gan) -> dict` of extra state to record (data
            position, config hash ...).
        guard: optional `DivergenceGuard`; it checks the weights before each checkpoint
            and no checkpoint is written while it reports trouble, so a checkpoint is
            always a good one.
        clock: the wall-time clock in seconds (`time.monotonic`).

    Example:
        >>> gan.fit(ds, epochs=5, callbacks=[PeriodicCheckpoint("run/checkpoints", 100)])
    """

    def __init__(self, store, every=200, describe=None, guard=None, *, every_seconds=None,
                 at_epoch_end=False, clock=time.monotonic):
        super().__init__()
        if every < 1:
            raise ValueError(f"The checkpoint interval must be at least 1 step; got {every}.")
        if every_seconds is not None and every_seconds <= 0:
            raise ValueError(f"The checkpoint wall-time interval must be positive; got "
                             f"{every_seconds} s.")
        self.store = store if isinstance(store, CheckpointStore) else CheckpointStore(store)
        self.every, self.describe, self.guard = int(every), describe, guard
        self.every_seconds, self.at_epoch_end, self.clock = every_seconds, at_epoch_end, clock
        self.last_step = None
        self.last_time = clock()

    def on_train_begin(self, logs=None):
        latest = self.store.latest()
        if latest is None or latest.step != self._step():
            latest = self._save()
        self.last_step = latest.step if latest else self._step()
        self.last_time = self.clock()

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        if self.last_step is None or step < self.last_step:  # the guard went back in time
            self.last_step = step
        if step // self.every > self.last_step // self.every or (
                self.every_seconds is not None and step > self.last_step
                and self.clock() - self.last_time >= self.every_seconds):
            self._save()

    def on_epoch_end(self, epoch, logs=None):
        if self.at_epoch_end:
            self._save_if_new()

    def on_train_end(self, logs=None):
        self._save_if_new()

    def _save_if_new(self):
        if self.last_step is None or self._step() > self.last_step:
            self._save()

    def _save(self):
        if self.guard is not None and not self.guard.confirm_healthy():
            return None
        checkpoint = self.store.save(self.model, self.describe(self.model) if self.describe else {})
        self.last_step, self.last_time = checkpoint.step, self.clock()
        return checkpoint

    def _step(self):
        return self.model.generator_steps
