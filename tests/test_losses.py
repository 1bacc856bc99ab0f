"""Loss values on known logits, and the direction each loss pushes."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ganzoo import losses

LOG2 = math.log(2.0)


def test_discriminator_loss_at_zero_logits_is_two_log_two():
    zeros = tf.zeros((4, 1))
    assert float(losses.bce_discriminator_loss(zeros, zeros)) == pytest.approx(2 * LOG2)


def test_one_sided_label_smoothing_changes_only_the_real_target():
    real, fake = tf.constant([[3.0]]), tf.constant([[-2.0]])
    smoothed = float(losses.bce_discriminator_loss(real, fake, label_smoothing=0.1))
    # real: BCE with target 0.9; fake: -log(1 - sigmoid(-2)) with target 0
    expected_real = -(0.9 * math.log(1 / (1 + math.exp(-3))) + 0.1 * math.log(1 / (1 + math.exp(3))))
    expected_fake = math.log(1 + math.exp(-2))
    assert smoothed == pytest.approx(expected_real + expected_fake, rel=1e-5)


def test_generator_losses_at_zero_logits():
    zeros = tf.zeros((4, 1))
    assert float(losses.non_saturating_generator_loss(zeros)) == pytest.approx(LOG2)
    assert float(losses.minimax_generator_loss(zeros)) == pytest.approx(-LOG2)


@pytest.mark.parametrize("name", ["non_saturating", "minimax"])
def test_generator_losses_push_fake_logits_up(name):
    _, generator_loss = losses.get_loss_pair(name)
    logits = tf.Variable([[-3.0], [0.0], [2.0]])
    with tf.GradientTape() as tape:
        loss = generator_loss(logits)
    assert np.all(tape.gradient(loss, logits).numpy() < 0)


def test_non_saturating_gradient_is_strong_where_minimax_saturates():
    # Early in training D rejects fakes confidently (very negative logits).
    logits = tf.Variable([[-8.0]])
    grads = {}
    for name in ("non_saturating", "minimax"):
        with tf.GradientTape() as tape:
            loss = losses.get_loss_pair(name)[1](logits)
        grads[name] = abs(float(tape.gradient(loss, logits)[0, 0]))
    assert grads["non_saturating"] > 0.99 and grads["minimax"] < 1e-3


def test_discriminator_loss_pushes_real_up_and_fake_down():
    real, fake = tf.Variable([[0.5]]), tf.Variable([[0.5]])
    with tf.GradientTape() as tape:
        loss = losses.bce_discriminator_loss(real, fake)
    grad_real, grad_fake = tape.gradient(loss, [real, fake])
    assert float(grad_real[0, 0]) < 0 < float(grad_fake[0, 0])


def test_losses_are_float32_for_half_precision_logits():
    logits = tf.zeros((2, 1), tf.float16)
    assert losses.bce_discriminator_loss(logits, logits).dtype == tf.float32
    assert losses.non_saturating_generator_loss(logits).dtype == tf.float32
