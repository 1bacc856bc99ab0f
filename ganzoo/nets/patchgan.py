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


NORMALIZATIONS = ("instance", "none")


def check_downsamplings(height, width, downsamplings=None):
    """The stride-2 layers of a PatchGAN on `height` x `width` images: `downsamplings`,
    or `default_downsamplings` of the smaller side; refuses a count that leaves no
    score map."""
    size = min(height, width)
    steps = default_downsamplings(size) if downsamplings is None else int(downsamplings)
    if steps < 1:
        raise ValueError(f"downsamplings must be at least 1; got {steps}.")
    if size < 3 * 2 ** steps:  # each stride-1 4x4 layer trims a pixel off the map
        where = f"{size} px" if height == width else f"{height}x{width} px"
        raise ValueError(f"{steps} downsamplings leave no score map at {where}; use at "
                         f"most {max(1, (size // 3).bit_length() - 1)}.")
    return steps


def patch_scores(x, base_filters, downsamplings, normalization="instance"):
    """The PatchGAN's layers on a tensor of any channels -> its score map (logits).

    C64-C128-C256-C512 4x4 convolutions after a zero padding of 1 each ("valid", as
    the reference code: each stride-1 layer trims one pixel, the paper's 30x30 score
    map at 256 px), stride 2 for the first `downsamplings`, instance norm but on the
    first (with `normalization="instance"`), LeakyReLU 0.2; then a 4x4 convolution to
    one float32 score per patch. What `patchgan_discriminator` runs on an image and
    `conditional_patchgan` on an (input, image) pair stacked along the channels.
    """
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {list(NORMALIZATIONS)}; got "
                         f"{normalization!r}.")
    for layer in range(downsamplings + 1):
        strides = 2 if layer < downsamplings else 1
        x = layers.Conv2D(base_filters * 2 ** min(layer, 3), 4, strides=strides,
                          kernel_initializer=conv_init())(layers.ZeroPadding2D(1)(x))
        if layer > 0 and normalization == "instance":
            x = instance_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    return layers.Conv2D(1, 4, kernel_initializer=conv_init(), dtype="float32",
                         name="scores")(x)


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
    steps = check_downsamplings(size, size, downsamplings)
    image = keras.Input(tuple(image_shape), name="image")
    return keras.Model(image, patch_scores(image, base_filters, steps), name=name)
