"""Resume after a crash: checkpoints, the data position, and bit-identical weights."""

import json
import os
import signal
import subprocess
import sys
import time
import types

import numpy as np
import pytest
import yaml

from ganzoo import errors
from ganzoo.training.checkpoints import CheckpointStore
from ganzoo.training import steps_per_call, train
from ganzoo.training import trainer
from ganzoo.training.trainer import LOCK_FILE
from helpers import STEPS_PER_EPOCH, Crash, assert_same_weights, tiny_config, weight_arrays


def checkpoint_steps(run_dir):
    return [int(p.name.split("-")[1]) for p in sorted((run_dir / "checkpoints").glob("step-*"))]


def test_killed_with_sigkill_the_same_command_resumes_bit_identically(tmp_path):
    config_file = tmp_path / "tiny.yaml"
    config_file.write_text(yaml.safe_dump(tiny_config(epochs=6)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}

    def command(run_dir):
        return [sys.executable, "-m", "ganzoo.cli", "train", "--config", str(config_file),
                "--run-dir", str(run_dir), "--deterministic", "--checkpoint-every", "10"]

    killed = tmp_path / "killed"
    process = subprocess.Popen(command(killed), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # Kill mid-epoch, after a checkpoint that is not on an epoch boundary.
    while not any(s >= 50 and s % STEPS_PER_EPOCH for s in checkpoint_steps(killed)):
        assert process.poll() is None, "training ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not (killed / "metadata.json").exists()
    steps = checkpoint_steps(killed)
    newest = steps[-1]
    # Every 10 steps and each epoch end: a kill loses at most the 10 steps since the
    # newest checkpoint.
    assert all(s % 10 == 0 or s % STEPS_PER_EPOCH == 0 for s in steps)
    assert 0 < newest - steps[-2] <= 10

    resumed = subprocess.run(command(killed), env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"from checkpoint step {newest} " in resumed.stdout
    uninterrupted = tmp_path / "uninterrupted"
    subprocess.run(command(uninterrupted), env=env, capture_output=True, check=True)

    total = 6 * STEPS_PER_EPOCH
    for run in (killed, uninterrupted):
        assert json.loads((run / "metadata.json").read_text())["generator_steps"] == total
    assert json.loads((killed / "metadata.json").read_text())["resumed_from_step"] == newest
    assert not list((killed / "checkpoints").glob(".tmp-*"))
    assert_same_weights(killed, uninterrupted)


def test_resume_mid_epoch_with_several_steps_per_call_matches_an_uninterrupted_run(tmp_path):
    config = tiny_config(steps_per_execution=4)  # 44 steps per epoch: 4 per call
    train(config, tmp_path / "a", verbose=0, checkpoint_every=10)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "b", verbose=0, checkpoint_every=10, callbacks=[Crash(57)])
    # callbacks run every 4 steps, so checkpoints land on the first boundary at or after
    # each multiple of 10 (12, 20, 32, 40, 52, 60), and at the epoch end (44)
    assert checkpoint_steps(tmp_path / "b") == [52, 60]
    gan = train(config, tmp_path / "b", verbose=0, checkpoint_every=10)
    assert int(gan.g_optimizer.iterations) == 3 * STEPS_PER_EPOCH
    metadata = json.loads((tmp_path / "b" / "metadata.json").read_text())
    assert metadata["resumed_from_step"] == 60
    assert_same_weights(tmp_path / "a", tmp_path / "b")
    # epoch-end pictures still come once per data epoch
    assert sorted(p.name for p in (tmp_path / "b" / "samples").glob("epoch_*")) == [
        "epoch_001.png", "epoch_002.png", "epoch_003.png"]


def test_a_resumed_run_reports_the_wall_time_of_all_its_segments(tmp_path, monkeypatch):
    config = tiny_config(steps_per_execution=4)
    # The first segment on a clock 1000x fast: its time dwarfs the second's.
    fast = types.SimpleNamespace(perf_counter=lambda: 1000 * time.perf_counter())
    monkeypatch.setattr(trainer, "time", fast)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "run", verbose=0, checkpoint_every=10, callbacks=[Crash(57)])
    state = CheckpointStore(tmp_path / "run" / "checkpoints").latest().state
    assert state["wall_time_s"] > 100  # ~1000x the real time, a second or more
    monkeypatch.setattr(trainer, "time", time)
    started = time.perf_counter()
    # interrupted again: its checkpoints must carry the first segment's time on
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "run", verbose=0, checkpoint_every=10, callbacks=[Crash(97)])
    train(config, tmp_path / "run", verbose=0, checkpoint_every=10)
    later_segments = time.perf_counter() - started
    total = json.loads((tmp_path / "run" / "metadata.json").read_text())["wall_time_s"]
    assert state["wall_time_s"] < total <= state["wall_time_s"] + later_segments + 0.01


