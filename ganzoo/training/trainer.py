"""Train a zoo entry (or any entry-shaped config) into a run folder, resumably.

While training, checkpoints go to `RUN/checkpoints/` every `checkpoint_every`
generator steps, every `checkpoint_seconds` of wall time and at each epoch end (see
`ganzoo.training.checkpoints`); Ctrl-C or SIGTERM finishes the current step, writes
one more and raises `TrainingInterrupted`. Training into a folder that holds an
unfinished run resumes from its newest good checkpoint, so after an interrupt, a crash
or `kill -9` the same command continues where the checkpoint left off.

Nothing random depends on the process: the weights' initialisation and the noise
seed follow the entry's seed, the training noise is a function of (noise seed,
generator step), and the data order of epoch e is the (e+1)-th reshuffle of
`make_dataset(config, seed)`. One generator update consumes one batch, so a run at
generator step g continues with `make_dataset(config, seed).repeat().skip(g)`:
exactly the batches an uninterrupted run sees next. (Skipping replays the input
pipeline without training: cheap for in-memory data, one read of the files per
finished epoch for a folder or TFDS dataset.) With `deterministic=True` (TensorFlow
op determinism), a run killed and resumed ends with the same weights, bit for bit,
as one never interrupted.

Under a `tf.distribute` strategy (`strategy="mirrored"` or `"multiworker"`) the
GAN is built and compiled inside the strategy's scope and the entry's batch size is
the global batch. Under "multiworker" every worker runs the same command; only the
chief writes the run folder (the others write theirs to a temporary folder, removed
at the end: Keras' multi-worker pattern, since every worker must take part in each
save).
"""

import contextlib
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

import keras
import tensorflow as tf
import yaml

from ganzoo import data, runs, zoo
from ganzoo.errors import DataError, DivergenceError, RunFolderError, TrainingInterrupted
from ganzoo.files import check_writable, exclusive_lock, write_text
from ganzoo.gans import TRANSLATOR, UPSCALER
from ganzoo.gans.input_checks import describe_mismatch
from ganzoo.gans.learning_rates import set_learning_rate_scale
from ganzoo.gans.optimizers import make_optimizers
from ganzoo.gans.paired import PairedModel
from ganzoo.training.callbacks import (PairedTranslationGrid, SampleGrid, TranslationGrid,
                                       UpscaleGrid)
from ganzoo.training.checkpoints import CHECKPOINT_DIR, CheckpointStore, PeriodicCheckpoint
from ganzoo.training.distribute import is_chief, make_strategy, precision_policy, strategy_name
from ganzoo.training.guard import DivergenceGuard
from ganzoo.training.interrupts import StopOnSignal

DEFAULT_CHECKPOINT_EVERY = 200
DEFAULT_CHECKPOINT_SECONDS = 300
# Held (flock) by the process training into the folder; the OS releases it on exit.
LOCK_FILE = ".train.lock"


def make_dataset(config, seed):
    """A fresh dataset of one epoch of the entry's training data, shuffled from `seed`.

    The only place training builds its data. Each iteration reshuffles, so a fresh
    dataset's (e+1)-th pass is epoch e's order, in any process.
    """
    return zoo.load_dataset(config, seed)


