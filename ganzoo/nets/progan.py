"""Progressive GAN networks (Karras et al. 2018): every resolution built up front.

The generator and the discriminator hold the blocks of every level (level 0 is 4x4,
level l is 4 * 2**l) and two non-trainable variables: `level`, the resolution being
trained, and `alpha`, the fade-in of that level's new block (0: only the previous
level, upsampled; 1: only the new block). A call runs one branch per level
(`keras.ops.switch`, a `tf.switch_case` in graphs): levels above the current one cost
nothing, and growing never rebuilds a network, so one compiled training step (and one
`fit`, under any `tf.distribute` strategy) covers the whole growth schedule. The
reference implementation's "recursive" structure selects its branches with `tf.cond`
in the same way. The training step branches once, around its whole forward and
backward pass, and runs the networks at a fixed level inside (`fixed_level`).

Inputs and outputs are always at the full resolution, as in the reference: the
generator upsamples its current output (nearest neighbour), the discriminator
average-pools its input down to the current level. `images_at_stage` turns real
images into what the generator makes at a stage.

Equalized learning rate everywhere; pixel normalisation after every generator
convolution (and of the latent); minibatch standard deviation before the
discriminator's last block; leaky ReLU 0.2; linear outputs. Channels at resolution r:
`min(channel_base // r, channel_max)`.
"""

import contextlib
import math

import keras
from keras import layers, ops

from ganzoo.nets.style_layers import (SQRT2, EqualizedConv2D, EqualizedDense, InferenceClip,
                                      MinibatchStddev, PixelNorm)


def check_image_shape(image_shape, family="ProGAN"):
    """`(size, channels)` of a square image whose size is a power of two >= 8."""
    if len(image_shape) != 3:
        raise ValueError("image_shape must be (height, width, channels); "
                         f"got {tuple(image_shape)}.")
    height, width, channels = (int(s) for s in image_shape)
    if height != width or height < 8 or height & (height - 1):
        raise ValueError(f"{family} networks take square images whose size is a power of two "
                         f"of at least 8 (8, 16, 32, 64, ...); got {height}x{width}. Load the "
                         "data with image_size=32, say.")
    if channels not in (1, 3):
        raise ValueError(f"{family} images have 1 or 3 channels; got {channels}.")
    return height, channels


