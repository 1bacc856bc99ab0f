"""StyleGAN2: the networks (demodulation, skip G, residual D, learning-rate multiplier),
style mixing, truncation and w_avg, the lazy R1 and path length penalties, the sampling API.

Tiny networks; training steps run eagerly (`train_step` called directly, or
`run_eagerly=True`), since tracing the second-order penalties takes long; graph mode
and two replicas are covered by tests/test_distribute.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import runs
from ganzoo.gans import VARIANTS
from ganzoo.nets.style_layers import EqualizedDense
from ganzoo.nets.stylegan2 import ModulatedConv2D, StyledConv, stylegan2_discriminator

SIZE = 16
KWARGS = dict(image_shape=(SIZE, SIZE, 1), latent_dim=8, channel_base=64, channel_max=8)


def _gan(cls=None, sgd=None, **overrides):
    gan = (cls or ganzoo.StyleGAN2)(**{**KWARGS, **overrides}, seed=0)
    optimizers = (dict(g_optimizer=keras.optimizers.SGD(sgd), d_optimizer=keras.optimizers.SGD(sgd))
                  if sgd else {})
    gan.compile(run_eagerly=True, **optimizers)
    return gan


def _with_noise(gan, strength=0.5):
    """Noise strengths start at 0; make the noise maps matter (in G and its average)."""
    for use_ema in (False, True):
        for layer in gan.part("synthesis", use_ema)._flatten_layers():
            if isinstance(layer, StyledConv):
                layer.noise_strength.assign(strength)
    return gan


def _real(seed=1, batch=8):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (batch, SIZE, SIZE, 1)),
                       tf.float32)


# -------------------------------------------------------------------- the networks

def test_demodulation_makes_each_output_map_unit_variance_for_unit_variance_inputs():
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(4, 64, 64, 32)), tf.float32)
    # styles far from 1 (affine bias 1 plus a large w): without demodulation the
    # output's scale follows them
    ws = tf.constant(5.0 * rng.normal(size=(4, 1, 8)), tf.float32)
    demodulated = ModulatedConv2D(16, 3, demodulate=True)
    plain = ModulatedConv2D(16, 3, demodulate=False)
    std = np.std(demodulated([x, ws]).numpy(), axis=(1, 2))        # (sample, output map)
    plain([x, ws])
    plain.set_weights(demodulated.get_weights())
    plain_std = np.std(plain([x, ws]).numpy(), axis=(1, 2))
    assert std.shape == (4, 16)
    # 1 up to the zero padding at the borders and sampling error
    np.testing.assert_allclose(std, 1.0, atol=0.08)
    assert np.abs(plain_std - 1.0).max() > 1.0


def test_the_mapping_depth_is_configurable_and_w_feeds_every_layer():
    gan = ganzoo.StyleGAN2(**KWARGS, mapping_layers=5, w_dim=12)
    dense = [layer for layer in gan.part("mapping").layers if "dense" in layer.name]
    assert len(dense) == 5 and all(layer.lr_multiplier == 0.01 for layer in dense)
    assert gan.num_ws == 6 and gan.w_dim == 12  # 2 log2(16) - 2 styles
    assert gan.part("synthesis").input_shape[0] == (None, 6, 12)


def _conv(x, layer):
    """`layer`'s equalized convolution alone (kernel times its He constant), no bias."""
    return tf.nn.conv2d(x, layer.kernel * layer.scale, 1, "SAME")


def _lrelu(x):
    return tf.nn.leaky_relu(x, 0.2) * np.sqrt(2)


