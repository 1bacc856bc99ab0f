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

from ganzoo.nets.patchgan import (NORMALIZATIONS, check_downsamplings, default_downsamplings,
                                  patch_scores, receptive_field)

__all__ = ["conditional_patchgan", "default_downsamplings", "receptive_field", "NORMALIZATIONS"]


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
    steps = check_downsamplings(height, width, downsamplings)
    condition = keras.Input((height, width, channels), name="condition")
    image = keras.Input((height, width, image_channels or channels), name="image")
    pair = layers.Concatenate(name="pair")([condition, image])
    return keras.Model([condition, image],
                       patch_scores(pair, base_filters, steps, normalization), name=name)