def train(config, run_dir, epochs=None, seed=None, overwrite=False, verbose="auto",
          callbacks=(), *, checkpoint_every=DEFAULT_CHECKPOINT_EVERY,
          checkpoint_seconds=DEFAULT_CHECKPOINT_SECONDS, keep_checkpoints=2, guard=True, deterministic=False, resume=True, strategy="default",
          mixed_precision=None):
    """Train the GAN described by `config` into the run folder `run_dir`; returns the GAN.

    Args:
        config: a zoo entry name or an entry dict (see `ganzoo.zoo.get_entry`).
        run_dir: the run folder. If it holds an unfinished run of the same
            configuration, training resumes from its newest good checkpoint.
        epochs, seed: override the entry's training schedule and seed.
        overwrite: replace the files of an existing run folder; otherwise refuse, so
            a finished run is never lost by accident.
        verbose: Keras' progress display (`"auto"`, 0, 1 or 2).
        callbacks: extra Keras callbacks.
        checkpoint_every: generator steps between checkpoints (rounded up to a
            multiple of the steps run per call, see `steps_per_execution`).
        checkpoint_seconds: wall-time seconds after which the next batch boundary
            checkpoints too (None: steps and epoch ends only). Every epoch end also
            checkpoints.
        keep_checkpoints: how many of the newest checkpoints to keep.
        guard: True for a `DivergenceGuard` with its defaults, a dict of its
            options (`rules`, `max_retries`, `lr_factor` ...), or False for none.
        deterministic: turn on TensorFlow op determinism (for the rest of the
            process), so results do not depend on thread timing.
        resume: continue an unfinished run found in `run_dir`; False refuses it.
        strategy: `"default"` (one device), `"mirrored"` (all local GPUs),
            `"multiworker"` (the cluster in `TF_CONFIG`; see `ganzoo.training.distribute`) or
            a `tf.distribute.Strategy`. A multi-worker run does not resume.
        mixed_precision: None, `"float16"` or `"bfloat16"`: the global Keras policy
            while the GAN is built and trained (restored afterwards); float16 also
            loss-scales both optimizers. Resuming needs the same choice.

    Raises:
        TrainingInterrupted: after SIGINT (Ctrl-C) or SIGTERM, once the running step
            has finished and a checkpoint of it is written; the same call resumes.

    Example:
        >>> gan = train("dcgan-digits", "runs/demo", epochs=5)   # again after a crash: resumes
        >>> gan = train("dcgan-digits", "runs/big", strategy="mirrored", mixed_precision="bfloat16")
    """
    # First: MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    strategy = make_strategy(strategy)
    worker_dir = None if is_chief(strategy) else Path(tempfile.mkdtemp(prefix="ganzoo-worker-"))
    try:
        with precision_policy(mixed_precision), strategy.scope():
            return _train(config, worker_dir / Path(run_dir).name if worker_dir else run_dir,
                          epochs=epochs, seed=seed, overwrite=overwrite, verbose=verbose,
                          callbacks=callbacks, checkpoint_every=checkpoint_every,
                          checkpoint_seconds=checkpoint_seconds, keep_checkpoints=keep_checkpoints, guard=guard,
                          deterministic=deterministic, resume=resume, strategy=strategy,
                          mixed_precision=mixed_precision)
    finally:
        if worker_dir is not None:
            shutil.rmtree(worker_dir, ignore_errors=True)


