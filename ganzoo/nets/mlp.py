"""Multilayer-perceptron generator and discriminator (Goodfellow et al. 2014)."""

import math

import keras
from keras import layers


def mlp_generator(latent_dim, data_shape, hidden_units=(256, 256), output_activation="tanh",
                  name="mlp_generator"):
    """Latent vector -> sample of `data_shape`, through ReLU hidden layers.

    Args:
        latent_dim: size of the latent vector z.
        data_shape: shape of one sample, e.g. `(2,)` for points or `(28, 28, 1)` for images.
        hidden_units: width of each hidden layer.
        output_activation: `"tanh"` for data in [-1, 1] (images), `"linear"` for
            unbounded data such as 2D points.
    """
    z = keras.Input((latent_dim,), name="z")
    x = z
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
    x = layers.Dense(math.prod(data_shape), activation=output_activation)(x)
    return keras.Model(z, layers.Reshape(tuple(data_shape))(x), name=name)


def mlp_discriminator(data_shape, hidden_units=(256, 256), name="mlp_discriminator"):
    """Sample of `data_shape` -> one real/fake logit, through LeakyReLU(0.2) hidden layers."""
    sample = keras.Input(tuple(data_shape), name="sample")
    x = layers.Flatten()(sample)
    for units in hidden_units:
        x = layers.LeakyReLU(0.2)(layers.Dense(units)(x))
    return keras.Model(sample, layers.Dense(1, name="logit")(x), name=name)
