"""DCGAN generators' upsampling: "transpose" (the paper, unchanged) or "resize" (nearest or
bilinear 2x resize, then a 3x3 convolution), through the builder, the GANs, the zoo."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import zoo
from ganzoo.nets.dcgan import num_resolution_steps

# dcgan-digits' generator: z of 100, 32x32x1, base_filters 32 (4x4x128 -> 32x32x1)
DIGITS = dict(latent_dim=100, image_shape=(32, 32, 1), base_filters=32)
HEAD = ["InputLayer", "Dense", "BatchNormalization", "ReLU", "Reshape"]
# Its layers and parameters before the option existed (the shipped weights fit them)
TRANSPOSE_LAYERS = HEAD + ["Conv2DTranspose", "BatchNormalization", "ReLU"] * 2 + [
    "Conv2DTranspose", "Activation"]
TRANSPOSE_PARAMETERS = 377_729
# 3x3 instead of 4x4 kernels: 72,192 parameters fewer
RESIZE_LAYERS = HEAD + ["UpSampling2D", "Conv2D", "BatchNormalization", "ReLU"] * 2 + [
    "UpSampling2D", "Conv2D", "Activation"]
RESIZE_PARAMETERS = 305_825


def _types(model):
    return [type(layer).__name__ for layer in model.layers]


def _of_type(model, cls):
    return [layer for layer in model.layers if type(layer) is cls]


def _latents(num, dim, seed=0):
    return np.random.default_rng(seed).standard_normal((num, dim)).astype("float32")


def test_transpose_is_the_default_and_unchanged():
    generator = ganzoo.nets.dcgan_generator(**DIGITS)
    assert _types(generator) == TRANSPOSE_LAYERS
    assert generator.count_params() == TRANSPOSE_PARAMETERS
    assert all(layer.kernel_size == (4, 4) and layer.strides == (2, 2)
               for layer in _of_type(generator, keras.layers.Conv2DTranspose))
    keras.utils.set_random_seed(0)
    default = ganzoo.nets.dcgan_generator(**DIGITS).get_weights()
    keras.utils.set_random_seed(0)
    explicit = ganzoo.nets.dcgan_generator(**DIGITS, upsampling="transpose").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True))
    assert ganzoo.DCGAN(image_shape=(8, 8, 1), base_filters=4).upsampling == "transpose"


def test_resize_replaces_each_transposed_convolution_by_a_resize_and_a_3x3_convolution():
    transpose = ganzoo.nets.dcgan_generator(**DIGITS)
    resize = ganzoo.nets.dcgan_generator(**DIGITS, upsampling="resize")
    assert _types(resize) == RESIZE_LAYERS
    assert resize.count_params() == RESIZE_PARAMETERS
    assert not _of_type(resize, keras.layers.Conv2DTranspose)
    assert all(layer.size == (2, 2) and layer.interpolation == "nearest"
               for layer in _of_type(resize, keras.layers.UpSampling2D))
    convolutions = _of_type(resize, keras.layers.Conv2D)
    assert all(layer.kernel_size == (3, 3) and layer.strides == (1, 1)
               and layer.padding == "same" for layer in convolutions)
    # the filters, bias and initializer of the transposed convolution each one replaces
    replaced = _of_type(transpose, keras.layers.Conv2DTranspose)
    assert [(c.filters, c.use_bias) for c in convolutions] == [
        (t.filters, t.use_bias) for t in replaced]
    assert [c.kernel_initializer.get_config() for c in convolutions] == [
        t.kernel_initializer.get_config() for t in replaced]


@pytest.mark.parametrize("image_shape", [(32, 32, 1), (64, 64, 3), (28, 28, 1)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_resize_generators_make_the_requested_shape(image_shape, interpolation):
    generator = ganzoo.nets.dcgan_generator(8, image_shape, base_filters=4, upsampling="resize",
                                            resize_interpolation=interpolation)
    steps = num_resolution_steps(image_shape[0])
    upsamplings = _of_type(generator, keras.layers.UpSampling2D)
    assert [layer.interpolation for layer in upsamplings] == [interpolation] * steps
    assert generator.output_shape == (None, *image_shape)
    images = np.asarray(generator(_latents(3, 8), training=False))
    assert images.shape == (3, *image_shape)
    assert np.all(np.abs(images) <= 1)


def _reference_resize(features, interpolation):
    if interpolation == "nearest":  # every value copied into a 2x2 block
        return np.repeat(np.repeat(features, 2, axis=1), 2, axis=2)
    height, width = features.shape[1:3]
    return tf.image.resize(features, (2 * height, 2 * width), method="bilinear").numpy()


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("block", [0, -1])  # a hidden block (no bias) and the output one
def test_a_resize_block_is_the_resize_then_the_convolution(interpolation, block):
    generator = ganzoo.nets.dcgan_generator(**DIGITS, upsampling="resize",
                                            resize_interpolation=interpolation)
    upsampling = _of_type(generator, keras.layers.UpSampling2D)[block]
    convolution = generator.layers[generator.layers.index(upsampling) + 1]
    for weight in convolution.weights:  # away from zero, so a missing bias would show
        weight.assign(np.random.default_rng(1).normal(0, 0.1, weight.shape))
    # the block's input and output as the generator computes them, in one graph
    probe = keras.Model(generator.input, [upsampling.input, convolution.output])
    features, output = (np.asarray(t) for t in probe(_latents(2, 100), training=False))
    expected = tf.nn.conv2d(_reference_resize(features, interpolation), convolution.kernel,
                            strides=1, padding="SAME").numpy()
    if convolution.use_bias:
        expected += np.asarray(convolution.bias)
    assert output.shape[1:3] == tuple(2 * side for side in features.shape[1:3])
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)


def test_a_few_training_steps_move_every_resize_convolution():
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=4,
                       upsampling="resize", seed=0)
    gan.compile()
    convolutions = _of_type(gan.generator, keras.layers.Conv2D)
    before = [np.array(layer.kernel) for layer in convolutions]
    images = np.random.default_rng(0).uniform(-1, 1, (32, 16, 16, 1)).astype("float32")
    gan.fit(images, batch_size=8, epochs=1, verbose=0)  # 4 steps
    assert gan.generator_steps == 4
    assert all(not np.array_equal(kernel, np.array(layer.kernel))
               for kernel, layer in zip(before, convolutions, strict=True))


def test_resize_runs_on_a_batch_of_unknown_size():
    generator = ganzoo.nets.dcgan_generator(**DIGITS, upsampling="resize")
    run = tf.function(lambda z: generator(z, training=False),
                      input_signature=[tf.TensorSpec((None, 100), tf.float32)])
    z = _latents(5, 100)
    eager = np.asarray(generator(z, training=False))
    for num in (1, 5):
        np.testing.assert_allclose(run(z[:num]).numpy(), eager[:num], atol=1e-6)


def test_resize_computes_in_float16_under_mixed_precision_and_outputs_float32():
    reference = ganzoo.nets.dcgan_generator(**DIGITS, upsampling="resize")
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        mixed = ganzoo.nets.dcgan_generator(**DIGITS, upsampling="resize")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert {layer.compute_dtype for layer in _of_type(mixed, keras.layers.UpSampling2D)} == {
        "float16"}
    mixed.set_weights(reference.get_weights())
    z = _latents(4, 100)
    images = mixed(z, training=False)
    assert images.dtype == "float32"
    np.testing.assert_allclose(np.asarray(images), np.asarray(reference(z, training=False)),
                               atol=2e-3)


@pytest.mark.parametrize("cls, kwargs", [
    (ganzoo.DCGAN, dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=4)),
    (ganzoo.DCGAN, dict(image_shape=(16, 16, 1), latent_dim=8, base_filters=4, num_classes=3)),
    (ganzoo.WGANGP, dict(image_shape=(16, 16, 3), latent_dim=8, base_filters=4)),
])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_the_gans_pass_the_option_to_their_generator_and_rebuild_it_from_their_config(
        cls, kwargs, interpolation):
    gan = cls(**kwargs, upsampling="resize", resize_interpolation=interpolation)
    upsamplings = _of_type(gan.generator, keras.layers.UpSampling2D)
    assert upsamplings and not _of_type(gan.generator, keras.layers.Conv2DTranspose)
    assert {layer.interpolation for layer in upsamplings} == {interpolation}
    config = gan.get_config()
    assert (config["upsampling"], config["resize_interpolation"]) == ("resize", interpolation)
    # from the arguments alone, as a zoo entry or a run folder's config.yaml builds it
    arguments = {key: value for key, value in config.items()
                 if key not in ("generator", "discriminator")}
    rebuilt = cls(**arguments).generator
    assert _types(rebuilt) == _types(gan.generator)
    assert rebuilt.count_params() == gan.generator.count_params()


def test_the_zoo_entry_is_dcgan_digits_with_resize_upsampling():
    entry, digits = zoo.get_entry("dcgan-digits-resize"), zoo.get_entry("dcgan-digits")
    assert entry["model"] == {**digits["model"], "upsampling": "resize"}
    assert (entry["data"], entry["training"]) == (digits["data"], digits["training"])
    generator = zoo.build_gan(entry).generator
    assert _types(generator) == RESIZE_LAYERS and generator.count_params() == RESIZE_PARAMETERS
    shipped = ganzoo.load("dcgan-digits-resize").generator  # its weights fit that generator
    assert _types(shipped) == RESIZE_LAYERS


CHOICES = r"upsampling must be one of \['transpose', 'resize'\]"


@pytest.mark.parametrize("arguments, message", [
    (dict(upsampling="deconvolution"), CHOICES + r".*got 'deconvolution'"),
    (dict(upsampling="bilinear"), CHOICES),
    (dict(upsampling="resize", resize_interpolation="bicubic"),
     r"resize_interpolation must be one of \['nearest', 'bilinear'\]; got 'bicubic'"),
    (dict(resize_interpolation="bilinear"),
     "resize_interpolation='bilinear' applies to upsampling='resize' only"),
])
def test_a_bad_choice_is_an_error_that_names_the_choices(arguments, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.nets.dcgan_generator(8, (8, 8, 1), **arguments)
    with pytest.raises(ValueError, match=message):
        ganzoo.DCGAN(image_shape=(8, 8, 1), **arguments)
    with pytest.raises(ValueError, match=message):
        ganzoo.WGANGP(image_shape=(8, 8, 1), **arguments)


def test_a_bad_choice_in_a_zoo_entry_names_the_entry_and_the_choices():
    config = zoo.get_entry("dcgan-digits-resize")
    config["model"]["upsampling"] = "resise"
    with pytest.raises(ValueError, match="dcgan-digits-resize: model: " + CHOICES):
        zoo.build_gan(config)


def test_vector_networks_have_no_upsampling_to_choose():
    with pytest.raises(ValueError, match="applies to the image generator"):
        ganzoo.WGANGP(data_shape=(2,), upsampling="resize")
