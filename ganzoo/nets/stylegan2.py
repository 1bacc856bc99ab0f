"""StyleGAN2 networks (Karras et al. 2020, "Analyzing and Improving the Image Quality
of StyleGAN"), after the reference code's config-F layout, small by default.

Generator, a functional model `z -> images` made of three named parts:

    mapping      z -> w: normalised z, `mapping_layers` equalized dense layers
                 (leaky ReLU, learning-rate multiplier 0.01)
    truncation   w -> ws, the per-layer styles `(batch, num_ws, w_dim)`; holds the
                 tracked average `w_avg`, and pulls w towards it by `psi` when asked
    noise        the fixed per-layer noise maps (the reference's noise_mode="const")
    synthesis    [ws, noise maps] -> images: a learned 4x4 constant, then per
                 resolution two modulated 3x3 convolutions (the first upsampling),
                 each followed by its noise map times a learned strength, a bias and
                 leaky ReLU; a 1x1 modulated, not demodulated, toRGB per resolution,
                 summed into the output after upsampling the lower ones ("skip")

Training feeds `synthesis` fresh random noise maps and mixed styles (see
`ganzoo.gans.stylegan2`); `generator(z)` runs the fixed maps, so it is deterministic
and exports as it is.

Discriminator: residual ("resnet") blocks from the full resolution down to 4x4,
each two 3x3 convolutions (the second downsampling) beside a 1x1 downsampling skip,
summed with gain sqrt(1/2); minibatch standard deviation, a 3x3 convolution and two
dense layers at 4x4.

Simplifications, documented: resampling is bilinear upsampling (the reference
filters with [1, 3, 3, 1], which bilinear 2x upsampling equals away from the
borders) and 2x2 average pooling after the convolution (ProGAN's box filter), instead
of the reference's FIR filters around transposed and strided convolutions; no
float16 clamping. Channels at resolution r: `min(channel_base // r, channel_max)`.
"""

import math

import keras
from keras import layers, ops

from ganzoo.nets.style_layers import (SQRT2, EqualizedConv2D, EqualizedDense, InferenceClip,
                                      MinibatchStddev, PixelNorm)
from ganzoo.nets.progan import channels_at, check_image_shape


def modulated_conv2d(x, kernel, styles, demodulate=True, epsilon=1e-8):
    """Convolution with per-sample weights `kernel * styles` (modulation), each output
    map rescaled to unit expected variance (demodulation).

    Computed as the reference's non-fused path: the input is scaled by the styles,
    convolved with the shared kernel, and the output scaled by the demodulation
    coefficients `1 / sqrt(sum_{k, k, in} (kernel * style)^2 + epsilon)`.

    Args:
        x: `(batch, height, width, in_channels)`.
        kernel: `(k, k, in_channels, out_channels)`.
        styles: `(batch, in_channels)`.
        demodulate: False for toRGB layers.
    """
    styles = ops.cast(styles, x.dtype)
    kernel = ops.cast(kernel, x.dtype)
    x = x * styles[:, None, None, :]
    x = ops.conv(x, kernel, strides=1, padding="same")
    if demodulate:
        # sum over (k, k, in) of (kernel * style)^2, for every sample and output map
        energy = ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1)))
        x = x * ops.rsqrt(energy + epsilon)[:, None, None, :]
    return x


