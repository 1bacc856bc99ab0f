"""Train a zoo entry (or any entry-shaped config) into a run folder."""

import shutil
import time
from pathlib import Path

import keras

from ganzoo import data, zoo
from ganzoo.callbacks import SampleGrid
from ganzoo.gans.optimizers import make_optimizers
from ganzoo.runs import save_run


def train(config, run_dir, epochs=None, seed=None, overwrite=False, verbose="auto",
          callbacks=()):
    """Train the GAN described by `config` and save it as a run folder; returns the GAN.

    Args:
        config: a zoo entry name or an entry dict (see `ganzoo.zoo.get_entry`).
        run_dir: the run folder to create.
        epochs, seed: override the entry's training schedule and seed.
        overwrite: replace the files of an existing run folder; otherwise refuse, so
            a finished run is never lost by accident.
        verbose: Keras' progress display (`"auto"`, 0, 1 or 2).
        callbacks: extra Keras callbacks.
    """
    config = zoo.get_entry(config) if isinstance(config, str) else zoo.validate(dict(config))
    training = config["training"] = {**config["training"]}
    if epochs is not None:
        training["epochs"] = epochs
    if seed is not None:
        training["seed"] = seed
    run_dir = Path(run_dir)
    if run_dir.exists() and any(run_dir.iterdir()):
        if not overwrite:
            raise FileExistsError(f"Run folder {run_dir} exists and is not empty; choose "
                                  "another --run-dir or pass --overwrite to replace it.")
        # the old run's grids and logs would otherwise mix with the new run's
        for folder in ("samples", "logs"):
            shutil.rmtree(run_dir / folder, ignore_errors=True)

    keras.utils.set_random_seed(training["seed"])
    dataset = data.load(**config["data"], seed=training["seed"])
    gan = zoo.build_gan(config)
    # Several steps per call to the compiled function: small (2D) models are otherwise
    # dominated by per-step overhead.
    g_optimizer, d_optimizer = make_optimizers(
        gan, training.get("learning_rate"), training.get("lr_schedule", "constant"),
        generator_steps=training["epochs"] * int(dataset.cardinality()))
    gan.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer,
                steps_per_execution=training.get("steps_per_execution", 1))
    log_dir = run_dir / "logs"
    all_callbacks = [SampleGrid(run_dir / "samples", log_dir=log_dir,
                                reference=data.mixtures.centers_of(config["data"]["source"])),
                     keras.callbacks.TensorBoard(log_dir), *callbacks]

    start = time.perf_counter()
    history = gan.fit(dataset, epochs=training["epochs"], callbacks=all_callbacks,
                      verbose=verbose)
    wall_time = time.perf_counter() - start

    batch_size = config["data"]["batch_size"]
    save_run(gan, run_dir, config, metadata={
        "seed": training["seed"],
        "epochs": training["epochs"],
        "images_seen": int(gan.g_optimizer.iterations) * batch_size,
        "wall_time_s": round(wall_time, 2),
        "final_losses": {name: values[-1] for name, values in history.history.items()},
    })
    return gan
