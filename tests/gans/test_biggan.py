"""BigGAN: class-conditional batch norm, hierarchical latents, orthogonal regularisation,
spectral norm, self-attention, the hinge loss, the EMA's start, the paper's optimizers,
training, run folders and the argument errors.

Tiny networks (16x16, 8 channels), trained eagerly (`run_eagerly=True`), which for
networks this small is faster than tracing the step; graph mode and two replicas are
covered by tests/test_distribute.py.
"""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import losses, runs
from ganzoo.gans import VARIANTS
from ganzoo.gans.optimizers import make_optimizers
from ganzoo.nets.biggan import orthogonal_kernels
from ganzoo.nets.biggan_layers import ClassConditionalBatchNorm, SelfAttention
from ganzoo.nets.spectral_norm import SpectralClassProjection, SpectralConv2D, SpectralDense
from helpers import changed, weights_of

K = 3
SIZE = 16                       # two up-blocks: 4 -> 8 -> 16
# z in three chunks of 4: the dense layer's, block 1's, block 2's
KWARGS = dict(image_shape=(SIZE, SIZE, 1), num_classes=K, latent_dim=12, base_filters=2,
              channel_multipliers=(4, 4, 4), embedding_dim=8, attention_resolution=8)
BATCH = 4


def _gan(compile_=True, **overrides):
    gan = ganzoo.BigGAN(**{**KWARGS, **overrides}, seed=0)
    if compile_:
        gan.compile(run_eagerly=True)
    return gan


def _data(steps, seed=1):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (steps * BATCH, SIZE, SIZE, 1)).astype("float32")
    labels = rng.integers(0, K, steps * BATCH).astype("int32")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH, drop_remainder=True)


def _inputs(gan, n=BATCH, seed=0):
    return np.random.default_rng(seed).standard_normal((n, gan.latent_dim)).astype("float32")


# -- class-conditional batch norm ------------------------------------------------------

def test_conditional_batch_norm_is_batch_norm_times_one_plus_gain_plus_bias():
    layer = ClassConditionalBatchNorm(spectral_norm=False)
    x = np.random.default_rng(0).normal(2.0, 3.0, (4, 2, 2, 3)).astype("float32")
    labels = np.array([0, 1, 1, 0])
    condition = np.eye(2, dtype="float32")[labels]      # one-hot: per-class tables
    layer([x, condition])
    gains = np.array([[0.5, -1.0, 2.0], [0.0, 3.0, -0.5]], "float32")
    biases = np.array([[1.0, 0.0, -2.0], [0.25, 0.5, 4.0]], "float32")
    layer.gain.kernel.assign(gains)
    layer.bias.kernel.assign(biases)

    out = np.asarray(layer([x, condition], training=True))

    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    normalized = (x - mean) / np.sqrt(var + 1e-5)
    expected = (normalized * (1.0 + gains[labels])[:, None, None, :]
                + biases[labels][:, None, None, :])
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shared_embedding", [True, False])
def test_the_label_changes_the_image_for_the_same_z(shared_embedding):
    gan = _gan(compile_=False, shared_embedding=shared_embedding)
    z = np.repeat(_inputs(gan, 1), K, axis=0)
    images = np.asarray(gan.generator([z, np.arange(K, dtype="int32")], training=False))
    for a in range(K):
        for b in range(a + 1, K):
            assert np.abs(images[a] - images[b]).max() > 1e-3
    # the label reaches G only through its batch norms' gains and biases
    layers = [layer.name for layer in gan.generator.layers]
    assert ("shared_embedding" in layers) == shared_embedding
    assert ("one_hot_label" in layers) == (not shared_embedding)


# -- hierarchical latents --------------------------------------------------------------

def _places(generator):
    """What each place of G receives: the dense layer's input and each block's condition."""
    taps = [generator.get_layer("initial_dense").input,
            *(generator.get_layer(f"block{i}_condition").output for i in (1, 2))]
    return keras.Model(generator.inputs, taps)