@keras.saving.register_keras_serializable(package="ganzoo")
class ModulatedConv2D(layers.Layer):
    """A modulated (and demodulated) convolution whose styles come from one w.

    `inputs = [x, ws]`; the styles are an affine map (equalized, bias 1) of
    `ws[:, w_index]`. Weights N(0, 1), scaled by 1 / sqrt(fan_in).

    Args:
        filters: output channels.
        kernel_size: 3 (synthesis) or 1 (toRGB).
        w_index: which of the per-layer styles drives this layer.
        demodulate: False for toRGB.
        upsample: upsample x by 2 (bilinear) before the convolution.
    """

    def __init__(self, filters, kernel_size=3, w_index=0, demodulate=True, upsample=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.w_index = int(w_index)
        self.demodulate, self.upsample = bool(demodulate), bool(upsample)
        self.affine = None

    def build(self, input_shape):
        x_shape, ws_shape = input_shape
        channels = int(x_shape[-1])
        self.affine = EqualizedDense(channels, gain=1.0, bias_init=1.0, name="affine")
        self.affine.build((ws_shape[0], ws_shape[-1]))
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, channels, self.filters), name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.scale = 1.0 / math.sqrt(self.kernel_size * self.kernel_size * channels)

    def styles(self, ws):
        return self.affine(ws[:, self.w_index])

    def call(self, inputs):
        x, ws = inputs
        if self.upsample:
            x = _upsample(x)
        return modulated_conv2d(x, self.kernel * self.scale, self.styles(ws), self.demodulate)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape[0]
        grow = 2 if self.upsample else 1
        return (batch, None if height is None else height * grow,
                None if width is None else width * grow, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "w_index": self.w_index, "demodulate": self.demodulate, "upsample": self.upsample}


@keras.saving.register_keras_serializable(package="ganzoo")
class StyledConv(ModulatedConv2D):
    """A synthesis layer: modulated 3x3 convolution, plus noise times a learned strength
    (initially 0), plus bias, leaky ReLU times sqrt(2). `inputs = [x, ws, noise]`."""

    def build(self, input_shape):
        super().build(input_shape[:2])
        self.noise_strength = self.add_weight(shape=(), initializer="zeros", name="noise_strength")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
        x, ws, noise = inputs
        x = super().call([x, ws])
        x = x + ops.cast(noise, x.dtype) * ops.cast(self.noise_strength, x.dtype)
        x = x + ops.cast(self.bias, x.dtype)
        return ops.leaky_relu(x, negative_slope=0.2) * SQRT2

    def compute_output_shape(self, input_shape):
        return super().compute_output_shape(input_shape[:2])


@keras.saving.register_keras_serializable(package="ganzoo")
class ToRGB(ModulatedConv2D):
    """1x1 modulated convolution without demodulation, plus bias: `inputs = [x, ws]`."""

    def __init__(self, filters, w_index=0, **kwargs):
        kwargs.update(kernel_size=1, demodulate=False, upsample=False)
        super().__init__(filters, w_index=w_index, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
        x = super().call(inputs)
        return x + ops.cast(self.bias, x.dtype)

    def get_config(self):
        config = super().get_config()
        for key in ("kernel_size", "demodulate", "upsample"):
            config.pop(key)
        return config


@keras.saving.register_keras_serializable(package="ganzoo")
class ConstantInput(layers.Layer):
    """The learned 4x4 input of the synthesis network, N(0, 1), repeated per sample;
    its input (the styles) gives only the batch size."""

    def __init__(self, channels, size=4, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.size = int(channels), int(size)

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(self.size, self.size, self.channels),
                                        initializer=keras.initializers.RandomNormal(stddev=1.0),
                                        name="constant")

    def call(self, ws):
        batch = ops.shape(ws)[0]
        constant = ops.cast(self.constant, self.compute_dtype)
        return ops.broadcast_to(constant[None], (batch, self.size, self.size, self.channels))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}


@keras.saving.register_keras_serializable(package="ganzoo")
class Truncation(layers.Layer):
    """w -> the per-layer styles ws, pulled towards the tracked average `w_avg`.

    `call(w, psi=1.0)` gives `w_avg + psi * (w - w_avg)`, broadcast to
    `(batch, num_ws, w_dim)`: psi 1 is w itself, psi 0 the average for every sample
    (the truncation trick, Karras et al. 2019). `w_avg` is a non-trainable weight,
    moved by the training step (an exponential average of the mapped w).
    """

    def __init__(self, num_ws, **kwargs):
        super().__init__(**kwargs)
        self.num_ws = int(num_ws)

    def build(self, input_shape):
        self.w_avg = self.add_weight(shape=(int(input_shape[-1]),), initializer="zeros",
                                     trainable=False, name="w_avg")

    def call(self, w, psi=1.0):
        if psi != 1.0:
            w_avg = ops.cast(self.w_avg, w.dtype)
            w = w_avg + ops.cast(psi, w.dtype) * (w - w_avg)
        return ops.repeat(w[:, None, :], self.num_ws, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_ws, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "num_ws": self.num_ws}


