"""Pix2Pix: the U-Net's skips, the PatchGAN's receptive field, the loss wiring, training,
translation at two sizes, run folders and the errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.gans import TRANSLATOR, VARIANTS
from ganzoo.nets.conditional_patchgan import conditional_patchgan, receptive_field
from ganzoo.nets.unet import unet_generator
from ganzoo.runs import load_run, save_run
from helpers import changed, weights_of

TINY = dict(base_filters=4)


def _images(num, shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (num, *shape)).astype("float32")


def _pairs(shape, num=8, batch_size=4):
    """The first `num` held-out pairs of digits_edges (edge maps -> digits)."""
    a, b = ganzoo.data.load_paired_arrays("digits_edges", shape[0], split="test")
    dataset = tf.data.Dataset.from_tensor_slices((a[:num], b[:num])).batch(
        batch_size, drop_remainder=True)
    return dataset, a[:num]


def test_unet_skips_join_each_decoder_layer_to_the_encoder_layer_of_its_resolution():
    generator = unet_generator((32, 32, 1), base_filters=4, dropout=0.0)
    encoders = [generator.get_layer(f"encoder_{i}") for i in range(1, 6)]  # 32 px: depth 5
    skips = [layer for layer in generator.layers if isinstance(layer, keras.layers.Concatenate)]
    assert sorted(layer.name for layer in skips) == [f"skip_{i}" for i in range(1, 5)]
    for i, encoder in enumerate(encoders[:-1], start=1):
        decoded, skipped = generator.get_layer(f"skip_{i}").input
        # the skip carries encoder i's activated output, at its resolution
        assert skipped.shape[1:] == encoder.output.shape[1:]
        assert decoded.shape[1:3] == encoder.output.shape[1:3]
    # Behaviour: with the bottleneck cut (innermost weights zeroed), only the skips still
    # carry the input to the output.
    innermost = encoders[-1]
    innermost.set_weights([np.zeros_like(w) for w in innermost.get_weights()])
    outputs = generator(_images(2, (32, 32, 1)), training=False)
    assert not np.allclose(outputs[0], outputs[1], atol=1e-4)


@pytest.mark.parametrize("size, downsamplings, field", [(64, 2, 34), (160, 3, 70)])
def test_patchgan_score_sees_a_square_of_its_receptive_field(size, downsamplings, field):
    assert receptive_field(downsamplings) == field
    # without normalization: instance norm's statistics would couple every pixel
    discriminator = conditional_patchgan((size, size, 1), 1, base_filters=2,
                                         downsamplings=downsamplings, normalization="none")
    condition, image = (tf.constant(_images(1, (size, size, 1), seed)) for seed in (1, 2))
    with tf.GradientTape() as tape:
        tape.watch([condition, image])
        scores = discriminator([condition, image])
        middle = scores.shape[1] // 2
        score = scores[0, middle, middle, 0]
    for gradient in tape.gradient(score, [condition, image]):
        rows, cols = np.nonzero(np.abs(gradient.numpy()[0, ..., 0]) > 0)
        assert rows.max() - rows.min() + 1 == field
        assert cols.max() - cols.min() + 1 == field


def test_default_patchgan_scales_with_the_image_size_as_cyclegans():
    def field_of(size):
        p2p = ganzoo.Pix2Pix(image_shape=(size, size, 3), base_filters=2)
        strided = [layer for layer in p2p.discriminator.layers
                   if getattr(layer, "strides", None) == (2, 2)]
        return receptive_field(len(strided))

    assert field_of(256) == 70  # the paper's 70x70 PatchGAN at its 256 px
    assert field_of(32) == 34


def test_generator_objective_is_cgan_plus_100_l1_and_d_takes_half_its_loss():
    shape = (16, 16, 1)
    p2p = ganzoo.Pix2Pix(image_shape=shape, dropout=0.0, seed=0, **TINY)
    a, b = (tf.constant(_images(4, shape, seed)) for seed in (1, 2))
    outputs = p2p.generator(a, training=True)
    terms = p2p.generator_losses(a, b, outputs)
    assert float(terms["l1"]) == pytest.approx(float(np.mean(np.abs(outputs - b))), rel=1e-5)
    assert float(terms["total"]) == pytest.approx(
        float(terms["adversarial"] + 100 * terms["l1"]), rel=1e-6)

    # One step with plain SGD on D: its update is half the cross-entropy's gradient.
    p2p.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.5))
    variables = p2p.discriminator.trainable_variables
    with tf.GradientTape() as tape:
        loss = ganzoo.losses.bce_discriminator_loss(p2p.discriminator([a, b]),
                                                    p2p.discriminator([a, outputs]))
    gradients = tape.gradient(loss, variables)
    before = [v.numpy() for v in variables]
    p2p.fit(tf.data.Dataset.from_tensors((a, b)), epochs=1, verbose=0)
    for old, new, gradient in zip(before, variables, gradients):
        np.testing.assert_allclose(new.numpy(), old - 0.5 * 0.5 * gradient.numpy(), atol=1e-6)


def test_training_changes_both_networks_and_reduces_the_l1_loss():
    shape = (16, 16, 1)
    p2p = ganzoo.Pix2Pix(image_shape=shape, seed=0, **TINY)
    p2p.compile(g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    dataset, _ = _pairs(shape)
    before = {net: weights_of(getattr(p2p, net)) for net in ("generator", "discriminator")}
    start = p2p.evaluate(dataset, verbose=0, return_dict=True)["l1_loss"]
    history = p2p.fit(dataset.repeat(15), epochs=1, verbose=0).history
    for net, weights in before.items():
        assert changed(weights, weights_of(getattr(p2p, net))), net
    assert set(history) == {"d_loss", "g_loss", "adversarial_loss", "l1_loss"}
    assert int(p2p.g_optimizer.iterations) == int(p2p.d_optimizer.iterations) == 30
    end = p2p.evaluate(dataset, verbose=0, return_dict=True)["l1_loss"]
    assert end < 0.8 * start


def test_translate_takes_any_size_the_unet_divides():
    p2p = ganzoo.Pix2Pix(image_shape=(32, 32, 1), **TINY)
    for shape in [(3, 32, 32, 1), (2, 64, 96, 1)]:
        out = p2p.translate(_images(shape[0], shape[1:]))
        assert out.shape == shape and out.dtype == np.float32
        assert np.all(np.abs(out) <= 1.0)
    one = _images(1, (32, 32, 1))
    np.testing.assert_allclose(p2p.translate(one[0]), p2p.translate(one)[0], atol=1e-6)
    assert p2p.kind == TRANSLATOR and VARIANTS["Pix2Pix"] is ganzoo.Pix2Pix
    # the discriminator judges pairs of the built size; translations can have other channels
    rgb = ganzoo.Pix2Pix(image_shape=(16, 16, 1), output_channels=3, **TINY)
    assert rgb.translate(_images(2, (16, 16, 1))).shape == (2, 16, 16, 3)


def test_sizes_the_unet_cannot_take_are_clear_errors_naming_the_size():
    with pytest.raises(ValueError, match=r"2\*\*4 = 16; got 40x40 \(40 is not\)"):
        ganzoo.Pix2Pix(image_shape=(40, 40, 1), depth=4, **TINY)
    with pytest.raises(ValueError, match=r"even image size; got 33x33"):
        ganzoo.Pix2Pix(image_shape=(33, 33, 1), **TINY)
    p2p = ganzoo.Pix2Pix(image_shape=(32, 32, 1), **TINY)  # depth 5
    with pytest.raises(ValueError, match=r"multiples of 2\*\*5 = 32; got 48x64 \(48 is not\)"):
        p2p.translate(_images(1, (48, 64, 1)))


def test_wrong_inputs_are_clear_errors():
    p2p = ganzoo.Pix2Pix(image_shape=(16, 16, 1), **TINY)
    p2p.compile()
    with pytest.raises(ValueError, match="uint8 values"):
        p2p.translate(np.zeros((1, 16, 16, 1), np.uint8))
    with pytest.raises(ValueError, match="1 channel"):
        p2p.translate(_images(1, (16, 16, 3)))
    with pytest.raises(ValueError, match="translates A to B only"):
        p2p.translate(_images(1, (16, 16, 1)), direction="b2a")
    single = tf.data.Dataset.from_tensor_slices(_images(4, (16, 16, 1))).batch(2)
    with pytest.raises(ValueError, match=r"aligned pairs of batches \(images_a, images_b\)"):
        p2p.fit(single, epochs=1, verbose=0)
    a = _images(2, (16, 16, 1))
    wrong = tf.data.Dataset.from_tensors((a, _images(2, (16, 16, 3))))
    with pytest.raises(ValueError, match=r"targets \(images_b\).*shape \(16, 16, 3\).*\(16, 16, 1\)"):
        p2p.fit(wrong, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"inputs \(images_a\).*\(8, 8, 1\)"):
        p2p.fit(tf.data.Dataset.from_tensors((_images(2, (8, 8, 1)), a)), epochs=1, verbose=0)


def test_run_folder_round_trip_gives_identical_translations(tmp_path):
    shape = (16, 16, 1)
    p2p = ganzoo.Pix2Pix(image_shape=shape, seed=3, **TINY)
    p2p.compile()
    dataset, a = _pairs(shape)
    p2p.fit(dataset, epochs=1, verbose=0)
    restored = load_run(save_run(p2p, tmp_path / "run"))
    assert isinstance(restored, ganzoo.Pix2Pix) and restored.seed == 3
    assert restored.l1_weight == 100.0 and restored.image_shape == shape
    np.testing.assert_array_equal(restored.translate(a), p2p.translate(a))
    big = _images(2, (32, 48, 1))
    np.testing.assert_array_equal(restored.translate(big), p2p.translate(big))
    assert int(restored.g_optimizer.iterations) == int(restored.d_optimizer.iterations) == 2