def test_each_chunk_of_z_reaches_only_its_own_block():
    gan = _gan(compile_=False)
    places = _places(gan.generator)
    z, labels = _inputs(gan, 2), np.array([0, 2], "int32")
    before = [np.asarray(t) for t in places([z, labels])]
    chunk = gan.latent_dim // 3
    assert [t.shape[-1] for t in before] == [chunk, 8 + chunk, 8 + chunk]
    for k in range(3):
        moved = z.copy()
        moved[:, k * chunk:(k + 1) * chunk] += 1.0
        after = [np.asarray(t) for t in places([moved, labels])]
        changed_places = [i for i in range(3) if not np.array_equal(before[i], after[i])]
        assert changed_places == [k]
        # the chunk itself arrives, after the class code for the blocks
        np.testing.assert_array_equal(after[k][:, -chunk:], moved[:, k * chunk:(k + 1) * chunk])
    # and both batch norms of block i take block i's condition
    for i in (1, 2):
        condition = gan.generator.get_layer(f"block{i}_condition").output
        for bn in ("bn1", "bn2"):
            assert gan.generator.get_layer(f"block{i}_{bn}").input[1] is condition


def test_without_hierarchical_latents_z_feeds_the_first_layer_and_blocks_get_the_class():
    gan = _gan(compile_=False, hierarchical_latents=False)
    generator = gan.generator
    assert generator.get_layer("initial_dense").input is generator.inputs[0]
    code = generator.get_layer("shared_embedding").output
    for i in (1, 2):
        assert generator.get_layer(f"block{i}_bn1").input[1] is code
    assert not any(layer.name.startswith("z_chunk") for layer in generator.layers)


# -- orthogonal regularisation -----------------------------------------------------------

def test_orthogonal_regularization_is_its_formula_on_known_matrices():
    w = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    # W^T W = [[10, 14], [14, 20]]: only the off-diagonal 14s count, 2 * 14^2
    assert float(losses.orthogonal_regularization([w])) == pytest.approx(392.0)
    # orthogonal columns of any norms cost nothing (the diagonal is masked out)
    assert float(losses.orthogonal_regularization([np.diag([2.0, 3.0]).astype("float32")])) == 0.0
    # a 1x1 convolution's kernel is the same matrix; kernels add up
    conv = w.reshape(1, 1, 2, 2)
    assert float(losses.orthogonal_regularization([w, conv])) == pytest.approx(784.0)


def _orthogonal_sum(weights):
    total = 0.0
    for w in weights:
        matrix = np.asarray(w, np.float64).reshape(-1, w.shape[-1])
        gram = matrix.T @ matrix
        total += np.sum((gram - np.diag(np.diag(gram))) ** 2)
    return total


def test_orthogonal_regularization_is_added_to_the_generator_loss():
    scores = tf.constant([[0.5], [-1.5], [2.0]])
    assert float(_gan(orthogonal_reg=0.0).generator_loss(scores)) == pytest.approx(-1 / 3)
    gan = _gan(orthogonal_reg=0.01)
    kernels = orthogonal_kernels(gan.generator)
    # every kernel of G, but not the shared class embedding
    shared = gan.generator.get_layer("shared_embedding").embeddings
    assert all(k is not shared for k in kernels) and len(kernels) > 10
    assert {len(k.shape) for k in kernels} == {2, 4}
    expected = -1 / 3 + 0.01 * _orthogonal_sum(kernels)
    assert float(gan.generator_loss(scores)) == pytest.approx(expected, rel=1e-5)
    assert float(gan.trackers["orthogonal_penalty"].result()) == pytest.approx(
        _orthogonal_sum(kernels), rel=1e-5)


# -- spectral norm ---------------------------------------------------------------------

def _weight_matrices(net):
    return [w for w in net.trainable_weights if len(w.shape) >= 2]


