"""The analytic FLOP counter (ganzoo.nets.flops) against hand counts and TensorFlow's profiler."""

import keras
import pytest
import tensorflow as tf
from keras import layers

import ganzoo
from ganzoo.nets import flops
from ganzoo.nets.biggan_layers import ClassConditionalBatchNorm, SelfAttention
from ganzoo.nets.conditioning import ClassProjection
from ganzoo.nets.progan import growing_layer
from ganzoo.nets.spectral_norm import SpectralConv2D, SpectralDense
from ganzoo.nets.style_layers import EqualizedConv2D, EqualizedDense, MinibatchStddev, PixelNorm
from ganzoo.nets.stylegan2 import StyledConv, ToRGB

BATCH = 4


def one_layer(layer, input_shape):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, layer(inputs))


def test_dense_by_hand():
    model = one_layer(layers.Dense(5), (3,))
    # 4 rows x 5 units x 3 multiply-adds x 2, and one bias addition per output
    assert flops.forward_flops(model, BATCH) == 2 * 4 * 5 * 3 + 4 * 5 == 140
    relu = one_layer(layers.Dense(5, activation="relu", use_bias=False), (3,))
    assert flops.forward_flops(relu, BATCH) == 2 * 4 * 5 * 3 + 4 * 5


@pytest.mark.parametrize("padding, output_size", [("same", 5), ("valid", 4)])
def test_strided_conv2d_by_hand(padding, output_size):
    model = one_layer(layers.Conv2D(4, 3, strides=2, padding=padding), (9, 9, 3))
    assert model.output_shape == (None, output_size, output_size, 4)
    outputs = BATCH * output_size * output_size * 4
    # each output element: 3 x 3 taps x 3 input channels, plus its bias
    assert flops.forward_flops(model, BATCH) == outputs * (2 * 3 * 3 * 3 + 1)


@pytest.mark.parametrize("padding, output_size", [("same", 8), ("valid", 10)])
def test_strided_conv2d_transpose_by_hand(padding, output_size):
    model = one_layer(layers.Conv2DTranspose(2, 4, strides=2, padding=padding), (4, 4, 3))
    assert model.output_shape == (None, output_size, output_size, 2)
    inputs = BATCH * 4 * 4 * 3
    # each input element meets 4 x 4 taps of each of 2 filters; bias per output element
    expected = 2 * inputs * 4 * 4 * 2 + BATCH * output_size * output_size * 2
    assert flops.forward_flops(model, BATCH) == expected


def test_layers_are_listed_by_path_and_nested_models_are_walked():
    inner = one_layer(layers.Dense(6), (3,))
    inputs = keras.Input((3,))
    outer = keras.Model(inputs, layers.ReLU(name="relu")(inner(inputs)))
    rows = flops.layer_flops(outer, BATCH)
    assert [name for name, _ in rows] == [f"{inner.name}/{inner.layers[1].name}", "relu"]
    assert sum(count for _, count in rows) == flops.forward_flops(inner, BATCH) + BATCH * 6


def test_spectral_layers_by_hand():
    dense = one_layer(SpectralDense(5), (3,))
    # multiply-adds and biases as Dense, plus the power iteration: 7 per kernel entry
    assert flops.forward_flops(dense, BATCH) == 2 * 4 * 3 * 5 + 4 * 5 + 7 * 3 * 5
    conv = one_layer(SpectralConv2D(4, 3), (5, 5, 2))
    outputs = BATCH * 5 * 5 * 4
    assert flops.forward_flops(conv, BATCH) == outputs * (2 * 3 * 3 * 2 + 1) + 7 * 3 * 3 * 2 * 4


def test_class_projection_dropout_and_pooling_by_hand():
    features, labels = keras.Input((6,)), keras.Input((), dtype="int32")
    projection = keras.Model([features, labels], ClassProjection(10)([features, labels]))
    assert flops.forward_flops(projection, BATCH) == 2 * BATCH * 6  # a product and a sum each
    dropout = one_layer(layers.Dropout(0.5), (3, 3, 2))
    assert flops.forward_flops(dropout, BATCH, training=False) == 0
    assert flops.forward_flops(dropout, BATCH, training=True) == 2 * BATCH * 18
    pooled = one_layer(layers.AveragePooling2D(2), (6, 6, 2))
    assert flops.forward_flops(pooled, BATCH) == BATCH * 6 * 6 * 2  # one add per input


