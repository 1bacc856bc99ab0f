"""Behaviour every variant shares: fitting, optimizer steps, generation, config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from helpers import VARIANT_CASES, changed, make_gan, weights_of

CASES = [pytest.param(cls, kwargs, id=name) for name, cls, kwargs in VARIANT_CASES]


def _dataset_for(gan, num=32, batch_size=8, with_labels=False):
    data = np.random.default_rng(1).uniform(-1, 1, (num, *gan.data_shape)).astype("float32")
    elements = (data, np.zeros(num, "int32")) if with_labels else data
    return tf.data.Dataset.from_tensor_slices(elements).batch(batch_size, drop_remainder=True)


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_fit_updates_both_networks_once_per_step(cls, kwargs):
    gan = make_gan(cls, kwargs)
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)

    history = gan.fit(_dataset_for(gan), epochs=2, verbose=0)

    steps = 2 * 4  # epochs x batches
    assert int(gan.g_optimizer.iterations) == steps
    assert int(gan.d_optimizer.iterations) == steps * gan.discriminator_steps
    assert changed(g_before, weights_of(gan.generator))
    assert changed(d_before, weights_of(gan.discriminator))
    for name in ("d_loss", "g_loss"):
        assert np.all(np.isfinite(history.history[name]))


def test_discriminator_steps_hook_sets_the_number_of_d_updates():
    class FiveCriticSteps(ganzoo.VanillaGAN):
        discriminator_steps = 5

    gan = make_gan(FiveCriticSteps, dict(data_shape=(2,), latent_dim=4, hidden_units=(8,)))
    gan.fit(_dataset_for(gan), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 4
    assert int(gan.d_optimizer.iterations) == 20


def test_labelled_batches_are_refused_by_an_unconditional_gan():
    # (tests/gans/test_conditional.py trains conditional GANs on such batches)
    gan = make_gan(ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8))
    with pytest.raises(ValueError, match="this GAN is unconditional"):
        gan.fit(_dataset_for(gan, with_labels=True), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 0


def test_logged_losses_are_the_true_values_of_the_step():
    # With learning rate 0 nothing changes, so the logged losses must equal the losses
    # recomputed by hand from the same networks and the same noise.

    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=4, hidden_units=(8,), seed=3)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.0))
    real = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
    logs = gan.train_step(tf.constant(real))

    gan.g_optimizer.iterations.assign(0)  # the noise of step 0 again
    fake_d = gan.generator(gan.sample_latent(8, noise_stream=0))
    fake_g = gan.generator(gan.sample_latent(8, noise_stream=1))
    d_loss = ganzoo.losses.bce_discriminator_loss(gan.discriminator(real), gan.discriminator(fake_d))
    g_loss = ganzoo.losses.non_saturating_generator_loss(gan.discriminator(fake_g))
    np.testing.assert_allclose(float(logs["d_loss"]), float(d_loss), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), float(g_loss), rtol=1e-5)


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_generate_is_deterministic_per_seed_and_in_range(cls, kwargs):
    gan = make_gan(cls, kwargs)
    first, again, other = gan.generate(10, seed=7), gan.generate(10, seed=7), gan.generate(10, seed=8)
    assert first.shape == (10, *gan.data_shape)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    if len(gan.data_shape) == 3:  # images come out of tanh
        assert first.min() >= -1.0 and first.max() <= 1.0


def test_generate_in_several_chunks_equals_one_chunk():
    gan = make_gan(ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(8,)))
    np.testing.assert_allclose(gan.generate(10, seed=1, batch_size=3),
                               gan.generate(10, seed=1, batch_size=100), atol=1e-6)


def test_training_noise_is_reproducible_and_fresh_per_stream_and_step():
    gan = make_gan(ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(8,)))
    a, b = gan.sample_latent(6, noise_stream=0), gan.sample_latent(6, noise_stream=1)
    np.testing.assert_array_equal(a, gan.sample_latent(6, noise_stream=0))
    assert not np.allclose(a, b)
    gan.g_optimizer.iterations.assign(1)
    assert not np.allclose(a, gan.sample_latent(6, noise_stream=0))


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_config_round_trip_rebuilds_the_same_gan(cls, kwargs):
    gan = make_gan(cls, kwargs)
    clone = cls.from_config(gan.get_config())
    assert clone.get_config() == gan.get_config()
    clone.set_weights(gan.get_weights())
    np.testing.assert_array_equal(clone.generate(4, seed=0), gan.generate(4, seed=0))


def test_compile_rejects_one_optimizer_shared_by_both_networks():

    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=4)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="different instances"):
        gan.compile(g_optimizer=shared, d_optimizer=shared)


def test_unknown_loss_is_rejected_by_name():
    with pytest.raises(ValueError, match="VanillaGAN does not train with loss 'hinge_typo'"):
        ganzoo.VanillaGAN(data_shape=(2,), loss="hinge_typo")