@keras.saving.register_keras_serializable(package="ganzoo")
class ConstantNoise(layers.Layer):
    """The fixed noise map of every synthesis layer, N(0, 1), the same for every sample.

    `call(ws)` returns one `(batch, r, r, 1)` map per entry of `resolutions`.
    """

    def __init__(self, resolutions, **kwargs):
        super().__init__(**kwargs)
        self.resolutions = [int(r) for r in resolutions]

    def build(self, input_shape):
        self.maps = [self.add_weight(shape=(r, r, 1), trainable=False, name=f"noise_{i}",
                                     initializer=keras.initializers.RandomNormal(stddev=1.0))
                     for i, r in enumerate(self.resolutions)]

    def call(self, ws):
        batch = ops.shape(ws)[0]
        return [ops.broadcast_to(ops.cast(m, self.compute_dtype)[None], (batch, r, r, 1))
                for m, r in zip(self.maps, self.resolutions)]

    def compute_output_shape(self, input_shape):
        return [(input_shape[0], r, r, 1) for r in self.resolutions]

    def get_config(self):
        return {**super().get_config(), "resolutions": self.resolutions}


def _upsample(x):
    """Bilinear 2x upsampling, as `layers.UpSampling2D(2, interpolation="bilinear")`."""
    return ops.image.resize(x, (x.shape[1] * 2, x.shape[2] * 2), interpolation="bilinear")


def noise_resolutions(size):
    """The resolution of each synthesis layer's noise map, in order: 4, 8, 8, 16, 16, ..."""
    resolutions = [4]
    for level in range(1, int(math.log2(size)) - 1):
        resolutions += [4 * 2**level] * 2
    return resolutions


def num_styles(size):
    """How many per-layer styles (ws) a synthesis network of `size` takes: 2 log2(size) - 2."""
    return 2 * int(math.log2(size)) - 2


def mapping_network(latent_dim, w_dim, num_layers=2, lr_multiplier=0.01, name="mapping"):
    """z -> w: the normalised latent through `num_layers` equalized dense layers."""
    if num_layers < 1:
        raise ValueError(f"The mapping network needs at least 1 layer; got {num_layers}.")
    z = keras.Input((latent_dim,), name="z")
    x = PixelNorm(name="normalize")(z)
    for index in range(num_layers):
        x = EqualizedDense(w_dim, gain=1.0, lr_multiplier=lr_multiplier, activation="lrelu",
                           activation_gain=SQRT2, name=f"dense_{index}")(x)
    return keras.Model(z, x, name=name)


def synthesis_network(w_dim, image_shape, channel_base=1024, channel_max=64, name="synthesis"):
    """[ws, noise maps] -> images, the skip architecture; linear output in training,
    clipped to [-1, 1] in inference (`InferenceClip`)."""
    size, image_channels = check_image_shape(image_shape, "StyleGAN2")
    width = lambda resolution: channels_at(resolution, channel_base, channel_max)  # noqa: E731
    num_ws = num_styles(size)
    ws = keras.Input((num_ws, w_dim), name="ws")
    noises = [keras.Input((r, r, 1), name=f"noise_{i}")
              for i, r in enumerate(noise_resolutions(size))]
    x = ConstantInput(width(4), name="constant")(ws)
    x = StyledConv(width(4), w_index=0, name="conv_4")([x, ws, noises[0]])
    image = ToRGB(image_channels, w_index=1, name="to_rgb_4")([x, ws])
    w_index, noise_index, resolution = 1, 1, 8
    while resolution <= size:
        x = StyledConv(width(resolution), w_index=w_index, upsample=True,
                       name=f"conv0_{resolution}")([x, ws, noises[noise_index]])
        x = StyledConv(width(resolution), w_index=w_index + 1,
                       name=f"conv1_{resolution}")([x, ws, noises[noise_index + 1]])
        rgb = ToRGB(image_channels, w_index=w_index + 2, name=f"to_rgb_{resolution}")([x, ws])
        image = layers.Add(name=f"skip_{resolution}")([
            layers.UpSampling2D(2, interpolation="bilinear", name=f"upsample_{resolution}")(image),
            rgb])
        w_index, noise_index, resolution = w_index + 2, noise_index + 2, resolution * 2
    return keras.Model([ws, *noises], InferenceClip(name="clip")(image), name=name)