def two_input_layer(layer, first_shape, second_shape):
    first, second = keras.Input(first_shape), keras.Input(second_shape)
    return keras.Model([first, second], layer([first, second]))


@pytest.mark.parametrize("make_model", [
    lambda: one_layer(SelfAttention(), (8, 8, 16)),
    lambda: one_layer(SelfAttention(spectral_norm=False), (8, 8, 16)),
    lambda: two_input_layer(ClassConditionalBatchNorm(), (8, 8, 32), (16,)),
], ids=["self-attention", "self-attention-plain", "conditional-batch-norm"])
@pytest.mark.parametrize("training", [False, True])
def test_biggan_layers_agree_with_the_profiler(make_model, training):
    model = make_model()
    # at batch 32: the profiler also counts the power iteration's O(rows + columns) work
    specs = [tf.TensorSpec((32, *x.shape[1:]), tf.float32) for x in model.inputs]
    profiler = flops.profiler_flops(lambda *x: model(list(x) if len(x) > 1 else x[0],
                                                     training=training), *specs)
    assert flops.forward_flops(model, 32, training) == pytest.approx(profiler, rel=TOLERANCE)


def test_pixel_norm_minibatch_stddev_and_equalized_conv2d_by_hand():
    norm = one_layer(PixelNorm(), (3, 3, 8))
    vectors = BATCH * 3 * 3
    # square, mean and scale per element; epsilon and rsqrt (2) per vector of 8
    assert flops.forward_flops(norm, BATCH) == vectors * (3 * 8 + 1 + 2)
    stddev = one_layer(MinibatchStddev(group_size=2), (3, 3, 8))
    elements = BATCH * 3 * 3 * 8
    # per element: the group's mean, deviation, square, mean of squares; per statistic
    # (2 groups of 2 samples: half as many): epsilon, square root, the average over them
    assert flops.forward_flops(stddev, BATCH) == 4 * elements + 3 * elements // 2
    conv = one_layer(EqualizedConv2D(4, 3, downsample=True, activation="lrelu",
                                     activation_gain=2.0), (6, 6, 2))
    convolved, pooled = BATCH * 6 * 6 * 4, BATCH * 3 * 3 * 4
    # kernel and bias scaled (1 per weight); 3 x 3 taps x 2 channels per convolved
    # output; a 2x2 box filter; bias, leaky ReLU and gain per pooled output
    assert flops.forward_flops(conv, BATCH) == (
        3 * 3 * 2 * 4 + 4 + convolved * 2 * 3 * 3 * 2 + 4 * pooled + 3 * pooled)


# Ops TensorFlow's profiler counts as 0 FLOPs, and what we count per output element.
UNCOUNTED_BY_THE_PROFILER = {"LeakyRelu": 1, "Sqrt": 1, "ResizeBilinear": flops.BILINEAR_TAPS}


def profiler_and_uncounted(function, *specs):
    """The profiler's count plus what we count for the ops it gives 0 (found in a trace
    of the same function): what the analytic count should be, up to a few scalar ops."""
    graph = tf.function(function).get_concrete_function(*specs).graph
    uncounted = sum(UNCOUNTED_BY_THE_PROFILER[op.type] * op.outputs[0].shape.num_elements()
                    for op in graph.get_operations() if op.type in UNCOUNTED_BY_THE_PROFILER)
    return flops.profiler_flops(function, *specs) + uncounted


def layer_on(layer, *input_shapes):
    inputs = [keras.Input(shape) for shape in input_shapes]
    return keras.Model(inputs, layer(inputs if len(inputs) > 1 else inputs[0]))


@pytest.mark.parametrize("make_model", [
    lambda: layer_on(PixelNorm(), (4, 4, 16)),
    lambda: layer_on(MinibatchStddev(), (4, 4, 16)),
    lambda: layer_on(EqualizedDense(8, activation="lrelu", activation_gain=2.0), (16,)),
    lambda: layer_on(EqualizedConv2D(8, 3, downsample=True, activation="lrelu"), (8, 8, 4)),
    lambda: layer_on(StyledConv(12, w_index=1, upsample=True), (8, 8, 16), (3, 8), (16, 16, 1)),
    lambda: layer_on(StyledConv(12, w_index=1), (8, 8, 16), (3, 8), (8, 8, 1)),
    lambda: layer_on(ToRGB(3, w_index=2), (8, 8, 16), (3, 8)),
], ids=["pixel-norm", "minibatch-stddev", "equalized-dense", "equalized-conv-down",
        "styled-conv-up", "styled-conv", "to-rgb"])
