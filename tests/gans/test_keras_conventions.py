"""A GAN behaves like a Keras model: call/predict, evaluate and validation_data,
EarlyStopping and ReduceLROnPlateau, a user's own latents, interpolation, and data that
yields no batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.errors import DataError
from ganzoo.gans.adversarial import updates_applied
from ganzoo.gans.latents import slerp
from helpers import VARIANT_CASES, image_dataset, make_gan

CASES = [pytest.param(cls, kwargs, id=name) for name, cls, kwargs in VARIANT_CASES]
DCGAN_KWARGS = dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8)
POINTS_KWARGS = dict(data_shape=(2,), latent_dim=4, hidden_units=(16,))
EVALUATION_KEYS = {"d_loss", "d_real_accuracy", "d_fake_accuracy"}


def _dcgan():
    return make_gan(ganzoo.DCGAN, DCGAN_KWARGS)


# --------------------------------------------------------------------- call / predict

def test_calling_the_gan_runs_the_generator_in_inference_mode():
    gan = _dcgan()
    z = gan.prior_latents(6, seed=1)
    out = keras.ops.convert_to_numpy(gan(z))
    np.testing.assert_allclose(out, gan.generator(z, training=False), atol=1e-6)
    # batch norm: training mode normalizes by the batch, so it would differ
    assert not np.allclose(out, gan.generator(z, training=True), atol=1e-4)


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_predict_on_arrays_and_datasets_of_latents_equals_generate(cls, kwargs):
    gan = make_gan(cls, kwargs)
    z = gan.prior_latents(10, seed=2)
    expected = gan.generate(latents=z)
    np.testing.assert_allclose(gan.predict(z, batch_size=4, verbose=0), expected, atol=1e-5)
    latents = tf.data.Dataset.from_tensor_slices(z).batch(3)
    np.testing.assert_allclose(gan.predict(latents, verbose=0), expected, atol=1e-5)


def test_cyclegan_predict_translates_a_to_b():
    cyc = ganzoo.CycleGAN(image_shape=(8, 8, 1), base_filters=4, residual_blocks=1, seed=0)
    images = np.random.default_rng(0).uniform(-1, 1, (5, 8, 8, 1)).astype("float32")
    np.testing.assert_allclose(cyc.predict(images, verbose=0), cyc.translate(images, "a2b"),
                               atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(cyc(images)),
                               cyc.translate(images, "a2b"), atol=1e-5)


def test_a_saved_gan_loads_and_predicts_the_same(tmp_path):
    gan = _dcgan()
    gan.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    z = gan.prior_latents(4, seed=3)
    np.testing.assert_allclose(loaded.predict(z, verbose=0), gan.predict(z, verbose=0), atol=1e-6)


# ----------------------------------------------------------- evaluate / validation_data

@pytest.mark.parametrize("cls, kwargs", CASES)
def test_evaluate_reports_the_discriminator_on_held_out_and_fresh_fakes(cls, kwargs):
    gan = make_gan(cls, kwargs)
    held_out = image_dataset(16, gan.data_shape, 8)
    logs = gan.evaluate(held_out, return_dict=True, verbose=0)
    assert set(logs) == EVALUATION_KEYS
    assert np.isfinite(logs["d_loss"])
    assert 0.0 <= logs["d_real_accuracy"] <= 1.0 and 0.0 <= logs["d_fake_accuracy"] <= 1.0
    # the fakes are a function of seed, step and batch position: the same weights, the same logs
    assert gan.evaluate(held_out, return_dict=True, verbose=0) == logs


@pytest.mark.parametrize("loss, label_smoothing, threshold", [
    ("non_saturating", 0.1, 0.0),   # logits: probability 1/2
    ("hinge", 0.0, 0.0),            # the middle of the margins -1 and +1
    ("least_squares", 0.0, 0.5),    # the middle of the targets 0 and 1
    ("least_squares", 0.2, 0.4),    # ... and 0 and 0.8
])
def test_evaluate_computes_loss_and_accuracies_from_real_and_fake_scores(
        loss, label_smoothing, threshold):
    gan = make_gan(ganzoo.DCGAN, dict(DCGAN_KWARGS, loss=loss, label_smoothing=label_smoothing))
    assert gan.decision_threshold == pytest.approx(threshold)
    real = np.random.default_rng(4).uniform(-1, 1, (16, 8, 8, 1)).astype("float32")
    logs = gan.evaluate(tf.data.Dataset.from_tensor_slices(real).batch(16), return_dict=True,
                        verbose=0)

    gan.reset_metrics()  # the first batch of an evaluation draws these fakes
    fake = gan.generator(gan.evaluation_latent(16), training=False)
    real_scores = np.asarray(gan.discriminator(real, training=False))
    fake_scores = np.asarray(gan.discriminator(fake, training=False))
    assert logs["d_real_accuracy"] == pytest.approx(np.mean(real_scores > threshold))
    assert logs["d_fake_accuracy"] == pytest.approx(np.mean(fake_scores <= threshold))
    d_loss = ganzoo.losses.get_loss_pair(loss)[0](real_scores, fake_scores, label_smoothing)
    assert logs["d_loss"] == pytest.approx(float(d_loss), rel=1e-5)


def test_evaluation_fakes_are_fresh_per_batch_and_apart_from_the_training_noise():
    gan = _dcgan()
    gan.reset_metrics()
    first = gan.evaluation_latent(4)
    gan.evaluation_trackers["d_loss"].update_state(0.0)  # as after one evaluated batch
    second = gan.evaluation_latent(4)
    assert not np.allclose(first, second)
    for stream in range(3):
        assert not np.allclose(first, gan.sample_latent(4, noise_stream=stream))
    gan.evaluate(image_dataset(16, (8, 8, 1), 8), verbose=0)
    assert gan.generator_steps == 0  # the training noise (a function of the step) is untouched


def test_fit_with_validation_data_logs_val_metrics_without_touching_training_logs():
    data = image_dataset(32, (8, 8, 1), 8)
    held_out = image_dataset(16, (8, 8, 1), 8)
    plain, gan = _dcgan(), _dcgan()
    gan.set_weights(plain.get_weights())
    plain = plain.fit(data, epochs=2, verbose=0).history
    history = gan.fit(data, epochs=2, validation_data=held_out, verbose=0).history

    assert set(history) == {"d_loss", "g_loss", *(f"val_{key}" for key in EVALUATION_KEYS)}
    for key in ("d_loss", "g_loss"):
        np.testing.assert_allclose(history[key], plain[key], rtol=1e-6)
    # the last epoch's validation is an evaluation of the final weights
    final = gan.evaluate(held_out, return_dict=True, verbose=0)
    for key, value in final.items():
        assert history[f"val_{key}"][-1] == pytest.approx(value, rel=1e-6)


def test_discriminator_accuracies_rise_as_it_learns_to_tell_real_from_fake():
    gan = ganzoo.VanillaGAN(**POINTS_KWARGS, seed=0)
    # the generator stands still; the discriminator learns
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.Adam(0.01))
    far = np.random.default_rng(0).normal(4.0, 0.2, (64, 2)).astype("float32")
    real = tf.data.Dataset.from_tensor_slices(far).batch(16, drop_remainder=True)
    before = gan.evaluate(real, return_dict=True, verbose=0)
    history = gan.fit(real, epochs=8, validation_data=real, verbose=0).history
    after = gan.evaluate(real, return_dict=True, verbose=0)
    assert after["d_real_accuracy"] == 1.0 and after["d_fake_accuracy"] == 1.0
    assert (before["d_real_accuracy"], before["d_fake_accuracy"]) != (1.0, 1.0)
    assert after["d_loss"] < before["d_loss"]
    assert len(set(history["val_d_loss"])) > 1


def test_cyclegan_evaluate_reports_each_domains_discriminator():
    cyc = ganzoo.CycleGAN(image_shape=(8, 8, 1), base_filters=4, residual_blocks=1, seed=0)
    cyc.compile()
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (4, 8, 8, 1)).astype("float32") for _ in range(2))
    pairs = tf.data.Dataset.zip(tuple(tf.data.Dataset.from_tensor_slices(x).batch(4)
                                      for x in (a, b)))
    logs = cyc.evaluate(pairs, return_dict=True, verbose=0)
    assert set(logs) == {"d_loss", *(f"d_{domain}_{name}" for domain in "ab"
                                     for name in ("loss", "real_accuracy", "fake_accuracy"))}
    assert logs["d_loss"] == pytest.approx(logs["d_a_loss"] + logs["d_b_loss"], rel=1e-5)
    # each discriminator judges its domain's real images and the translations into it
    for domain, discriminator, real, fake in (
            ("a", cyc.discriminator_a, a, cyc.generator_ba(b, training=False)),
            ("b", cyc.discriminator_b, b, cyc.generator_ab(a, training=False))):
        real_scores = np.asarray(discriminator(real, training=False))
        fake_scores = np.asarray(discriminator(fake, training=False))
        assert real_scores.shape[1:3] != (1, 1)  # PatchGAN: the accuracies count patches
        assert logs[f"d_{domain}_real_accuracy"] == pytest.approx(np.mean(real_scores > 0.5))
        assert logs[f"d_{domain}_fake_accuracy"] == pytest.approx(np.mean(fake_scores <= 0.5))
        loss = ganzoo.losses.least_squares_discriminator_loss(real_scores, fake_scores)
        assert logs[f"d_{domain}_loss"] == pytest.approx(float(loss), rel=1e-5)
    history = cyc.fit(pairs, epochs=1, validation_data=pairs, verbose=0).history
    assert {f"val_{key}" for key in logs} <= set(history)


# ------------------------------------------------------ EarlyStopping / ReduceLROnPlateau

class RisingGeneratorLoss(ganzoo.VanillaGAN):
    """A logged g_loss that rises by one per generator step (gradients unchanged)."""

    def generator_loss(self, fake_scores):
        return super().generator_loss(fake_scores) + tf.cast(self.g_optimizer.iterations,
                                                             tf.float32)


def test_early_stopping_on_g_loss_needs_no_mode_and_stops_when_it_stops_falling():
    gan = make_gan(RisingGeneratorLoss, POINTS_KWARGS)
    stop = keras.callbacks.EarlyStopping(monitor="g_loss", patience=0)
    history = gan.fit(image_dataset(32, (2,), 8), epochs=10, callbacks=[stop], verbose=0)
    assert history.epoch == [0, 1]  # epoch 1 did not improve on epoch 0


def test_early_stopping_infers_the_direction_of_validation_losses():
    gan = make_gan(ganzoo.VanillaGAN, POINTS_KWARGS)
    stop = keras.callbacks.EarlyStopping(monitor="val_d_loss", patience=10)
    data = image_dataset(16, (2,), 8)
    gan.fit(data, epochs=2, validation_data=data, callbacks=[stop], verbose=0)
    assert stop.monitor_op is not None and stop.best is not None


def test_reduce_lr_on_plateau_scales_both_learning_rates():
    gan = RisingGeneratorLoss(**POINTS_KWARGS, seed=0)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(4e-3))
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="g_loss", factor=0.5, patience=0)
    history = gan.fit(image_dataset(32, (2,), 8), epochs=3, callbacks=[reduce], verbose=0).history
    # no improvement after epoch 0: halved at the end of epochs 1 and 2
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-3 / 4)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(4e-3 / 4)
    np.testing.assert_allclose(history["learning_rate_g_optimizer"], [1e-3, 1e-3, 5e-4], rtol=1e-6)
    np.testing.assert_allclose(history["learning_rate_d_optimizer"], [4e-3, 4e-3, 2e-3], rtol=1e-6)
    with pytest.raises(AttributeError, match="two learning rates"):
        gan.optimizer.learning_rate  # noqa: B018


# ------------------------------------------------------------------ latents, interpolation

def test_generate_takes_the_users_latents():
    gan = _dcgan()
    z = np.random.default_rng(5).normal(size=(5, 8))
    out = gan.generate(latents=z, batch_size=2)
    np.testing.assert_allclose(out, gan.generator(z.astype("float32"), training=False), atol=1e-6)
    np.testing.assert_array_equal(gan.generate(5, latents=z, batch_size=2), out)
    np.testing.assert_array_equal(gan.generate(3, seed=9),
                                  gan.generate(latents=gan.prior_latents(3, 9)))


@pytest.mark.parametrize("call, message", [
    (dict(latents=np.zeros((3, 9))), r"latents must have shape \(n, 8\).*got shape \(3, 9\)"),
    (dict(latents=np.zeros(8)), r"got shape \(8,\)\. For one vector v, pass v\[None\]"),
    (dict(num=4, latents=np.zeros((3, 8))), r"num=4 but 3 latent vectors were given"),
    (dict(seed=1, latents=np.zeros((3, 8))), r"seed draws the latent vectors"),
    (dict(), r"generate needs num .* or latents"),
    (dict(latents=np.full((1, 8), np.nan)), r"NaN"),
])
def test_generate_rejects_latents_that_do_not_fit_by_name(call, message):
    with pytest.raises(ValueError, match=message):
        _dcgan().generate(**call)


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_interpolate_ends_at_the_seeds_samples(cls, kwargs):
    gan = make_gan(cls, kwargs)
    strip = gan.interpolate(3, 4, steps=5)
    assert strip.shape == (5, *gan.data_shape)
    np.testing.assert_allclose(strip[0], gan.generate(1, seed=3)[0], atol=1e-5)
    np.testing.assert_allclose(strip[-1], gan.generate(1, seed=4)[0], atol=1e-5)
    assert not np.allclose(strip[2], strip[0]) and not np.allclose(strip[2], strip[-1])


def _identity_gan(latent_dim):
    z = keras.Input((latent_dim,))
    generator = keras.Model(z, keras.layers.Identity()(z))
    discriminator = ganzoo.nets.mlp_discriminator((latent_dim,), (4,))
    return ganzoo.GAN(generator, discriminator, seed=0)


def test_interpolate_walks_the_sphere_not_the_chord():
    gan = _identity_gan(64)  # its samples are its latents
    a, b = gan.prior_latents(1, 3)[0], gan.prior_latents(1, 4)[0]
    path = gan.interpolate(3, 4, steps=9)
    np.testing.assert_allclose(path, slerp(a, b, np.linspace(0, 1, 9)), atol=1e-6)
    shortest = min(np.linalg.norm(a), np.linalg.norm(b))
    # 64-dim Gaussians are near-orthogonal: the chord's midpoint is ~0.7 as long
    assert np.linalg.norm((a + b) / 2) < 0.85 * shortest
    assert np.all(np.linalg.norm(path, axis=1) > 0.95 * shortest)


def test_slerp_keeps_the_norm_and_turns_at_a_constant_rate():
    rng = np.random.default_rng(0)
    a, b = (v / np.linalg.norm(v) * 3.0 for v in rng.normal(size=(2, 16)))
    t = np.linspace(0, 1, 7)
    path = slerp(a, b, t).astype("float64")
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 3.0, rtol=1e-6)
    along = path @ a / 3.0
    across = np.linalg.norm(path - np.outer(along, a / 3.0), axis=1)
    angle = np.arctan2(across, along)
    np.testing.assert_allclose(angle, t * angle[-1], atol=1e-5)
    np.testing.assert_allclose(slerp(a, a, t), np.tile(a, (7, 1)), rtol=1e-6)  # no arc: a itself


@pytest.mark.parametrize("arguments, message", [
    (dict(steps=1), "steps must be an integer of at least 2"),
    (dict(steps=2.5), "steps must be an integer of at least 2"),
    (dict(space="w"), r"interpolates in latent space 'z'; got space='w'"),
])
def test_interpolate_rejects_bad_arguments_by_name(arguments, message):
    with pytest.raises(ValueError, match=message):
        _dcgan().interpolate(0, 1, **arguments)


# ------------------------------------------------------------------------- empty data

def _empty(shape):
    return tf.data.Dataset.from_tensor_slices(np.zeros((0, *shape), "float32")).batch(8)


def _none(batch):
    return tf.constant(False)


def _all(batch):
    return tf.constant(True)


@pytest.mark.parametrize("make, message", [
    # known to be empty: refused before training
    (lambda: _empty((8, 8, 1)), "^The training data yields no batch: it is empty"),
    (lambda: image_dataset(5, (8, 8, 1), 8),
     "^The training data .* fewer samples than one batch of 8"),
    # unknown length: only running it tells
    (lambda: image_dataset(16, (8, 8, 1), 8).filter(_none),
     "fit ran no training step: .* yields no batch"),
])
def test_fit_on_data_that_yields_no_batch_is_an_error(make, message):
    gan = _dcgan()
    dataset = make()
    with pytest.raises(DataError, match=message) as error:
        gan.fit(dataset, epochs=2, verbose=0)
    assert isinstance(error.value, ValueError)
    assert gan.generator_steps == 0


def test_the_failed_step_at_the_end_of_a_dataset_of_unknown_length_does_not_count():
    # Each epoch ends with a step on the exhausted iterator; its ops that do not need the
    # batch (optimizer step counters, batch-norm statistics) must not run either.
    gan = _dcgan()
    gan.fit(image_dataset(16, (8, 8, 1), 8).filter(_all), epochs=3, verbose=0)
    assert gan.generator_steps == 6 and updates_applied(gan.d_optimizer) == 6
    cyc = ganzoo.CycleGAN(image_shape=(8, 8, 1), base_filters=4, residual_blocks=1, seed=0)
    cyc.compile()
    images = image_dataset(8, (8, 8, 1), 4)
    cyc.fit(tf.data.Dataset.zip((images, images)).filter(lambda a, b: True), epochs=2,
            verbose=0)
    assert cyc.generator_steps == 4 and updates_applied(cyc.d_optimizer) == 4


def test_empty_validation_or_evaluation_data_is_an_error():
    gan = _dcgan()
    with pytest.raises(DataError, match="validation_data yields no batch"):
        gan.fit(image_dataset(8, (8, 8, 1), 8), validation_data=_empty((8, 8, 1)), verbose=0)
    with pytest.raises(DataError, match="evaluation data yields no batch"):
        gan.evaluate(image_dataset(4, (8, 8, 1), 8), verbose=0)
