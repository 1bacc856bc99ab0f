"""CycleGAN's ResNet image-to-image generator (Zhu et al. 2017, after Johnson et al. 2016).

c7s1-k, d2k, d4k, R4k x n, u2k, uk, c7s1-C: a 7x7 convolution, two stride-2
downsamplings, residual blocks, two stride-2 upsamplings and a 7x7 convolution to
the output channels with tanh. Reflection padding before every 7x7 and residual 3x3
convolution, instance normalization and ReLU after every convolution but the last.
"""

import keras
from keras import layers

from ganzoo.nets.dcgan import validate_image_shape
from ganzoo.nets.image_layers import ReflectionPadding2D, conv_init, instance_norm


def validate_translation_shape(image_shape):
    """Return `(size, channels)` of an image shape the CycleGAN networks take."""
    # two halvings of a size >= 8 leave at least 2x2, which a reflection pad of 1 fits
    return validate_image_shape(image_shape, family="CycleGAN")


def default_residual_blocks(size):
    """The paper's choice: 6 residual blocks up to 128x128, 9 above."""
    return 6 if size <= 128 else 9


def _conv_norm_relu(x, filters, kernel_size, strides=1, transpose=False):
    conv = layers.Conv2DTranspose if transpose else layers.Conv2D
    # 7x7 convolutions come after a reflection pad; strided ones zero-pad ("same").
    padding = "valid" if kernel_size == 7 else "same"
    x = conv(filters, kernel_size, strides=strides, padding=padding,
             kernel_initializer=conv_init())(x)
    return layers.ReLU()(instance_norm()(x))


def _residual_block(x):
    filters = x.shape[-1]
    y = ReflectionPadding2D(1)(x)
    y = layers.Conv2D(filters, 3, kernel_initializer=conv_init())(y)
    y = layers.ReLU()(instance_norm()(y))
    y = ReflectionPadding2D(1)(y)
    y = layers.Conv2D(filters, 3, kernel_initializer=conv_init())(y)
    return layers.Add()([x, instance_norm()(y)])


def resnet_generator(image_shape, base_filters=64, residual_blocks=None,
                     output_channels=None, name="resnet_generator"):
    """Image in [-1, 1] -> image in [-1, 1] of the same size.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4 (at least 8),
            1 or 3 channels.
        base_filters: k, the filters of the first layer (64 in the paper).
        residual_blocks: residual blocks at 1/4 resolution; default 6 up to 128 px,
            9 above (the paper's).
        output_channels: channels of the output; default the input's.
    """
    size, channels = validate_translation_shape(image_shape)
    blocks = default_residual_blocks(size) if residual_blocks is None else int(residual_blocks)
    if blocks < 0:
        raise ValueError(f"residual_blocks must be at least 0; got {blocks}.")
    image = keras.Input(tuple(image_shape), name="image")
    x = _conv_norm_relu(ReflectionPadding2D(3)(image), base_filters, 7)
    x = _conv_norm_relu(x, base_filters * 2, 3, strides=2)
    x = _conv_norm_relu(x, base_filters * 4, 3, strides=2)
    for _ in range(blocks):
        x = _residual_block(x)
    x = _conv_norm_relu(x, base_filters * 2, 3, strides=2, transpose=True)
    x = _conv_norm_relu(x, base_filters, 3, strides=2, transpose=True)
    x = layers.Conv2D(output_channels or channels, 7, kernel_initializer=conv_init())(
        ReflectionPadding2D(3)(x))
    # tanh in float32, so mixed-precision outputs still land exactly in [-1, 1].
    translated = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(image, translated, name=name)
