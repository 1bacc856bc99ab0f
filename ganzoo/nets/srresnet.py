"""SRResNet, the generator of SRGAN (Ledig et al. 2017), and its sub-pixel upsampling.

A 9x9 convolution (64 filters, PReLU); B residual blocks (3x3 conv, batch norm, PReLU,
3x3 conv, batch norm, plus the block's input); a 3x3 convolution with batch norm plus
the first layer's output (the long skip); then one sub-pixel block per factor of 2 of
the scale (3x3 convolution to 4x the filters, pixel shuffle x2, PReLU; Shi et al.
2016), or one x3 block for scale 3; a 9x9 convolution to the image channels with tanh.

Two departures from the paper, both off by default, make it learn far faster on a
small budget: `batch_norm=False` drops the batch norms (EDSR, Lim et al. 2017: they
cost range flexibility and compute, and gain nothing for super-resolution), and
`upsampled_skip="bilinear"` adds the input, upsampled, to the output (VDSR, Kim et al.
2016), so the network starts as bilinear interpolation (its last convolution starts at
zero) and learns only the missing detail. The output is then linear, clipped to
[-1, 1] forward with the gradient passed straight through, instead of tanh.

Fully convolutional: it upscales images of any height and width.
"""

import keras
import tensorflow as tf
from keras import layers

from ganzoo.nets.image_layers import conv_init

SCALES = (2, 3, 4, 8)
UPSAMPLED_SKIPS = (None, "bilinear", "nearest")
# The paper's generator: 16 residual blocks of 64 filters.
PAPER_BLOCKS, PAPER_FILTERS = 16, 64


