"""The layers BigGAN's networks are made of, beyond Keras' own.

Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural Image
Synthesis", after the reference code (BigGAN-PyTorch): class-conditional batch norm
whose gains and biases are linear in a conditioning vector, SAGAN's self-attention
block, the slice of z one block receives (hierarchical latents), and D's global sum
pooling. `dense` and `conv` give the spectrally normalized or plain layer.
"""

import keras
from keras import layers, ops

from ganzoo.nets.spectral_norm import SpectralConv2D, SpectralDense

# Batch norm of the reference: eps 1e-5, PyTorch momentum 0.1 (Keras counts the other way).
BN_EPSILON, BN_MOMENTUM = 1e-5, 0.9


def dense(units, spectral_norm, use_bias=True, name=None):
    """A dense layer, spectrally normalized or plain, orthogonally initialised."""
    if spectral_norm:
        return SpectralDense(units, use_bias=use_bias, name=name)
    return layers.Dense(units, use_bias=use_bias, kernel_initializer="orthogonal", name=name)


def conv(filters, kernel_size, spectral_norm, use_bias=True, name=None):
    """A stride-1 "same" convolution, spectrally normalized or plain."""
    if spectral_norm:
        return SpectralConv2D(filters, kernel_size, use_bias=use_bias, name=name)
    return layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias,
                         kernel_initializer="orthogonal", name=name)


@keras.saving.register_keras_serializable(package="ganzoo")
class ClassConditionalBatchNorm(layers.Layer):
    """`[x, c]` -> BN(x) * (1 + W_gain c) + W_bias c: batch norm whose per-channel gain
    and bias are linear (no bias term) in a conditioning vector c per sample.

    De Vries et al. 2017 and Dumoulin et al. 2017; in BigGAN c is the shared class
    embedding, concatenated with the block's chunk of z when latents are hierarchical,
    or the one-hot label (then W_gain and W_bias are per-class tables). The gain is
    centred on 1, so a zero projection leaves plain batch norm.

    Args:
        spectral_norm: spectrally normalize the two projections (the reference does
            when the embedding is shared).
        synchronized: batch statistics over all replicas under `tf.distribute`.
        epsilon, momentum: of the batch norm.
    """

    def __init__(self, spectral_norm=True, synchronized=False, epsilon=BN_EPSILON,
                 momentum=BN_MOMENTUM, **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm, self.synchronized = bool(spectral_norm), bool(synchronized)
        self.epsilon, self.momentum = float(epsilon), float(momentum)
        self.batch_norm = layers.BatchNormalization(
            center=False, scale=False, epsilon=self.epsilon, momentum=self.momentum,
            synchronized=self.synchronized, dtype=self.dtype_policy, name="batch_norm")

    def build(self, input_shape):
        x_shape, condition_shape = input_shape
        channels = int(x_shape[-1])
        self.gain = dense(channels, self.spectral_norm, use_bias=False, name="gain")
        self.bias = dense(channels, self.spectral_norm, use_bias=False, name="bias")
        self.batch_norm.build(x_shape)
        self.gain.build(condition_shape)
        self.bias.build(condition_shape)

    def call(self, inputs, training=False):
        x, condition = inputs
        normalized = self.batch_norm(x, training=training)
        gain = 1.0 + self.gain(condition, training=training)
        bias = self.bias(condition, training=training)
        return normalized * gain[:, None, None, :] + bias[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "spectral_norm": self.spectral_norm,
                "synchronized": self.synchronized, "epsilon": self.epsilon,
                "momentum": self.momentum}


@keras.saving.register_keras_serializable(package="ganzoo")
class SelfAttention(layers.Layer):
    """SAGAN's self-attention block (Zhang et al. 2019), as BigGAN's reference code has it.

    With C channels: theta = 1x1 conv to C/8; phi (C/8) and g (C/2) are 1x1 convs
    max-pooled 2x2; each position attends over the pooled positions with
    softmax(theta phi^T); the attended g goes through a 1x1 conv back to C, scaled by a
    learned gamma (initially 0: the block starts as the identity) and added to x. The
    convolutions have no bias.

    Args:
        spectral_norm: spectrally normalize the four convolutions.
    """

    def __init__(self, spectral_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm = bool(spectral_norm)

    def build(self, input_shape):
        _, height, width, channels = input_shape
        if channels < 8 or (height is not None and (height % 2 or width % 2)):
            raise ValueError(f"Self-attention needs at least 8 channels and an even size (it "
                             f"pools 2x2); got a {height}x{width} map of {channels} channels.")
        self.channels = int(channels)
        self.theta = conv(channels // 8, 1, self.spectral_norm, use_bias=False, name="theta")
        self.phi = conv(channels // 8, 1, self.spectral_norm, use_bias=False, name="phi")
        self.g = conv(channels // 2, 1, self.spectral_norm, use_bias=False, name="g")
        self.o = conv(channels, 1, self.spectral_norm, use_bias=False, name="o")
        for layer, size in ((self.theta, channels), (self.phi, channels), (self.g, channels),
                            (self.o, channels // 2)):
            layer.build((None, height, width, size))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, x, training=False):
        batch, height, width = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        pool = lambda h: ops.max_pool(h, pool_size=2, strides=2)  # noqa: E731
        theta = self.theta(x, training=training)
        phi = pool(self.phi(x, training=training))
        g = pool(self.g(x, training=training))
        flat = lambda h: ops.reshape(h, (batch, -1, h.shape[-1]))  # noqa: E731
        # (batch, positions, pooled positions), softmax over the pooled ones
        attention = ops.softmax(ops.matmul(flat(theta), ops.transpose(flat(phi), (0, 2, 1))),
                                axis=-1)
        attended = ops.reshape(ops.matmul(attention, flat(g)),
                               (batch, height, width, self.channels // 2))
        return x + ops.cast(self.gamma, x.dtype) * self.o(attended, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "spectral_norm": self.spectral_norm}


@keras.saving.register_keras_serializable(package="ganzoo")
class LatentChunk(layers.Layer):
    """Entries `[index * size, (index + 1) * size)` of z: the chunk one place of the
    generator receives when latents are hierarchical.

    Args:
        index: which chunk (0: the first dense layer's; i: block i's).
        size: entries per chunk.
    """

    def __init__(self, index, size, **kwargs):
        super().__init__(**kwargs)
        self.index, self.size = int(index), int(size)

    def call(self, z):
        return z[:, self.index * self.size:(self.index + 1) * self.size]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size)

    def get_config(self):
        return {**super().get_config(), "index": self.index, "size": self.size}


@keras.saving.register_keras_serializable(package="ganzoo")
class GlobalSumPooling2D(layers.Layer):
    """The sum over a feature map's positions (SN-GAN's and BigGAN's D, before the logit)."""

    def call(self, x):
        return ops.sum(x, axis=(1, 2))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