def test_a_resumed_run_ends_with_the_generator_average_of_an_uninterrupted_one(tmp_path):
    config = tiny_config(steps_per_execution=4)
    config["model"].update(ema_decay=0.99, ema_warmup=0.05)
    train(config, tmp_path / "a", verbose=0, checkpoint_every=10)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "b", verbose=0, checkpoint_every=10, callbacks=[Crash(57)])
    assert checkpoint_steps(tmp_path / "b") == [52, 60]
    # the checkpoint holds the average; resuming restores it bit for bit
    arrays = weight_arrays(tmp_path / "b" / "checkpoints" / "step-000000060" / "gan.weights.h5")
    assert any(name.startswith("generator_ema/") for name in arrays)
    gan = train(config, tmp_path / "b", verbose=0, checkpoint_every=10)
    assert gan.generator_steps == 3 * STEPS_PER_EPOCH
    assert json.loads((tmp_path / "b" / "metadata.json").read_text())["resumed_from_step"] == 60
    assert_same_weights(tmp_path / "a", tmp_path / "b")
    final = weight_arrays(tmp_path / "b" / "gan.weights.h5")
    averaged = {name: value for name, value in final.items() if name.startswith("generator_ema/")}
    assert averaged and any(not np.array_equal(value, final[name.replace("generator_ema/",
                                                                           "generator/")])
                            for name, value in averaged.items())


def test_epochs_stated_in_steps_run_over_a_few_shot_set_and_resume_exactly(tmp_path):
    config = tiny_config(epochs=3)
    config["data"]["num_examples"] = 100  # 3 batches of 32: a pass is 3 steps
    config["training"]["steps_per_epoch"] = 10
    train(config, tmp_path / "a", verbose=0, checkpoint_every=100)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "b", verbose=0, checkpoint_every=100, callbacks=[Crash(17)])
    assert checkpoint_steps(tmp_path / "b") == [0, 10]  # the first epoch's end
    gan = train(config, tmp_path / "b", verbose=0, checkpoint_every=100)
    assert gan.generator_steps == 30
    assert_same_weights(tmp_path / "a", tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a" / "samples").glob("epoch_*")) == [
        "epoch_001.png", "epoch_002.png", "epoch_003.png"]


@pytest.mark.parametrize("steps", [0, -3])
def test_a_non_positive_steps_per_epoch_is_refused(tmp_path, steps):
    config = tiny_config(epochs=1)
    config["training"]["steps_per_epoch"] = steps
    with pytest.raises(ValueError, match="steps_per_epoch must be at least 1"):
        train(config, tmp_path, verbose=0)
    assert not tmp_path.joinpath("checkpoints").exists()


def test_checkpoints_record_the_position_and_seeds(tmp_path):
    train(tiny_config(epochs=1), tmp_path, verbose=0, checkpoint_every=30)
    store = CheckpointStore(tmp_path / "checkpoints")
    assert [int(p.name[5:]) for p in store.paths()] == [30, 44]  # keep=2: 0 was pruned
    state = store.latest().state
    assert state["step"] == 44 and (state["epoch"], state["batch"]) == (1, 0)
    assert state["steps_per_epoch"] == STEPS_PER_EPOCH and state["data_seed"] == 0
    assert len(state["weights_sha256"]) == 64 and len(state["config_sha256"]) == 64


def test_a_changed_configuration_is_not_resumed(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10, callbacks=[Crash(20)])
    before = {p: p.read_bytes() for p in (tmp_path / "checkpoints").rglob("*") if p.is_file()}
    with pytest.raises(errors.RunFolderError, match=r"training.epochs: 3 before, 4 now"):
        train(tiny_config(epochs=4), tmp_path, verbose=0)
    with pytest.raises(FileExistsError, match="unfinished run"):
        train(tiny_config(), tmp_path, verbose=0, resume=False)
    assert {p: p.read_bytes() for p in before} == before


def test_a_finished_run_is_not_trained_again(tmp_path):
    train(tiny_config(epochs=1), tmp_path, verbose=0)
    with pytest.raises(FileExistsError, match="finished run.*--overwrite"):
        train(tiny_config(epochs=1), tmp_path, verbose=0)


@pytest.mark.parametrize("requested, steps, expected", [(1, 44, 1), (4, 44, 4), (50, 512, 32),
                                                         (50, 22, 22), (10, 23, 1)])
def test_steps_per_call_divides_the_epoch(requested, steps, expected):
    assert steps_per_call(requested, steps) == expected


HOLD_THE_LOCK = """
import sys
from ganzoo.files import exclusive_lock
with exclusive_lock(sys.argv[1], "held"):
    print("held", flush=True)
    sys.stdin.read()  # until the test kills this process
"""


def test_a_second_training_into_the_same_folder_is_refused_and_a_killed_holder_frees_it(
        tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(run_dir / LOCK_FILE)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(errors.RunFolderError,
                           match=rf"{run_dir} is in use by another training.*--run-dir "
                                 rf"\(process {holder.pid}\)"):
            train(tiny_config(epochs=1), run_dir, verbose=0)
        assert sorted(path.name for path in run_dir.iterdir()) == [LOCK_FILE]  # nothing written
    finally:
        holder.kill()  # a crash: the lock must not outlive the process
        holder.wait()
    gan = train(tiny_config(epochs=1), run_dir, verbose=0)
    assert gan.generator_steps == STEPS_PER_EPOCH
