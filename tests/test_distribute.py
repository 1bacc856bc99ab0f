"""Every variant under tf.distribute trains as on one device: weights, logs, noise, pools.

What is proven: a MirroredStrategy run on two logical CPU devices, and a run of two
MultiWorkerMirroredStrategy worker processes, each end STEPS steps with the weights
(to 1e-5) and the logged losses (to a relative 1e-5) of one device trained on the
same global batches with the same noise. "Same noise" means the one-device run draws,
for each half of the batch, what the replica that trains on that half draws (see
tests/distribute_runs.py, `EmulatedReplicas`): replicas do draw different noise, so
a plain one-device run is not the reference. Plain SGD, whose update is proportional
to the gradient, so a gradient scaled twice or not at all by the number of replicas
would show. Batch norm is synchronized in these runs; without it each replica
normalizes by its own half and the training legitimately differs (tested too).

The runs happen in subprocesses (tests/distribute_runs.py): the device layout must be
set before TensorFlow runs any op, and this process has run many.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from distribute_runs import GLOBAL_BATCH, REPLICAS, STEPS

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "distribute_runs.py"

VARIANTS = ["vanilla", "dcgan", "wgangp", "cyclegan", "cdcgan-projection", "cdcgan-auxiliary",
            "dcgan-ema", "progan", "stylegan2", "biggan"]
TIMEOUT = 600  # seconds; a hang (say, a worker waiting for a dead peer) fails instead
WEIGHTS_ATOL = 1e-5  # distributed vs one-device weights


def _run(args, out, *more):
    result = subprocess.run([sys.executable, str(SCRIPT), *args, str(out), *more],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(np.load(out))


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    return _run(["mirrored"], tmp_path_factory.mktemp("mirrored") / "runs.npz")


def _losses(runs, prefix):
    return {key[len(prefix):]: value for key, value in runs.items()
            if key.startswith(prefix + "/") and ("/logs/" in key or "/history/" in key)}


def _assert_moved_far_beyond_the_tolerance(run, factor=100):
    # Against the initial weights (which already reach 1), and only the trainable ones:
    # moving statistics move in every training-mode forward pass, optimizer or not.
    # DCGAN moves least: at most 2.4e-3 after its three SGD steps, 240 times 1e-5.
    moved = np.abs(run["weights"] - run["initial_weights"])[run["trainable"]]
    assert moved.max() > factor * WEIGHTS_ATOL, (
        f"training moved the trainable weights by at most {moved.max():.3g}, not far "
        f"beyond the tolerance {WEIGHTS_ATOL:g}: did the optimizers apply their updates?")


def _run_of(runs, prefix):
    return {key[len(prefix) + 1:]: value for key, value in runs.items()
            if key.startswith(prefix + "/")}


@pytest.mark.parametrize("variant", VARIANTS)
def test_two_replicas_end_with_the_weights_of_one_device(mirrored, variant):
    two, one = _run_of(mirrored, f"{variant}/mirrored"), _run_of(mirrored, f"{variant}/one-device")
    assert two["weights"].shape == one["weights"].shape and two["weights"].size > 100
    np.testing.assert_array_equal(two["initial_weights"], one["initial_weights"])
    _assert_moved_far_beyond_the_tolerance(one)
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=0, atol=WEIGHTS_ATOL)


@pytest.mark.parametrize("variant", VARIANTS)
def test_two_replicas_log_the_losses_of_one_device(mirrored, variant):
    two, one = _losses(mirrored, f"{variant}/mirrored"), _losses(mirrored, f"{variant}/one-device")
    assert set(two) == set(one) and {"/logs/d_loss", "/logs/g_loss"} <= set(two)
    for key in two:
        assert two[key].shape == one[key].shape == ((STEPS,) if "/logs/" in key else (1,))
        np.testing.assert_allclose(two[key], one[key], rtol=1e-5, atol=1e-6, err_msg=key)
    # the epoch's value is the mean of the steps' true values
    np.testing.assert_allclose(two["/history/d_loss"][0], two["/logs/d_loss"][-1], rtol=1e-6)


def _assert_a_moved_average_of_one_device(run, reference):
    ema, generator = run["ema_weights"], run["generator_weights"]
    initial = reference["initial_weights"][:ema.size]  # the generator's, where the average began
    assert ema.size > 100 and ema.size == generator.size
    # neither where it began nor the last generator (far beyond the tolerance): an
    # average of the steps
    assert np.abs(ema - initial).max() > 10 * WEIGHTS_ATOL
    assert np.abs(ema - generator).max() > 10 * WEIGHTS_ATOL
    np.testing.assert_allclose(ema, reference["ema_weights"], rtol=0, atol=WEIGHTS_ATOL)


def test_two_replicas_keep_the_generator_average_of_one_device(mirrored):
    two, one = _run_of(mirrored, "dcgan-ema/mirrored"), _run_of(mirrored, "dcgan-ema/one-device")
    # each replica updates its own mirrored copy of the average, and they stay identical
    np.testing.assert_array_equal(two["ema/0"], two["ema/1"])
    np.testing.assert_array_equal(two["ema/0"], two["ema_weights"])
    _assert_a_moved_average_of_one_device(two, one)


def test_per_replica_batch_norm_statistics_make_a_different_training(mirrored):
    # Without synchronized_batch_norm each replica normalizes by its own half batch:
    # a different (and legitimate) training, far outside the equivalence tolerance.
    two = mirrored["dcgan-unsynchronized/mirrored/weights"]
    one = mirrored["dcgan-unsynchronized/one-device/weights"]
    assert np.abs(two - one).max() > 1e-3
    first_step = (mirrored["dcgan-unsynchronized/mirrored/logs/d_loss"][0],
                  mirrored["dcgan-unsynchronized/one-device/logs/d_loss"][0])
    assert abs(first_step[0] - first_step[1]) > 1e-6


@pytest.mark.parametrize("draw", ["latent", "alpha"])
def test_replicas_draw_different_noise_that_one_device_reproduces(mirrored, draw):
    # latents and WGAN-GP interpolation coefficients, drawn in each replica's step
    replicas = [mirrored[f"draws/{draw}/{replica}"] for replica in range(REPLICAS)]
    assert replicas[0].shape == replicas[1].shape and replicas[0].shape[0] == 4
    assert not np.allclose(replicas[0], replicas[1])
    np.testing.assert_array_equal(np.concatenate(replicas), mirrored[f"draws/{draw}/emulated"])


def test_one_seed_gives_the_same_distributed_training_bit_for_bit(mirrored):
    np.testing.assert_array_equal(mirrored["dcgan/mirrored/weights"],
                                  mirrored["dcgan/mirrored-again/weights"])
    np.testing.assert_array_equal(mirrored["dcgan/mirrored/logs/g_loss"],
                                  mirrored["dcgan/mirrored-again/logs/g_loss"])


@pytest.mark.parametrize("pool", ["pool_a", "pool_b"])
def test_each_replica_keeps_a_pool_of_its_own_fakes(mirrored, pool):
    per_replica = GLOBAL_BATCH // REPLICAS
    counts = [int(mirrored[f"cyclegan/mirrored/{pool}/{r}/count"]) for r in range(REPLICAS)]
    assert counts == [STEPS * per_replica] * REPLICAS
    assert int(mirrored[f"cyclegan/one-device/{pool}/count"]) == STEPS * GLOBAL_BATCH
    # One device stores each step's batch: replica 0's half, then replica 1's. Each
    # replica's pool holds its own halves, step after step.
    one = mirrored[f"cyclegan/one-device/{pool}/images"]
    replicas = [mirrored[f"cyclegan/mirrored/{pool}/{r}/images"] for r in range(REPLICAS)]
    for step in range(STEPS):
        for replica, images in enumerate(replicas):
            start = (step * REPLICAS + replica) * per_replica
            np.testing.assert_allclose(images[step * per_replica:(step + 1) * per_replica],
                                       one[start:start + per_replica], atol=1e-5)
    assert not np.allclose(replicas[0][:per_replica], replicas[1][:per_replica])


def test_mixed_float16_trains_under_mirrored_strategy_with_loss_scaling(mirrored):
    assert mirrored["dcgan-float16/mirrored/loss_scaled"].tolist() == [True, True]
    for key in ("logs/d_loss", "logs/g_loss", "weights"):
        assert np.all(np.isfinite(mirrored[f"dcgan-float16/mirrored/{key}"]))
    # Adam moves a weight by about its learning rate (2e-4) per applied step
    _assert_moved_far_beyond_the_tolerance(_run_of(mirrored, "dcgan-float16/mirrored"),
                                           factor=10)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.parametrize("variant", ["dcgan", "cyclegan", "dcgan-ema"])
def test_two_worker_processes_train_like_one_process(tmp_path, variant):
    # A real MultiWorkerMirroredStrategy: two processes on localhost ports, each one
    # replica: DCGAN (synchronized batch norm) on a single-tensor dataset, CycleGAN on
    # (images_a, images_b) tuples, which Keras 3.15 fails on without the workaround in
    # AdversarialModel._maybe_symbolic_build.
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        out = tmp_path / f"worker{index}.npz"
        workers.append((out, subprocess.Popen(
            [sys.executable, str(SCRIPT), "worker", str(out), variant], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    try:
        for out, process in workers:
            _, stderr = process.communicate(timeout=TIMEOUT)
            assert process.returncode == 0, stderr[-3000:]
    finally:
        for _, process in workers:
            if process.poll() is None:
                process.kill()
    first, second = (dict(np.load(out)) for out, _ in workers)
    reference = _run(["reference"], tmp_path / "reference.npz", variant)

    np.testing.assert_array_equal(first["weights"], second["weights"])
    np.testing.assert_array_equal(first["initial_weights"], reference["initial_weights"])
    _assert_moved_far_beyond_the_tolerance(reference)
    np.testing.assert_allclose(first["weights"], reference["weights"], rtol=0, atol=WEIGHTS_ATOL)
    for key in (key for key in first if key.startswith(("logs/", "history/"))):
        np.testing.assert_array_equal(first[key], second[key])
        np.testing.assert_allclose(first[key], reference[key], rtol=1e-5, err_msg=key)
    if "ema_weights" in reference:  # the generator EMA: the same on both workers
        np.testing.assert_array_equal(first["ema_weights"], second["ema_weights"])
        _assert_a_moved_average_of_one_device(first, reference)
