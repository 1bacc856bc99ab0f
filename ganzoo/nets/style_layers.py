"""Layers the ProGAN and StyleGAN2 networks share: equalized learning rate, pixel
normalisation, minibatch standard deviation, and the clip of their linear outputs.

Equalized learning rate (Karras et al. 2018, section 4.1): weights are drawn from
N(0, 1) and multiplied at run time by the He constant `gain / sqrt(fan_in)`. Adam's
update is invariant to the scale of a weight, so every layer then learns at the same
speed, whatever its fan-in. `lr_multiplier` (StyleGAN's mapping network, 0.01) draws
the weights with standard deviation 1 / lr_multiplier and scales them by as much
more, which slows that layer's learning by the same factor.

Both families spell the same layer two ways: ProGAN folds the activation's gain into
the weights (`gain=sqrt(2)`, bias added after), StyleGAN2 scales the activation's
output (`gain=1`, `activation_gain=sqrt(2)`). Both are expressible here.
"""

import math

import keras
from keras import layers, ops

SQRT2 = math.sqrt(2.0)
LRELU_SLOPE = 0.2


def _activate(x, activation, activation_gain):
    if activation == "lrelu":
        x = ops.leaky_relu(x, negative_slope=LRELU_SLOPE)
    elif activation != "linear":
        raise ValueError(f"activation must be 'linear' or 'lrelu'; got {activation!r}.")
    return x * activation_gain if activation_gain != 1.0 else x


class _Equalized(layers.Layer):
    """What both equalized layers share: the He constant, bias, activation."""

    def __init__(self, gain=SQRT2, lr_multiplier=1.0, use_bias=True, bias_init=0.0,
                 activation="linear", activation_gain=1.0, **kwargs):
        super().__init__(**kwargs)
        _activate(0.0, activation, 1.0)  # an unknown activation fails now
        self.gain = float(gain)
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = bool(use_bias)
        self.bias_init = float(bias_init)
        self.activation = activation
        self.activation_gain = float(activation_gain)

    def _add_weights(self, kernel_shape, fan_in, units):
        self.kernel = self.add_weight(
            shape=kernel_shape, name="kernel",
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        # the He constant, times the learning-rate multiplier
        self.scale = self.gain * self.lr_multiplier / math.sqrt(fan_in)
        self.bias = (self.add_weight(shape=(units,), name="bias",
                                     initializer=keras.initializers.Constant(self.bias_init))
                     if self.use_bias else None)

    def _finish(self, x):
        if self.bias is not None:
            x = x + ops.cast(self.bias, x.dtype) * self.lr_multiplier
        return _activate(x, self.activation, self.activation_gain)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "lr_multiplier": self.lr_multiplier,
                "use_bias": self.use_bias, "bias_init": self.bias_init,
                "activation": self.activation, "activation_gain": self.activation_gain}


