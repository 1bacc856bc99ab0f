"""The divergence guard: injected NaNs and collapse rules, recovery, and intact checkpoints."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import cli, errors, training
from ganzoo.training import trainer
from ganzoo.training.checkpoints import CheckpointStore, PeriodicCheckpoint, nonfinite_variables
from ganzoo.training.guard import CollapseRule, DivergenceGuard, default_rules
from ganzoo.gans.learning_rates import ScaledSchedule, learning_rate_of, set_learning_rate_scale
from helpers import image_dataset
from test_resume import tiny_config


class PoisonWeights(keras.callbacks.Callback):
    """Sets the discriminator's logit bias to NaN once, after generator step `step`."""

    def __init__(self, step, checkpoint_dir=None):
        super().__init__()
        self.step, self.checkpoint_dir, self.done = step, checkpoint_dir, False
        self.snapshot = None

    def on_train_batch_end(self, batch, logs=None):
        if self.done or int(self.model.g_optimizer.iterations) != self.step:
            return
        self.done = True
        if self.checkpoint_dir is not None:  # the good checkpoint, byte for byte
            self.snapshot = {p: p.read_bytes() for p in self.checkpoint_dir.rglob("*")
                             if p.is_file()}
        # D's logit bias: NaN reaches the loss through it on any CPU (oneDNN's ReLU may
        # turn a NaN from a poisoned hidden kernel into 0, leaving the loss finite).
        bias = self.model.discriminator.weights[-1]
        bias.assign(np.full(bias.shape, np.nan, "float32"))


def test_an_injected_nan_is_caught_and_training_recovers_at_a_lower_learning_rate(tmp_path):
    poison = PoisonWeights(57, tmp_path / "checkpoints" / "step-000000050")
    gan = training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10,
                         keep_checkpoints=100, callbacks=[poison])

    metadata = json.loads((tmp_path / "metadata.json").read_text())
    [event] = metadata["divergence_events"]
    assert event["action"] == "retry" and event["step"] == 58
    assert "d_loss is nan" in event["problem"] and event["checkpoint"].endswith("step-000000050")
    assert metadata["lr_scale"] == 0.5 and metadata["generator_steps"] == 3 * 44
    assert learning_rate_of(gan.g_optimizer) == pytest.approx(1e-4)
    assert not nonfinite_variables(gan)
    # the good checkpoint was read, never rewritten
    assert {p: p.read_bytes() for p in poison.snapshot} == poison.snapshot


def poisoned_dataset(monkeypatch, batch_index):
    """Every epoch's batch `batch_index` becomes NaN: retries meet it again."""
    make = trainer.make_dataset

    def poisoned(config, seed):
        dataset = make(config, seed).enumerate()
        return dataset.map(lambda i, x: tf.where(i == batch_index, np.nan, x))

    monkeypatch.setattr(trainer, "make_dataset", poisoned)


def test_a_poisoned_batch_stops_training_with_the_good_checkpoint_intact(tmp_path, monkeypatch):
    poisoned_dataset(monkeypatch, 13)
    with pytest.raises(errors.DivergenceError) as caught:
        training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10,
                       guard={"max_retries": 1})
    message = str(caught.value)
    assert "d_loss is nan (non-finite loss) at generator step 14 after 1 retry" in message
    good = tmp_path / "checkpoints" / "step-000000010"
    assert f"The last good weights are in {good} (step 10)" in message
    assert "--guard-retries" in message
    assert not (tmp_path / "metadata.json").exists() and not (tmp_path / "gan.weights.h5").exists()

    store = CheckpointStore(tmp_path / "checkpoints")
    assert store.latest().path == good  # verified against its checksum
    gan = ganzoo.VanillaGAN(data_shape=(8, 8, 1), latent_dim=8, hidden_units=(32,))
    gan.compile()
    store.restore(gan)
    assert int(gan.g_optimizer.iterations) == 10 and not nonfinite_variables(gan)