def channels_at(resolution, channel_base, channel_max):
    """Feature maps at `resolution`: `min(channel_base // resolution, channel_max)`."""
    return max(1, min(channel_base // resolution, channel_max))


def num_levels(size):
    """Resolutions from 4x4 to `size` (a power of two): 4 for 32."""
    return int(math.log2(size)) - 1


def _upsample(x, factor):
    """Nearest-neighbour upsampling by an integer factor (the reference's upscale2d)."""
    if factor == 1:
        return x
    return ops.repeat(ops.repeat(x, factor, axis=1), factor, axis=2)


def _downsample(x, factor):
    """Box-filter downsampling (average pooling) by an integer factor."""
    if factor == 1:
        return x
    return ops.average_pool(x, factor, strides=factor, padding="valid")


def _lerp(a, b, t):
    return a + (b - a) * t


class _Growing(layers.Layer):
    """A network of several levels with the stage variables `level` and `alpha`."""

    def __init__(self, resolution, channels, channel_base=1024, channel_max=64, **kwargs):
        super().__init__(**kwargs)
        self.resolution, self.channels = check_image_shape((resolution, resolution, channels))
        self.channel_base, self.channel_max = int(channel_base), int(channel_max)
        self.levels = num_levels(self.resolution)
        # Written by the training step (from ganzoo.gans.growth.Growth), read in `call`.
        # Aggregation "none": under tf.distribute every replica assigns its own copy
        # the same value.
        self.level = self.add_weight(shape=(), dtype="int32", initializer="zeros",
                                     trainable=False, name="level")
        self.alpha = self.add_weight(shape=(), dtype="float32", initializer="ones",
                                     trainable=False, name="alpha")
        self._fixed_level = None

    def width(self, level):
        """Feature maps at `level`."""
        return channels_at(4 * 2**level, self.channel_base, self.channel_max)

    def set_stage(self, level, alpha):
        """Make calls run `level`, faded in by `alpha` (tensors or numbers)."""
        self.level.assign(ops.cast(level, "int32"))
        self.alpha.assign(ops.cast(alpha, "float32"))

    @contextlib.contextmanager
    def fixed_level(self, level):
        """Within the context, calls run `level` (a Python int) directly, with no branch
        on the `level` variable; `alpha` still comes from its variable.

        A training step differentiates inside one branch per level (see
        `ganzoo.gans.progan`): gradients through a `switch` of every call would cost
        about twice the step time.
        """
        previous, self._fixed_level = self._fixed_level, int(level)
        try:
            yield
        finally:
            self._fixed_level = previous

    @property
    def running_level(self):
        """The level (a Python int) a call runs now: the one `fixed_level` fixes, else
        the `level` variable's value. Read eagerly (`ganzoo.nets.flops` counts it)."""
        if self._fixed_level is not None:
            return self._fixed_level
        return int(ops.convert_to_numpy(self.level))

    def call(self, inputs):
        if self._fixed_level is not None:
            return self.at(inputs, self._fixed_level, self.alpha)
        # one branch per level; each reads alpha from the variable
        return ops.switch(self.level, [lambda x, lvl=lvl: self.at(x, lvl, self.alpha)
                                       for lvl in range(self.levels)], inputs)

    def get_config(self):
        return {**super().get_config(), "resolution": self.resolution,
                "channels": self.channels, "channel_base": self.channel_base,
                "channel_max": self.channel_max}


@keras.saving.register_keras_serializable(package="ganzoo")
class GrowingGenerator(_Growing):
    """Latent vectors -> full-resolution images of the current stage.

    Args:
        latent_dim: size of the latent vector.
        resolution: output size (a power of two, at least 8).
        channels: image channels (1 or 3).
        channel_base, channel_max: feature maps per resolution (see module docstring).
    """

    def __init__(self, latent_dim, resolution, channels, **kwargs):
        super().__init__(resolution, channels, **kwargs)
        self.latent_dim = int(latent_dim)
        width = self.width(0)
        self.normalize = PixelNorm(name="latent_norm")
        # gain sqrt(2)/4 (matching their Theano code) and one bias per channel after
        # the reshape: the reference's
        self.dense = EqualizedDense(16 * width, gain=SQRT2 / 4, use_bias=False, name="dense")
        self.pixel_norm = PixelNorm(name="pixel_norm")
        self.blocks = [[EqualizedConv2D(width, 3, activation="lrelu", name="conv_4")]]
        for level in range(1, self.levels):
            size, width = 4 * 2**level, self.width(level)
            self.blocks.append([
                EqualizedConv2D(width, 3, activation="lrelu", name=f"conv0_{size}"),
                EqualizedConv2D(width, 3, activation="lrelu", name=f"conv1_{size}")])
        self.to_rgb = [EqualizedConv2D(self.channels, 1, gain=1.0, name=f"to_rgb_{4 * 2**level}")
                       for level in range(self.levels)]

    def build(self, input_shape):
        batch = input_shape[0]
        self.dense.build((batch, self.latent_dim))
        self.dense_bias = self.add_weight(shape=(self.width(0),), initializer="zeros",
                                          name="dense_bias")
        for level, block in enumerate(self.blocks):
            size = 4 * 2**level
            inputs = self.width(max(level - 1, 0))
            for conv in block:
                conv.build((batch, size, size, inputs))
                inputs = conv.filters
            self.to_rgb[level].build((batch, size, size, inputs))

    def features(self, z, level):
        """Feature maps after the blocks up to `level` (a Python int)."""
        x = ops.reshape(self.dense(self.normalize(z)), (-1, 4, 4, self.width(0)))
        x = ops.leaky_relu(x + ops.cast(self.dense_bias, x.dtype), negative_slope=0.2)
        x = self.pixel_norm(self.blocks[0][0](self.pixel_norm(x)))
        for current in range(1, level + 1):
            x = self.features_from(x, current)
        return x

    def at(self, z, level, alpha):
        """The full-resolution output at `level` (a Python int) faded in by `alpha`.

        At level l > 0 it is `lerp(upsample(to_rgb[l-1](x[l-1])), to_rgb[l](x[l]), alpha)`.
        """
        if level == 0:
            image = self.to_rgb[0](self.features(z, 0))
        else:
            previous = self.features(z, level - 1)
            new = self.to_rgb[level](self.features_from(previous, level))
            old = _upsample(self.to_rgb[level - 1](previous), 2)
            image = _lerp(old, new, ops.cast(alpha, new.dtype))
        return _upsample(image, 2 ** (self.levels - 1 - level))

    def features_from(self, previous, level):
        """One block on from the features of `level - 1`."""
        x = _upsample(previous, 2)
        for conv in self.blocks[level]:
            x = self.pixel_norm(conv(x))
        return x

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.resolution, self.resolution, self.channels)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


@keras.saving.register_keras_serializable(package="ganzoo")
class GrowingDiscriminator(_Growing):
    """Full-resolution images -> one score each, judged at the current stage.

    Args:
        resolution, channels, channel_base, channel_max: as for `GrowingGenerator`.
        group_size: samples per minibatch-standard-deviation group (4).
    """

    def __init__(self, resolution, channels, group_size=4, **kwargs):
        super().__init__(resolution, channels, **kwargs)
        self.group_size = int(group_size)
        self.from_rgb = [EqualizedConv2D(self.width(level), 1, activation="lrelu",
                                         name=f"from_rgb_{4 * 2**level}")
                         for level in range(self.levels)]
        self.blocks = [[]]  # level 0 (4x4) ends in the final block below
        for level in range(1, self.levels):
            size = 4 * 2**level
            self.blocks.append([
                EqualizedConv2D(self.width(level), 3, activation="lrelu", name=f"conv0_{size}"),
                EqualizedConv2D(self.width(level - 1), 3, activation="lrelu", downsample=True,
                                name=f"conv1_down_{size}")])
        width = self.width(0)
        self.stddev = MinibatchStddev(self.group_size, name="minibatch_stddev")
        self.conv = EqualizedConv2D(width, 3, activation="lrelu", name="conv_4")
        self.dense = EqualizedDense(width, activation="lrelu", name="dense0")
        self.score = EqualizedDense(1, gain=1.0, name="dense1")

    def build(self, input_shape):
        batch = input_shape[0]
        for level in range(self.levels):
            size = 4 * 2**level
            self.from_rgb[level].build((batch, size, size, self.channels))
            if level:
                conv0, conv1 = self.blocks[level]
                conv0.build((batch, size, size, self.width(level)))
                conv1.build((batch, size, size, self.width(level)))
        width = self.width(0)
        self.conv.build((batch, 4, 4, width + 1))
        self.dense.build((batch, 16 * width))
        self.score.build((batch, width))

    def block(self, x, level):
        """The block of `level` > 0: two convolutions, the second downsampling."""
        for conv in self.blocks[level]:
            x = conv(x)
        return x

    def at(self, images, level, alpha):
        """The scores at `level` (a Python int), its block faded in by `alpha`:
        `lerp(from_rgb[l-1](downsample(image)), block[l](from_rgb[l](image)), alpha)`."""
        image = _downsample(images, 2 ** (self.levels - 1 - level))
        x = self.from_rgb[level](image)
        if level:
            x = self.block(x, level)
            old = self.from_rgb[level - 1](_downsample(image, 2))
            x = _lerp(old, x, ops.cast(alpha, x.dtype))
            for lower in range(level - 1, 0, -1):
                x = self.block(x, lower)
        x = self.conv(self.stddev(x))
        x = self.dense(ops.reshape(x, (-1, 16 * self.width(0))))
        return self.score(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


def images_at_stage(images, level, alpha, levels):
    """Real images as the generator makes them at a stage, at full resolution.

    Box-filtered down to the level's resolution, blended with their own 2x-coarser
    version by `1 - alpha` during a fade (the reference's process_reals: FadeLOD and
    UpscaleLOD), and upsampled back (nearest neighbour). `level`: a Python int, or
    a tensor (then one branch per level).
    """
    def at(x, level):
        x = _downsample(x, 2 ** (levels - 1 - level))
        if level:
            coarse = _upsample(_downsample(x, 2), 2)
            x = _lerp(coarse, x, ops.cast(alpha, x.dtype))
        return _upsample(x, 2 ** (levels - 1 - level))

    if isinstance(level, int):
        return at(images, level)
    return ops.switch(ops.cast(level, "int32"), [lambda x, lvl=lvl: at(x, lvl)
                                                for lvl in range(levels)], images)


def progan_generator(latent_dim, image_shape, channel_base=1024, channel_max=64,
                     name="generator"):
    """The growing generator as a functional model: `(batch, latent_dim)` -> images.

    Its output is linear in training (the reference's) and clipped to [-1, 1] in
    inference (`InferenceClip`).
    """
    size, channels = check_image_shape(image_shape)
    z = keras.Input((latent_dim,), name="latent")
    images = GrowingGenerator(latent_dim, size, channels, channel_base=channel_base,
                              channel_max=channel_max, name="growing_generator")(z)
    return keras.Model(z, InferenceClip(name="clip")(images), name=name)


class _AtStage(layers.Layer):
    """A growing generator run at one fixed stage, with no branch on its variables."""

    def __init__(self, growing, level, alpha, **kwargs):
        super().__init__(**kwargs)
        self.growing, self.stage_level, self.stage_alpha = growing, int(level), float(alpha)

    def call(self, z):
        return self.growing.at(z, self.stage_level, self.stage_alpha)


def generator_at_stage(generator):
    """`generator` (from `progan_generator`) as it samples at its current stage, without
    the branch over every level: the same weights and outputs, in a graph that ONNX
    (which has no `tf.switch_case`) and full-integer TFLite can convert. For export."""
    growing = growing_layer(generator)
    level, alpha = int(growing.level.numpy()), float(growing.alpha.numpy())
    z = keras.Input(generator.input_shape[1:], name="latent")
    images = _AtStage(growing, level, alpha, name=f"generator_at_level_{level}")(z)
    return keras.Model(z, InferenceClip(name="clip")(images), name=generator.name)


def progan_discriminator(image_shape, channel_base=1024, channel_max=64, group_size=4,
                         name="discriminator"):
    """The growing discriminator as a functional model: images -> `(batch, 1)` scores."""
    size, channels = check_image_shape(image_shape)
    images = keras.Input((size, size, channels), name="images")
    scores = GrowingDiscriminator(size, channels, group_size=group_size,
                                  channel_base=channel_base, channel_max=channel_max,
                                  name="growing_discriminator")(images)
    return keras.Model(images, scores, name=name)


def growing_layer(network):
    """The `GrowingGenerator` / `GrowingDiscriminator` inside a functional network."""
    found = [layer for layer in network.layers if isinstance(layer, _Growing)]
    if len(found) != 1:
        raise ValueError(f"{network.name!r} is not a ProGAN network: it has no growing layer "
                         "(build it with ganzoo.nets.progan.progan_generator or "
                         "progan_discriminator).")
    return found[0]