@keras.saving.register_keras_serializable(package="ganzoo")
class EqualizedDense(_Equalized):
    """Fully connected layer with equalized learning rate.

    Args:
        units: output features.
        gain: numerator of the He constant `gain / sqrt(fan_in)` (sqrt(2) for ReLU-like
            activations folded into the weights; 1 for linear outputs).
        lr_multiplier: learning-rate multiplier of this layer (0.01 in StyleGAN's
            mapping network).
        use_bias, bias_init: an additive bias, and its initial value.
        activation: "linear" or "lrelu" (slope 0.2).
        activation_gain: factor applied after the activation (StyleGAN2: sqrt(2)).
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self._add_weights((fan_in, self.units), fan_in, self.units)

    def call(self, x):
        kernel = ops.cast(self.kernel, x.dtype) * self.scale
        return self._finish(ops.matmul(x, kernel))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="ganzoo")
class EqualizedConv2D(_Equalized):
    """Stride-1 "same" convolution with equalized learning rate (NHWC).

    Args:
        filters: output channels.
        kernel_size: odd square kernel size.
        downsample: average-pool the convolution's output by 2 before bias and
            activation (ProGAN's conv2d_downscale2d: a 3x3 convolution followed by a
            2x2 box filter).
        **kwargs: `gain`, `lr_multiplier`, `use_bias`, `bias_init`, `activation`,
            `activation_gain` as for `EqualizedDense`.
    """

    def __init__(self, filters, kernel_size=3, downsample=False, **kwargs):
        super().__init__(**kwargs)
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}.")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.downsample = bool(downsample)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        fan_in = self.kernel_size * self.kernel_size * channels
        self._add_weights((self.kernel_size, self.kernel_size, channels, self.filters), fan_in,
                          self.filters)

    def call(self, x):
        kernel = ops.cast(self.kernel, x.dtype) * self.scale
        x = ops.conv(x, kernel, strides=1, padding="same")
        if self.downsample:
            x = ops.average_pool(x, 2, strides=2, padding="valid")
        return self._finish(x)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        if self.downsample:
            height, width = (None if s is None else s // 2 for s in (height, width))
        return (batch, height, width, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "downsample": self.downsample}


@keras.saving.register_keras_serializable(package="ganzoo")
class PixelNorm(layers.Layer):
    """Each feature vector scaled to unit mean square over the last axis.

    Karras et al. 2018, section 4.2 (ProGAN's pixelwise feature normalisation); on
    latent vectors it is StyleGAN's `normalize_2nd_moment`.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.built = True  # no weights; networks built up front may not call it yet

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="ganzoo")
class MinibatchStddev(layers.Layer):
    """Appends the standard deviation of features across groups of samples.

    Karras et al. 2018, section 3: within each group of `group_size` samples, the
    standard deviation of every feature over the group, averaged over features and
    positions (per channel group when `num_channels` > 1), is appended as extra
    channels. A batch smaller than the group is one group; the batch size must be a
    multiple of the group size otherwise.

    Groups are consecutive samples (the reference strides them across the batch):
    a batch split among `tf.distribute` replicas then keeps its groups whole, and two
    replicas compute what one device does on the same global batch.
    """

    def __init__(self, group_size=4, num_channels=1, **kwargs):
        super().__init__(**kwargs)
        if group_size < 1 or num_channels < 1:
            raise ValueError("group_size and num_channels must be at least 1; got "
                             f"{group_size} and {num_channels}.")
        self.group_size = int(group_size)
        self.num_channels = int(num_channels)
        self.built = True  # no weights

    def call(self, x):
        batch = ops.shape(x)[0]
        _, height, width, channels = x.shape
        if channels % self.num_channels:
            raise ValueError(f"MinibatchStddev: {channels} channels do not split into "
                             f"num_channels={self.num_channels} groups.")
        if isinstance(batch, int) and batch > self.group_size and batch % self.group_size:
            raise ValueError(f"The minibatch standard deviation groups {self.group_size} "
                             f"samples: the (per-replica) batch size {batch} must be a "
                             f"multiple of {self.group_size}, or smaller.")
        group = ops.minimum(self.group_size, batch)
        y = ops.cast(x, "float32")
        y = ops.reshape(y, (-1, group, height, width, self.num_channels,
                            channels // self.num_channels))
        y = y - ops.mean(y, axis=1, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=1) + 1e-8)        # (groups, H, W, F, c)
        y = ops.mean(y, axis=(1, 2, 4))                              # (groups, F)
        y = ops.repeat(y, group, axis=0)                             # (batch, F)
        y = ops.broadcast_to(y[:, None, None, :], (batch, height, width, self.num_channels))
        return ops.concatenate([x, ops.cast(y, x.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.num_channels)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size,
                "num_channels": self.num_channels}


@keras.saving.register_keras_serializable(package="ganzoo")
class InferenceClip(layers.Layer):
    """Identity in training; clips to [-1, 1] in inference.

    ProGAN's and StyleGAN2's generators end linearly, and train so (a clip would cut
    the gradient of every pixel beyond the range); their reference code clips when it
    converts samples to pixels. Clipping in inference makes `generate`, `gan(z)` and
    an exported generator give images in [-1, 1] like every ganzoo generator.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True  # no weights

    def call(self, x, training=None):
        return x if training else ops.clip(x, -1.0, 1.0)

    def compute_output_shape(self, input_shape):
        return input_shape
