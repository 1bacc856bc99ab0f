"""SRGAN's discriminator (Ledig et al. 2017): is a high-resolution patch real?

Eight 3x3 convolutions, 64-64-128-128-256-256-512-512 filters, stride 2 on the 2nd,
4th, 6th and 8th (the resolution halves before the filters double), batch norm on all
but the first, LeakyReLU 0.2, no pooling; then a dense layer of 1024 units, LeakyReLU,
and a dense layer to one logit (the paper's sigmoid is in the loss). The dense layers
fix the patch size it judges: 96x96 in the paper.
"""

import keras
from keras import layers

from ganzoo.nets.image_layers import conv_init

# (filters as a multiple of base_filters, stride) of the 2nd..8th convolutions
_BLOCKS = ((1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2))
DOWNSAMPLING = 16  # four stride-2 convolutions
PAPER_PATCH = 96


def check_patch_size(patch_size):
    """Return `patch_size` as an int, refusing sizes the discriminator cannot judge."""
    if (isinstance(patch_size, bool) or not isinstance(patch_size, int)
            or patch_size < DOWNSAMPLING or patch_size % DOWNSAMPLING):
        raise ValueError(f"The SRGAN discriminator judges square patches whose side is a "
                         f"multiple of {DOWNSAMPLING} (its four stride-2 layers; the paper's "
                         f"{PAPER_PATCH}); got patch size {patch_size!r}.")
    return patch_size


def srgan_discriminator(patch_size=PAPER_PATCH, channels=3, base_filters=64, dense_units=None,
                        name="srgan_discriminator"):
    """High-resolution patch `(patch_size, patch_size, channels)` in [-1, 1] -> one logit.

    Args:
        patch_size: side of the judged patches, a multiple of 16 (96 in the paper).
        channels: image channels, 1 or 3.
        base_filters: filters of the first two convolutions (64); later ones double
            them up to 8x.
        dense_units: units of the hidden dense layer; default 16 x base_filters (the
            paper's 1024).
    """
    patch_size = check_patch_size(patch_size)
    image = keras.Input((patch_size, patch_size, channels), name="high_resolution")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(base_filters, 3, padding="same",
                                            kernel_initializer=conv_init())(image))
    for multiple, stride in _BLOCKS:
        x = layers.Conv2D(base_filters * multiple, 3, strides=stride, padding="same",
                          use_bias=False, kernel_initializer=conv_init())(x)
        x = layers.LeakyReLU(0.2)(layers.BatchNormalization(momentum=0.9)(x))
    x = layers.Flatten()(x)
    x = layers.LeakyReLU(0.2)(layers.Dense(dense_units or 16 * base_filters,
                                           kernel_initializer=conv_init())(x))
    logit = layers.Dense(1, kernel_initializer=conv_init(), dtype="float32", name="logit")(x)
    return keras.Model(image, logit, name=name)