def _train(config, run_dir, *, epochs, seed, overwrite, verbose, callbacks, checkpoint_every,
           checkpoint_seconds, keep_checkpoints, guard, deterministic, resume, strategy, mixed_precision):
    config = _resolve_config(config, epochs, seed)
    if "distill" in config:  # a student (dcgan-digits-tiny): no GAN training of its own
        raise ValueError(f"{config['name']} is trained by distilling its teacher "
                         f"({config['distill']['teacher']}), not as a GAN: use "
                         "`ganzoo.training.distillation.distill(config, run_dir)` or "
                         "`ganzoo train ENTRY`.")
    training, name = config["training"], config["name"]
    if checkpoint_every < 1:
        raise ValueError(f"The checkpoint interval must be at least 1 step; got "
                         f"{checkpoint_every}.")
    run_dir = Path(run_dir)
    store = CheckpointStore(run_dir / CHECKPOINT_DIR, keep=keep_checkpoints)
    guard_callback = None
    if guard:  # built first: bad options are reported before anything is written
        guard_callback = DivergenceGuard(store, restart_fit=True, raise_on_stop=False,
                                         **(guard if isinstance(guard, dict) else {}))
    resuming = existing_run(run_dir, store, config, overwrite, resume)
    if resuming and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        # Every worker would have to load the same checkpoint; the others' folders are
        # temporary, so they would start afresh and the replicas would disagree.
        raise RunFolderError(f"Run folder {run_dir} holds an unfinished run; a multiworker run "
                             "cannot resume it. Pass --overwrite or choose another --run-dir.")
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    dataset = make_dataset(config, training["seed"])
    # One pass of the data, unless the entry states its epochs in steps: a few-shot set
    # of 100 images is 3 batches, and epoch-end pictures and checkpoints every 3 steps
    # would cost more than the training.
    steps_per_epoch = training.get("steps_per_epoch") or count_batches(
        dataset, f"{name}'s training data")
    gan = zoo.build_gan(config, seed=training["seed"])
    check_data_fits(dataset, gan, name)
    if "generator_from" in training:  # a resumed run's checkpoint replaces it
        start_generator_from(gan, training["generator_from"], name)
    g_optimizer, d_optimizer = make_optimizers(
        gan, training.get("learning_rate"), training.get("lr_schedule", "constant"),
        generator_steps=training["epochs"] * steps_per_epoch,
        hold_steps=training.get("lr_hold_epochs", 0) * steps_per_epoch)
    # Several steps per call to the compiled function: small (2D) models are otherwise
    # dominated by per-step overhead.
    gan.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer,
                steps_per_execution=steps_per_call(training.get("steps_per_execution", 1),
                                                   steps_per_epoch),
                jit_compile=xla_setting(training.get("jit_compile"), strategy, deterministic))

    # Only now, with data and model known to fit, is the run folder touched; one
    # training at a time: a second process would mix its checkpoints into this one's.
    with exclusive(run_dir):
        claim(run_dir, store, config, overwrite, resuming)
        config_hash = hash_config(config)
        checkpoint = store.latest()
        lr_scale = _resume(gan, store, checkpoint, config_hash, run_dir) if checkpoint else 1.0
        # A resumed run's wall time adds the segments before it, carried in the checkpoints.
        earlier_s = float(checkpoint.state.get("wall_time_s", 0.0)) if checkpoint else 0.0
        start = time.perf_counter()
        if guard_callback is not None:
            guard_callback.lr_scale = lr_scale

        def describe(model):
            epoch, batch = divmod(model.generator_steps, steps_per_epoch)
            return {"epoch": epoch, "batch": batch, "steps_per_epoch": steps_per_epoch,
                    "config_sha256": config_hash, "data_seed": training["seed"],
                    "noise_seed": model.seed, "deterministic": deterministic,
                    "lr_scale": guard_callback.lr_scale if guard_callback else lr_scale,
                    "wall_time_s": round(earlier_s + time.perf_counter() - start, 2)}

        if checkpoint is None:
            store.save(gan, describe(gan))
        log_dir = run_dir / "logs"
        stop = StopOnSignal()
        all_callbacks = [
            *([guard_callback] if guard_callback else []), stop,
            PeriodicCheckpoint(store, checkpoint_every, describe, guard=guard_callback,
                               every_seconds=checkpoint_seconds, at_epoch_end=True),
            _progress_pictures(gan, config, run_dir / "samples", log_dir),
            keras.callbacks.TensorBoard(log_dir), *callbacks]

        with stop, _xla_failures_named(gan, name):
            history = _fit_to_end(gan, config, steps_per_epoch, all_callbacks, verbose,
                                  guard_callback, stop)
        wall_time = earlier_s + time.perf_counter() - start
        if guard_callback is not None and guard_callback.failure:
            raise DivergenceError(guard_callback.failure)
        if stop.requested:
            raise interrupted_error(stop.signal_name, store.latest(), steps_per_epoch)

        batch_size = config["data"]["batch_size"]
        runs.save_run(gan, run_dir, config, metadata={
            "seed": training["seed"],
            "epochs": training["epochs"],
            "images_seen": gan.generator_steps * batch_size,
            "wall_time_s": round(wall_time, 2),
            "resumed_from_step": checkpoint.step if checkpoint else None,
            "lr_scale": guard_callback.lr_scale if guard_callback else lr_scale,
            "divergence_events": guard_callback.events if guard_callback else [],
            "final_losses": {key: values[-1] for key, values in history.history.items()},
            "strategy": strategy_name(strategy), "replicas": strategy.num_replicas_in_sync,
            "mixed_precision": mixed_precision, "jit_compile": bool(gan.jit_compile),
        })
        return gan


