"""WGAN-GP: the paper's defaults, the critic/generator step ratio, the penalty wiring."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from helpers import make_gan


def test_defaults_follow_the_paper():
    gan = ganzoo.WGANGP(image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
    gan.compile()
    assert gan.discriminator_steps == 5 and gan.gp_weight == 10.0
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(gan.d_optimizer.beta_1) == 0.0
    assert float(gan.d_optimizer.beta_2) == pytest.approx(0.9)
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in gan.discriminator.layers)


def test_vector_networks_are_mlps_with_a_linear_output():
    gan = ganzoo.WGANGP(data_shape=(2,), latent_dim=2)
    assert gan.generator.output_shape == (None, 2)
    assert gan.generator.layers[-2].get_config()["activation"] == "linear"
    assert [layer.units for layer in gan.discriminator.layers
            if isinstance(layer, keras.layers.Dense)] == [512, 512, 512, 1]


def test_critic_steps_per_generator_step():
    gan = make_gan(ganzoo.WGANGP, dict(data_shape=(2,), latent_dim=2, hidden_units=(8,)))
    points = tf.data.Dataset.from_tensor_slices(np.zeros((24, 2), "float32")).batch(8)
    gan.fit(points, epochs=1, verbose=0)
    assert (int(gan.g_optimizer.iterations), int(gan.d_optimizer.iterations)) == (3, 15)


def test_the_penalty_is_part_of_the_critic_loss():
    # With a zero learning rate the logged critic loss of one step must equal the
    # Wasserstein term plus gp_weight x the penalty, recomputed from the same noise.
    gan = ganzoo.WGANGP(data_shape=(2,), latent_dim=2, hidden_units=(8,), n_critic=1, seed=4)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.0))
    real = tf.constant(np.random.default_rng(0).normal(size=(8, 2)), tf.float32)
    logged = float(gan.train_step(real)["d_loss"])

    gan.g_optimizer.iterations.assign(0)
    fake = gan.generator(gan.sample_latent(8, noise_stream=0))
    wasserstein = float(tf.reduce_mean(gan.discriminator(fake)) - tf.reduce_mean(gan.discriminator(real)))
    assert logged != pytest.approx(wasserstein, abs=1e-3)  # the penalty is really there
    with_penalty = float(gan.discriminator_loss(real, fake, gan.discriminator(real),
                                                gan.discriminator(fake), noise_stream=0))
    assert logged == pytest.approx(with_penalty, rel=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(data_shape=(2,), loss="hinge"), "WGANGP does not train with loss 'hinge'"),
    (dict(data_shape=(2,), n_critic=0), "n_critic must be at least 1"),
    (dict(), "exactly one of image_shape"),
    (dict(image_shape=(8, 8, 1), data_shape=(2,)), "exactly one of image_shape"),
])
def test_bad_arguments_are_rejected_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.WGANGP(**kwargs)


def test_label_smoothing_is_refused_at_construction_for_hinge():
    with pytest.raises(ValueError, match="not to the hinge loss"):
        ganzoo.VanillaGAN(data_shape=(2,), loss="hinge", label_smoothing=0.1)