def stylegan2_generator(latent_dim, image_shape, w_dim=None, mapping_layers=2,
                        channel_base=1024, channel_max=64, name="generator"):
    """The generator `z -> images` (see the module docstring), fixed noise maps."""
    size, _ = check_image_shape(image_shape, "StyleGAN2")
    w_dim = int(w_dim or latent_dim)
    mapping = mapping_network(latent_dim, w_dim, mapping_layers)
    synthesis = synthesis_network(w_dim, image_shape, channel_base, channel_max)
    z = keras.Input((latent_dim,), name="latent")
    ws = Truncation(num_styles(size), name="truncation")(mapping(z))
    noises = ConstantNoise(noise_resolutions(size), name="noise")(ws)
    return keras.Model(z, synthesis([ws, *noises]), name=name)


class _FixedTruncation(layers.Layer):
    """A generator's `Truncation` layer called with one psi."""

    def __init__(self, truncation, psi, **kwargs):
        super().__init__(**kwargs)
        self.truncation, self.psi = truncation, float(psi)

    def call(self, w):
        return self.truncation(w, psi=self.psi)


def generator_with_truncation(generator, psi):
    """`generator` (from `stylegan2_generator`) sampling with truncation `psi`: its own
    parts and weights, psi fixed in the graph (for export: `ganzoo-export --truncation`)."""
    parts = {layer.name: layer for layer in generator.layers}
    if not isinstance(parts.get("truncation"), Truncation):
        raise ValueError(f"truncation applies to generators with styles (StyleGAN2); "
                         f"{generator.name!r} has no truncation layer.")
    if not 0.0 <= psi <= 1.0:
        raise ValueError(f"truncation psi must be in [0, 1] (1: none); got {psi}.")
    z = keras.Input(generator.input_shape[1:], name="latent")
    ws = _FixedTruncation(parts["truncation"], psi, name="fixed_truncation")(parts["mapping"](z))
    noises = parts["noise"](ws)
    return keras.Model(z, parts["synthesis"]([ws, *noises]), name=generator.name)


def stylegan2_discriminator(image_shape, channel_base=1024, channel_max=64, group_size=4,
                            name="discriminator"):
    """Images -> one logit each: residual blocks, minibatch stddev, dense layers."""
    size, image_channels = check_image_shape(image_shape, "StyleGAN2")
    width = lambda resolution: channels_at(resolution, channel_base, channel_max)  # noqa: E731
    lrelu = dict(gain=1.0, activation="lrelu", activation_gain=SQRT2)
    images = keras.Input((size, size, image_channels), name="images")
    x = EqualizedConv2D(width(size), 1, name="from_rgb", **lrelu)(images)
    resolution = size
    while resolution > 4:
        out = width(resolution // 2)
        skip = EqualizedConv2D(out, 1, gain=1.0, use_bias=False, downsample=True,
                               activation_gain=math.sqrt(0.5), name=f"skip_{resolution}")(x)
        x = EqualizedConv2D(width(resolution), 3, name=f"conv0_{resolution}", **lrelu)(x)
        # the residual sum's gain sqrt(1/2), folded into the activation's sqrt(2)
        x = EqualizedConv2D(out, 3, gain=1.0, activation="lrelu", activation_gain=1.0,
                            downsample=True, name=f"conv1_down_{resolution}")(x)
        x = layers.Add(name=f"residual_{resolution}")([skip, x])
        resolution //= 2
    x = MinibatchStddev(group_size, name="minibatch_stddev")(x)
    x = EqualizedConv2D(width(4), 3, name="conv_4", **lrelu)(x)
    x = layers.Flatten(name="flatten")(x)
    x = EqualizedDense(width(4), name="dense", **lrelu)(x)
    scores = EqualizedDense(1, gain=1.0, name="score")(x)
    return keras.Model(images, scores, name=name)