def _progress_pictures(gan, config, directory, log_dir):
    """The callback that draws the run's progress, on fixed held-out examples where the
    data has them (`zoo.held_out_examples`): for an upscaler, bicubic | upscaled | truth
    crops; for Pix2Pix, input | translation | target pairs; for CycleGAN, the
    translations of 8 images per domain; a fixed latent batch otherwise."""
    source = config["data"]["source"]
    if gan.kind == UPSCALER:
        return UpscaleGrid(directory, *zoo.held_out_examples(config), log_dir=log_dir)
    if isinstance(gan, PairedModel):
        return PairedTranslationGrid(directory, *zoo.held_out_examples(config), log_dir=log_dir)
    if gan.kind == TRANSLATOR:
        return TranslationGrid(directory, *zoo.held_out_examples(config), log_dir=log_dir)
    return SampleGrid(directory, log_dir=log_dir, reference=data.mixtures.centers_of(source))


def start_generator_from(gan, entry, name):
    """Set `gan`'s generator to the trained generator of zoo entry `entry`."""
    try:
        source = zoo.load(entry)
    except (KeyError, ValueError) as error:
        raise ValueError(f"{name}: training: generator_from {entry!r}: {error}") from None
    made, wanted = source.inference_generator().get_weights(), gan.generator.get_weights()
    if [w.shape for w in made] != [w.shape for w in wanted]:
        raise ValueError(f"{name}: training: generator_from {entry!r}: that entry's generator "
                         f"({len(made)} weight arrays) is not this entry's ({len(wanted)}); "
                         "their model: sections must build the same generator.")
    for network in (gan.generator, gan.generator_ema):  # an average starts there too
        if network is not None:
            network.set_weights(made)


def count_batches(dataset, what):
    """Batches in one pass of `dataset`, refusing empty and endless datasets."""
    count = int(dataset.cardinality())
    if count == tf.data.INFINITE_CARDINALITY:
        raise DataError(f"{what} repeats forever; training needs epochs of known length: "
                        "remove .repeat() (ganzoo repeats it itself).")
    if count == tf.data.UNKNOWN_CARDINALITY:  # e.g. after .filter(): count once
        count = int(dataset.reduce(0, lambda total, _: total + 1))
    if count == 0:
        raise DataError(f"{what} is empty: it yields no batch. Check the source (an empty "
                        "folder, or a filter that drops everything) and that it has at least "
                        "one full batch of images.")
    return count


def check_data_fits(dataset, gan, name):
    """Refuse data whose samples' shape or dtype the GAN cannot train on, before training."""
    spec = dataset.element_spec
    if isinstance(gan, PairedModel):
        # aligned (inputs, targets): the model's own checks (an upscaler's targets are
        # `scale` times its inputs), run on the batches' static shapes
        try:
            tf.function(gan.checked_pair, autograph=False).get_concrete_function(spec)
        except ValueError as error:
            raise DataError(f"{name}: the training data does not fit the model: {error}"
                            ) from None
        return
    # A translator trains on (domain A, domain B) pairs; a GAN on samples or (samples, labels).
    domains = spec if gan.kind == TRANSLATOR and isinstance(spec, tuple) else (spec,)
    for domain in domains:
        samples = domain[0] if isinstance(domain, tuple) else domain
        problem = describe_mismatch(samples.shape[1:], samples.dtype, gan.data_shape)
        if problem:
            raise DataError(f"{name}: the training data does not fit the model: {problem}")


def steps_per_call(requested, steps_per_epoch):
    """The largest divisor of `steps_per_epoch` not above `requested`.

    Keras runs callbacks only between calls, so whole calls per epoch keep epochs,
    checkpoints and the resume position on batch boundaries of the same epoch.
    """
    largest = max(1, min(requested, steps_per_epoch))
    return max(d for d in range(1, largest + 1) if steps_per_epoch % d == 0)


def xla_setting(requested, strategy, deterministic):
    """`compile`'s `jit_compile` for the entry's `training: jit_compile`.

    Unset: Keras' "auto" (XLA on GPUs, never on a CPU-only machine). True: XLA, where
    it can run: not across replicas (TensorFlow 2.21 fails a forced XLA step under
    MirroredStrategy) nor with op determinism (which XLA does not promise); there
    "auto", which turns XLA off. False: never XLA.
    """
    if requested is None:
        return "auto"
    if requested and (strategy.num_replicas_in_sync > 1 or deterministic):
        return "auto"
    return bool(requested)


