"""Multilayer-perceptron generator and discriminator (Goodfellow et al. 2014)."""

import math

import keras
from keras import layers

from ganzoo.nets.conditioning import (discriminator_inputs, discriminator_outputs,
                                      generator_inputs, with_label)
from ganzoo.nets.discriminator_options import maybe_spectral_norm, packed_shape


def mlp_generator(latent_dim, data_shape, hidden_units=(256, 256), output_activation="tanh",
                  num_classes=None, conditioning="projection", name="mlp_generator"):
    """Latent vector (and label, when conditional) -> sample of `data_shape`, through
    ReLU hidden layers.

    Args:
        latent_dim: size of the latent vector z.
        data_shape: shape of one sample, e.g. `(2,)` for points or `(28, 28, 1)` for images.
        hidden_units: width of each hidden layer.
        output_activation: `"tanh"` for data in [-1, 1] (images), `"linear"` for
            unbounded data such as 2D points.
        num_classes, conditioning: class conditioning (see `ganzoo.nets.conditioning`).
    """
    inputs, x = generator_inputs(latent_dim, num_classes, conditioning)
    for units in hidden_units:
        x = layers.Dense(units, activation="relu")(x)
    # float32 output, so mixed-precision samples keep full precision at the boundary
    # (the Reshape too: under a mixed policy it would cast them back to half precision)
    x = layers.Dense(math.prod(data_shape), activation=output_activation, dtype="float32")(x)
    return keras.Model(inputs, layers.Reshape(tuple(data_shape), dtype="float32")(x), name=name)


def mlp_discriminator(data_shape, hidden_units=(256, 256), pack=1, spectral_norm=False,
                      num_classes=None, conditioning="projection", name="mlp_discriminator"):
    """Sample of `data_shape` (and label, when conditional) -> one real/fake logit,
    through LeakyReLU(0.2) hidden layers.

    Args:
        data_shape: shape of one sample.
        hidden_units: width of each hidden layer.
        pack: number of samples judged jointly (PacGAN); the input takes `pack`
            samples stacked along the last axis.
        spectral_norm: spectral normalization of every Dense layer (Miyato et al. 2018).
        num_classes, conditioning: class conditioning (see `ganzoo.nets.conditioning`):
            "concat" appends the one-hot label to the flattened sample.
    """
    sample = keras.Input(packed_shape(data_shape, pack), name="sample")
    inputs, label = discriminator_inputs(sample, num_classes, conditioning)
    x = with_label(layers.Flatten()(sample), label, num_classes, conditioning)
    for units in hidden_units:
        x = layers.LeakyReLU(0.2)(maybe_spectral_norm(layers.Dense(units), spectral_norm)(x))
    logit = maybe_spectral_norm(layers.Dense(1, dtype="float32"), spectral_norm)
    outputs = discriminator_outputs(x, logit, label, num_classes, conditioning)
    return keras.Model(inputs, outputs, name=name)
