"""The analytic FLOP counter (ganzoo.nets.flops) against hand counts and TensorFlow's profiler."""

import keras
import pytest
import tensorflow as tf
from keras import layers

import ganzoo
from ganzoo.nets import flops
from ganzoo.nets.biggan_layers import ClassConditionalBatchNorm, SelfAttention
from ganzoo.nets.conditioning import ClassProjection
from ganzoo.nets.spectral_norm import SpectralConv2D, SpectralDense

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
], ids=["dcgan", "vanilla", "wgangp-5", "cyclegan", "cyclegan-identity", "pix2pix", "srresnet",
        "srgan-features"])
def test_forward_equivalents_per_training_step(make_gan, expected):
    assert flops.forward_equivalents(make_gan()) == expected


def test_the_tighter_count_of_input_only_backward_passes():
    gan = ganzoo.WGANGP(data_shape=(2,), n_critic=5)
    # critic update: 2 + 4 (real, fake) + 1 + 1 + 4 (penalty); G update: D 1 + 1
    assert flops.forward_equivalents(gan, frozen_backward=1) == {"generator": 8,
                                                                 "discriminator": 62}


def test_a_variant_with_its_own_step_is_not_counted_as_the_base():
    class Custom(ganzoo.DCGAN):
        def train_step(self, data):
            return super().train_step(data)

    with pytest.raises(NotImplementedError, match="overrides train_step"):
        flops.forward_equivalents(Custom(image_shape=(8, 8, 1), base_filters=8))


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
], ids=["dcgan", "wgangp", "wgangp-packed", "cdcgan", "acgan", "biggan", "srresnet", "srgan"])
def test_training_steps_agree_with_the_profiler(make_gan):
    gan = make_gan()
    gan.compile()
    size = 16 if gan.kind == "upscaler" else None
    # at batch 32, as the zoo trains: the profiler also counts what does not grow with
    # the batch (optimizer updates, the spectral norms' power iterations' gradients)
    ours = flops.train_step_flops(gan, 32, image_size=size)
    profiler = flops.profiler_train_step_flops(gan, 32, image_size=size)
    assert ours == pytest.approx(profiler, rel=STEP_TOLERANCE)


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