def test_style_layers_agree_with_the_profiler(make_model):
    model = make_model()
    specs = [tf.TensorSpec((32, *x.shape[1:]), tf.float32) for x in model.inputs]
    expected = profiler_and_uncounted(
        lambda *x: model(list(x) if len(x) > 1 else x[0], training=True), *specs)
    assert flops.forward_flops(model, 32, training=True) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("level", [0, 2])
@pytest.mark.parametrize("network", ["generator", "discriminator"])
def test_growing_networks_agree_with_the_profiler_at_a_fixed_level(network, level):
    # Fixed at one level, a growing network runs its blocks with no tf.switch_case, whose
    # branches the profiler cannot see into. Above level 0 both output paths are blended.
    model = getattr(ganzoo.ProGAN(image_shape=(16, 16, 1), latent_dim=8), network)
    with growing_layer(model).fixed_level(level):
        ours = flops.forward_flops(model, 32, training=True)
        spec = tf.TensorSpec((32, *model.input_shape[1:]), tf.float32)
        expected = profiler_and_uncounted(lambda x: model(x, training=True), spec)
    assert ours == pytest.approx(expected, rel=1e-6)


def test_a_layer_without_a_rule_is_an_error_that_says_how_to_add_one():
    class Mystery(layers.Layer):
        def call(self, x):
            return x * 2

    model = one_layer(Mystery(name="mystery"), (3,))
    with pytest.raises(flops.UnknownLayerError, match="'mystery' of type Mystery.*register"):
        flops.forward_flops(model)


