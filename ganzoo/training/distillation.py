"""Distil a teacher's generator into a smaller student, into a run folder, resumably.

The config is an entry with a `distill:` section (`ganzoo.zoo.students.student_config`
writes one; zoo_configs/dcgan-digits-tiny.yaml is one): `model:` is the student,
`distill: teacher` the zoo entry or run folder to imitate, `training:` the schedule in
steps (`epochs` x `steps_per_epoch`; an epoch is just a checkpoint and picture interval,
since the latents never repeat). The finished run folder is the student GAN's, as
`ganzoo train` writes it: `ganzoo sample`, `ganzoo eval` and `ganzoo-export` read it
unchanged. Its discriminator is the student family's, untrained: distillation trains
the generator only.

Checkpoints, Ctrl-C and resuming work as in `ganzoo.training.trainer` (the same run
folder rules and checkpoint store); the latents of step i are a function of (noise
seed, i), so a resumed run sees the batches an uninterrupted one would.
"""

import time
from pathlib import Path

import keras

from ganzoo import runs, zoo
from ganzoo.errors import RunFolderError
from ganzoo.gans.distill import Distiller, latent_dataset
from ganzoo.gans.optimizers import make_optimizers
from ganzoo.training import trainer
from ganzoo.training.callbacks import SampleGrid
from ganzoo.training.checkpoints import CHECKPOINT_DIR, CheckpointStore, PeriodicCheckpoint
from ganzoo.training.interrupts import StopOnSignal
from ganzoo.zoo import students
from ganzoo.zoo.catalog import DISTILL_DEFAULTS


# Held-out latents start at this batch index: no training run gets that far.
HELD_OUT_START = 2**61
HELD_OUT_BATCHES = 8
# The distill: section's defaults (schema: ganzoo.zoo.schema, section "distill").


def distill(config, run_dir, *, overwrite=False, verbose="auto", callbacks=(),
            checkpoint_every=trainer.DEFAULT_CHECKPOINT_EVERY,
            checkpoint_seconds=trainer.DEFAULT_CHECKPOINT_SECONDS, keep_checkpoints=2,
            resume=True, log=print):
    """Train the student of a distillation config into `run_dir`; returns the student GAN.

    Args:
        config: a zoo entry name or an entry dict with a `distill:` section.
        run_dir: the run folder; an unfinished run of the same config there resumes.
        overwrite: replace the files of an existing run folder.
        verbose: Keras' progress display.
        callbacks: extra Keras callbacks (they see the `Distiller`).
        checkpoint_every, checkpoint_seconds, keep_checkpoints, resume: as `ganzoo.training.train`.
        log: where the notes on the losses go (the feature loss skipped, ...).

    Raises:
        TrainingInterrupted: after Ctrl-C or SIGTERM, with a checkpoint written; the
            same call resumes.

    Example:
        >>> student = distill("dcgan-digits-tiny", "runs/tiny")
        >>> distill(students.student_config("dcgan-digits", 0.25), "runs/quarter")
    """
    config = zoo.get_entry(config) if isinstance(config, str) else zoo.validate(dict(config))
    if "distill" not in config:
        raise ValueError(f"{config['name']} has no distill: section; train it with "
                         "`ganzoo train`, or give it a teacher (distill: teacher: ENTRY).")
    section = {**DISTILL_DEFAULTS, **config["distill"]}
    training = config["training"]
    steps_per_epoch, epochs = training["steps_per_epoch"], training["epochs"]
    run_dir = Path(run_dir)
    store = CheckpointStore(run_dir / CHECKPOINT_DIR, keep=keep_checkpoints)
    resuming = trainer.existing_run(run_dir, store, config, overwrite, resume)

    distiller = build_distiller(config, section, log)
    g_optimizer, d_optimizer = make_optimizers(
        distiller, training.get("learning_rate"), training.get("lr_schedule", "constant"),
        generator_steps=epochs * steps_per_epoch,
        hold_steps=training.get("lr_hold_epochs", 0) * steps_per_epoch)
    distiller.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer)

    with trainer.exclusive(run_dir):
        trainer.claim(run_dir, store, config, overwrite, resuming)
        config_hash = trainer.hash_config(config)
        checkpoint = store.latest()
        if checkpoint is not None:
            _resume(distiller, store, checkpoint, config_hash, run_dir, log)
        earlier_s = float(checkpoint.state.get("wall_time_s", 0.0)) if checkpoint else 0.0
        start = time.perf_counter()

        def describe(model):
            epoch, batch = divmod(model.generator_steps, steps_per_epoch)
            return {"epoch": epoch, "batch": batch, "steps_per_epoch": steps_per_epoch,
                    "config_sha256": config_hash, "noise_seed": model.seed,
                    "wall_time_s": round(earlier_s + time.perf_counter() - start, 2)}

        stop = StopOnSignal()
        all_callbacks = [
            stop, PeriodicCheckpoint(store, checkpoint_every, describe,
                                     every_seconds=checkpoint_seconds, at_epoch_end=True),
            SampleGrid(run_dir / "samples", log_dir=run_dir / "logs"),
            keras.callbacks.TensorBoard(run_dir / "logs"), *callbacks]
        with stop:
            history = _fit_to_end(distiller, config, all_callbacks, verbose, stop)
        wall_time = earlier_s + time.perf_counter() - start
        if stop.requested:
            raise trainer.interrupted_error(stop.signal_name, store.latest(), steps_per_epoch)

        student = distiller.student
        # The student's run carries the distillation's optimizer (its Adam state and
        # step count); its discriminator side gets the family's default.
        student.compile(g_optimizer=distiller.g_optimizer)
        runs.save_run(student, run_dir, config, metadata={
            "seed": training["seed"], "epochs": epochs,
            "latents_seen": distiller.generator_steps * config["data"]["batch_size"],
            "wall_time_s": round(wall_time, 2),
            "resumed_from_step": checkpoint.step if checkpoint else None,
            "final_losses": {key: values[-1] for key, values in history.history.items()},
            "distillation": {**section, "feature_loss": distiller.feature_model is not None,
                             "held_out_pixel_loss": held_out_pixel_loss(distiller, config)},
        })
        return student


