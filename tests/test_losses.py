"""Loss values on known logits, and the direction each loss pushes."""

import math

import numpy as np
import pytest
import tensorflow as tf

from ganzoo import losses
from ganzoo.nets import pack_samples

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


# --------------------------------------------------------------- the wider loss family

SCORES_REAL, SCORES_FAKE = tf.constant([[2.0], [0.5]]), tf.constant([[-0.5], [1.5]])


def test_least_squares_values_on_known_scores():
    d = float(losses.least_squares_discriminator_loss(SCORES_REAL, SCORES_FAKE))
    assert d == pytest.approx(0.5 * ((1.0 + 0.25) / 2) + 0.5 * ((0.25 + 2.25) / 2))
    g = float(losses.least_squares_generator_loss(SCORES_FAKE))
    assert g == pytest.approx(0.5 * ((2.25 + 0.25) / 2))


def test_hinge_values_on_known_scores():
    d = float(losses.hinge_discriminator_loss(SCORES_REAL, SCORES_FAKE))
    # real margins: relu(1-2)=0, relu(1-0.5)=0.5; fake: relu(1-0.5)=0.5, relu(1+1.5)=2.5
    assert d == pytest.approx(0.25 + 1.5)
    assert float(losses.score_generator_loss(SCORES_FAKE)) == pytest.approx(-0.5)


def test_wasserstein_value_on_known_scores():
    d = float(losses.wasserstein_discriminator_loss(SCORES_REAL, SCORES_FAKE))
    assert d == pytest.approx(0.5 - 1.25)


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_every_loss_pair_pushes_d_apart_and_g_up(name):
    d_loss, g_loss = losses.get_loss_pair(name)
    # scores between the least-squares targets (0 fake, 1 real), where every loss agrees
    real, fake = tf.Variable([[0.8]]), tf.Variable([[0.2]])
    with tf.GradientTape(persistent=True) as tape:
        d_value, g_value = d_loss(real, fake), g_loss(fake)
    grad_real, grad_fake = tape.gradient(d_value, [real, fake])
    assert float(grad_real[0, 0]) < 0 < float(grad_fake[0, 0])  # D: real up, fake down
    assert float(tape.gradient(g_value, fake)[0, 0]) < 0        # G: fake score up


@pytest.mark.parametrize("name", ["hinge", "wasserstein"])
def test_label_smoothing_is_refused_where_it_means_nothing(name):
    with pytest.raises(ValueError, match=f"not to the {name} loss"):
        losses.get_loss_pair(name)[0](SCORES_REAL, SCORES_FAKE, label_smoothing=0.1)


@pytest.mark.parametrize("w", [[3.0, 4.0], [0.6, 0.8], [0.1, 0.0]])
def test_gradient_penalty_is_exact_for_a_linear_critic(w):
    # f(x) = w.x has gradient w everywhere, so the penalty is (|w| - 1)^2 for any alpha.
    weights = tf.constant([w])
    critic = lambda x: tf.reduce_sum(x * weights, axis=1, keepdims=True)  # noqa: E731
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(16, 2)), rng.normal(size=(16, 2))
    alpha = rng.uniform(size=16)
    penalty = float(losses.gradient_penalty(critic, real, fake, alpha))
    assert penalty == pytest.approx((np.linalg.norm(w) - 1.0) ** 2, abs=1e-6)


def test_gradient_penalty_interpolates_each_sample_with_its_own_alpha():
    # D(x) = sum(x^2) has gradient 2 x_hat; 4 pixels per image, so the norm is 4 x_hat.
    critic = lambda x: tf.reduce_sum(tf.square(x), axis=[1, 2, 3])[:, None]  # noqa: E731
    real = np.zeros((2, 2, 2, 1), "float32")
    fake = np.stack([np.full((2, 2, 1), 1.0), np.full((2, 2, 1), 2.0)]).astype("float32")
    alpha = np.array([0.5, 0.25], "float32")
    # x_hat = 0.5 in both samples -> norm 2 -> (2-1)^2 = 1 each; swapped alphas would
    # give x_hat = 0.25 and 1.0 -> norms 1 and 4 -> mean (0 + 9) / 2 = 4.5
    assert float(losses.gradient_penalty(critic, real, fake, alpha)) == pytest.approx(1.0, abs=1e-4)


def test_gradient_penalty_of_a_packed_critic_takes_the_norm_per_group():
    # a linear critic over packed pairs: f(x1 ++ x2) = w.(x1 ++ x2); its input's
    # gradient is w, so the penalty is (|w| - 1)^2, not that of each half of w.
    w = tf.constant([[0.3, 0.4, 1.2, 1.6]])  # halves of norm 0.5 and 2.0
    critic = lambda x: tf.reduce_sum(pack_samples(x, 2) * w, axis=1, keepdims=True)  # noqa: E731
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    alpha = np.repeat(rng.uniform(size=4), 2)
    penalty = float(losses.gradient_penalty(critic, real, fake, alpha, group=2))
    expected = (np.linalg.norm(w) - 1.0) ** 2            # sqrt(4.25): 1.127
    per_half = ((0.5 - 1.0) ** 2 + (2.0 - 1.0) ** 2) / 2  # 0.625, the ungrouped answer
    assert penalty == pytest.approx(expected, abs=1e-5) and abs(penalty - per_half) > 0.4