def test_a_residual_block_sums_its_skip_and_its_convolutions_with_gain_sqrt_half():
    discriminator = stylegan2_discriminator((SIZE, SIZE, 1), channel_base=64, channel_max=8)
    rng = np.random.default_rng(0)
    for layer in discriminator.layers:  # biases away from 0, so they count
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(size=layer.bias.shape).astype("float32"))
    images = tf.constant(rng.uniform(-1, 1, (4, SIZE, SIZE, 1)), tf.float32)
    x, residual = keras.Model(discriminator.inputs,
                              [discriminator.get_layer(name).output
                               for name in ("from_rgb", f"residual_{SIZE}")])(images)
    pool = lambda y: tf.nn.avg_pool2d(y, 2, 2, "VALID")  # noqa: E731
    skip = pool(_conv(x, discriminator.get_layer(f"skip_{SIZE}")))  # 1x1, no bias, linear
    conv0, conv1 = (discriminator.get_layer(f"{name}_{SIZE}") for name in ("conv0", "conv1_down"))
    main = _lrelu(_conv(x, conv0) + conv0.bias)
    main = _lrelu(pool(_conv(main, conv1)) + conv1.bias)
    np.testing.assert_allclose(residual, (skip + main) / np.sqrt(2), rtol=1e-4, atol=1e-5)


def test_the_skip_generator_sums_upsampled_to_rgb_outputs_and_only_they_keep_the_style_scale():
    synthesis = ganzoo.StyleGAN2(**KWARGS, seed=0).part("synthesis")
    rng = np.random.default_rng(0)
    ws = tf.constant(rng.normal(size=(3, 6, 8)), tf.float32)
    noise = [tf.constant(rng.normal(size=(3, *shape[1:])), tf.float32)
             for shape in synthesis.input_shape[1:]]
    names = ["to_rgb_4", "to_rgb_8", "to_rgb_16"]
    *rgbs, image = keras.Model(synthesis.inputs,
                               [*(synthesis.get_layer(n).output for n in names),
                                synthesis.output])([ws, *noise], training=True)
    up = lambda y: tf.image.resize(y, (2 * y.shape[1], 2 * y.shape[2]), "bilinear")  # noqa: E731
    np.testing.assert_allclose(image, up(up(rgbs[0]) + rgbs[1]) + rgbs[2], atol=1e-5)

    # the styles: an affine map of w with bias 1; noise strengths start at 0
    modulated = [layer for layer in synthesis.layers if isinstance(layer, ModulatedConv2D)]
    assert len(modulated) == 5 + 3
    for layer in modulated:
        np.testing.assert_array_equal(layer.affine.bias.numpy(), 1.0)
        if isinstance(layer, StyledConv):
            assert float(layer.noise_strength.numpy()) == 0.0
    # styles 3 times larger: a demodulated convolution's output stays as it is, a toRGB
    # layer's (modulated, not demodulated) grows 3 times (its bias aside)
    x = tf.constant(rng.normal(size=(3, 8, 8, 8)), tf.float32)
    conv, to_rgb = synthesis.get_layer("conv1_8"), synthesis.get_layer("to_rgb_8")
    outputs = lambda: (conv([x, ws, noise[2]]).numpy(),  # noqa: E731
                       to_rgb([x, ws]).numpy() - to_rgb.bias.numpy())
    conv_before, rgb_before = outputs()
    for layer in (conv, to_rgb):
        for weight in (layer.affine.kernel, layer.affine.bias):
            weight.assign(3.0 * weight)
    conv_after, rgb_after = outputs()
    np.testing.assert_allclose(conv_after, conv_before, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rgb_after, 3.0 * rgb_before, rtol=1e-4, atol=1e-5)
    assert min(np.abs(conv_before).max(), np.abs(rgb_before).max()) > 0.1


