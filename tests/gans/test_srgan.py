"""SRResNet and SRGAN: pixel shuffle, the generator's layout, the loss wiring, training,
upscaling at any size, run folders and the errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.gans import UPSCALER, VARIANTS
from ganzoo.gans.feature_loss import digits_feature_model
from ganzoo.gans.srgan import step_decay_optimizers
from ganzoo.nets.srresnet import PixelShuffle, StraightThroughClip, srresnet_generator
from ganzoo.runs import load_run, save_run
from helpers import changed, weights_of

TINY = dict(residual_blocks=1, filters=8)
TINY_GAN = dict(TINY, patch_size=16, discriminator_filters=2)
# the entries' generator: no batch norm, the residual over a bilinear upsampling
RESIDUAL = dict(TINY, batch_norm=False, upsampled_skip="bilinear")


def _images(num, shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (num, *shape)).astype("float32")


def _patches(num=8, size=16, scale=4, batch_size=4):
    """High-resolution patches of the held-out photo with their bicubic low-resolution twins."""
    low, high = next(iter(ganzoo.data.load_patches("sklearn_photos", size, scale, num,
                                                   split="test", seed=0)))
    dataset = tf.data.Dataset.from_tensor_slices((low, high)).batch(batch_size,
                                                                    drop_remainder=True)
    return dataset, low.numpy(), high.numpy()


@pytest.mark.parametrize("shape, factor", [((2, 3, 5, 12), 2), ((1, 4, 2, 18), 3)])
def test_pixel_shuffle_equals_depth_to_space(shape, factor):
    features = _images(shape[0], shape[1:])
    shuffled = keras.ops.convert_to_numpy(PixelShuffle(factor)(features))
    np.testing.assert_array_equal(shuffled, tf.nn.depth_to_space(features, factor).numpy())
    # and the rearrangement itself: out[r h + i, r w + j, c] = in[h, w, (i r + j) C + c]
    channels = shape[-1] // factor ** 2
    n, h, w, i, j, c = (np.random.default_rng(1).integers(0, top)
                        for top in (shape[0], shape[1], shape[2], factor, factor, channels))
    assert shuffled[n, factor * h + i, factor * w + j, c] == features[
        n, h, w, (i * factor + j) * channels + c]
    assert PixelShuffle(factor).compute_output_shape((None, None, 5, shape[-1])) == (
        None, None, 5 * factor, channels)


def test_generator_has_b_residual_blocks_and_one_shuffle_per_factor_of_two():
    generator = srresnet_generator(scale=4, channels=3, residual_blocks=3, filters=8)
    adds = [layer.name for layer in generator.layers if isinstance(layer, keras.layers.Add)]
    assert adds == ["residual_1", "residual_2", "residual_3", "long_skip"]
    shuffles = [layer.factor for layer in generator.layers if isinstance(layer, PixelShuffle)]
    assert shuffles == [2, 2]
    three = srresnet_generator(scale=3, residual_blocks=0, filters=4)
    assert [layer.factor for layer in three.layers if isinstance(layer, PixelShuffle)] == [3]
    assert srresnet_generator().count_params() > 1_500_000  # the paper's B = 16, 64 filters


@pytest.mark.parametrize("skip", ["bilinear", "nearest"])
def test_residual_generator_starts_as_the_interpolation_and_has_no_batch_norm(skip):
    generator = srresnet_generator(scale=4, residual_blocks=2, filters=8, batch_norm=False,
                                   upsampled_skip=skip)
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in generator.layers)
    assert [layer.factor for layer in generator.layers if isinstance(layer, PixelShuffle)] == [2, 2]
    low = _images(2, (5, 7, 3)) * 1.2  # some pixels past the range, to see the clip
    interpolated = tf.image.resize(low, (20, 28), method=skip).numpy()
    out = keras.ops.convert_to_numpy(generator(low))
    np.testing.assert_allclose(out, np.clip(interpolated, -1, 1), atol=1e-6)
    with_norm = srresnet_generator(scale=4, residual_blocks=2, filters=8, upsampled_skip=skip)
    assert sum(isinstance(layer, keras.layers.BatchNormalization)
               for layer in with_norm.layers) == 2 * 2 + 1


def test_straight_through_clip_clips_forward_and_passes_every_gradient():
    values = tf.constant([[-3.0, -0.5, 0.25, 2.0]])
    with tf.GradientTape() as tape:
        tape.watch(values)
        clipped = StraightThroughClip()(values)
        loss = tf.reduce_sum(clipped * tf.constant([[1.0, 2.0, 3.0, 4.0]]))
    np.testing.assert_array_equal(clipped.numpy(), [[-1.0, -0.5, 0.25, 1.0]])
    np.testing.assert_array_equal(tape.gradient(loss, values).numpy(), [[1.0, 2.0, 3.0, 4.0]])


@pytest.mark.parametrize("cls, kwargs", [(ganzoo.SRResNet, TINY), (ganzoo.SRGAN, TINY_GAN),
                                         (ganzoo.SRResNet, RESIDUAL)])
def test_upscale_takes_any_height_and_width(cls, kwargs):
    model = cls(scale=4, **kwargs)
    for shape in [(2, 8, 8, 3), (1, 5, 7, 3)]:
        out = model.upscale(_images(shape[0], shape[1:]))
        assert out.shape == (shape[0], 4 * shape[1], 4 * shape[2], 3) and out.dtype == np.float32
        assert np.all(np.abs(out) <= 1.0)
    assert model.upscale(_images(1, (6, 6, 3))[0]).shape == (24, 24, 3)
    assert model.kind == UPSCALER and VARIANTS[cls.__name__] is cls


# The residual generator starts at bilinear interpolation's error, far below the paper's
# untrained one, so it has less to gain in 30 steps.
@pytest.mark.parametrize("kwargs, ratio", [(TINY, 0.8), (RESIDUAL, 0.9)], ids=["paper", "residual"])
def test_srresnet_training_reduces_the_content_loss(kwargs, ratio):
    sr = ganzoo.SRResNet(scale=4, seed=0, **kwargs)
    sr.compile(g_optimizer=keras.optimizers.Adam(1e-3))
    dataset, _, _ = _patches()
    before = weights_of(sr.generator)
    start = sr.evaluate(dataset, verbose=0, return_dict=True)["content_loss"]
    history = sr.fit(dataset.repeat(15), epochs=1, verbose=0).history
    assert changed(before, weights_of(sr.generator))
    assert set(history) == {"g_loss", "content_loss"}  # no discriminator, nothing adversarial
    assert int(sr.g_optimizer.iterations) == 30 and int(sr.d_optimizer.iterations) == 0
    end = sr.evaluate(dataset, verbose=0, return_dict=True)["content_loss"]
    assert end < ratio * start


def test_srgan_objective_is_content_plus_1e_3_adversarial_and_trains_both_networks():
    srgan = ganzoo.SRGAN(scale=4, seed=0, **TINY_GAN)
    _, low, high = _patches()
    outputs = srgan.generator(low, training=True)
    terms = srgan.generator_losses(low, high, outputs)
    assert float(terms["content"]) == pytest.approx(float(np.mean((outputs - high) ** 2)),
                                                    rel=1e-5)
    assert float(terms["adversarial"]) > 0
    assert float(terms["total"]) == pytest.approx(
        float(terms["content"] + 1e-3 * terms["adversarial"]), rel=1e-6)

    srgan.compile()
    dataset = tf.data.Dataset.from_tensor_slices((low, high)).batch(4, drop_remainder=True)
    before = {net: weights_of(getattr(srgan, net)) for net in ("generator", "discriminator")}
    history = srgan.fit(dataset, epochs=1, verbose=0).history
    for net, weights in before.items():
        assert changed(weights, weights_of(getattr(srgan, net))), net
    assert set(history) == {"d_loss", "g_loss", "adversarial_loss", "content_loss"}
    assert int(srgan.g_optimizer.iterations) == int(srgan.d_optimizer.iterations) == 2


def test_feature_loss_adds_the_weighted_feature_distance(tmp_path):
    image = keras.Input((16, 16, 3))
    features = keras.Model(image, keras.layers.Conv2D(4, 3)(image))
    sr = ganzoo.SRResNet(scale=4, feature_model=features, feature_weight=0.5, pixel_weight=2.0,
                         **TINY)
    assert not features.trainable_weights  # frozen: a measure, not trained
    _, low, high = _patches()
    outputs = sr.generator(low)
    terms = sr.generator_losses(low, high, outputs)
    expected = np.mean((features(outputs) - features(high)).numpy() ** 2)
    assert float(terms["feature"]) == pytest.approx(float(expected), rel=1e-5)
    assert float(terms["total"]) == pytest.approx(
        float(2.0 * terms["content"] + 0.5 * terms["feature"]), rel=1e-6)
    digits = digits_feature_model(16)
    assert digits.output_shape == (None, 4, 4, 64) and not digits.trainable_weights
    # the feature model travels with the run folder, weights included
    sr.compile()
    restored = load_run(save_run(sr, tmp_path / "run"))
    assert restored.feature_model is not None and restored.feature_weight == 0.5
    again = restored.generator_losses(low, high, restored.generator(low))
    assert float(again["feature"]) == pytest.approx(float(terms["feature"]), rel=1e-6)


def test_step_decay_drops_the_rate_tenfold_halfway():
    sr = ganzoo.SRResNet(scale=2, **TINY)
    g_optimizer, d_optimizer = step_decay_optimizers(sr, generator_steps=100)
    assert g_optimizer is not d_optimizer and g_optimizer.beta_1 == 0.9
    g_optimizer.build([])
    # updates 0-49 at 1e-4: half the training, exactly (the paper's 10^5 of 2 x 10^5)
    for step, rate in [(0, 1e-4), (49, 1e-4), (50, 1e-5), (99, 1e-5)]:
        g_optimizer.iterations.assign(step)
        assert float(g_optimizer.learning_rate) == pytest.approx(rate)


@pytest.mark.parametrize("cls, kwargs", [(ganzoo.SRResNet, TINY), (ganzoo.SRGAN, TINY_GAN),
                                         (ganzoo.SRGAN, dict(TINY_GAN, **RESIDUAL))])
def test_run_folder_round_trip_gives_identical_upscaling(cls, kwargs, tmp_path):
    model = cls(scale=4, seed=5, **kwargs)
    model.compile()
    dataset, low, _ = _patches()
    model.fit(dataset, epochs=1, verbose=0)
    restored = load_run(save_run(model, tmp_path / "run"))
    assert type(restored) is cls and restored.seed == 5 and restored.scale == 4
    assert (restored.batch_norm, restored.upsampled_skip) == (
        kwargs.get("batch_norm", True), kwargs.get("upsampled_skip"))
    np.testing.assert_array_equal(restored.upscale(low), model.upscale(low))
    other = _images(1, (7, 9, 3))
    np.testing.assert_array_equal(restored.upscale(other), model.upscale(other))
    assert int(restored.g_optimizer.iterations) == 2


def test_wrong_arguments_and_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"scale must be one of \[2, 3, 4, 8\]"):
        ganzoo.SRResNet(scale=5, **TINY)
    with pytest.raises(ValueError, match="multiple of 16.*got patch size 40"):
        ganzoo.SRGAN(scale=4, **{**TINY_GAN, "patch_size": 40})
    with pytest.raises(ValueError, match=r"upsampled_skip must be one of \[None, 'bilinear', "
                                         r"'nearest'\]; got 'bicubic'"):
        ganzoo.SRResNet(upsampled_skip="bicubic", **TINY)
    with pytest.raises(ValueError, match="content_loss must be one of"):
        ganzoo.SRResNet(content_loss="vgg", **TINY)
    sr = ganzoo.SRResNet(scale=4, **TINY)
    sr.compile()
    with pytest.raises(ValueError, match="uint8 values"):
        sr.upscale(np.zeros((1, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="3 channel"):
        sr.upscale(_images(1, (8, 8, 1)))
    low, high = _images(2, (8, 8, 3)), _images(2, (16, 16, 3))
    with pytest.raises(ValueError, match=r"must be 4x the inputs.*\(8, 8\) -> \(16, 16\)"):
        sr.fit(tf.data.Dataset.from_tensors((low, high)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"\(low_resolution, high_resolution\)"):
        sr.fit(tf.data.Dataset.from_tensors(low), epochs=1, verbose=0)
    srgan = ganzoo.SRGAN(scale=4, **TINY_GAN)
    srgan.compile()
    wrong = tf.data.Dataset.from_tensors((_images(2, (8, 8, 3)), _images(2, (32, 32, 3))))
    with pytest.raises(ValueError, match=r"targets \(high_resolution\).*\(32, 32, 3\).*\(16, 16, 3\)"):
        srgan.fit(wrong, epochs=1, verbose=0)
