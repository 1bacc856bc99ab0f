"""DCGAN: default networks for several sizes, custom networks, clear shape errors."""

import keras
import numpy as np
import pytest

import ganzoo


@pytest.mark.parametrize("image_shape", [(28, 28, 1), (32, 32, 3), (64, 64, 3)])
def test_default_networks_make_and_judge_the_requested_shape(image_shape):
    gan = ganzoo.DCGAN(image_shape=image_shape, latent_dim=16, base_filters=8)
    assert gan.generator.output_shape == (None, *image_shape)
    assert gan.discriminator.input_shape == (None, *image_shape)
    assert gan.discriminator.output_shape == (None, 1)
    images = gan.generate(2, seed=0)
    assert images.shape == (2, *image_shape)
    assert gan.discriminator(images).shape == (2, 1)


def test_default_networks_follow_the_paper():
    gan = ganzoo.DCGAN(image_shape=(32, 32, 1), latent_dim=16, base_filters=8)
    g_layers, d_layers = gan.generator.layers, gan.discriminator.layers
    # tanh output straight after the last transposed conv: no batch norm on G's output
    assert g_layers[-1].get_config()["activation"] == "tanh"
    assert isinstance(g_layers[-2], keras.layers.Conv2DTranspose)
    # no batch norm between D's input and its first LeakyReLU
    assert isinstance(d_layers[1], keras.layers.Conv2D)
    assert isinstance(d_layers[2], keras.layers.LeakyReLU)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in d_layers)
    assert all(layer.strides == (2, 2) for layer in d_layers if isinstance(layer, keras.layers.Conv2D))
    kernel = gan.generator.get_layer(index=1).kernel
    assert abs(float(np.std(kernel)) - 0.02) < 0.005
    gan.compile()
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(gan.d_optimizer.beta_1) == pytest.approx(0.5)


def test_custom_networks_are_used_as_given():
    generator = ganzoo.nets.mlp_generator(5, (8, 8, 1))
    discriminator = ganzoo.nets.dcgan_discriminator((8, 8, 1), base_filters=4)
    gan = ganzoo.DCGAN(generator=generator, discriminator=discriminator)
    assert gan.generator is generator and gan.discriminator is discriminator
    assert gan.latent_dim == 5 and gan.image_shape == (8, 8, 1)


def test_a_custom_generator_gets_a_default_discriminator_of_its_shape():
    generator = ganzoo.nets.dcgan_generator(5, (16, 16, 3), base_filters=4)
    gan = ganzoo.DCGAN(generator=generator, base_filters=4)
    assert gan.discriminator.input_shape == (None, 16, 16, 3)


@pytest.mark.parametrize("image_shape, message", [
    ((30, 30, 1), "multiple of 4"),
    ((4, 4, 1), "at least 8"),
    ((32, 28, 1), "square"),
    ((32, 32, 2), "1 or 3 channels"),
    ((32, 32), r"\(height, width, channels\)"),
])
def test_impossible_image_shapes_are_rejected_clearly(image_shape, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.DCGAN(image_shape=image_shape)


def test_mismatched_custom_networks_name_both_shapes():
    generator = ganzoo.nets.dcgan_generator(5, (32, 32, 1), base_filters=4)
    discriminator = ganzoo.nets.dcgan_discriminator((28, 28, 1), base_filters=4)
    with pytest.raises(ValueError, match=r"\(32, 32, 1\).*\(28, 28, 1\)"):
        ganzoo.DCGAN(generator=generator, discriminator=discriminator)


def test_a_discriminator_with_more_than_one_output_is_rejected():
    generator = ganzoo.nets.dcgan_generator(5, (8, 8, 1), base_filters=4)
    inputs = keras.Input((8, 8, 1))
    two_logits = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="one logit per sample"):
        ganzoo.DCGAN(generator=generator, discriminator=two_logits)