def _outputs(gan, seed=0):
    z, labels = _inputs(gan, seed=seed), np.array([0, 1, 2, 1], "int32")
    images = np.random.default_rng(seed).uniform(-1, 1, (BATCH, SIZE, SIZE, 1)).astype("float32")
    return (np.asarray(gan.generator([z, labels], training=False)),
            np.asarray(gan.discriminator([images, labels], training=False)))


@pytest.mark.parametrize("spectral_norm", [True, False])
def test_every_weight_matrix_of_both_networks_is_spectrally_normalized(spectral_norm):
    # W / sigma(W) does not change when W is scaled: scaling every weight matrix of a
    # network (G's class embedding aside, which the reference leaves plain) leaves its
    # outputs as they are exactly when each one is normalized.
    gan = _gan(compile_=False, spectral_norm=spectral_norm)
    before = _outputs(gan)
    shared = gan.generator.get_layer("shared_embedding").embeddings
    for net in (gan.generator, gan.discriminator):
        for w in _weight_matrices(net):
            if w is not shared:
                w.assign(3.0 * w)
    for old, new in zip(before, _outputs(gan)):
        if spectral_norm:
            np.testing.assert_allclose(new, old, rtol=1e-4, atol=1e-5)
        else:
            assert np.abs(new - old).max() > 1e-2
    spectral = (SpectralConv2D, SpectralDense, SpectralClassProjection)
    for net in (gan.generator, gan.discriminator):
        found = [layer for layer in net._flatten_layers() if isinstance(layer, spectral)]
        assert bool(found) == spectral_norm


def test_a_spectral_layer_brings_its_largest_singular_value_to_one():
    layer = SpectralDense(5, use_bias=False)
    layer.build((None, 7))
    kernel = np.random.default_rng(0).standard_normal((7, 5)).astype("float32") * 4.0
    layer.kernel.assign(kernel)
    for _ in range(30):  # one power iteration per training call
        layer(np.zeros((1, 7), "float32"), training=True)
    effective = np.asarray(layer(np.eye(7, dtype="float32")))
    np.testing.assert_allclose(effective, kernel / np.linalg.norm(kernel, 2), rtol=1e-4)
    assert np.linalg.norm(effective, 2) == pytest.approx(1.0, abs=1e-4)
    # inference reads u without storing it
    u = np.array(layer.u)
    layer(np.zeros((1, 7), "float32"))
    np.testing.assert_array_equal(np.array(layer.u), u)


# -- self-attention --------------------------------------------------------------------

@pytest.mark.parametrize("resolution", [8, None])
def test_self_attention_follows_the_block_at_the_requested_resolution(resolution):
    gan = _gan(compile_=False, attention_resolution=resolution)
    for net in (gan.generator, gan.discriminator):
        blocks = [layer for layer in net.layers if isinstance(layer, SelfAttention)]
        assert [tuple(b.input.shape[1:3]) for b in blocks] == ([(8, 8)] if resolution else [])
    assert gan.get_config()["attention_resolution"] == resolution


def test_self_attention_is_the_sagan_block():
    layer = SelfAttention(spectral_norm=False)
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 16)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)  # gamma starts at 0
    layer.gamma.assign(0.7)
    theta, phi, g, o = (np.asarray(layer_.kernel)[0, 0] for layer_ in
                        (layer.theta, layer.phi, layer.g, layer.o))

    def pooled(h):  # 2x2 max pooling
        return h.reshape(2, 2, 2, 2, 2, -1).max(axis=(2, 4))

    flat = lambda h: h.reshape(2, -1, h.shape[-1])  # noqa: E731
    logits = flat(x @ theta) @ flat(pooled(x @ phi)).transpose(0, 2, 1)
    attention = np.exp(logits - logits.max(-1, keepdims=True))
    attention /= attention.sum(-1, keepdims=True)
    attended = (attention @ flat(pooled(x @ g))).reshape(2, 4, 4, 8)
    np.testing.assert_allclose(np.asarray(layer(x)), x + 0.7 * (attended @ o), rtol=1e-4,
                               atol=1e-5)


# -- losses, optimizers, EMA ------------------------------------------------------------

