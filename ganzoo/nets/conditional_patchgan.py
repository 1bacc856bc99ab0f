"""pix2pix's conditional PatchGAN (Isola et al. 2017): it judges (input, output) pairs.

The layers of `ganzoo.nets.patchgan` (C64-C128-C256-C512 4x4 convolutions, stride 2
but the last, instance norm but the first, LeakyReLU 0.2, then a 4x4 convolution to one
score per patch), run on the input image and the real or translated image stacked
along the channels: D sees what it should translate from, so a translation must fit
its input, not only look real. The number of stride-2 layers scales with the image size
as CycleGAN's PatchGAN does (`patchgan.default_downsamplings`): the paper's 3 (70x70
patches) from 256 px, 2 (34x34) below, 1 (16x16) under 12 px.
"""

import keras
from keras import layers

from ganzoo.nets.image_layers import conv_init, instance_norm
from ganzoo.nets.patchgan import default_downsamplings, receptive_field

NORMALIZATIONS = ("instance", "none")

__all__ = ["conditional_patchgan", "default_downsamplings", "receptive_field"]


def conditional_patchgan(condition_shape, image_channels=None, base_filters=64,
                         downsamplings=None, normalization="instance",
                         name="conditional_patchgan"):
    """`[condition, image]` -> a map of real/fake scores (logits), `(batch, h, w, 1)`.

    Args:
        condition_shape: `(height, width, channels)` of the input images (domain A).
        image_channels: channels of the judged images (domain B); default the input's.
        base_filters: filters of the first layer (64); each further layer doubles
            them, up to 8x.
        downsamplings: stride-2 layers; default `default_downsamplings(min(height,
            width))`. Each score sees `receptive_field(downsamplings)` pixels square.
        normalization: "instance" (the paper's batch norm at batch size 1) or "none".
    """
    if len(condition_shape) != 3:
        raise ValueError("condition_shape must be (height, width, channels); got "
                         f"{tuple(condition_shape)}.")
    height, width, channels = (int(side) for side in condition_shape)
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {list(NORMALIZATIONS)}; got "
                         f"{normalization!r}.")
    size = min(height, width)
    steps = default_downsamplings(size) if downsamplings is None else int(downsamplings)
    if steps < 1:
        raise ValueError(f"downsamplings must be at least 1; got {steps}.")
    if size < 3 * 2 ** steps:  # each stride-1 4x4 layer trims a pixel off the map
        raise ValueError(f"{steps} downsamplings leave no score map at {height}x{width} px; "
                         f"use at most {max(1, (size // 3).bit_length() - 1)}.")
    condition = keras.Input((height, width, channels), name="condition")
    image = keras.Input((height, width, image_channels or channels), name="image")
    x = layers.Concatenate(name="pair")([condition, image])
    # Zero padding of 1 and "valid" 4x4 convolutions, as the reference code: each
    # stride-1 layer trims one pixel (the paper's 30x30 score map at 256 px).
    for layer in range(steps + 1):
        x = layers.Conv2D(base_filters * 2 ** min(layer, 3), 4, strides=2 if layer < steps else 1,
                          kernel_initializer=conv_init())(layers.ZeroPadding2D(1)(x))
        if layer > 0 and normalization == "instance":
            x = instance_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    scores = layers.Conv2D(1, 4, kernel_initializer=conv_init(), dtype="float32",
                           name="scores")(layers.ZeroPadding2D(1)(x))
    return keras.Model([condition, image], scores, name=name)
