"""ProGAN: the growth schedule, the fade-in, equalized learning rate, resuming mid-fade.

Tiny networks, trained eagerly (`run_eagerly=True`): the compiled step holds a branch
per level with second-order gradients, which takes a while to trace; graph mode and
two replicas are covered by tests/test_distribute.py.
"""

import inspect
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import runs
from ganzoo.gans import VARIANTS
from ganzoo.gans.growth import Growth, stage_at
from ganzoo.nets.progan import (channels_at, growing_layer, images_at_stage,
                                progan_discriminator, progan_generator)
from ganzoo.nets.style_layers import (EqualizedConv2D, EqualizedDense, MinibatchStddev,
                                      PixelNorm)
from ganzoo.training.checkpoints import CheckpointStore

SIZE = 16            # three levels: 4, 8, 16
BATCH = 8
SCHEDULE = dict(stable_images=16, fade_images=16)   # two steps per phase
KWARGS = dict(image_shape=(SIZE, SIZE, 1), latent_dim=8, channel_base=64, channel_max=8,
              **SCHEDULE)


def _gan(**overrides):
    gan = ganzoo.ProGAN(**{**KWARGS, **overrides}, seed=0)
    gan.compile(run_eagerly=True)
    return gan


def _data(steps, seed=1):
    images = np.random.default_rng(seed).uniform(-1, 1, (steps * BATCH, SIZE, SIZE, 1))
    return tf.data.Dataset.from_tensor_slices(images.astype("float32")).batch(
        BATCH, drop_remainder=True)


class _StepLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append({key: float(value) for key, value in logs.items()})


def _fit(gan, steps, seed=1):
    record = _StepLogs()
    gan.fit(_data(steps, seed), epochs=1, verbose=0, callbacks=[record])
    return record.logs


def _stages(logs):
    return [(int(entry["resolution"]), entry["alpha"]) for entry in logs]


# ---------------------------------------------------------------------- schedule

def test_the_schedule_alternates_stable_phases_and_linear_fades():
    # 4x4 stable for 16 images, 8x8 fading in over 16, stable 16, 16x16 fading in, then final
    expected = {0: (0, 1.0), 8: (0, 1.0), 16: (1, 0.0), 20: (1, 0.25), 24: (1, 0.5),
                32: (1, 1.0), 40: (1, 1.0), 48: (2, 0.0), 56: (2, 0.5), 64: (2, 1.0),
                10_000: (2, 1.0)}
    growth = Growth(3, **SCHEDULE)
    for images, stage in expected.items():
        assert stage_at(images, 3, **SCHEDULE) == stage
        level, alpha = growth.stage(images)
        assert (int(level), float(alpha)) == stage, images
    assert growth.total_images == 64
    assert stage_at(5, 3, fade_images=0, stable_images=4) == (1, 1.0)  # no fade: a jump


@pytest.mark.parametrize("fade, stable", [(0, 0), (-1, 10), (10, 2.5)])
def test_a_schedule_without_length_or_whole_images_is_refused(fade, stable):
    with pytest.raises(ValueError, match="fade_images|stable_images"):
        ganzoo.ProGAN(image_shape=(8, 8, 1), fade_images=fade, stable_images=stable)


# ---------------------------------------------------------------------- fade-in

def test_the_fade_in_at_alpha_0_is_the_lower_resolution_upsampled_and_at_1_the_new_block():
    generator = growing_layer(progan_generator(8, (SIZE, SIZE, 1), channel_base=64,
                                               channel_max=8))
    discriminator = growing_layer(progan_discriminator((SIZE, SIZE, 1), channel_base=64,
                                                       channel_max=8))
    z = tf.constant(np.random.default_rng(0).normal(size=(8, 8)), tf.float32)
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, (8, SIZE, SIZE, 1)), tf.float32)
    for level in (1, 2):
        factor = SIZE // (4 * 2**level)
        # the generator: alpha 0 -> the previous level's output (already upsampled to
        # full size); alpha 1 -> the new block's toRGB, upsampled nearest-neighbour
        previous = generator.at(z, level - 1, 1.0).numpy()
        np.testing.assert_allclose(generator.at(z, level, 0.0), previous, atol=1e-6)
        new_block = generator.to_rgb[level](generator.features(z, level)).numpy()
        new_block = new_block.repeat(factor, axis=1).repeat(factor, axis=2)
        np.testing.assert_allclose(generator.at(z, level, 1.0), new_block, atol=1e-5)
        assert np.abs(new_block - previous).max() > 1e-2  # the two ends differ
        # linear in between
        np.testing.assert_allclose(generator.at(z, level, 0.25),
                                   0.75 * previous + 0.25 * new_block, atol=1e-5)
        # the discriminator: alpha 0 -> judged at the previous level
        np.testing.assert_allclose(discriminator.at(images, level, 0.0),
                                   discriminator.at(images, level - 1, 1.0), atol=1e-5)
        assert np.abs(discriminator.at(images, level, 1.0)
                      - discriminator.at(images, level - 1, 1.0)).max() > 1e-4
        # the reals as G makes them: alpha 0 -> the previous level's
        np.testing.assert_allclose(images_at_stage(images, level, 0.0, 3),
                                   images_at_stage(images, level - 1, 1.0, 3), atol=1e-6)
    np.testing.assert_allclose(images_at_stage(images, 2, 1.0, 3), images, atol=1e-6)
    # the networks' variables choose the branch: set_stage then call
    generator.set_stage(2, 0.0)
    np.testing.assert_allclose(generator(z), generator.at(z, 1, 1.0), atol=1e-6)