def xla_failure(error):
    """The line of a TensorFlow error that says why XLA could not compile a step, or
    None when the error is not XLA's."""
    return next((line.strip() for line in str(error).splitlines()
                 if "XLA" in line or "xla" in line), None)


@contextlib.contextmanager
def _xla_failures_named(gan, name):
    """An XLA step that does not compile, as an error naming the setting to remove,
    not TensorFlow's graph dump."""
    try:
        yield
    except tf.errors.InvalidArgumentError as error:
        reason = xla_failure(error)
        if not gan.jit_compile or reason is None:
            raise
        # XLA compiles at the first step, so the run folder holds no trained step yet
        raise ValueError(f"{name}: XLA cannot compile this model's training step "
                         f"({reason[:200]}). Remove training: jit_compile from the "
                         "entry and start the run again with --overwrite.") from None


def _resolve_config(config, epochs, seed):
    config = zoo.get_entry(config) if isinstance(config, str) else zoo.validate(dict(config))
    overrides = {key: value for key, value in (("epochs", epochs), ("seed", seed))
                 if value is not None}
    if not overrides:
        return config
    config = {**config, "training": {**config["training"], **overrides}}
    # checked again: the entry's schedule must still fit (lr_hold_epochs < epochs)
    given = ", ".join(f"{key}={value}" for key, value in overrides.items())
    return zoo.validate(config, source=f"{config['name']} with {given}")


