"""Optimizer pairs from a variant's defaults, with a learning rate and linear decay."""

import pytest

import ganzoo
from ganzoo.gans.optimizers import make_optimizers


def test_defaults_are_kept_unless_overridden():
    gan = ganzoo.WGANGP(data_shape=(2,), latent_dim=2, hidden_units=(4,))
    g_opt, d_opt = make_optimizers(gan)
    assert float(g_opt.learning_rate) == pytest.approx(1e-4) and float(d_opt.beta_2) == pytest.approx(0.9)
    g_opt, _ = make_optimizers(gan, learning_rate=1e-3)
    assert float(g_opt.learning_rate) == pytest.approx(1e-3) and float(g_opt.beta_1) == 0.0


def test_linear_decay_reaches_zero_at_the_last_step_of_each_network():
    gan = ganzoo.WGANGP(data_shape=(2,), latent_dim=2, hidden_units=(4,), n_critic=5)
    g_opt, d_opt = make_optimizers(gan, 1e-3, "linear_decay", generator_steps=100)
    assert float(g_opt.learning_rate) == pytest.approx(1e-3)
    g_schedule, d_schedule = g_opt._learning_rate, d_opt._learning_rate
    assert float(g_schedule(50)) == pytest.approx(5e-4)
    assert float(g_schedule(100)) == pytest.approx(0.0)
    assert float(d_schedule(250)) == pytest.approx(5e-4)  # the critic updates 5x as often
    assert float(d_schedule(500)) == pytest.approx(0.0)


def test_bad_schedules_are_rejected():
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,))
    with pytest.raises(ValueError, match="Unknown learning-rate schedule 'cosine'"):
        make_optimizers(gan, schedule="cosine")
    with pytest.raises(ValueError, match="needs the training length"):
        make_optimizers(gan, schedule="linear_decay")


def test_linear_decay_can_hold_the_rate_first_as_cyclegan_does():
    gan = ganzoo.CycleGAN(image_shape=(8, 8, 1), base_filters=2, residual_blocks=0)
    g_opt, d_opt = make_optimizers(gan, 2e-4, "linear_decay", generator_steps=100, hold_steps=40)
    schedule = g_opt._learning_rate
    for step in (0, 20, 40):
        assert float(schedule(step)) == pytest.approx(2e-4)
    assert float(schedule(70)) == pytest.approx(1e-4)
    assert float(schedule(99)) == pytest.approx(2e-4 / 60)  # the last update
    assert float(schedule(100)) == pytest.approx(0.0)
    assert float(d_opt._learning_rate(70)) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="hold_steps applies to the linear_decay and step_decay "
                                         "schedules only"):
        make_optimizers(gan, hold_steps=10)


def test_step_decay_drops_the_rate_after_the_hold_for_each_network():
    gan = ganzoo.WGANGP(data_shape=(2,), latent_dim=2, hidden_units=(4,), n_critic=5)
    g_opt, d_opt = make_optimizers(gan, 1e-3, "step_decay", generator_steps=100)
    g_schedule, d_schedule = g_opt._learning_rate, d_opt._learning_rate
    assert float(g_schedule(49)) == pytest.approx(1e-3)  # half the training by default
    assert float(g_schedule(50)) == pytest.approx(1e-4)
    assert float(d_schedule(249)) == pytest.approx(1e-3)  # the critic's 5x more updates
    assert float(d_schedule(250)) == pytest.approx(1e-4)
    g_opt, _ = make_optimizers(gan, 1e-3, "step_decay", generator_steps=100, hold_steps=80,
                               decay_factor=0.5)
    assert float(g_opt._learning_rate(79)) == pytest.approx(1e-3)
    assert float(g_opt._learning_rate(80)) == pytest.approx(5e-4)
    with pytest.raises(ValueError, match="step_decay needs the training length"):
        make_optimizers(gan, schedule="step_decay")
    with pytest.raises(ValueError, match=r"hold_steps must be in \[1, 100\)"):
        make_optimizers(gan, schedule="step_decay", generator_steps=100, hold_steps=100)
    with pytest.raises(ValueError, match="within the training, which needs at least 2 generator "
                                         "steps; got 1"):
        make_optimizers(gan, schedule="step_decay", generator_steps=1)