def test_the_learning_rate_multiplier_slows_a_layer_and_its_bias_by_that_factor():
    # two layers computing the same function, one with the mapping network's 0.01
    x = tf.constant(np.random.default_rng(0).normal(size=(16, 8)), tf.float32)
    target = tf.constant(np.random.default_rng(1).normal(size=(16, 8)), tf.float32)
    moved = {}
    for multiplier in (1.0, 0.01):
        layer = EqualizedDense(8, gain=1.0, lr_multiplier=multiplier, activation="lrelu",
                               activation_gain=np.sqrt(2))
        layer.build(x.shape)
        # the stored weights are N(0, 1 / multiplier): the same effective weights
        assert abs(layer.kernel.numpy().std() * multiplier - 1.0) < 0.3
        layer.kernel.assign(np.random.default_rng(2).normal(size=(8, 8)) / multiplier)
        layer.bias.assign(np.full(8, 0.5 / multiplier, "float32"))
        effective = lambda: (layer.kernel * layer.scale, layer.bias * multiplier)  # noqa: E731
        start = [w.numpy() for w in effective()]
        optimizer = keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(layer(x) - target))
        optimizer.apply_gradients(zip(tape.gradient(loss, layer.trainable_weights),
                                      layer.trainable_weights))
        moved[multiplier] = [w.numpy() - s for w, s in zip(effective(), start)]
    for slow, fast in zip(moved[0.01], moved[1.0]):  # the kernel, then the bias
        assert np.abs(fast).max() > 1e-4
        # (to float32's resolution of the slow layer's large stored weights)
        np.testing.assert_allclose(slow, 0.01 * fast, rtol=0.05)


# ------------------------------------------------------------ mixing and truncation

def test_style_mixing_with_the_same_seed_twice_is_the_plain_sample():
    gan = _with_noise(_gan())
    plain = gan.generate(1, seed=3)[0]
    np.testing.assert_allclose(gan.mix_styles([3], [3], layers=range(0, 3))[0, 0], plain,
                               atol=1e-5)
    # all layers from the source: the source's sample; none: the destination's
    np.testing.assert_allclose(gan.mix_styles([3], [4], layers=range(gan.num_ws))[0, 0], plain,
                               atol=1e-5)
    np.testing.assert_allclose(gan.mix_styles([3], [4], layers=[])[0, 0],
                               gan.generate(1, seed=4)[0], atol=1e-5)
    mixed = gan.mix_styles([3], [4], layers=range(0, 3))[0, 0]
    assert np.abs(mixed - plain).max() > 1e-3
    assert np.abs(mixed - gan.generate(1, seed=4)[0]).max() > 1e-3


def test_training_mixes_the_styles_of_two_latents_at_a_cutoff():
    gan = _gan()
    inputs = gan.sample_generator_inputs(4, noise_stream=0)
    inputs["cutoff"] = tf.constant([2, 2, gan.num_ws, 1])
    ws, w = gan.mixed_styles(inputs)
    w_mix = gan.part("mapping")(inputs["mix_z"])
    np.testing.assert_allclose(ws[0, :2], np.repeat(w[0:1], 2, axis=0), atol=1e-6)
    np.testing.assert_allclose(ws[0, 2:], np.repeat(w_mix[0:1], gan.num_ws - 2, axis=0), atol=1e-6)
    np.testing.assert_allclose(ws[2], np.repeat(w[2:3], gan.num_ws, axis=0), atol=1e-6)
    # one cutoff per batch, in [1, num_ws), used with probability 0.9
    cutoffs = np.array([gan.sample_generator_inputs(2, stream)["cutoff"].numpy()
                        for stream in range(400)])
    assert (cutoffs[:, 0] == cutoffs[:, 1]).all()
    mixing = cutoffs[:, 0] < gan.num_ws
    assert 0.85 < mixing.mean() < 0.95 and set(cutoffs[mixing, 0]) == set(range(1, gan.num_ws))


