"""`ganzoo train --strategy ... --mixed-precision ...`: run folders under tf.distribute."""

import json
import os
import subprocess
import sys

import keras
import pytest
import yaml

from ganzoo import runs
from ganzoo.training import distribute
from ganzoo.training import train
from test_distribute import TIMEOUT, _free_ports
from test_resume import tiny_config

STEPS_PER_EPOCH = 44  # the digits train split in batches of 32


def test_train_under_mirrored_strategy_in_float16_then_restores_the_policy(tmp_path):
    gan = train(tiny_config(epochs=1), tmp_path / "run", verbose=0, strategy="mirrored",
                mixed_precision="float16")

    assert keras.mixed_precision.global_policy().name == "float32"
    assert any(layer.compute_dtype == "float16" for layer in gan.generator.layers)
    assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    # steps skipped while the loss scale settles are made up for: a full epoch of updates
    assert gan.generator_steps == STEPS_PER_EPOCH
    assert runs.is_finished(tmp_path / "run")
    metadata = runs.read_metadata(tmp_path / "run")
    assert (metadata["strategy"], metadata["mixed_precision"]) == ("mirrored", "float16")
    assert metadata["replicas"] >= 1 and metadata["generator_steps"] == STEPS_PER_EPOCH


def test_precision_policy_is_restored_after_an_error_and_names_are_checked():
    with pytest.raises(RuntimeError, match="boom"):
        with distribute.precision_policy("bfloat16"):
            assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
            raise RuntimeError("boom")
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ValueError, match=r"Unknown mixed precision 'half'; expected one of "
                                         r"\['float16', 'bfloat16'\]"):
        with distribute.precision_policy("half"):
            pass
    with pytest.raises(ValueError, match="Unknown strategy 'mirror'"):
        distribute.make_strategy("mirror")


def test_multiworker_without_tf_config_says_what_to_set(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the cluster in the TF_CONFIG environment"):
        distribute.make_strategy("multiworker")


def test_only_worker_0_is_chief_without_a_chief_task(monkeypatch):
    strategy = object.__new__(distribute.tf.distribute.MultiWorkerMirroredStrategy)
    cluster = {"worker": ["a:1", "b:1"]}
    for index, chief in ((0, True), (1, False)):
        monkeypatch.setenv("TF_CONFIG", json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}}))
        assert distribute.is_chief(strategy) is chief
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {**cluster, "chief": ["c:1"]}, "task": {"type": "worker", "index": 0}}))
    assert not distribute.is_chief(strategy)
    assert distribute.is_chief(distribute.make_strategy("default"))


def test_two_machines_train_one_run_folder_from_the_command_line(tmp_path):
    # Two `ganzoo train --strategy multiworker` processes with TF_CONFIG, as on two
    # machines: the chief writes the run folder, the other worker a temporary one.
    config = {"name": "tiny-dcgan", "variant": "DCGAN",
              "model": {"image_shape": [8, 8, 1], "latent_dim": 8, "base_filters": 8,
                        "synchronized_batch_norm": True},
              "data": {"source": "digits", "batch_size": 32},
              "training": {"epochs": 1, "seed": 0}}
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config))
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    processes = []
    for index in range(2):
        temp = tmp_path / f"tmp{index}"
        temp.mkdir()
        env = {**os.environ, "TMPDIR": str(temp), "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "ganzoo.cli", "train", "--config", "tiny.yaml",
             "--strategy", "multiworker", "--run-dir", "run"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        outputs = [process.communicate(timeout=TIMEOUT) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
        assert f"Trained tiny-dcgan: {STEPS_PER_EPOCH} generator steps." in stdout

    assert sorted(path.name for path in tmp_path.iterdir()) == ["run", "tiny.yaml", "tmp0", "tmp1"]
    assert not any((tmp_path / "tmp1").iterdir())  # the worker's folder is gone
    assert runs.is_finished(tmp_path / "run")
    metadata = runs.read_metadata(tmp_path / "run")
    assert metadata["strategy"] == "multiworker" and metadata["replicas"] == 2
    assert metadata["generator_steps"] == STEPS_PER_EPOCH
    restored = runs.load_run(tmp_path / "run")
    assert restored.synchronized_batch_norm and restored.generate(4, seed=0).shape == (4, 8, 8, 1)
