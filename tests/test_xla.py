"""`training: jit_compile`: XLA for the training step, where it can run.

XLA changes one thing in a step: the stateless random numbers. Its kernels for
`tf.random.stateless_*` draw other numbers than TensorFlow's from the same seed, so an
XLA run's noise differs from a graph run's (each is reproducible on its own); with the
noise fixed, the two steps agree to float rounding.
"""

import json
import types

import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.training import train
from ganzoo.training.trainer import xla_setting
from helpers import Crash, assert_same_weights, image_dataset, tiny_config


@pytest.fixture(autouse=True)
def _without_op_determinism():
    # Keras turns XLA off in a process with op determinism on, which an earlier
    # `--deterministic` training in the same test worker leaves on.
    from tensorflow.python.framework import config

    was_on = config.is_op_determinism_enabled()
    config.disable_op_determinism()
    yield
    if was_on:
        tf.config.experimental.enable_op_determinism()


def xla_config(epochs=2):
    config = tiny_config(epochs=epochs)
    config["training"]["jit_compile"] = True
    return config


def test_an_xla_run_resumes_bit_identically_and_says_it_used_xla(tmp_path):
    config = xla_config()
    train(config, tmp_path / "a", verbose=0, checkpoint_every=10)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "b", verbose=0, checkpoint_every=10, callbacks=[Crash(57)])
    gan = train(config, tmp_path / "b", verbose=0, checkpoint_every=10)
    assert gan.jit_compile is True
    assert json.loads((tmp_path / "b" / "metadata.json").read_text())["jit_compile"] is True
    assert_same_weights(tmp_path / "a", tmp_path / "b")


def test_a_step_xla_cannot_compile_is_a_clear_error(tmp_path, monkeypatch):
    # a NumPy call inside the step: graph mode runs it, XLA cannot compile it
    original = ganzoo.VanillaGAN.sample_latent

    def through_numpy(self, batch_size, noise_stream=0):
        latent = original(self, batch_size, noise_stream)
        return tf.reshape(tf.numpy_function(lambda x: x, [latent], tf.float32),
                          tf.shape(latent))

    monkeypatch.setattr(ganzoo.VanillaGAN, "sample_latent", through_numpy)
    with pytest.raises(ValueError, match=r"tiny-vanilla: XLA cannot compile this model's "
                                         r"training step \(.*\)\. Remove training: jit_compile"):
        train(xla_config(), tmp_path / "run", verbose=0)
    config = xla_config()
    del config["training"]["jit_compile"]
    assert train(config, tmp_path / "run", verbose=0, overwrite=True).generator_steps > 0


def test_xla_is_asked_for_only_where_it_can_run():
    one = types.SimpleNamespace(num_replicas_in_sync=1)
    two = types.SimpleNamespace(num_replicas_in_sync=2)
    assert xla_setting(None, one, False) == "auto"  # unset: Keras decides (GPUs only)
    assert xla_setting(True, one, False) is True
    assert xla_setting(False, one, False) is False
    # a forced XLA step fails across replicas; op determinism is not XLA's promise
    assert xla_setting(True, two, False) == "auto"
    assert xla_setting(True, one, True) == "auto"
    assert xla_setting(False, two, True) is False


class FixedNoiseDCGAN(ganzoo.DCGAN):
    """Latents from a closed form of the step, no random op: the same under XLA."""

    def sample_latent(self, batch_size, noise_stream=0):
        step = tf.cast(self.g_optimizer.iterations, tf.float32) + 1.0 + float(noise_stream)
        grid = tf.reshape(tf.range(batch_size * self.latent_dim, dtype=tf.float32),
                          (batch_size, self.latent_dim))
        return tf.sin(grid * 0.7 + step)


def _trained_weights(cls, jit_compile):
    gan = cls(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0)
    gan.compile(jit_compile=jit_compile)
    gan.fit(image_dataset(64, (8, 8, 1), 16), epochs=1, verbose=0)
    return np.concatenate([np.ravel(w) for w in gan.get_weights()]), gan


def test_with_the_noise_fixed_an_xla_step_is_the_graph_step():
    tf.keras.utils.set_random_seed(0)
    graph, _ = _trained_weights(FixedNoiseDCGAN, False)
    tf.keras.utils.set_random_seed(0)
    xla, gan = _trained_weights(FixedNoiseDCGAN, True)
    assert gan.jit_compile is True and gan.generator_steps == 4
    initial = np.concatenate([np.ravel(w) for w in FixedNoiseDCGAN(
        image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0).get_weights()])
    assert np.abs(graph - xla).max() < 1e-4
    assert np.abs(graph - initial).max() > 1e-2  # they trained


def test_xla_draws_other_stateless_noise_than_tensorflow():
    # why an XLA run is not the graph run: documented, not hidden
    def draw():
        return tf.random.stateless_normal((64,), seed=tf.constant([3, 4], tf.int64))

    graph, xla = tf.function(draw)(), tf.function(draw, jit_compile=True)()
    assert np.std(xla.numpy()) == pytest.approx(1.0, abs=0.3)
    assert not np.allclose(graph.numpy(), xla.numpy(), atol=1e-3)