# --------------------------------------------------------- equalized learning rate

def _expected_gain(network_name, layer):
    # the reference's: sqrt(2) (leaky ReLU) except G's first dense layer (sqrt(2)/4),
    # toRGB and D's output (1, linear)
    if layer.name.startswith("to_rgb") or (network_name == "discriminator"
                                           and layer.name == "dense1"):
        return 1.0
    if network_name == "generator" and layer.name == "dense":
        return math.sqrt(2) / 4
    return math.sqrt(2)


def _equalized_layers(network):
    return [layer for layer in growing_layer(network)._flatten_layers(include_self=False)
            if isinstance(layer, (EqualizedConv2D, EqualizedDense))]


def test_equalized_learning_rate_scales_each_layer_by_its_he_constant():
    networks = (progan_generator(8, (SIZE, SIZE, 1), channel_base=256, channel_max=32),
                progan_discriminator((SIZE, SIZE, 1), channel_base=256, channel_max=32))
    rng = np.random.default_rng(0)
    checked = 0
    for network in networks:
        for layer in _equalized_layers(network):
            kernel = layer.kernel.numpy()
            fan_in = int(np.prod(kernel.shape[:-1]))
            # stored weights are N(0, 1): the scale is applied at run time
            if kernel.size >= 500:
                assert abs(kernel.std() - 1.0) < 0.15, layer.name
            if layer.bias is not None:
                layer.bias.assign(rng.normal(size=layer.bias.shape).astype("float32"))
            he = _expected_gain(network.name, layer) / math.sqrt(fan_in)
            if isinstance(layer, EqualizedDense):
                x = rng.normal(size=(4, kernel.shape[0])).astype("float32")
                expected = x @ (kernel * he)
            else:
                x = rng.normal(size=(2, 8, 8, kernel.shape[2])).astype("float32")
                expected = tf.nn.conv2d(x, kernel * he, 1, "SAME").numpy()
                if layer.downsample:
                    expected = tf.nn.avg_pool2d(expected, 2, 2, "VALID").numpy()
            if layer.bias is not None:
                expected = expected + layer.bias.numpy()
            if layer.activation == "lrelu":
                expected = np.where(expected > 0, expected, 0.2 * expected)
            np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4,
                                       err_msg=f"{network.name}/{layer.name}")
            checked += 1
    assert checked == 9 + 10  # every layer of both networks


def test_feature_maps_at_the_papers_sizes():
    # Karras et al. 2018, table 2: 512 maps up to 32x32, then halved per doubling
    sizes = [4 * 2**level for level in range(9)]
    assert [channels_at(r, 16384, 512) for r in sizes] == [512] * 4 + [256, 128, 64, 32, 16]
    # the default, 32x32: 64, 64, 64, 32
    assert [channels_at(r, 1024, 64) for r in (4, 8, 16, 32)] == [64, 64, 64, 32]


def test_pixel_norm_in_the_generator_and_minibatch_stddev_in_the_discriminator():
    generator = growing_layer(progan_generator(8, (SIZE, SIZE, 1), channel_base=64,
                                               channel_max=8))
    assert isinstance(generator.pixel_norm, PixelNorm)
    features = generator.features(tf.random.normal((3, 8)), 2).numpy()
    np.testing.assert_allclose(np.mean(features**2, axis=-1), 1.0, rtol=1e-3)
    # the last block sees its input plus one channel: each group's mean feature stddev
    layer = MinibatchStddev(group_size=4)
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 3)).astype("float32")
    out = layer(x).numpy()
    assert out.shape == (8, 4, 4, 4)
    for group in (slice(0, 4), slice(4, 8)):  # consecutive samples form a group
        expected = np.sqrt(x[group].var(axis=0) + 1e-8).mean()
        np.testing.assert_allclose(out[group, :, :, 3], expected, rtol=1e-5)
    with pytest.raises(ValueError, match="multiple of 4"):
        layer(np.zeros((6, 4, 4, 3), "float32"))


# ---------------------------------------------------------------------- training