def existing_run(run_dir, store, config, overwrite, resume):
    """True to resume the run in `run_dir`, False for a new run; raises to refuse.

    Writes nothing: a bad configuration found later leaves the folder as it was.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise FileExistsError(f"{run_dir} is a file, not a run folder; choose another --run-dir.")
    if not run_dir.is_dir() or overwrite:
        return False
    if not any(path.name != LOCK_FILE for path in run_dir.iterdir()):
        return False  # empty, or another training has only just claimed it (see exclusive)
    if runs.is_finished(run_dir):
        raise FileExistsError(f"Run folder {run_dir} holds a finished run; pass --new for a "
                              "new folder, --run-dir for one of your choice, or --overwrite "
                              "to replace it.")
    if not store.paths():
        raise FileExistsError(f"Run folder {run_dir} exists, is not empty and holds no ganzoo "
                              "checkpoint to resume from; choose another --run-dir or pass "
                              "--overwrite to replace its contents.")
    if not resume:
        raise FileExistsError(f"Run folder {run_dir} holds an unfinished run; resume it (the "
                              "default), choose another --run-dir or pass --overwrite.")
    _check_same_config(run_dir, config)
    return True


@contextlib.contextmanager
def exclusive(run_dir):
    """Hold the run folder for this process while the block runs (see `exclusive_lock`)."""
    check_writable(run_dir, f"the run folder {run_dir}")
    with exclusive_lock(run_dir / LOCK_FILE,
                        f"Run folder {run_dir} is in use by another training; wait for it to "
                        "end (then the same command resumes or refuses a finished run), or "
                        "choose another --run-dir"):
        yield


def claim(run_dir, store, config, overwrite, resuming):
    """Make `run_dir` ready: cleared with `overwrite`, its config recorded."""
    if resuming:
        if store.latest() is None:
            raise RunFolderError(f"None of the checkpoints in {store.directory} is usable (see "
                                 "the warnings above); pass --overwrite to start again.")
        return
    if overwrite:
        # The old run's grids, logs and checkpoints would otherwise mix with the new
        # run's; without its metadata it no longer counts as finished.
        for folder in ("samples", "logs", CHECKPOINT_DIR):
            shutil.rmtree(run_dir / folder, ignore_errors=True)
        (run_dir / runs.METADATA_FILE).unlink(missing_ok=True)
    write_text(run_dir / runs.CONFIG_FILE, yaml.safe_dump(config, sort_keys=False),
               f"{run_dir / runs.CONFIG_FILE}")


def _check_same_config(run_dir, config):
    try:
        recorded = runs.read_config(run_dir)
    except (OSError, ValueError) as error:
        raise RunFolderError(f"Cannot read {run_dir / runs.CONFIG_FILE} of the unfinished run: "
                             f"{error}; pass --overwrite to start again.") from error
    current = json.loads(json.dumps(config))  # lists, as YAML reads them back
    if recorded is None or recorded == current:
        return
    changed = _differences(recorded, current)
    raise RunFolderError(f"Run folder {run_dir} holds an unfinished run of another configuration "
                         f"({'; '.join(changed[:5]) or 'the entry differs'}); resuming would mix "
                         "two trainings. Run the same command as before, choose another "
                         "--run-dir, or pass --overwrite to start again.")


def _differences(old, new, prefix=""):
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [f"{prefix or 'config'}: {old!r} before, {new!r} now"]
    return [line for key in {**old, **new}
            for line in _differences(old.get(key), new.get(key),
                                     f"{prefix}.{key}" if prefix else key)]


def _resume(gan, store, checkpoint, config_hash, run_dir):
    """Load the checkpoint into `gan`; returns the learning-rate scale it was saved with."""
    state = checkpoint.state
    if state.get("config_sha256") not in (None, config_hash):
        raise RunFolderError(f"Checkpoint {checkpoint.path} was written by another configuration "
                             f"than {run_dir / runs.CONFIG_FILE}; pass --overwrite to start again.")
    store.restore(gan, checkpoint)
    # The noise seed is fixed by the entry's seed already; the record makes it certain.
    gan.seed = int(state.get("noise_seed", gan.seed))
    lr_scale = float(state.get("lr_scale", 1.0))
    set_learning_rate_scale(gan, lr_scale, restored_scale=lr_scale)
    print(f"Resuming {run_dir} from checkpoint step {checkpoint.step} "
          f"({_position(checkpoint.step, state.get('steps_per_epoch'))}).")
    return lr_scale


class _RunCallbacks(keras.callbacks.CallbackList):
    # Training may take several `fit` calls (finish an interrupted epoch first, restart
    # after the guard restored a checkpoint); callbacks see one training from begin to end.

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def begin(self):
        super().on_train_begin()

    def end(self):
        super().on_train_end()


def _fit_to_end(gan, config, steps_per_epoch, callbacks, verbose, guard, stop):
    """`fit` from the GAN's current step to the last epoch; returns the History."""
    epochs, seed = config["training"]["epochs"], config["training"]["seed"]
    run_callbacks = _RunCallbacks(callbacks, add_history=True, add_progbar=verbose != 0,
                                  verbose=verbose, epochs=epochs, steps=steps_per_epoch, model=gan)
    run_callbacks.begin()
    while True:
        step = gan.generator_steps
        epoch, batch = divmod(step, steps_per_epoch)
        if epoch >= epochs or stop.requested:
            break
        # An interrupted epoch is finished in a fit of its own, so Keras' epochs stay the
        # data's epochs (epoch-end pictures and logs land where they belong).
        steps = steps_per_epoch - batch
        run_callbacks.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})
        gan.fit(make_dataset(config, seed).repeat().skip(step), initial_epoch=epoch,
                epochs=epoch + 1 if batch else epochs, steps_per_epoch=steps,
                callbacks=run_callbacks, verbose=verbose, shuffle=False)
        if guard is not None and guard.restart_requested:
            guard.restart_requested = False  # back at a checkpoint: continue from there
            continue
        if gan.stop_training:
            break
    run_callbacks.end()
    return gan.history


def interrupted_error(signal_name, checkpoint, steps_per_epoch):
    return TrainingInterrupted(
        f"{signal_name} received: stopped at generator step {checkpoint.step} "
        f"({_position(checkpoint.step, steps_per_epoch)}); checkpoint {checkpoint.path}",
        checkpoint=checkpoint.path, signal_name=signal_name)


def _position(step, steps_per_epoch):
    """A generator step as Keras counts epochs (from 1): 'epoch 5, batch 25'."""
    if not steps_per_epoch:
        return "position unrecorded"
    epoch, batch = divmod(step, steps_per_epoch)
    return f"epoch {epoch + 1}, batch {batch}"


def hash_config(config):
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
