"""Ctrl-C and SIGTERM lose nothing: the step finishes, a checkpoint is written, and the
same command resumes; checkpoints also come by wall time and at each epoch end."""

import os
import re
import shlex
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
import yaml

from ganzoo.errors import TrainingInterrupted
from ganzoo.training import train
from ganzoo.training.checkpoints import CheckpointStore, PeriodicCheckpoint
from ganzoo.training.interrupts import StopOnSignal
from helpers import STEPS_PER_EPOCH, assert_same_weights, tiny_config
from test_resume import checkpoint_steps


class SignalAt(keras.callbacks.Callback):
    """Sends `signum` to this process once training reaches generator step `step`."""

    def __init__(self, step, signum):
        super().__init__()
        self.step, self.signum, self.sent = step, signum, False

    def on_train_batch_end(self, batch, logs=None):
        if not self.sent and self.model.generator_steps >= self.step:
            self.sent = True
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_checkpoints_the_current_step_and_the_same_call_resumes(tmp_path, signum):
    config = tiny_config(epochs=2)
    with pytest.raises(TrainingInterrupted) as interrupt:
        train(config, tmp_path / "stopped", verbose=0, checkpoint_every=1000,
              deterministic=True, callbacks=[SignalAt(30, signum)])
    # The signal comes after step 30's stop check (the callbacks run in order), so step
    # 31 is under way: it finishes and is saved, and nothing is lost.
    assert checkpoint_steps(tmp_path / "stopped")[-1] == 31
    assert interrupt.value.checkpoint == tmp_path / "stopped" / "checkpoints" / "step-000000031"
    assert signal.Signals(signum).name in str(interrupt.value)
    assert "epoch 1, batch 31" in str(interrupt.value)
    assert not (tmp_path / "stopped" / "metadata.json").exists()  # not a finished run
    # the handlers are the previous ones again
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    gan = train(config, tmp_path / "stopped", verbose=0, checkpoint_every=1000,
                deterministic=True)
    assert gan.generator_steps == 2 * STEPS_PER_EPOCH
    train(config, tmp_path / "whole", verbose=0, checkpoint_every=1000, deterministic=True)
    assert_same_weights(tmp_path / "stopped", tmp_path / "whole")


def test_a_second_signal_stops_at_once():
    with StopOnSignal() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested and stop.signal_name == "SIGINT"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class AdvanceClock(keras.callbacks.Callback):
    def __init__(self, clock, at_steps, seconds):
        super().__init__()
        self.clock, self.at_steps, self.seconds = clock, at_steps, seconds

    def on_train_batch_end(self, batch, logs=None):
        if self.model.generator_steps in self.at_steps:
            self.clock.now += self.seconds


def tiny_gan_and_data():
    import ganzoo

    gan = ganzoo.VanillaGAN(data_shape=(8, 8, 1), latent_dim=8, hidden_units=(16,), seed=0)
    gan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (80, 8, 8, 1)).astype("float32")
    return gan, images


def test_checkpoints_come_by_wall_time_and_at_each_epoch_end(tmp_path):
    gan, images = tiny_gan_and_data()  # 10 batches of 8 per epoch
    clock = Clock()
    store = CheckpointStore(tmp_path, keep=100)
    checkpoints = PeriodicCheckpoint(store, every=1000, every_seconds=300, at_epoch_end=True,
                                     clock=clock)
    # 299 s pass by step 3 (not yet due), 2 s more by step 4, 400 s by step 13
    advance = [AdvanceClock(clock, {3}, 299), AdvanceClock(clock, {4}, 2),
               AdvanceClock(clock, {13}, 400)]
    gan.fit(images, batch_size=8, epochs=2, verbose=0, shuffle=False,
            callbacks=[*advance, checkpoints])
    assert [int(path.name[5:]) for path in store.paths()] == [0, 4, 10, 13, 20]


def test_step_checkpoints_land_on_multiples_of_the_interval(tmp_path):
    gan, images = tiny_gan_and_data()
    store = CheckpointStore(tmp_path, keep=100)
    gan.fit(images, batch_size=8, epochs=2, verbose=0, shuffle=False,
            callbacks=[PeriodicCheckpoint(store, every=6, at_epoch_end=True)])
    # the epoch-end checkpoint (10) does not shift the multiples of 6
    assert [int(path.name[5:]) for path in store.paths()] == [0, 6, 10, 12, 18, 20]


def test_ctrl_c_on_the_command_line_prints_one_line_and_the_same_command_resumes(tmp_path):
    config = {**tiny_config(epochs=60), "name": "tiny-interrupted"}
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "ganzoo", "train", "--config", "tiny.yaml"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().startswith(f"Run folder: {os.path.join('runs', config['name'])}")
    for line in process.stdout:  # Keras' progress: training is under way after epoch 2
        if "Epoch 3/60" in line:
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    message = stderr.strip().splitlines()[-1]
    step = int(re.search(r"stopped at generator step (\d+)", message).group(1))
    assert step > 2 * STEPS_PER_EPOCH
    assert f"checkpoint {os.path.join('runs', config['name'], 'checkpoints')}" in message
    resume = message.split("Resume with: ")[1]
    assert resume == "ganzoo train --config tiny.yaml"

    resumed = subprocess.run([sys.executable, "-m", *shlex.split(resume)], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"from checkpoint step {step} " in resumed.stdout
    assert checkpoint_steps(tmp_path / "runs" / config["name"])[-1] == 60 * STEPS_PER_EPOCH


@pytest.mark.parametrize("argv, resume", [
    (["train", "dcgan-digits", "--epochs", "3"], "ganzoo train dcgan-digits --epochs 3"),
    # --overwrite again would delete the checkpoint the interrupt just wrote
    (["train", "dcgan-digits", "--overwrite", "--run-dir", "my run"],
     "ganzoo train dcgan-digits --run-dir 'my run'"),
    # --new again would start a third folder: name the one it made
    (["train", "dcgan-digits", "--new"], "ganzoo train dcgan-digits --run-dir runs/new-folder"),
])
def test_the_resume_command_never_starts_afresh(argv, resume):
    from ganzoo.cli import _parser, _resume_command

    args = _parser().parse_args(argv)
    args.run_dir = args.run_dir or "runs/new-folder"
    assert _resume_command(argv, args) == resume