def test_truncation_0_gives_the_average_w_image_for_every_seed():
    gan = _with_noise(_gan())
    w_avg = np.random.default_rng(0).normal(size=gan.w_dim).astype("float32")
    for generator in (gan.generator, gan.generator_ema):
        generator.get_layer("truncation").w_avg.assign(w_avg)
    images = gan.generate(5, seed=0, truncation=0.0)
    synthesis, noise = gan.part("synthesis", use_ema=True), gan.part("noise", use_ema=True)
    ws = tf.constant(np.repeat(w_avg[None, None], gan.num_ws, axis=1))
    average_image = synthesis([ws, *noise(ws)]).numpy()[0]
    for image in images:
        np.testing.assert_allclose(image, average_image, atol=1e-5)
    # psi in between: w moves towards w_avg; psi 1 (or None) is gan(z)
    z = gan.prior_latents(3, seed=1)
    w = gan.part("mapping", use_ema=True)(z).numpy()
    np.testing.assert_allclose(gan.styles(z, truncation=0.7)[:, 0], w_avg + 0.7 * (w - w_avg),
                               atol=1e-5)
    np.testing.assert_allclose(gan.generate(latents=z, truncation=1.0), gan.predict(z, verbose=0),
                               atol=1e-5)
    assert not np.allclose(gan.generate(latents=z), images[:3], atol=1e-3)


# ---------------------------------------------------------------------- training

class _CountingStyleGAN2(ganzoo.StyleGAN2):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.r1_calls = tf.Variable(0, trainable=False)
        self.pl_calls = tf.Variable(0, trainable=False)
        self.pl_batch = tf.Variable(0, trainable=False)

    def r1_penalty(self, images):
        self.r1_calls.assign_add(1)
        return super().r1_penalty(images)

    def path_lengths(self, batch_size):
        self.pl_calls.assign_add(1)
        self.pl_batch.assign(batch_size)
        return super().path_lengths(batch_size)


def test_lazy_r1_runs_every_k_steps():
    gan = _gan(_CountingStyleGAN2, r1_interval=3, r1_gamma=1.0)
    logged = []
    for step in range(7):
        before = int(gan.r1_calls.numpy())
        logged.append(gan.train_step(_real(step)))
        assert int(gan.r1_calls.numpy()) - before == (1 if step % 3 == 0 else 0), step
    assert int(gan.r1_calls.numpy()) == 3  # steps 0, 3, 6
    assert float(logged[-1]["r1_penalty"]) > 0


def test_lazy_r1_is_weighted_by_gamma_over_2_times_k():
    real, lr, gamma, k = _real(), 0.01, 10.0, 4
    keras.utils.set_random_seed(0)
    with_r1 = _gan(sgd=lr, r1_gamma=gamma, r1_interval=k)
    keras.utils.set_random_seed(0)
    without = _gan(sgd=lr, r1_gamma=0.0, r1_interval=k)
    start = [w.numpy() for w in with_r1.discriminator.trainable_weights]
    for a, b in zip(start, without.discriminator.trainable_weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())
    # the R1 gradient at the starting weights, computed here
    variables = without.discriminator.trainable_weights
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(real)
            scores = tf.reduce_sum(without.discriminator(real, training=True))
        r1 = tf.reduce_mean(tf.reduce_sum(tf.square(inner.gradient(scores, real)), [1, 2, 3]))
    # (the output bias does not change the gradient w.r.t. the images: None, i.e. 0)
    r1_gradients = [np.zeros(v.shape, "float32") if g is None else g.numpy()
                    for v, g in zip(variables, outer.gradient(r1, variables))]
    with_r1.train_step(real), without.train_step(real)  # step 0 takes R1
    # SGD: the runs differ by exactly lr * gamma / 2 * k * grad R1
    for a, b, gradient in zip(with_r1.discriminator.trainable_weights, variables, r1_gradients,
                              strict=True):
        np.testing.assert_allclose(a.numpy() - b.numpy(), -lr * gamma / 2 * k * gradient,
                                   rtol=1e-3, atol=2e-6)
    assert max(np.abs(g).max() for g in r1_gradients) * lr * gamma / 2 * k > 1e-3