def linear_layers_model():
    """Dense, strided Conv2D ("same" and "valid") and Conv2DTranspose ("same"), with
    biases and no activations: layers the profiler counts exactly as we do."""
    x = inputs = keras.Input((12, 12, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.Conv2D(8, 3, padding="valid")(x)
    x = layers.Conv2DTranspose(4, 4, strides=2, padding="same")(x)
    x = layers.Dense(5)(layers.Flatten()(x))
    return keras.Model(inputs, x)


def test_the_profiler_counts_linear_layers_exactly_as_we_do():
    model = linear_layers_model()
    assert flops.forward_flops(model, BATCH) == flops.profiler_forward_flops(model, BATCH)


# The profiler counts activations as 0 FLOPs (we count 1 per element: left out here)
# and adds the O(channels) arithmetic of normalization that we leave out: at batch 32
# that is under 0.15% of these networks.
TOLERANCE = 0.003
ACTIVATIONS = (layers.ReLU, layers.LeakyReLU, layers.Activation)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("network", ["generator", "discriminator"])
@pytest.mark.parametrize("variant", ["dcgan", "wgangp"])
def test_networks_agree_with_the_profiler(variant, network, training):
    gan = (ganzoo.DCGAN if variant == "dcgan" else ganzoo.WGANGP)(
        image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
    model = getattr(gan, network)
    ours = sum(count for name, count in flops.layer_flops(model, 32, training)
               if not isinstance(model.get_layer(name), ACTIVATIONS))
    profiler = flops.profiler_forward_flops(model, 32, training)
    assert ours == pytest.approx(profiler, rel=TOLERANCE)


def test_batch_norm_counts_its_statistics_in_training_only():
    model = one_layer(layers.BatchNormalization(), (4, 4, 8))
    elements = BATCH * 4 * 4 * 8
    assert flops.forward_flops(model, BATCH, training=False) == 2 * elements
    assert flops.forward_flops(model, BATCH, training=True) == 6 * elements


@pytest.mark.parametrize("make_gan, expected", [
    (lambda: ganzoo.DCGAN(image_shape=(8, 8, 1), base_filters=8), {"generator": 4, "discriminator": 9}),
    (lambda: ganzoo.VanillaGAN(data_shape=(2,)), {"generator": 4, "discriminator": 9}),
    (lambda: ganzoo.WGANGP(data_shape=(2,), n_critic=5), {"generator": 8, "discriminator": 68}),
    (lambda: ganzoo.CycleGAN(image_shape=(8, 8, 1), base_filters=4, identity_weight=0.0),
     {"generator_ab": 6, "generator_ba": 6, "discriminator_a": 9, "discriminator_b": 9}),
    (lambda: ganzoo.CycleGAN(image_shape=(8, 8, 1), base_filters=4),
     {"generator_ab": 9, "generator_ba": 9, "discriminator_a": 9, "discriminator_b": 9}),
    (lambda: ganzoo.Pix2Pix(image_shape=(16, 16, 1), base_filters=4),
     {"generator": 3, "discriminator": 9}),
    (lambda: ganzoo.SRResNet(scale=2, residual_blocks=1, filters=4), {"generator": 3}),
    (lambda: ganzoo.SRGAN(scale=2, residual_blocks=1, filters=4, patch_size=16,
                          feature_model=feature_model()),
     {"generator": 3, "discriminator": 9, "feature_model": 4}),
    # lazy penalties, as their average per step: R1 (7 D passes) every 16 D updates
    (lambda: tiny_stylegan2(), {"generator": 4, "discriminator": 6 + 7 / 16 + 3}),
    (lambda: tiny_stylegan2(r1_gamma=0.0), {"generator": 4, "discriminator": 9}),
    # R1 every 4 D updates; the path length (7 G passes) every 4 G updates on half the batch
    (lambda: tiny_stylegan2(r1_interval=4, pl_weight=2.0, pl_interval=4, pl_batch_shrink=2),
     {"generator": 4 + 7 / 8, "discriminator": 6 + 7 / 4 + 3}),
    (lambda: ganzoo.ProGAN(image_shape=(8, 8, 1), latent_dim=8, channel_max=8),
     {"generator": 4, "discriminator": 16}),
], ids=["dcgan", "vanilla", "wgangp-5", "cyclegan", "cyclegan-identity", "pix2pix", "srresnet",
        "srgan-features", "stylegan2", "stylegan2-no-r1", "stylegan2-pl", "progan"])
def test_forward_equivalents_per_training_step(make_gan, expected):
    assert flops.forward_equivalents(make_gan()) == expected


def tiny_stylegan2(**options):
    return ganzoo.StyleGAN2(image_shape=(8, 8, 1), latent_dim=8, channel_max=8, **options)


def test_the_tighter_count_of_input_only_backward_passes():
    gan = ganzoo.WGANGP(data_shape=(2,), n_critic=5)
    # critic update: 2 + 4 (real, fake) + 1 + 1 + 4 (penalty); G update: D 1 + 1
    assert flops.forward_equivalents(gan, frozen_backward=1) == {"generator": 8,
                                                                 "discriminator": 62}


@pytest.mark.parametrize("variant, method, options", [
    (ganzoo.DCGAN, "train_step", {"base_filters": 8}),
    (ganzoo.StyleGAN2, "r1_penalty", {"channel_max": 8}),
    (ganzoo.ProGAN, "_critic_gradients", {"channel_max": 8}),
], ids=["dcgan", "stylegan2", "progan"])
def test_a_variant_with_its_own_step_is_not_counted_as_the_base(variant, method, options):
    def same_as_the_base(self, *args, **kwargs):
        return getattr(variant, method)(self, *args, **kwargs)

    custom = type("Custom", (variant,), {method: same_as_the_base})
    with pytest.raises(NotImplementedError, match=f"overrides {method}"):
        flops.forward_equivalents(custom(image_shape=(8, 8, 1), **options))


# Whole training steps: the profiler on the traced train_step (before pruning, so a
# convolution's unused weight gradient is there: frozen_backward=2) against the
# analytic count. Dense layers are where they part: TensorFlow skips the input
# gradient of a matmul whose input nothing differentiates (G's first layer), which
# the analytic count includes.
STEP_TOLERANCE = 0.02


@pytest.mark.parametrize("make_gan", [
    lambda: ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8),
    lambda: ganzoo.WGANGP(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, n_critic=2),
    lambda: ganzoo.WGANGP(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, n_critic=1,
                          pack=2),
    lambda: ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8,
                         num_classes=10, conditioning="projection"),
    lambda: ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8,
                         num_classes=10, conditioning="auxiliary"),
    lambda: ganzoo.BigGAN(image_shape=(16, 16, 1), num_classes=10, base_filters=8,
                          channel_multipliers=[2, 2, 1], attention_resolution=8),
    lambda: ganzoo.SRResNet(scale=2, residual_blocks=1, filters=8),
    lambda: ganzoo.SRGAN(scale=2, residual_blocks=1, filters=8, patch_size=16,
                         discriminator_filters=8, feature_model=feature_model()),
    # StyleGAN2's lazy penalties run in tf.cond branches, functions of their own that
    # the profiler does not look into: it counts a step without them, so compare one.
    lambda: ganzoo.StyleGAN2(image_shape=(8, 8, 1), latent_dim=8, channel_max=16,
                             r1_gamma=0.0, pl_weight=0.0),
], ids=["dcgan", "wgangp", "wgangp-packed", "cdcgan", "acgan", "biggan", "srresnet", "srgan",
        "stylegan2"])