def build_distiller(config, section, log=print):
    """The `Distiller` of a validated distillation config: its student built from
    `model:` (seeded by the training seed), its teacher loaded, its feature model chosen."""
    seed = config["training"]["seed"]
    teacher = students.load_teacher(section["teacher"],
                                    adversarial=bool(section["adversarial_weight"]))
    student = zoo.build_gan(config, seed=seed)
    features = feature_model_for(config, student.data_shape, log) if section["feature_weight"] \
        else None
    try:
        return Distiller(student, teacher, pixel_loss=section["pixel_loss"],
                         feature_model=features, feature_weight=section["feature_weight"],
                         adversarial_weight=section["adversarial_weight"], seed=student.seed)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{config['name']}: distill: teacher {section['teacher']}: {error}"
                         ) from None


def feature_model_for(config, data_shape, log=print):
    """The frozen digits classifier's penultimate features (64, scaled as the digits
    metrics scale them) when the entry's data is what it measures (gray digits); None,
    with a note, otherwise."""
    from ganzoo.metrics.digits_classifier import FEATURE_LAYER, INPUT_SIZE, DigitsClassifier
    from ganzoo.metrics.extractors import ExtractorError

    source = config["data"]["source"]
    try:
        if len(data_shape) != 3 or data_shape[-1] != 1:
            raise ExtractorError(f"it measures gray images, and these samples have shape "
                                 f"{tuple(data_shape)}")
        classifier = DigitsClassifier()
        classifier.check_source(source)
    except ExtractorError as error:
        log(f"{config['name']}: feature loss skipped: the digits classifier does not fit this "
            f"data ({str(error).split(';')[0]}); distilling with the pixel loss alone.")
        return None
    penultimate = keras.Model(classifier.model.inputs,
                              classifier.model.get_layer(FEATURE_LAYER).output)
    images = keras.Input(data_shape, name="image")
    x = images
    if data_shape[0] != INPUT_SIZE:  # the metrics resize so too
        x = keras.layers.Resizing(INPUT_SIZE, INPUT_SIZE, interpolation="bilinear",
                                  antialias=True)(x)
    # in the units of digits-FID's features: distances here are the metric's
    features = keras.layers.Rescaling(1.0 / classifier.feature_scale)(penultimate(x))
    model = keras.Model(images, features, name="digits_penultimate_features")
    model.trainable = False
    return model


def held_out_pixel_loss(distiller, config):
    """The student's mean pixel loss to the teacher on latents no training step draws."""
    batch_size = config["data"]["batch_size"]
    held_out = latent_dataset(distiller.student.latent_dim, batch_size, distiller.seed,
                              distiller.num_classes, start=HELD_OUT_START).take(HELD_OUT_BATCHES)
    return round(float(distiller.evaluate(held_out, verbose=0, return_dict=True)["pixel_loss"]),
                 6)


def _resume(distiller, store, checkpoint, config_hash, run_dir, log):
    if checkpoint.state.get("config_sha256") not in (None, config_hash):
        raise RunFolderError(f"Checkpoint {checkpoint.path} was written by another configuration "
                             f"than {run_dir / runs.CONFIG_FILE}; pass --overwrite to start again.")
    store.restore(distiller, checkpoint)
    distiller.seed = int(checkpoint.state.get("noise_seed", distiller.seed))
    log(f"Resuming {run_dir} from checkpoint step {checkpoint.step}.")


def _fit_to_end(distiller, config, callbacks, verbose, stop):
    """`fit` from the distiller's current step to the last; an interrupted epoch is
    finished in a fit of its own, so epochs (pictures, checkpoints) stay aligned."""
    training, batch_size = config["training"], config["data"]["batch_size"]
    epochs, steps_per_epoch = training["epochs"], training["steps_per_epoch"]
    history = None
    while not stop.requested:
        step = distiller.generator_steps
        epoch, batch = divmod(step, steps_per_epoch)
        if epoch >= epochs:
            break
        latents = latent_dataset(distiller.student.latent_dim, batch_size, distiller.seed,
                                 distiller.num_classes, start=step)
        history = distiller.fit(latents, initial_epoch=epoch,
                                epochs=epoch + 1 if batch else epochs,
                                steps_per_epoch=steps_per_epoch - batch if batch else steps_per_epoch,
                                callbacks=callbacks, verbose=verbose, shuffle=False)
    return history or distiller.history
