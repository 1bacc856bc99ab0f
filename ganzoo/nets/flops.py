"""Floating-point operations of Keras functional models and of GAN training steps.

Counted analytically, layer by layer, from the shapes of a functional model's graph
(nested models are walked into). Conventions:

- A multiply-add is 2 FLOPs. Dense: `2 * inputs * units` per row, plus 1 per output
  for the bias. Conv2D: `2 * kh * kw * (C_in / groups)` per output element (taps that
  fall on zero padding included, as TensorFlow's profiler counts them), plus the bias.
  Conv2DTranspose: every input element meets every kernel tap once,
  `2 * H_in * W_in * C_in * kh * kw * C_out` per sample (the work of the
  backprop-input kernel that computes it), plus the bias per output element. With
  "same" padding this equals the profiler's count; with "valid" the profiler's
  formula, which scales the output size by 1/stride^2, counts more than happens.
- Elementwise work counts 1 FLOP per output element and operation: every activation
  function (ReLU, LeakyReLU, tanh ...; "linear" none), and `Add` of n inputs n - 1;
  rsqrt 2 (as TensorFlow's profiler counts it). The profiler counts activations,
  square roots and bilinear resizing as 0: they are negligible next to the
  convolutions, and are where the two counts differ.
- Normalization: BatchNormalization 2 per element in inference (the folded scale and
  shift) and 6 in training (mean 1, variance 3, normalize 2; the moving-average
  update is per channel); GroupNormalization (instance norm) always 6;
  LayerNormalization always 9, since Keras 3.15 on TensorFlow broadcasts the
  normalized scale and offset to the full shape before applying them (3 more
  multiply and add passes). Per-channel arithmetic (epsilon, rsqrt, ...) is O(C)
  and ignored. These are what TensorFlow's profiler counts on the same graphs.
- SpectralNormalization: in training, the power iteration and rescaling cost
  `7 * kernel size` per call (three vector-matrix products and a division),
  independent of the batch; plus the wrapped layer.
- Layers that only move data (Input, Reshape, Flatten, padding, cropping,
  Concatenate, nearest-neighbour upsampling, pixel shuffle, slices of the latent,
  embedding lookups and one-hot encodings) cost 0.
- Pooling: 1 per input element (a sum or a comparison each). Bilinear upsampling 7
  per output element (4 taps, 4 products and 3 sums); Dropout 2 per element in
  training (the mask and the rescale), 0 in inference. A blend `lerp(a, b, t)` 3 per
  element.
- ganzoo's own layers count their parts by these rules: the spectrally normalized
  layers (always: they normalize in inference too), class-conditional batch norm
  (batch norm, two projections of the condition, 2 per element to apply them), and
  self-attention (four 1x1 convolutions, 2x2 max-pools, the two attention products
  and a softmax of 5 per score, as TensorFlow's profiler counts it).
- ProGAN's and StyleGAN2's layers: an equalized layer scales every weight (kernel
  and bias) by its constant on each call, 1 per weight, then counts as Dense or
  Conv2D, plus the 2x2 box filter of a downsampling convolution and the gain after its
  leaky ReLU. PixelNorm: 3 per element (square, mean, scale) and 3 per feature vector
  (epsilon, rsqrt). Minibatch standard deviation: 4 per element (the group mean, the
  deviation, its square, their mean) and 3 per statistic (epsilon, square root, the
  average). A modulated convolution (StyledConv, ToRGB; the non-fused path): the
  style affine (an equalized dense layer on w), the kernel's scaling, the bilinear
  upsampling of an upsampling layer's input, the input times the styles, the
  convolution; with demodulation the squares of styles and kernel, the kernel's sums
  over its taps, their product (a matmul), epsilon and rsqrt per sample and output
  map, and the outputs' scaling; then StyledConv's noise times its strength, bias,
  leaky ReLU and gain, ToRGB's bias. The learned constant, the noise maps and the
  styles' repetition cost 0. ProGAN's growing networks count the level they run (see
  `training_stage`): its blocks, and above 4x4 both output paths and their blend.
- A layer type with no rule raises `UnknownLayerError`: silently counting 0 would
  overstate how close training gets to the machine's peak. `register` adds a rule.

The training step (`train_step_flops`) is counted in forward-equivalents per network:
a backward pass through a network costs 2 forward passes (input gradients and weight
gradients, one each), see `forward_equivalents`; StyleGAN2's lazy penalties as their
average per step, a ProGAN's step at its current stage (`training_stage`).

`profiler_flops` counts the same things with TensorFlow's profiler on a traced graph,
as a check. On the zoo's networks the two agree within 0.7% (the profiler gives
activations, square roots and bilinear resizing 0 FLOPs, and per-channel arithmetic
is ignored here; StyleGAN2's generator is the 0.7%); on whole DCGAN, WGAN-GP and
StyleGAN2 training steps within 0.5%, on ProGAN's within 1.2% at every stage. They
part where the profiler's formulas assume "same" padding: its convolution gradients
and transposed convolutions with "valid" padding are scaled by the padded input size
(CycleGAN's reflection-padded 3x3 and 7x7 convolutions: +24% on its step), and it
cannot size ops in loops of unknown length, nor see into the branches of `tf.cond`
and `tf.switch_case` (functions of their own): StyleGAN2's lazy penalties are missing
from its count of the step.

Example:
    >>> forward_flops(ganzoo.nets.dcgan_generator(100, (32, 32, 1), 32), batch_size=64)
    >>> layer_flops(model)                    # [(layer path, FLOPs), ...] at batch 1
    >>> train_step_flops(ganzoo.DCGAN(image_shape=(32, 32, 1)), batch_size=64)
    >>> train_step_flops(progan, batch_size=32)        # at progan.resolution's stage
"""