@keras.saving.register_keras_serializable(package="ganzoo")
class PixelShuffle(layers.Layer):
    """Sub-pixel rearrangement (Shi et al. 2016): `(N, H, W, C r^2)` -> `(N, rH, rW, C)`.

    TensorFlow's `depth_to_space` order: output pixel `(r h + i, r w + j)`, channel c,
    is input pixel `(h, w)`, channel `(i r + j) C + c`.

    Args:
        factor: r, the upscaling factor.
    """

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, features):
        return keras.ops.depth_to_space(features, self.factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda side: None if side is None else side * self.factor  # noqa: E731
        return (batch, grow(height), grow(width), channels // self.factor ** 2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="ganzoo")
class InterpolatedUpsampling(layers.Layer):
    """`(N, H, W, C)` -> `(N, rH, rW, C)` by bilinear or nearest interpolation, in float32.

    `tf.image.resize` on the traced size: Keras' `UpSampling2D` checks its size in
    Python and fails to trace with an unknown height and width, as exports need.

    Args:
        factor: r, the upscaling factor.
        interpolation: "bilinear" or "nearest".
    """

    def __init__(self, factor=2, interpolation="bilinear", **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.factor, self.interpolation = int(factor), interpolation

    def call(self, images):
        size = tf.shape(images)[1:3] * self.factor
        return tf.cast(tf.image.resize(images, size, method=self.interpolation), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda side: None if side is None else side * self.factor  # noqa: E731
        return (batch, grow(height), grow(width), channels)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "interpolation": self.interpolation}


@keras.saving.register_keras_serializable(package="ganzoo")
class StraightThroughClip(layers.Layer):
    """Clip to [-1, 1] forward; pass the gradient through unchanged.

    A plain clip would stop the gradient of out-of-range pixels, so a pixel pushed
    past the range could never come back; tanh would bend the interpolated input the
    residual is added to. Computed in float32 like the tanh it replaces.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, images):
        return images + keras.ops.stop_gradient(keras.ops.clip(images, -1.0, 1.0) - images)


def check_scale(scale):
    """Return `scale` as an int, refusing factors the sub-pixel blocks cannot make."""
    if isinstance(scale, bool) or scale not in SCALES:
        raise ValueError(f"scale must be one of {list(SCALES)} (x2 pixel-shuffle blocks, or "
                         f"one x3 block); got {scale!r}.")
    return int(scale)


def upsampling_factors(scale):
    """The pixel-shuffle factors that make `scale`: [2, 2] for 4, [3] for 3."""
    return [3] if check_scale(scale) == 3 else [2] * (check_scale(scale).bit_length() - 1)


def _batch_norm():
    # momentum 0.9, as the reference implementations' 0.1 (PyTorch) / decay 0.9
    return layers.BatchNormalization(momentum=0.9)


def _prelu():
    # one slope per channel, shared over space: the network stays size-agnostic
    return layers.PReLU(shared_axes=[1, 2])


def _conv(filters, kernel_size, use_bias=True, name=None, kernel_initializer=None):
    return layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias,
                         kernel_initializer=kernel_initializer or conv_init(), name=name)


def srresnet_generator(scale=4, channels=3, residual_blocks=PAPER_BLOCKS,
                       filters=PAPER_FILTERS, batch_norm=True, upsampled_skip=None,
                       name="srresnet_generator"):
    """Low-resolution image in [-1, 1] -> `scale` times larger image in [-1, 1].

    Args:
        scale: upscaling factor, 2, 3, 4 (the paper's) or 8.
        channels: image channels, 1 or 3.
        residual_blocks: B, the residual blocks (16 in the paper).
        filters: filters of the convolutions (64 in the paper).
        batch_norm: batch norm after the convolutions of the residual part, as the
            paper; False drops it (EDSR) and gives those convolutions biases.
        upsampled_skip: None (the paper) or "bilinear" / "nearest": add the input,
            upsampled that way, to the output, which is then linear and clipped.
    """
    factors = upsampling_factors(scale)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels!r}.")
    if residual_blocks < 0 or filters < 1:
        raise ValueError(f"residual_blocks must be >= 0 and filters >= 1; got {residual_blocks} "
                         f"and {filters}.")
    if upsampled_skip not in UPSAMPLED_SKIPS:
        raise ValueError(f"upsampled_skip must be one of {list(UPSAMPLED_SKIPS)}; got "
                         f"{upsampled_skip!r}.")

    def normalized_conv(x):
        if not batch_norm:
            return _conv(filters, 3)(x)
        return _batch_norm()(_conv(filters, 3, use_bias=False)(x))

    low = keras.Input((None, None, channels), name="low_resolution")
    first = _prelu()(_conv(filters, 9)(low))
    x = first
    for block in range(residual_blocks):
        y = normalized_conv(_prelu()(normalized_conv(x)))
        x = layers.Add(name=f"residual_{block + 1}")([x, y])
    x = layers.Add(name="long_skip")([first, normalized_conv(x)])
    for index, factor in enumerate(factors):
        x = _conv(filters * factor ** 2, 3)(x)
        x = PixelShuffle(factor, name=f"pixel_shuffle_{index + 1}")(x)
        x = _prelu()(x)
    if upsampled_skip is None:
        x = _conv(channels, 9, name="to_image")(x)
        # tanh in float32, so mixed-precision outputs still land exactly in [-1, 1].
        high = layers.Activation("tanh", dtype="float32", name="high_resolution")(x)
        return keras.Model(low, high, name=name)
    # Zero-initialised, so training starts from plain interpolation.
    detail = _conv(channels, 9, name="to_detail", kernel_initializer="zeros")(x)
    upsampled = InterpolatedUpsampling(scale, upsampled_skip, name="upsampled_input")(low)
    x = layers.Add(name="to_image", dtype="float32")([upsampled, detail])
    return keras.Model(low, StraightThroughClip(name="high_resolution")(x), name=name)


def generator_scale(model):
    """The upscaling factor of a generator, from its pixel-shuffle layers (works on a
    model loaded from a file); None when it has none."""
    factors = [layer.factor for layer in model.layers if isinstance(layer, PixelShuffle)]
    if not factors:
        return None
    scale = 1
    for factor in factors:
        scale *= factor
    return scale