def test_lazy_path_length_penalty_runs_every_k_steps_on_a_shrunk_batch():
    gan = _gan(_CountingStyleGAN2, pl_weight=2.0, pl_interval=2, pl_batch_shrink=2, r1_gamma=0.0)
    for step in range(5):
        before = int(gan.pl_calls.numpy())
        logged = gan.train_step(_real(step))
        assert int(gan.pl_calls.numpy()) - before == (1 if step % 2 == 0 else 0), step
    assert int(gan.pl_batch.numpy()) == 4  # half the batch of 8
    assert float(logged["pl_penalty"]) > 0 and int(gan.r1_calls.numpy()) == 0


def test_lazy_path_length_penalty_is_weighted_by_its_weight_times_k_against_its_running_mean():
    real, lr, weight, k = _real(), 0.1, 2.0, 3
    keras.utils.set_random_seed(0)
    with_pl = _gan(sgd=lr, pl_weight=weight, pl_interval=k, r1_gamma=0.0)
    keras.utils.set_random_seed(0)
    without = _gan(sgd=lr, pl_weight=0.0, pl_interval=k, r1_gamma=0.0)
    variables = without.generator.trainable_weights
    # the penalty at the starting weights, computed here: the running mean (0 before)
    # moves by pl_decay towards the batch's mean length; lengths are pulled to it
    with tf.GradientTape() as tape:
        lengths = without.path_lengths(4)  # the draws of step 0, on half the batch
        mean = 0.01 * tf.reduce_mean(lengths)
        penalty = tf.reduce_mean(tf.square(lengths - tf.stop_gradient(mean)))
    gradients = [np.zeros(v.shape, "float32") if g is None else g.numpy()
                 for v, g in zip(variables, tape.gradient(penalty, variables))]
    logged = with_pl.train_step(real)
    without.train_step(real)
    assert float(with_pl.pl_mean) == pytest.approx(float(mean), rel=1e-5)
    assert float(logged["pl_penalty"]) == pytest.approx(float(penalty), rel=1e-4)
    # SGD: the generators differ by exactly lr * weight * k * grad penalty (to the
    # float32 spacing of the weights: the mapping network stores them ~100 times larger)
    for a, b, gradient in zip(with_pl.generator.trainable_weights, variables, gradients,
                              strict=True):
        np.testing.assert_allclose(a.numpy() - b.numpy(), -lr * weight * k * gradient, rtol=1e-3,
                                   atol=2 * np.spacing(np.abs(b.numpy()).max()), err_msg=b.path)
    assert max(np.abs(g).max() for g in gradients) * lr * weight * k > 1e-3


def test_w_avg_moves_towards_the_mean_w_of_each_generator_update_by_1_minus_beta():
    gan = _gan(r1_gamma=0.0)
    start = np.random.default_rng(0).normal(size=gan.w_dim).astype("float32")
    gan.part("truncation").w_avg.assign(start)
    # the w of step 0's generator update (the base's noise stream 1), before it
    w = gan.part("mapping")(gan.sample_generator_inputs(8, noise_stream=1)["z"]).numpy()
    gan.train_step(_real())
    np.testing.assert_allclose(gan.w_avg, w.mean(0) + 0.995 * (start - w.mean(0)), atol=1e-6)
    assert np.abs(w.mean(0) - start).max() > 0.1


def test_label_smoothing_reaches_the_discriminators_training_loss():
    real, smoothing = _real(), 0.3
    gans = []
    for label_smoothing in (smoothing, 0.0):
        keras.utils.set_random_seed(0)
        gans.append(_gan(label_smoothing=label_smoothing, r1_gamma=0.0))
        gans[-1].discriminator.get_layer("score").bias.assign([2.0])  # scores far from 0
    real_scores = gans[1].discriminator(real, training=True).numpy()
    smoothed, plain = (float(gan.train_step(real)["d_loss"]) for gan in gans)
    # cross-entropy against 1 - s instead of 1 costs s * D(x) more per real sample
    assert smoothed - plain == pytest.approx(smoothing * real_scores.mean(), rel=1e-4)


