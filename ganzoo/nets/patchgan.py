"""PatchGAN discriminator (Isola et al. 2017; used by CycleGAN, Zhu et al. 2017).

It scores every overlapping patch of an image as real or fake: C64-C128-C256-C512
4x4 convolutions (stride 2 except the last, instance norm except the first,
LeakyReLU 0.2) and a 4x4 convolution to one score per patch. With three stride-2
layers each score sees 70x70 pixels, about a quarter of a 256-pixel image.
"""

import keras
from keras import layers

from ganzoo.nets.image_layers import conv_init, instance_norm
from ganzoo.nets.resnet import validate_translation_shape

# Receptive field of the paper's PatchGAN, at its 256-pixel images.
PAPER_PATCH, PAPER_SIZE = 70, 256


def receptive_field(downsamplings):
    """Side in pixels of the input patch each score sees, for a given number of
    stride-2 layers (70 for the paper's 3)."""
    field = 1
    # two stride-1 4x4 layers at the end, then the stride-2 ones, walked backwards
    for stride in [1, 1] + [2] * downsamplings:
        field = field * stride + (4 - stride)
    return field


def default_downsamplings(size):
    """Stride-2 layers of the default PatchGAN for `size`-pixel images.

    The paper's 3 (70-pixel patches) from 256 px up. Below, 2 (34-pixel patches: a
    quarter of a 128-pixel image, the whole digit at 32 px): on the 32-pixel
    digits2negative task, 16-pixel patches (1 layer) let the generators learn
    scrambled maps in some seeds (a2b error 0.32 against 0.07 with 34-pixel patches,
    same seed). Images under 12 px get 1, the most that still leaves a score map.
    """
    if size >= PAPER_SIZE:
        return 3
    return 2 if size >= 12 else 1


def patchgan_discriminator(image_shape, base_filters=64, downsamplings=None,
                           name="patchgan_discriminator"):
    """Image -> a map of real/fake scores, one per patch, shape `(batch, h, w, 1)`.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4 (at least 8).
        base_filters: filters of the first layer; each following layer doubles them,
            up to 8x.
        downsamplings: stride-2 layers; default `default_downsamplings(size)`: 3 (the
            paper's 70-pixel patches) from 256 px, 2 (34-pixel patches) below.
    """
    size, _ = validate_translation_shape(image_shape)
    steps = default_downsamplings(size) if downsamplings is None else int(downsamplings)
    if steps < 1:
        raise ValueError(f"downsamplings must be at least 1; got {steps}.")
    if size < 3 * 2 ** steps:  # each stride-1 4x4 layer trims a pixel off the map
        raise ValueError(f"{steps} downsamplings leave no score map at {size} px; use at "
                         f"most {max(1, (size // 3).bit_length() - 1)}.")
    image = keras.Input(tuple(image_shape), name="image")
    x = image
    # Zero padding of 1 and "valid" 4x4 convolutions, as the reference code: each
    # stride-1 layer trims one pixel (the paper's 30x30 score map at 256 px).
    for layer in range(steps + 1):
        strides = 2 if layer < steps else 1
        x = layers.Conv2D(base_filters * 2 ** min(layer, 3), 4, strides=strides,
                          kernel_initializer=conv_init())(layers.ZeroPadding2D(1)(x))
        if layer > 0:
            x = instance_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    scores = layers.Conv2D(1, 4, kernel_initializer=conv_init(), dtype="float32",
                           name="scores")(x)
    return keras.Model(image, scores, name=name)