import contextlib
import math

import keras
import tensorflow as tf
from keras import layers

# layer class -> rule(layer, input_shapes, output_shapes, training) -> FLOPs
_RULES = {}
# FLOPs per element of the normalization layers (see the module docstring)
BATCH_NORM_INFERENCE, BATCH_NORM_TRAINING = 2, 6
NORM_STATISTICS = 4
DROPOUT_TRAINING = 2
BILINEAR_TAPS = 7  # per output element: 4 products and 3 sums
SOFTMAX = 5  # per score: max, subtraction, exponential, sum, division
RSQRT = 2  # a square root and a reciprocal, as TensorFlow's profiler counts it
LERP = 3  # a + (b - a) * t: a difference, a product and a sum per element
# What a backward pass that needs only input gradients costs in forward passes
# (through a network whose weights the update leaves alone): 2, the convention of the
# issue that asked for this count, as for a full backward pass; 1 is the tighter count.
FROZEN_BACKWARD = 2


class UnknownLayerError(TypeError):
    """A layer type the counter has no rule for."""


def register(*layer_classes):
    """Decorator: `rule(layer, input_shapes, output_shapes, training) -> FLOPs` counts
    the layers of `layer_classes` (and their subclasses, unless they have their own)."""
    def decorate(rule):
        for cls in layer_classes:
            _RULES[cls] = rule
        return rule
    return decorate


def forward_flops(model, batch_size=1, training=False):
    """FLOPs of one forward pass of `model` on a batch of `batch_size`."""
    return sum(flops for _, flops in layer_flops(model, batch_size, training))


def layer_flops(model, batch_size=1, training=False):
    """`[(layer path, FLOPs), ...]` of one forward pass, in graph order.

    Each call of a layer is a row; a nested model's layers appear as
    `outer/inner/layer`. `training` selects the training-mode cost of the layers
    whose cost depends on it (BatchNormalization, SpectralNormalization).
    """
    return list(_walk(model, batch_size, training, prefix=""))


def _walk(model, batch_size, training, prefix):
    if isinstance(model, keras.Sequential):
        model = model._functional
        if model is None:
            raise ValueError("The Sequential model is not built: build it with an input shape.")
    if not hasattr(model, "_nodes_by_depth"):
        raise TypeError(f"Expected a functional keras.Model; got {type(model).__name__} "
                        "(a subclassed model has no graph to walk).")
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            layer = node.operation
            if layer is None or node.is_input:
                continue
            path = f"{prefix}{layer.name}"
            if hasattr(layer, "_nodes_by_depth") or isinstance(layer, keras.Sequential):
                yield from _walk(layer, batch_size, training, prefix=f"{path}/")
                continue
            inputs = [_shape(t.shape, batch_size, path) for t in node.arguments.keras_tensors]
            outputs = [_shape(t.shape, batch_size, path) for t in node.outputs]
            yield path, int(rule_for(layer)(layer, inputs, outputs, training))


def rule_for(layer):
    """The counting rule of `layer`'s class (nearest registered base class)."""
    for cls in type(layer).__mro__:
        if cls in _RULES:
            return _RULES[cls]
    raise UnknownLayerError(
        f"No FLOP rule for layer {layer.name!r} of type {type(layer).__name__}: add one with "
        "ganzoo.nets.flops.register(YourLayer)(rule), rule(layer, input_shapes, "
        "output_shapes, training) -> FLOPs.")


def _shape(shape, batch_size, path):
    shape = (batch_size, *shape[1:])
    if any(dim is None for dim in shape):
        raise ValueError(f"Layer {path} has a dynamic shape {shape}: FLOPs need fully "
                         "defined shapes (give the model's inputs a fixed size).")
    return shape


def _elements(shapes):
    return sum(math.prod(shape) for shape in shapes)


def _activation_flops(activation, elements):
    name = getattr(activation, "__name__", str(activation))
    return 0 if activation is None or name == "linear" else elements


# ------------------------------------------------------------------------- rules

