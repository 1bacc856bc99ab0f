"""The analytic FLOP counter (ganzoo.nets.flops) against hand counts and TensorFlow's profiler."""

import keras
import pytest
from keras import layers

import ganzoo
from ganzoo.nets import flops

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
], ids=["dcgan", "vanilla", "wgangp-5", "cyclegan", "cyclegan-identity"])
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
], ids=["dcgan", "wgangp", "wgangp-packed"])
def test_training_steps_agree_with_the_profiler(make_gan):
    gan = make_gan()
    gan.compile()
    ours = flops.train_step_flops(gan, 8)
    assert ours == pytest.approx(flops.profiler_train_step_flops(gan, 8), rel=STEP_TOLERANCE)


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