def test_hinge_losses_on_known_logits():
    gan = _gan(orthogonal_reg=0.0)
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-3.0], [0.2]])
    # D: mean relu(1 - real) = (0 + 0.5) / 2, mean relu(1 + fake) = (0 + 1.2) / 2
    assert float(gan.discriminator_loss(None, None, real, fake, 0)) == pytest.approx(0.85)
    assert float(gan.generator_loss(fake)) == pytest.approx(1.4)  # -mean(fake)
    assert gan.loss_name == "hinge"


def test_compile_defaults_are_the_papers_two_learning_rates_and_two_d_steps():
    gan = _gan()
    for optimizer, rate in ((gan.g_optimizer, 5e-5), (gan.d_optimizer, 2e-4)):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(rate)
        assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.0, 0.999, 1e-8)
    assert gan.discriminator_steps == 2
    # a learning rate given to the training keeps D four times faster
    g_opt, d_opt = make_optimizers(gan, learning_rate=1e-4)
    assert (float(g_opt.learning_rate), float(d_opt.learning_rate)) == pytest.approx((1e-4, 4e-4))
    # variants with one default rate are unchanged
    dcgan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=4, base_filters=4)
    assert [float(o.learning_rate) for o in make_optimizers(dcgan, learning_rate=1e-3)] == [
        pytest.approx(1e-3)] * 2


def test_the_ema_copies_the_generator_for_ema_start_steps_then_averages():
    gan = _gan(ema_decay=0.5, ema_start=2)
    assert [float(gan.ema_decay_at(tf.constant(s, tf.int64))) for s in range(4)] == [
        0.0, 0.0, 0.5, 0.5]
    data = _data(3)
    states = []
    for batch in data:
        gan.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0)
        states.append((weights_of(gan.generator), weights_of(gan.generator_ema)))
    for step in (0, 1):  # copies
        for g, e in zip(*states[step]):
            np.testing.assert_array_equal(e, g)
    # the third step averages: ema = 0.5 * ema + 0.5 * generator
    for previous, g, e in zip(states[1][1], *states[2]):
        np.testing.assert_allclose(e, 0.5 * previous + 0.5 * g, rtol=1e-6, atol=1e-7)
    assert changed(states[1][0], states[2][0])


# -- training, generating, saving ------------------------------------------------------

def test_a_few_steps_train_both_networks_with_finite_losses():
    gan = _gan()
    before = [weights_of(gan.generator), weights_of(gan.discriminator)]
    history = gan.fit(_data(2), epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "orthogonal_penalty"}
    assert all(np.isfinite(values).all() for values in history.values())
    assert changed(before[0], weights_of(gan.generator))
    assert changed(before[1], weights_of(gan.discriminator))
    assert (gan.generator_steps, int(gan.d_optimizer.iterations)) == (2, 4)


def test_generate_makes_the_classes_asked_for_and_truncates_z():
    gan = _gan(compile_=False)
    images = gan.generate(6, labels=[0, 1, 2, 0, 1, 2], seed=0, truncation=0.5)
    assert images.shape == (6, SIZE, SIZE, 1) and np.abs(images).max() <= 1.0
    latents = gan.prior_latents(6, seed=0, truncation=0.5)
    assert np.abs(latents).max() <= 0.5
    np.testing.assert_array_equal(images, gan.generate(latents=latents, labels=[0, 1, 2] * 2))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        gan.generate(2, labels=3)


