"""Spectrally normalized layers: W / sigma(W), sigma from a persistent power iteration.

Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks", as
BigGAN (Brock et al. 2019) uses it in both networks: the layer keeps its raw weight W
and a vector u; each forward pass runs `power_iterations` steps of the power method
from u (v = u W^T / |u W^T|, u = v W / |v W|, norms floored at `epsilon`), estimates the
largest singular value sigma = v W u^T, and uses W / sigma. Gradients flow through sigma
(u and v are constants to them); u is stored back only in training mode, so inference
is a pure function of the weights.

`keras.layers.SpectralNormalization` differs in two ways that matter here: it writes
W / sigma back into W at every training call (so gradients skip sigma, and W itself,
which BigGAN's orthogonal regularisation penalises, is no longer the raw weight), and
its epsilon is fixed. W is the kernel as a matrix `(fan_in, units)` (a convolution's
`(height * width * in, out)`); u has `units` entries.
"""

import keras
from keras import layers, ops

# BigGAN's reference code (BigGAN-PyTorch, train.py's default SN_eps).
SN_EPSILON = 1e-8


def _l2_normalized(x, epsilon):
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), epsilon)


class _SpectralKernel(layers.Layer):
    """The power iteration shared by the spectrally normalized layers."""

    def __init__(self, power_iterations=1, epsilon=SN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        if (isinstance(power_iterations, bool) or int(power_iterations) != power_iterations
                or power_iterations < 1):
            raise ValueError(f"power_iterations must be a whole number of at least 1; got "
                             f"{power_iterations!r}.")
        if not epsilon > 0:
            raise ValueError(f"epsilon must be positive; got {epsilon!r}.")
        self.power_iterations = int(power_iterations)
        self.epsilon = float(epsilon)

    def _add_singular_vector(self, units):
        self.u = self.add_weight(name="u", shape=(1, units), trainable=False, autocast=False,
                                 initializer=keras.initializers.RandomNormal(stddev=1.0))

    def _power_iteration(self, kernel):
        """`(u, sigma)`: the stored u after `power_iterations` steps, and sigma of `kernel`."""
        matrix = ops.reshape(ops.cast(kernel, "float32"), (-1, kernel.shape[-1]))
        u = ops.convert_to_tensor(self.u)
        for _ in range(self.power_iterations):
            v = _l2_normalized(ops.matmul(u, ops.transpose(matrix)), self.epsilon)
            u = _l2_normalized(ops.matmul(v, matrix), self.epsilon)
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        return u, ops.sum(ops.matmul(v, matrix) * u)

    def normalized(self, kernel, training=False):
        """`kernel / sigma`, sigma estimated from the stored u; u is updated in training."""
        u, sigma = self._power_iteration(kernel)
        if training:
            self.u.assign(u)
        return ops.cast(ops.cast(kernel, "float32") / sigma, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="ganzoo")
class SpectralDense(_SpectralKernel):
    """A dense layer whose kernel is spectrally normalized (see the module docstring).

    Args:
        units: output features.
        use_bias: add a bias (not normalized).
        kernel_initializer: of the raw kernel (BigGAN: orthogonal).
        power_iterations, epsilon: of the power method (1 and 1e-8 in BigGAN).
    """

    def __init__(self, units, use_bias=True, kernel_initializer="orthogonal", **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = int(units), bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(int(input_shape[-1]), self.units),
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
                     if self.use_bias else None)
        self._add_singular_vector(self.units)

    def call(self, inputs, training=False):
        outputs = ops.matmul(inputs, self.normalized(self.kernel, training))
        return outputs if self.bias is None else outputs + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="ganzoo")
class SpectralConv2D(_SpectralKernel):
    """A stride-1 "same" convolution whose kernel is spectrally normalized.

    Args:
        filters: output channels.
        kernel_size: the square kernel's side (BigGAN: 3, and 1 for shortcuts and
            attention).
        use_bias, kernel_initializer, power_iterations, epsilon: as `SpectralDense`.
    """

    def __init__(self, filters, kernel_size, use_bias=True, kernel_initializer="orthogonal",
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        shape = (self.kernel_size, self.kernel_size, int(input_shape[-1]), self.filters)
        self.kernel = self.add_weight(name="kernel", shape=shape,
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)
        self._add_singular_vector(self.filters)

    def call(self, inputs, training=False):
        outputs = ops.conv(inputs, self.normalized(self.kernel, training), strides=1,
                           padding="same")
        return outputs if self.bias is None else outputs + self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


@keras.saving.register_keras_serializable(package="ganzoo")
class SpectralClassProjection(_SpectralKernel):
    """`<embed(y), phi>` per sample with a spectrally normalized class embedding: the
    projection discriminator's class term (Miyato & Koyama 2018) as BigGAN's D has it.

    Args:
        num_classes: K, the number of labels.
        power_iterations, epsilon: as `SpectralDense`.
    """

    def __init__(self, num_classes, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def build(self, input_shape):
        features_shape, _ = input_shape
        # named `kernel`: the matrix the power iteration normalizes, K x features
        self.kernel = self.add_weight(name="embeddings",
                                      shape=(self.num_classes, int(features_shape[-1])),
                                      initializer="orthogonal")
        self._add_singular_vector(int(features_shape[-1]))

    def call(self, inputs, training=False):
        features, labels = inputs
        embedded = ops.take(self.normalized(self.kernel, training), ops.cast(labels, "int32"),
                            axis=0)
        return ops.sum(embedded * ops.cast(features, embedded.dtype), axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