def test_defaults_follow_the_paper():
    gan = _gan()
    assert VARIANTS["ProGAN"] is ganzoo.ProGAN and gan.discriminator_steps == 1
    assert (gan.gp_weight, gan.drift_weight, gan.ema_decay) == (10.0, 0.001, 0.999)
    schedule = inspect.signature(ganzoo.ProGAN).parameters   # 800k images per phase (A.1)
    assert schedule["fade_images"].default == schedule["stable_images"].default == 800_000
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(1e-3)
        assert (float(optimizer.beta_1), float(optimizer.beta_2)) == pytest.approx((0.0, 0.99))
    # the critic's loss: Wasserstein + gp_weight x penalty + drift_weight x E[D(x)^2]
    real, fake = (tf.constant(np.random.default_rng(s).uniform(-1, 1, (8, SIZE, SIZE, 1)),
                              tf.float32) for s in (0, 1))
    real_scores, fake_scores = gan.discriminator(real), gan.discriminator(fake)
    no_penalty = _gan(gp_weight=0.0)
    expected = (np.mean(fake_scores) - np.mean(real_scores)
                + 0.001 * np.mean(np.square(real_scores)))
    loss = no_penalty.discriminator_loss(real, fake, real_scores, fake_scores, noise_stream=0)
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    # the gradient penalty, computed here: at one random point between each real and
    # fake image, (||grad D|| - 1)^2, weighted 10
    alpha = tf.reshape(gan.interpolation_coefficients(8, noise_stream=0), (-1, 1, 1, 1))
    between = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(between)
        scores = tf.reduce_sum(gan.discriminator(between, training=True))
    norms = np.sqrt(np.sum(np.square(tape.gradient(scores, between)), axis=(1, 2, 3)))
    penalty = np.mean(np.square(norms - 1.0))
    loss = gan.discriminator_loss(real, fake, real_scores, fake_scores, noise_stream=0)
    assert float(loss) == pytest.approx(expected + 10.0 * penalty, rel=1e-5)
    assert 10.0 * penalty > 1e-2 * abs(expected)


def test_a_tiny_run_reaches_the_final_resolution_in_one_fit():
    gan = _gan()
    logs = _fit(gan, steps=9)
    assert _stages(logs) == [(4, 1.0), (4, 1.0), (8, 0.0), (8, 0.5), (8, 1.0), (8, 1.0),
                             (16, 0.0), (16, 0.5), (16, 1.0)]
    assert all(np.isfinite(entry["d_loss"]) and np.isfinite(entry["g_loss"]) for entry in logs)
    assert (gan.resolution, gan.alpha) == (16, 1.0)
    assert int(gan.growth.images_seen.numpy()) == 9 * BATCH
    images = gan.generate(6, seed=0)
    assert images.shape == (6, SIZE, SIZE, 1) and np.abs(images).max() <= 1.0
    # full-resolution detail: not 2x2 blocks of a coarser image
    assert np.abs(images[:, 0::2, :] - images[:, 1::2, :]).max() > 1e-3
    # the average generator grew with it
    assert growing_layer(gan.generator_ema).level.numpy() == 2
    logs = gan.evaluate(_data(2), return_dict=True, verbose=0)
    assert np.isfinite(logs["d_loss"])


def test_the_base_options_train_with_it():
    gan = _gan(augment="ada", augment_options={"interval": 1, "speed_images": 64},
               ema_decay=0.9, ema_warmup=0.5)
    logs = _fit(gan, steps=2)
    assert {"d_loss", "g_loss", "augment_p", "resolution", "alpha"} <= set(logs[-1])
    assert gan.generator_ema is not None and np.isfinite(gan.generate(2, seed=0)).all()


def _all_weights(gan):
    return [np.array(w) for w in gan.weights]


def test_growth_survives_a_resume_mid_fade(tmp_path):
    gan = _gan()
    _fit(gan, steps=3)                           # 24 images: 8x8 half faded in
    assert (gan.resolution, gan.alpha) == (8, 0.5)
    store = CheckpointStore(tmp_path / "checkpoints")
    store.save(gan, {"epoch": 0})
    runs.save_run(gan, tmp_path / "run")

    resumed = _gan()
    assert (resumed.resolution, resumed.alpha) == (4, 1.0)
    store.restore(resumed)
    loaded = runs.load_run(tmp_path / "run")
    for other in (resumed, loaded):
        assert (other.resolution, other.alpha) == (8, 0.5)
        # the networks are at that stage (samples show it)
        assert growing_layer(other.generator).level.numpy() == 1
        assert growing_layer(other.discriminator).alpha.numpy() == 0.5
        assert int(other.growth.images_seen.numpy()) == 24
        assert other.generator_steps == gan.generator_steps == 3
        for a, b in zip(_all_weights(gan), _all_weights(other), strict=True):
            np.testing.assert_array_equal(a, b)
    assert type(loaded) is ganzoo.ProGAN and loaded.growth.fade_images == 16
    z = gan.prior_latents(3, seed=0)
    np.testing.assert_allclose(runs.load_generator(tmp_path / "run")(z), gan.generate(latents=z),
                               atol=1e-6)

    # both go on alike: the rest of the fade, then the stable 8x8 phase
    logs, resumed_logs = _fit(gan, steps=3, seed=2), _fit(resumed, steps=3, seed=2)
    assert _stages(logs) == _stages(resumed_logs) == [(8, 0.5), (8, 1.0), (8, 1.0)]
    assert logs == resumed_logs
    for a, b in zip(_all_weights(gan), _all_weights(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_image_size_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of two"):
        ganzoo.ProGAN(image_shape=(28, 28, 1))