def test_a_run_folder_gives_back_the_same_biggan(tmp_path):
    gan = _gan(ema_start=1, ema_decay=0.9)
    gan.fit(_data(2), epochs=1, verbose=0)
    runs.save_run(gan, tmp_path)
    loaded = runs.load_run(tmp_path)
    assert type(loaded) is ganzoo.BigGAN
    # (JSON turns the networks' tuples into lists)
    assert json.dumps(loaded.get_config(), sort_keys=True) == json.dumps(gan.get_config(),
                                                                         sort_keys=True)
    for use_ema in (True, False):
        np.testing.assert_array_equal(
            loaded.generate(6, seed=3, labels=2, truncation=1.0, use_ema=use_ema),
            gan.generate(6, seed=3, labels=2, truncation=1.0, use_ema=use_ema))
    generator = runs.load_generator(tmp_path)
    z, labels = _inputs(gan), np.array([0, 1, 2, 0], "int32")
    np.testing.assert_array_equal(np.asarray(generator([z, labels])),
                                  np.asarray(gan.generator_ema([z, labels])))
    # and it trains on from where it was, with both optimizers' state
    assert (loaded.generator_steps, int(loaded.d_optimizer.iterations)) == (2, 4)
    loaded.run_eagerly = True
    loaded.fit(_data(1), epochs=1, verbose=0)
    assert loaded.generator_steps == 3


def test_biggan_is_a_registered_variant_whose_config_rebuilds_it():
    gan = _gan(compile_=False, shared_embedding=False, hierarchical_latents=False,
               orthogonal_reg=0.0, d_steps=3, ema_start=5)
    assert VARIANTS["BigGAN"] is ganzoo.BigGAN
    config = gan.get_config()
    assert {key: config[key] for key in ("shared_embedding", "hierarchical_latents",
                                         "orthogonal_reg", "d_steps", "ema_start", "ema_decay",
                                         "channel_multipliers", "num_classes")} == dict(
        shared_embedding=False, hierarchical_latents=False, orthogonal_reg=0.0, d_steps=3,
        ema_start=5, ema_decay=0.9999, channel_multipliers=(4, 4, 4), num_classes=K)
    again = ganzoo.BigGAN.from_config(keras.saving.serialize_keras_object(gan)["config"])
    assert again.get_config() == config and again.discriminator_steps == 3


@pytest.mark.parametrize("overrides, message", [
    (dict(num_classes=None), "BigGAN is class-conditional: give num_classes"),
    (dict(conditioning="concat"), "conditioning must be 'projection'"),
    (dict(image_shape=(28, 28, 1)), "power of two"),
    (dict(attention_resolution=16), r"one of \[8\] for 16x16 images"),
    (dict(attention_resolution=12), "attention_resolution must be"),
    (dict(latent_dim=10), "latent_dim must be a multiple of 3"),
    (dict(channel_multipliers=(4, 4)), "3 positive integers"),
    (dict(d_steps=0), "d_steps must be a whole number of at least 1"),
    (dict(ema_start=-1), "ema_start must be a whole number of at least 0"),
    (dict(orthogonal_reg=-1e-4), "orthogonal_reg must be a number >= 0"),
    (dict(loss="hinge", label_smoothing=0.1), "label_smoothing applies to"),
    (dict(base_filters=1, channel_multipliers=(4, 4, 4)), "at least 8 channels"),
])
def test_bad_arguments_are_errors_that_say_what_is_allowed(overrides, message):
    with pytest.raises(ValueError, match=message):
        _gan(compile_=False, **overrides)


def test_an_unconditional_batch_is_refused():
    gan = _gan()
    images = np.zeros((BATCH, SIZE, SIZE, 1), "float32")
    with pytest.raises(ValueError, match="label"):
        gan.fit(tf.data.Dataset.from_tensor_slices(images).batch(BATCH), epochs=1, verbose=0)


def test_mixed_float16_steps_are_loss_scaled_and_keep_float32_state():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = _gan(compile_=False)
        gan.compile(run_eagerly=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(isinstance(opt, keras.optimizers.LossScaleOptimizer)
               for opt in (gan.g_optimizer, gan.d_optimizer))
    history = gan.fit(_data(4), epochs=1, verbose=0).history
    assert all(np.isfinite(values).all() for values in history.values())
    assert gan.generator_steps > 0  # (the first steps may be skipped while the scale drops)
    assert {v.dtype for v in gan.weights} <= {"float32", "int32"}
    images, scores = _outputs(gan)
    assert images.dtype == scores.dtype == np.float32 and np.isfinite(images).all()
