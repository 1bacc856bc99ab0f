"""Network pieces the detectors need and `ganzoo.nets` does not (yet) have.

`dcgan_encoder` maps images to latent vectors: the DCGAN discriminator's trunk with a
latent head, as GANomaly's encoders are (Akcay et al. 2018, the reference code's
`Encoder`: 4x4 stride-2 convolutions without bias, batch norm after all but the first,
LeakyReLU(0.2), and a last 4x4 convolution over the 4x4 map, which is a dense layer
over its flattened values). `discriminator_features` exposes the last hidden layer of a
`ganzoo.nets.dcgan_discriminator`, the features GANomaly matches and f-AnoGAN compares.

The decoder of GANomaly and of the autoencoder is `ganzoo.nets.dcgan_generator`: its
dense layer into the 4x4 map is the reference's 4x4 transposed convolution of a 1x1
input, and its filter counts (4, 2, 1 times `base_filters` at 32x32) are the same.
"""

import keras
from keras import layers

from ganzoo.nets.dcgan import NORMALIZATIONS, num_resolution_steps, validate_image_shape
from ganzoo.nets.image_layers import conv_init


def dcgan_encoder(image_shape, latent_dim, base_filters=64, normalization="batch",
                  latent_activation=None, name="encoder"):
    """Image -> latent vector `(batch, latent_dim)`, the mirror image of `dcgan_generator`.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4 (at least 8),
            channels 1 or 3.
        latent_dim: size of the latent vector.
        base_filters: filters of the first block; each following block doubles them.
        normalization: "batch" (GANomaly, f-AnoGAN's encoder), "layer" or "none";
            never on the input layer.
        latent_activation: None (linear, GANomaly) or "tanh" (f-AnoGAN's encoder,
            whose latents then stay inside [-1, 1]).
    """
    size, _ = validate_image_shape(image_shape, family="encoder")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {sorted(NORMALIZATIONS)}; "
                         f"got {normalization!r}.")
    image = keras.Input(tuple(image_shape), name="image")
    x = image
    for step in range(num_resolution_steps(size)):
        x = layers.Conv2D(base_filters * 2 ** step, 4, strides=2, padding="same", use_bias=False,
                          kernel_initializer=conv_init())(x)
        if step > 0 and normalization != "none":
            x = NORMALIZATIONS[normalization]()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    latent = layers.Dense(latent_dim, use_bias=False, kernel_initializer=conv_init(),
                          dtype="float32", name="latent")(x)
    if latent_activation is not None:
        latent = layers.Activation(latent_activation, dtype="float32",
                                   name=f"latent_{latent_activation}")(latent)
    return keras.Model(image, latent, name=name)


def discriminator_features(discriminator, name=None):
    """A model sharing `discriminator`'s layers: image -> (logit, last hidden features).

    The features are the flattened input of its `logit` layer (the last layer of a
    `ganzoo.nets.dcgan_discriminator`).
    """
    try:
        head = discriminator.get_layer("logit")
    except ValueError:
        head = discriminator.layers[-1]
    return keras.Model(discriminator.input, [discriminator.output, head.input],
                       name=name or f"{discriminator.name}_features")