def test_training_steps_agree_with_the_profiler(make_gan):
    gan = make_gan()
    gan.compile()
    size = 16 if gan.kind == "upscaler" else None
    # at batch 32, as the zoo trains: the profiler also counts what does not grow with
    # the batch (optimizer updates, the spectral norms' power iterations' gradients)
    ours = flops.train_step_flops(gan, 32, image_size=size)
    profiler = flops.profiler_train_step_flops(gan, 32, image_size=size)
    assert ours == pytest.approx(profiler, rel=STEP_TOLERANCE)


def test_a_progan_step_is_counted_at_its_stage():
    gan = ganzoo.ProGAN(image_shape=(8, 8, 1), latent_dim=8, fade_images=64, stable_images=64)
    networks = (gan.generator, gan.discriminator)
    # The next train_step runs the stage of the images shown, whatever the networks'
    # level variables say (4x4 here): stable 4x4, fading 8x8 in, grown to 8x8.
    counts = {}
    for images_seen, resolution, level in ((0, 4, 0), (96, 8, 1), (200, 8, 1)):
        gan.growth.images_seen.assign(images_seen)
        assert gan.resolution == resolution
        with growing_layer(networks[0]).fixed_level(level), \
                growing_layer(networks[1]).fixed_level(level):
            generator, discriminator = (flops.forward_flops(network, 32, training=True)
                                        for network in networks)
        counts[images_seen] = flops.train_step_flops(gan, 32)
        assert counts[images_seen] == 4 * generator + 16 * discriminator
    # the fade computes both levels' output paths, alpha 1 too: alpha changes nothing
    assert counts[0] < counts[96] == counts[200]
    # mid-fade (alpha 0.5), the step's branch of that level against the profiler
    gan.growth.images_seen.assign(96)
    gan.compile()
    assert flops.train_step_flops(gan, 32) == pytest.approx(
        flops.profiler_train_step_flops(gan, 32), rel=STEP_TOLERANCE)


def feature_model():
    """A small feature network on high-resolution images (SRGAN's VGG loss stands in)."""
    images = keras.Input((None, None, 3))
    return keras.Model(images, layers.Conv2D(4, 3, padding="same")(images))


def test_fully_convolutional_generators_are_counted_at_their_training_size():
    srresnet = ganzoo.SRResNet(scale=2, residual_blocks=1, filters=4)
    with pytest.raises(ValueError, match="give image_size"):
        flops.train_step_flops(srresnet, 2)
    small, large = (flops.train_step_flops(srresnet, 2, image_size=size) for size in (8, 16))
    assert large == 4 * small  # every layer's work grows with the pixels
    network = flops.step_networks(srresnet, 16)["generator"]
    assert network.input_shape == (None, 8, 8, 3) and network.output_shape == (None, 16, 16, 3)
    assert network.layers[-1] is srresnet.generator.layers[-1]  # the same layers, shared


def test_the_profiler_counts_paired_and_upscaling_steps_on_their_own_batches():
    srresnet = ganzoo.SRResNet(scale=2, residual_blocks=1, filters=4)
    srresnet.compile()
    with pytest.raises(ValueError, match="give image_size, the high-resolution side"):
        flops.profiler_train_step_flops(srresnet, 2)
    small, large = (flops.profiler_train_step_flops(srresnet, 2, image_size=size)
                    for size in (8, 16))
    assert large == pytest.approx(4 * small, rel=0.05)  # 4x the pixels, at any batch shape
    pix2pix = ganzoo.Pix2Pix(image_shape=(16, 16, 1), output_channels=3, base_filters=4)
    pix2pix.compile()
    assert flops.profiler_train_step_flops(pix2pix, 2) > 0  # targets of 3 channels, inputs of 1