def test_without_the_guard_nan_weights_are_never_checkpointed(tmp_path):
    with pytest.raises(errors.DivergenceError, match="Not checkpointing step 60: .* NaN or inf"):
        training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10, guard=False,
                       callbacks=[PoisonWeights(57)])
    # keep=2: the newest two good ones (the epoch end at 44, then 50)
    assert [p.name for p in CheckpointStore(tmp_path / "checkpoints").paths()] == [
        "step-000000044", "step-000000050"]


def test_a_collapse_rule_stops_training_and_nothing_is_saved_during_the_streak(tmp_path):
    rule = CollapseRule("d_loss", below=100.0, patience=20, meaning="test rule")
    with pytest.raises(errors.DivergenceError) as caught:
        training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=5,
                       guard={"rules": [rule], "max_retries": 0})
    assert ("d_loss stayed < 100 for 20 generator steps (test rule) at generator step 21"
            in str(caught.value))
    # the streak began at step 1: no checkpoint after the initial one
    assert [p.name for p in CheckpointStore(tmp_path / "checkpoints").paths()] == [
        "step-000000000"]


def test_the_guard_works_in_a_plain_fit(tmp_path):
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0)
    gan.compile()
    store = CheckpointStore(tmp_path)
    guard = DivergenceGuard(store, check_weights_every=1)
    callbacks = [guard, PeriodicCheckpoint(store, every=2, guard=guard), PoisonWeights(5)]
    gan.fit(image_dataset(64, (8, 8, 1), 8), epochs=2, verbose=0, callbacks=callbacks)
    [event] = guard.events
    assert event["step"] == 6 and event["problem"] == "d_loss is nan (non-finite loss)"
    assert event["checkpoint"].endswith("step-000000004")
    # back at step 4 after 6 batches, then the 10 batches left: 16 batches in all
    assert int(gan.g_optimizer.iterations) == 4 + 10 and not nonfinite_variables(gan)


def test_default_rules_fit_the_loss():
    vanilla = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,))
    wgan = ganzoo.WGANGP(data_shape=(2,), latent_dim=2, hidden_units=(4,))
    assert [rule.metric for rule in default_rules(vanilla)] == ["d_loss", "g_loss"]
    assert default_rules(wgan) == []  # a critic's loss has no floor
    # the minimax and hinge generator losses are negative when G does well
    for loss in ("minimax", "hinge"):
        gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,), loss=loss)
        assert [rule.metric for rule in default_rules(gan)] == ["d_loss"]
    with pytest.raises(ValueError, match="exactly one of below= or above="):
        CollapseRule("d_loss")


def test_a_learning_rate_schedule_is_scaled_and_survives_serialization():
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,))
    schedule = keras.optimizers.schedules.PolynomialDecay(2e-4, 100, 0.0)
    gan.compile(g_optimizer=keras.optimizers.Adam(schedule),
                d_optimizer=keras.optimizers.Adam(1e-3))
    set_learning_rate_scale(gan, 0.25, restored_scale=1.0)
    assert learning_rate_of(gan.g_optimizer) == pytest.approx(5e-5)
    assert learning_rate_of(gan.d_optimizer) == pytest.approx(2.5e-4)
    config = keras.saving.serialize_keras_object(gan.g_optimizer)
    restored = keras.saving.deserialize_keras_object(config)
    assert isinstance(restored.get_config()["learning_rate"], dict)
    assert learning_rate_of(restored) == pytest.approx(5e-5)
    assert isinstance(ScaledSchedule(schedule, 0.5)(0), tf.Tensor)


def test_the_command_line_exits_3_on_divergence(monkeypatch, capsys):
    def diverging(*args, **kwargs):
        raise errors.DivergenceError("Training diverged: test.")

    monkeypatch.setattr(training, "train", diverging)
    assert cli.main(["train", "vanilla-digits", "--run-dir", "unused"]) == 3
    assert capsys.readouterr().err.strip() == "ganzoo train: error: Training diverged: test."