@register(layers.InputLayer, layers.Reshape, layers.Flatten, layers.ZeroPadding2D,
          layers.Cropping2D, layers.Concatenate, layers.Identity, layers.Permute,
          layers.Embedding, layers.CategoryEncoding)
def _free(layer, inputs, outputs, training):
    return 0


@register(layers.Dropout)
def _dropout(layer, inputs, outputs, training):
    return DROPOUT_TRAINING * _elements(outputs) if training else 0


@register(layers.AveragePooling2D, layers.MaxPooling2D, layers.GlobalAveragePooling2D,
          layers.GlobalMaxPooling2D)
def _pooling(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    if isinstance(layer, (layers.AveragePooling2D, layers.MaxPooling2D)):
        window = math.prod(layer.pool_size)
        return window * math.prod(out)  # each output's window, whatever the stride
    return math.prod(shape)


@register(layers.UpSampling2D)
def _upsampling(layer, inputs, outputs, training):
    if layer.interpolation == "bilinear":
        return BILINEAR_TAPS * _elements(outputs)
    if layer.interpolation != "nearest":
        raise UnknownLayerError(f"No FLOP rule for {layer.name!r}: UpSampling2D with "
                                f"interpolation {layer.interpolation!r} (only 'nearest' and "
                                "'bilinear').")
    return 0


@register(layers.Dense)
def _dense(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    rows = math.prod(shape[:-1])
    return _plus_bias_and_activation(layer, 2 * rows * shape[-1] * layer.units, out)


@register(layers.Conv2D)
def _conv2d(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    kh, kw = layer.kernel_size
    channels_in = shape[-1] if layer.data_format == "channels_last" else shape[1]
    return _plus_bias_and_activation(
        layer, 2 * math.prod(out) * kh * kw * (channels_in // layer.groups), out)


@register(layers.Conv2DTranspose)
def _conv2d_transpose(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    kh, kw = layer.kernel_size
    # every input element (batch, H_in, W_in, C_in) meets every tap of every filter
    return _plus_bias_and_activation(layer, 2 * math.prod(shape) * kh * kw * layer.filters, out)


def _plus_bias_and_activation(layer, multiply_add_flops, out):
    """A linear layer's multiply-adds plus its bias (one add per output) and activation."""
    outputs = math.prod(out)
    return (multiply_add_flops + (outputs if layer.use_bias else 0)
            + _activation_flops(layer.activation, outputs))


@register(layers.BatchNormalization)
def _batch_norm(layer, inputs, outputs, training):
    per_element = BATCH_NORM_TRAINING if training and layer.trainable else BATCH_NORM_INFERENCE
    return per_element * _elements(outputs)


@register(layers.GroupNormalization)
def _group_norm(layer, inputs, outputs, training):
    return (NORM_STATISTICS + 2) * _elements(outputs)


@register(layers.LayerNormalization)
def _layer_norm(layer, inputs, outputs, training):
    # inv = rsqrt(var) * gamma, x * inv + (beta - mean * inv), all at the full shape
    return (NORM_STATISTICS + 5) * _elements(outputs)


@register(layers.SpectralNormalization)
def _spectral_norm(layer, inputs, outputs, training):
    inner = rule_for(layer.layer)(layer.layer, inputs, outputs, training)
    power_iteration = 7 * math.prod(layer.kernel.shape) if training else 0
    return inner + power_iteration


@register(layers.ReLU, layers.LeakyReLU, layers.ELU, layers.PReLU)
def _activation_layer(layer, inputs, outputs, training):
    return _elements(outputs)


@register(layers.Softmax)
def _softmax(layer, inputs, outputs, training):
    return SOFTMAX * _elements(outputs)


@register(layers.Activation)
def _activation(layer, inputs, outputs, training):
    return _activation_flops(layer.activation, _elements(outputs))


@register(layers.Add, layers.Subtract, layers.Multiply, layers.Average, layers.Maximum,
          layers.Minimum)
def _merge(layer, inputs, outputs, training):
    return (len(inputs) - 1) * _elements(outputs)


def _power_iteration(layer):
    """FLOPs of a spectrally normalized layer's power iteration and rescaling, per call:
    three vector-matrix products and a division over the kernel."""
    return 7 * math.prod(layer.kernel.shape) * layer.power_iterations


def _spectral_dense(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    multiply_add = 2 * math.prod(shape[:-1]) * shape[-1] * layer.units
    return (multiply_add + (math.prod(out) if layer.use_bias else 0)
            + _power_iteration(layer))


def _spectral_conv2d(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    multiply_add = 2 * math.prod(out) * layer.kernel_size ** 2 * shape[-1]
    return (multiply_add + (math.prod(out) if layer.use_bias else 0)
            + _power_iteration(layer))


def _class_projection(layer, inputs, outputs, training):
    (features, _labels) = inputs
    return 2 * math.prod(features)  # a product and a sum per feature


def _spectral_class_projection(layer, inputs, outputs, training):
    return _class_projection(layer, inputs, outputs, training) + _power_iteration(layer)


def _class_conditional_batch_norm(layer, inputs, outputs, training):
    (shape, condition), (out,) = inputs, outputs
    channels_per_sample = (condition[0], shape[-1])
    projections = sum(rule_for(dense)(dense, [condition], [channels_per_sample], training)
                      for dense in (layer.gain, layer.bias))
    return (_batch_norm(layer.batch_norm, [shape], [out], training) + projections
            + math.prod(channels_per_sample) + 2 * math.prod(out))  # 1 + gain; x * gain + bias


def _self_attention(layer, inputs, outputs, training):
    (shape,), _ = inputs, outputs
    batch, height, width, channels = shape
    positions, pooled = height * width, height * width // 4

    def conv(sublayer, channels_in, size):
        out = (batch, size[0], size[1], sublayer.filters)
        return rule_for(sublayer)(sublayer, [(batch, *size, channels_in)], [out], training)

    full = (height, width)
    convolutions = (conv(layer.theta, channels, full) + conv(layer.phi, channels, full)
                    + conv(layer.g, channels, full) + conv(layer.o, channels // 2, full))
    pools = 4 * pooled * batch * (channels // 8 + channels // 2)
    scores = batch * positions * pooled
    attention = (2 * scores * (channels // 8) + SOFTMAX * scores
                 + 2 * scores * (channels // 2))
    return convolutions + pools + attention + 2 * math.prod(shape)  # x + gamma * o


def _interpolated_upsampling(layer, inputs, outputs, training):
    return 0 if layer.interpolation == "nearest" else BILINEAR_TAPS * _elements(outputs)


def _straight_through_clip(layer, inputs, outputs, training):
    return 4 * _elements(outputs)  # clip (min, max), minus the input, plus it again


def _inference_clip(layer, inputs, outputs, training):
    return 0 if training else 2 * _elements(outputs)


def _sum_pooling(layer, inputs, outputs, training):
    return _elements(inputs)


def _equalized_dense(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    return _equalized(layer, 2 * math.prod(shape[:-1]) * shape[-1] * layer.units, out)


def _equalized_conv2d(layer, inputs, outputs, training):
    (shape,), (out,) = inputs, outputs
    convolved = (*shape[:-1], layer.filters)  # stride 1, "same": before the box filter
    multiply_add = 2 * math.prod(convolved) * layer.kernel_size ** 2 * shape[-1]
    box_filter = 4 * math.prod(out) if layer.downsample else 0  # 2x2 average pooling
    return _equalized(layer, multiply_add + box_filter, out)


def _equalized(layer, products, out):
    """An equalized layer's `products` plus the rest of its call: every weight scaled
    by its constant (1 each, on every call), the bias, leaky ReLU and its gain."""
    outputs = math.prod(out)
    weights = sum(math.prod(w.shape) for w in (layer.kernel, layer.bias) if w is not None)
    return (products + weights + (outputs if layer.use_bias else 0)
            + (outputs if layer.activation == "lrelu" else 0)
            + (outputs if layer.activation_gain != 1.0 else 0))


def _pixel_norm(layer, inputs, outputs, training):
    (shape,), _ = inputs, outputs
    # per element: square, mean and scale; per feature vector: epsilon and rsqrt
    return 3 * math.prod(shape) + (1 + RSQRT) * math.prod(shape[:-1])


def _minibatch_stddev(layer, inputs, outputs, training):
    (shape,), _ = inputs, outputs
    elements = math.prod(shape)
    statistics = elements // min(layer.group_size, shape[0])  # per group, position, feature
    # per element: the group's mean, the deviation from it, its square, their mean; per
    # statistic: epsilon, square root, and the average over positions and channels
    return 4 * elements + 3 * statistics


def _modulated_conv2d(layer, inputs, outputs, training):
    """StyleGAN2's modulated convolution, the non-fused path `modulated_conv2d` takes."""
    (x, ws), (out,) = inputs[:2], outputs
    batch, channels, taps = x[0], x[-1], layer.kernel_size ** 2
    styles = (batch, channels)
    kernel = taps * channels * layer.filters  # scaled by 1 / sqrt(fan_in) on every call
    modulated = (*out[:-1], channels)  # the input, upsampled if the layer upsamples
    flops = (rule_for(layer.affine)(layer.affine, [(batch, ws[-1])], [styles], training)
             + kernel + math.prod(modulated)  # the input times the styles
             + 2 * math.prod(out) * taps * channels)
    if layer.upsample:
        flops += BILINEAR_TAPS * math.prod(modulated)
    if layer.demodulate:
        flops += _demodulation(batch, channels, layer.filters, kernel) + math.prod(out)
    return flops


def _demodulation(batch, channels, filters, kernel):
    """The coefficients `rsqrt(styles^2 @ sum over taps of kernel^2 + epsilon)`, one
    per sample and output map (the product with the outputs not included)."""
    squares = batch * channels + kernel
    tap_sums = kernel - channels * filters
    energies = 2 * batch * channels * filters  # a matmul
    return squares + tap_sums + energies + (1 + RSQRT) * batch * filters


def _styled_conv(layer, inputs, outputs, training):
    (_, _, noise), (out,) = inputs, outputs
    # the noise map times its strength, added; the bias; leaky ReLU and its gain
    return (_modulated_conv2d(layer, inputs, outputs, training) + math.prod(noise)
            + 4 * math.prod(out))


def _to_rgb(layer, inputs, outputs, training):
    return _modulated_conv2d(layer, inputs, outputs, training) + _elements(outputs)  # bias


class _Calls:
    """Counts a composite layer's calls of its sublayers, each on one input whose shape
    the caller follows from call to call."""

    def __init__(self, training):
        self.training, self.flops = training, 0

    def __call__(self, sublayer, shape):
        """Counts `sublayer` on an input of `shape`; returns its output's shape."""
        out = tuple(sublayer.compute_output_shape(shape))
        self.flops += rule_for(sublayer)(sublayer, [shape], [out], self.training)
        return out


def _growing_generator(layer, inputs, outputs, training):
    """ProGAN's generator at the level it runs (`running_level`): the latent's
    normalization and dense layer, the blocks up to the level and its toRGB; above level
    0 also the previous level's toRGB and the blend of the two, whatever alpha is (alpha
    1 blends too). Nearest-neighbour upsampling is free."""
    (shape,), _ = inputs, outputs
    level, calls = layer.running_level, _Calls(training)
    calls(layer.dense, calls(layer.normalize, shape))
    x = (shape[0], 4, 4, layer.width(0))
    calls.flops += 2 * math.prod(x)  # bias and leaky ReLU after the reshape
    features = [calls(layer.pixel_norm, calls(layer.blocks[0][0], calls(layer.pixel_norm, x)))]
    for current in range(1, level + 1):
        batch, height, width, channels = features[-1]
        x = (batch, 2 * height, 2 * width, channels)
        for conv in layer.blocks[current]:
            x = calls(layer.pixel_norm, calls(conv, x))
        features.append(x)
    image = calls(layer.to_rgb[level], features[level])
    if level:
        calls(layer.to_rgb[level - 1], features[level - 1])
        calls.flops += LERP * math.prod(image)
    return calls.flops


def _growing_discriminator(layer, inputs, outputs, training):
    """ProGAN's discriminator at the level it runs: the images box-filtered to the
    level's size, its fromRGB and the blocks down to 4x4; above level 0 also the
    previous level's fromRGB on a further 2x box filter, blended with the level's
    block, whatever alpha is; then minibatch stddev and the final layers."""
    (shape,), _ = inputs, outputs
    level, calls = layer.running_level, _Calls(training)
    batch, size, _, channels = shape
    side = 4 * 2**level
    image = (batch, side, side, channels)
    calls.flops += math.prod(shape) if side < size else 0  # box filter: 1 per input
    x = calls(layer.from_rgb[level], image)
    for current in range(level, 0, -1):
        for conv in layer.blocks[current]:
            x = calls(conv, x)
    if level:
        previous = calls(layer.from_rgb[level - 1], (batch, side // 2, side // 2, channels))
        calls.flops += math.prod(image) + LERP * math.prod(previous)
    x = calls(layer.conv, calls(layer.stddev, x))
    calls(layer.score, calls(layer.dense, (batch, math.prod(x[1:]))))
    return calls.flops


def _register_ganzoo_layers():
    from ganzoo.nets import (biggan_layers, conditioning, progan, spectral_norm, srresnet,
                             style_layers, stylegan2)
    from ganzoo.nets.image_layers import ReflectionPadding2D

    register(ReflectionPadding2D, srresnet.PixelShuffle, biggan_layers.LatentChunk)(_free)
    register(spectral_norm.SpectralDense)(_spectral_dense)
    register(spectral_norm.SpectralConv2D)(_spectral_conv2d)
    register(conditioning.ClassProjection)(_class_projection)
    register(spectral_norm.SpectralClassProjection)(_spectral_class_projection)
    register(biggan_layers.ClassConditionalBatchNorm)(_class_conditional_batch_norm)
    register(biggan_layers.SelfAttention)(_self_attention)
    register(biggan_layers.GlobalSumPooling2D)(_sum_pooling)
    register(srresnet.InterpolatedUpsampling)(_interpolated_upsampling)
    register(srresnet.StraightThroughClip)(_straight_through_clip)
    register(style_layers.InferenceClip)(_inference_clip)
    register(style_layers.EqualizedDense)(_equalized_dense)
    register(style_layers.EqualizedConv2D)(_equalized_conv2d)
    register(style_layers.PixelNorm)(_pixel_norm)
    register(style_layers.MinibatchStddev)(_minibatch_stddev)
    # a broadcast constant, broadcast noise maps, and w repeated per layer (the networks
    # call Truncation with psi 1)
    register(stylegan2.ConstantInput, stylegan2.ConstantNoise, stylegan2.Truncation)(_free)
    register(stylegan2.ModulatedConv2D)(_modulated_conv2d)
    register(stylegan2.StyledConv)(_styled_conv)
    register(stylegan2.ToRGB)(_to_rgb)
    register(progan.GrowingGenerator)(_growing_generator)
    register(progan.GrowingDiscriminator)(_growing_discriminator)


_register_ganzoo_layers()


# ---------------------------------------------------------------- training steps

def forward_equivalents(gan, frozen_backward=FROZEN_BACKWARD):
    """`{network attribute: forward passes per training step}` of `gan`'s `train_step`.

    A backward pass that yields weight and input gradients costs 2 forward passes
    (per layer, one product for each). A pass for input gradients only -- through D
    in G's update, or WGAN-GP's gradient of the critic with respect to its input --
    costs `frozen_backward` = b: 2 by default, the convention of the issue that asked
    for this count, and what TensorFlow's graph holds before pruning (a convolution's
    gradient function builds the weight gradient too); 1 counts only what is needed.

    Per training step, with n discriminator updates:
        GAN (VanillaGAN, DCGAN): each D update is G forward, D forward on real and
            fake and D backward on both: G 1, D 2 + 4; the G update is G forward and
            backward, D forward and input-backward: G 3, D 1 + b. In all G 3 + n and
            D 6n + 1 + b: 4 and 9 for n = 1, b = 2.
        WGANGP: each critic update adds the penalty: D forward on the interpolates
            (1), their input gradient (b), and that pair differentiated with respect
            to D's weights (4: each forward product gets its weight and input
            gradients, each input-gradient product its weight and incoming-gradient
            gradients; the weight gradients the first pass built but did not use are
            not differentiated). D 11 + b per critic update, in all G 3 + n and
            D n(11 + b) + 1 + b: 8 and 68 for n = 5, b = 2.
        CycleGAN: each generator runs c = 2 times in G's update (translation, cycle),
            3 with the identity loss, forward and backward: 3c; each discriminator
            judges one translation in G's update (1 + b) and real and pooled fakes in
            its own (6): 7 + b.
        Paired models (Pix2Pix, SRResNet, SRGAN): G forward and backward once (3); D,
            if any, judges target and output in its update (6) and the output in G's
            (1 + b): 7 + b; a feature model (SRGAN's VGG loss) sees target and output,
            and passes the output's gradient back: 2 + b.
        StyleGAN2: GAN's step (G is the mapping and the synthesis network), plus its
            lazy penalties as their average per step. R1 (when r1_gamma > 0) is
            WGAN-GP's penalty on the reals, D 1 + b + 4, every r1_interval D updates:
            (5 + b) / r1_interval per D update. The path length penalty (when
            pl_weight > 0) is the same through G, the gradient taken with respect to
            the styles, every pl_interval G updates on batch / pl_batch_shrink
            samples: (5 + b) / (pl_interval * pl_batch_shrink) passes at the full
            batch (its per-sample work exactly, when pl_batch_shrink divides the
            batch). In all G 3 + n plus the path length's share, D n(6 + R1's share)
            + 1 + b: 4 and 9.4375 for n = 1, r1_interval 16, b = 2, pl_weight 0.
            Style mixing maps a second latent in every G pass (whenever
            style_mixing_prob > 0, whether the batch mixes or not); that pass of the
            mapping network is left out: a few dense layers per sample, 0.06% of the
            stylegan2-digits generator's forward pass.
        ProGAN: WGAN-GP's step with one critic update (the drift term adds no pass):
            G 4, D 12 + 2b = 16 for b = 2, at every stage; a pass's cost is the stage's
            (see `training_stage`).
    """
    # nets know nothing of training otherwise
    from ganzoo.gans import GAN, WGANGP, CycleGAN, ProGAN, StyleGAN2
    from ganzoo.gans.paired import PairedModel

    b = frozen_backward
    penalty = 1 + b + 4  # a forward pass, its input gradient, the pair differentiated
    if isinstance(gan, PairedModel):
        _require_own(gan, PairedModel, ("train_step", "_discriminator_update",
                                        "generator_losses"))
        counts = {"generator": 3}
        if gan.discriminator is not None:
            counts["discriminator"] = 7 + b
        if getattr(gan, "feature_model", None) is not None:
            counts["feature_model"] = 2 + b
        return counts
    if isinstance(gan, CycleGAN):
        _require_own(gan, CycleGAN, ("train_step", "generator_losses",
                                     "domain_discriminator_loss"))
        calls = 3 if gan.identity_weight else 2
        return {"generator_ab": 3 * calls, "generator_ba": 3 * calls,
                "discriminator_a": 7 + b, "discriminator_b": 7 + b}
    if isinstance(gan, StyleGAN2):
        _require_own(gan, StyleGAN2, ("train_step", "_discriminator_update",
                                      "_generator_update", "discriminator_loss", "judge",
                                      "mixed_styles", "synthesize", "regularization_due",
                                      "r1_penalty", "path_lengths", "_path_length_penalty"))
        return _stylegan2_equivalents(gan, b, penalty)
    if isinstance(gan, ProGAN):
        _require_own(gan, ProGAN, ("train_step", "at_level", "_critic_gradients",
                                   "_generator_gradients", "discriminator_loss", "judge"))
        return {"generator": 4, "discriminator": 6 + penalty + 1 + b}
    if isinstance(gan, GAN):
        variant = WGANGP if isinstance(gan, WGANGP) else GAN
        _require_own(gan, variant, ("train_step", "_discriminator_update",
                                    "_generator_update", "discriminator_loss", "judge"))
        n = gan.discriminator_steps
        per_update = 6 + (penalty if variant is WGANGP else 0)
        return {"generator": 3 + n, "discriminator": n * per_update + 1 + b}
    raise NotImplementedError(f"No training-step count for {type(gan).__name__}: "
                              "forward_equivalents knows GAN, WGANGP, StyleGAN2, ProGAN, "
                              "CycleGAN and paired models' steps.")


def _stylegan2_equivalents(gan, b, penalty):
    n = gan.discriminator_steps
    # lazy: one evaluation every `interval` updates (the path length's on a smaller batch)
    r1 = penalty / gan.r1_interval if gan.r1_gamma else 0
    path_length = penalty / (gan.pl_interval * gan.pl_batch_shrink) if gan.pl_weight else 0
    return {"generator": 3 + n + path_length, "discriminator": n * (6 + r1) + 1 + b}


def _require_own(gan, variant, methods):
    changed = [name for name in methods
               if getattr(type(gan), name) is not getattr(variant, name)]
    if changed:
        raise NotImplementedError(
            f"{type(gan).__name__} overrides {', '.join(changed)} of {variant.__name__}: its "
            "training step may differ from the one forward_equivalents counts.")


def network_batch(gan, name, batch_size):
    """The batch network `name` of `gan` sees when the step's batch is `batch_size`."""
    pack = getattr(gan, "pack", 1)
    return batch_size // pack if name == "discriminator" else batch_size


def train_step_flops(gan, batch_size, frozen_backward=FROZEN_BACKWARD, image_size=None):
    """FLOPs of one `train_step` of `gan` on a batch of `batch_size` samples (per
    domain for CycleGAN): training-mode forward FLOPs of each network times its
    `forward_equivalents`, rounded (lazy penalties count as their average per step).
    Optimizer updates, losses and augmentation are left out (O(parameters), O(batch)
    and elementwise; so is ProGAN's blend of the reals to its stage). An upscaler
    trained on patches of any size needs `image_size`, the high-resolution side (as
    `profiler_train_step_flops`). A ProGAN's step is counted at its current stage (see
    `training_stage`)."""
    networks = step_networks(gan, image_size)
    with training_stage(gan):
        return round(sum(
            times * forward_flops(networks[name], network_batch(gan, name, batch_size),
                                  training=True)
            for name, times in forward_equivalents(gan, frozen_backward).items()))


def training_stage(gan):
    """Within the context, a ProGAN's growing networks run, and are counted at, the level
    of its current stage, `gan.resolution`: the level its next `train_step` trains
    (which sets the networks' `level` variables to it first), whatever the variables
    hold now. A stage's cost depends on its level alone: above 4x4 both networks
    compute the new level's and the previous level's output paths and blend them by
    alpha, fading in or not (one graph serves the whole schedule). Other GANs' networks
    are left as they are.

    Example:
        >>> gan.growth.images_seen.assign(n)          # the stage after n real images
        >>> train_step_flops(gan, 32)                 # a step at that stage
    """
    from ganzoo.gans import ProGAN

    if not isinstance(gan, ProGAN):
        return contextlib.nullcontext()
    return _networks_at_level(gan, _stage_level(gan))


def _stage_level(progan):
    return int(math.log2(progan.resolution)) - 2  # level 0 is 4x4


@contextlib.contextmanager
def _networks_at_level(progan, level):
    from ganzoo.nets.progan import growing_layer

    with contextlib.ExitStack() as stack:
        for network in (progan.generator, progan.discriminator):
            stack.enter_context(growing_layer(network).fixed_level(level))
        yield


def step_networks(gan, image_size=None):
    """`{network attribute: model}` of `gan`'s training step, with fixed input sizes:
    a paired model's fully convolutional generator (and feature model), which take
    images of any size, are rebuilt on the training size, sharing their layers: an
    upscaler's patches of side `image_size` (high resolution), a translator's
    `data_shape`."""
    from ganzoo.gans.adversarial import UPSCALER
    from ganzoo.gans.paired import PairedModel

    networks = {name: getattr(gan, name) for name in forward_equivalents(gan)}
    if not isinstance(gan, PairedModel):
        return networks
    if gan.kind != UPSCALER:
        networks["generator"] = fixed_size(gan.generator, gan.data_shape)
        return networks
    if image_size is None:
        raise ValueError(f"This {type(gan).__name__} trains on patches of any size: give "
                         "image_size, the high-resolution side (e.g. 96).")
    high = (int(image_size), int(image_size), gan.target_shape[-1])
    networks["generator"] = fixed_size(gan.generator,
                                       (high[0] // gan.scale, high[1] // gan.scale, high[2]))
    if "feature_model" in networks:
        networks["feature_model"] = fixed_size(gan.feature_model, high)
    return networks


def fixed_size(model, input_shape):
    """`model` (one input) rebuilt on inputs of `input_shape` (no batch), its layers
    shared: the same network with every shape defined, as counting needs."""
    return keras.models.clone_model(model, input_tensors=keras.Input(input_shape),
                                    clone_function=lambda layer: layer)


# ------------------------------------------------------------- the profiler's count

def profiler_flops(function, *input_signature):
    """FLOPs TensorFlow's profiler (`tf.compat.v1.profiler`, float_operation) counts in
    the graph of `function` traced for `input_signature` (`tf.TensorSpec`s of fixed
    shape). The graph is traced, not run: nothing changes state."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    graph = tf.function(function).get_concrete_function(*input_signature).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(model_analyzer.profile(graph, options=options).total_float_ops)


def profiler_forward_flops(model, batch_size=1, training=False):
    """`profiler_flops` of one forward pass of a single-input `model`."""
    spec = tf.TensorSpec((batch_size, *model.input_shape[1:]), tf.float32)
    return profiler_flops(lambda x: model(x, training=training), spec)


def profiler_train_step_flops(gan, batch_size, image_size=None):
    """`profiler_flops` of one `train_step` of a compiled `gan`, as traced before
    TensorFlow's graph optimizations prune unused gradients.

    A conditional GAN's batch is images and labels, a translator's a pair of image
    batches (CycleGAN: one per domain; Pix2Pix: inputs and targets), an upscaler's a
    pair of low- and high-resolution patches.
    SRGAN's patch size is fixed by its discriminator; SRResNet trains on any, so give
    `image_size`, the high-resolution side (e.g. 96).

    The profiler counts the graph's own nodes, not those of the functions that TF2
    control flow calls: StyleGAN2's lazy penalties, in `tf.cond` branches, are missing
    from its count. ProGAN's step runs its networks in a `tf.switch_case` branch per
    level; what the branch of the current stage computes is traced on its own (the
    critic's and the generator's gradients, without the optimizer updates).
    """
    from ganzoo.gans import ProGAN
    from ganzoo.gans.adversarial import TRANSLATOR, UPSCALER
    from ganzoo.gans.paired import PairedModel

    if gan.kind == UPSCALER:
        height, width, channels = gan.target_shape
        if height is None:
            if image_size is None:
                raise ValueError(f"This {type(gan).__name__} trains on patches of any size: "
                                 "give image_size, the high-resolution side (e.g. 96).")
            height = width = int(image_size)
        shapes = [(height // gan.scale, width // gan.scale, channels), (height, width, channels)]
    elif isinstance(gan, PairedModel):
        shapes = [gan.data_shape, gan.target_shape]
    elif gan.kind == TRANSLATOR:
        shapes = [gan.data_shape] * 2
    else:
        samples = tf.TensorSpec((batch_size, *gan.data_shape), tf.float32)
        if isinstance(gan, ProGAN):
            level, alpha = _stage_level(gan), gan.alpha  # read before tracing
            return profiler_flops(lambda real: _progan_branch(gan, real, level, alpha), samples)
        if getattr(gan, "num_classes", None) is None:
            return profiler_flops(gan.train_step, samples)
        labels = tf.TensorSpec((batch_size,), tf.int32)  # a conditional GAN's batches
        return profiler_flops(lambda x, y: gan.train_step((x, y)), samples, labels)
    specs = [tf.TensorSpec((batch_size, *shape), tf.float32) for shape in shapes]
    return profiler_flops(lambda a, b: gan.train_step((a, b)), *specs)


def _progan_branch(gan, real, level, alpha):
    """What ProGAN's `train_step` computes in the branch of `level`."""
    batch_size = tf.shape(real)[0]
    with _networks_at_level(gan, level):
        critic = gan._critic_gradients(real, batch_size, level, alpha)
        return critic, gan._generator_gradients(batch_size)