def test_a_short_fit_with_every_option_tracks_w_and_path_lengths():
    gan = _gan(pl_weight=2.0, pl_interval=2, r1_interval=2, augment="ada",
               augment_options={"interval": 1, "speed_images": 64})
    assert gan.generator_ema is not None and (gan.ema_decay, gan.ema_warmup) == (0.998, 0.05)
    data = tf.data.Dataset.from_tensor_slices(_real(batch=24)).batch(8, drop_remainder=True)
    history = gan.fit(data, epochs=1, verbose=0).history
    assert {"d_loss", "g_loss", "r1_penalty", "pl_penalty", "augment_p"} <= set(history)
    assert all(np.isfinite(values[-1]) for values in history.values())
    assert np.abs(gan.w_avg).max() > 0 and float(gan.pl_mean) > 0
    # the average generator carries the tracked w_avg (copied, not averaged)
    np.testing.assert_array_equal(gan.part("truncation", use_ema=True).w_avg.numpy(), gan.w_avg)


def test_defaults_follow_the_reference():
    gan = _gan()
    assert VARIANTS["StyleGAN2"] is ganzoo.StyleGAN2 and gan.loss_name == "non_saturating"
    assert (gan.r1_interval, gan.pl_interval, gan.style_mixing_prob, gan.pl_weight) == (
        16, 4, 0.9, 0.0)
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(2e-3)
        assert (float(optimizer.beta_1), float(optimizer.beta_2)) == pytest.approx((0.0, 0.99))
    with pytest.raises(ValueError, match="does not train with loss 'hinge'"):
        ganzoo.StyleGAN2(**KWARGS, loss="hinge")


# --------------------------------------------------------------------- sampling API

def test_generate_mix_and_interpolate_shapes_and_ranges():
    gan = _with_noise(_gan())
    images = gan.generate(5, seed=0, truncation=0.7)
    assert images.shape == (5, SIZE, SIZE, 1) and images.dtype == np.float32
    np.testing.assert_array_equal(images, gan.generate(5, seed=0, truncation=0.7))
    grid = gan.mix_styles([1, 2, 3], [4, 5], layers=range(0, 2))
    assert grid.shape == (2, 3, SIZE, SIZE, 1)
    for space in ("w", "z"):
        strip = gan.interpolate(0, 1, steps=6, space=space, truncation=0.7)
        assert strip.shape == (6, SIZE, SIZE, 1)
        np.testing.assert_allclose(strip[0], gan.generate(1, seed=0, truncation=0.7)[0], atol=1e-5)
        np.testing.assert_allclose(strip[-1], gan.generate(1, seed=1, truncation=0.7)[0],
                                   atol=1e-5)
    assert not np.allclose(gan.interpolate(0, 1, 5, space="w")[2],
                           gan.interpolate(0, 1, 5, space="z")[2], atol=1e-4)
    for output in (images, grid, strip):
        assert np.isfinite(output).all() and np.abs(output).max() <= 1.0
    with pytest.raises(ValueError, match="'w' or 'z'"):
        gan.interpolate(0, 1, space="x")
    with pytest.raises(ValueError, match="from 0 to 5"):
        gan.mix_styles([1], [2], layers=[6])


def test_a_run_folder_and_the_generator_alone_sample_the_same(tmp_path):
    gan = _with_noise(_gan())
    gan.train_step(_real())
    runs.save_run(gan, tmp_path / "run")
    loaded = runs.load_run(tmp_path / "run")
    assert type(loaded) is ganzoo.StyleGAN2 and loaded.r1_interval == 16
    np.testing.assert_array_equal(loaded.w_avg, gan.w_avg)
    assert float(loaded.pl_mean) == float(gan.pl_mean)
    np.testing.assert_allclose(loaded.generate(3, seed=0, truncation=0.7),
                               gan.generate(3, seed=0, truncation=0.7), atol=1e-6)
    alone = runs.load_generator(tmp_path / "run")
    z = gan.prior_latents(3, seed=2)
    np.testing.assert_allclose(alone(z), gan.generate(latents=z), atol=1e-5)
