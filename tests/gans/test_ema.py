"""Generator EMA: the closed form, the warm-up, skipped steps, saving and sampling."""

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo import runs, zoo
from ganzoo.gans import ema
from ganzoo.images import save_samples
from helpers import image_dataset, weight_arrays

STEPS = 6
CASES = [
    pytest.param(ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,)),
                 id="vanilla"),
    pytest.param(ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8),
                 id="dcgan-batch-norm"),
    pytest.param(ganzoo.WGANGP, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,),
                                     n_critic=2), id="wgangp"),
]
DCGAN_KWARGS = dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8)


class RecordGenerator(keras.callbacks.Callback):
    """The generator's weights after every step (one step per call)."""

    def __init__(self):
        super().__init__()
        self.weights, self.steps = [], []

    def on_train_begin(self, logs=None):
        self.weights.append(self.model.generator.get_weights())
        self.steps.append(self.model.generator_steps)

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append(self.model.generator.get_weights())
        self.steps.append(self.model.generator_steps)


def _train(cls, kwargs, steps=STEPS, g_optimizer=None, **ema_arguments):
    gan = cls(**kwargs, seed=0, **ema_arguments)
    gan.compile(g_optimizer=g_optimizer or keras.optimizers.SGD(0.05),
                d_optimizer=keras.optimizers.SGD(0.05))
    record = RecordGenerator()
    data = np.random.default_rng(1).uniform(-1, 1, (8 * steps, *gan.data_shape))
    gan.fit(data.astype("float32"), batch_size=8, epochs=1, verbose=0, shuffle=False,
            callbacks=[record])
    return gan, record


def _trainable(network):
    return np.array([w.trainable for w in network.weights])


def _average(recorded, decays, trainable):
    """The recursion ema_t = beta_t ema_{t-1} + (1 - beta_t) w_t from ema_0 = w_0, in
    float64; non-trainable weights are the last generator's."""
    average = [np.asarray(w, np.float64) for w in recorded[0]]
    for weights, decay in zip(recorded[1:], decays, strict=True):
        average = [decay * a + (1 - decay) * w if train else np.asarray(w, np.float64)
                   for a, w, train in zip(average, weights, trainable)]
    return average


def _assert_weights_close(network, expected, atol=1e-6):
    actual = network.get_weights()
    assert len(actual) == len(expected)
    for index, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, rtol=0, atol=atol, err_msg=f"weight {index}")


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_after_n_steps_with_constant_decay_the_average_is_the_closed_form(cls, kwargs):
    decay = 0.8
    gan, record = _train(cls, kwargs, ema_decay=decay)
    assert record.steps == list(range(STEPS + 1))
    w = [[np.asarray(a, np.float64) for a in weights] for weights in record.weights]
    trainable = _trainable(gan.generator)
    assert trainable.any()
    # ema_n = d^n w_0 + (1 - d) sum_{k=1..n} d^(n-k) w_k
    closed_form = [decay**STEPS * w[0][i] + (1 - decay) * sum(
        decay**(STEPS - k) * w[k][i] for k in range(1, STEPS + 1)) for i in range(len(w[0]))]
    for index, train in enumerate(trainable):
        if train:
            np.testing.assert_allclose(gan.generator_ema.get_weights()[index], closed_form[index],
                                       rtol=0, atol=1e-6, err_msg=f"weight {index}")
        else:  # batch-norm statistics: copied from the generator, not averaged
            np.testing.assert_array_equal(gan.generator_ema.get_weights()[index],
                                          record.weights[-1][index])
    # the average is not the last generator: the test would see an update order mistake
    moved = max(np.abs(a - b).max() for a, b, t in zip(
        gan.generator_ema.get_weights(), record.weights[-1], trainable) if t)
    assert moved > 1e-4


def test_the_average_starts_as_the_generator_and_is_not_trained():
    gan = ganzoo.DCGAN(**DCGAN_KWARGS, ema_decay=0.999, seed=0)
    assert gan.generator_ema is not gan.generator
    assert gan.generator_ema.trainable_weights == []
    for a, b in zip(gan.generator_ema.get_weights(), gan.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    gan.compile()
    assert not {id(v) for v in gan.generator_ema.weights} & {id(v) for v in gan.trainable_variables}
    assert ganzoo.DCGAN(**DCGAN_KWARGS, seed=0).generator_ema is None  # off by default


def test_the_warm_up_caps_the_half_life_at_a_fraction_of_the_steps_so_far():
    decay, warmup = 0.9, 2.0
    gan, record = _train(ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4,
                                                  hidden_units=(16,)),
                         ema_decay=decay, ema_warmup=warmup)
    # StyleGAN2-ADA's ramp: the half-life is at most 2 * (steps before the update),
    # beta = 0.5 ** (1 / half-life): 0 (a copy), 0.71, 0.84, 0.89, then d = 0.9 (the
    # half-life of 0.9 is 6.6 steps).
    decays = [min(decay, 0.5 ** (1 / (warmup * s))) if s else 0.0 for s in range(STEPS)]
    np.testing.assert_allclose(decays, [0, 0.7071, 0.8409, 0.8909, 0.9, 0.9], atol=1e-4)
    expected = _average(record.weights, decays, _trainable(gan.generator))
    _assert_weights_close(gan.generator_ema, expected)
    # without the warm-up it would be far from this (the constant decay keeps more of w_0)
    constant = _average(record.weights, [decay] * STEPS, _trainable(gan.generator))
    assert max(np.abs(a - b).max() for a, b in zip(expected, constant)) > 1e-3


def test_decay_at_follows_the_half_life_ramp():
    values = [float(ema.decay_at(0.999, 0.05, s)) for s in (0, 1, 20, 692, 13_860, 10**6)]
    half_life = np.log(0.5) / np.log(0.999)  # 692.8 steps
    assert values[0] == 0.0
    np.testing.assert_allclose(values[1:4], [0.5 ** (1 / 0.05), 0.5, 0.5 ** (1 / 34.6)],
                               rtol=1e-5)
    assert values[4] == pytest.approx(0.999, abs=1e-6) and 0.05 * 13_860 > half_life
    assert values[5] == np.float32(0.999)
    assert float(ema.decay_at(0.999, None, 0)) == np.float32(0.999)  # no warm-up: constant


def test_steps_the_loss_scale_optimizer_skips_leave_the_average_unchanged():
    # A huge initial loss scale overflows float16 gradients: the first steps are skipped
    # (no generator step counted) while the scale halves, then steps apply.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        g_optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.05),
                                                          initial_scale=2.0**24)
        gan, record = _train(ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4,
                                                      hidden_units=(16,)),
                             steps=14, g_optimizer=g_optimizer, ema_decay=0.8)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    applied = np.diff(record.steps)
    assert 0 in applied and 1 in applied  # some skipped, some applied
    decays = [0.8 if step else 1.0 for step in applied]
    expected = _average(record.weights, decays, _trainable(gan.generator))
    _assert_weights_close(gan.generator_ema, expected, atol=1e-5)


@pytest.mark.parametrize("arguments, message", [
    (dict(ema_decay=1.0), "ema_decay must be a number in"),
    (dict(ema_decay=-0.1), "ema_decay must be a number in"),
    (dict(ema_decay="0.999"), "ema_decay must be a number in"),
    (dict(ema_decay=0.99, ema_warmup=0.0), "ema_warmup must be a positive number"),
    (dict(ema_warmup=0.05), "ema_warmup needs a generator EMA"),
])
def test_bad_ema_arguments_are_refused_by_name(arguments, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.DCGAN(**DCGAN_KWARGS, **arguments)


# --------------------------------------------------------------------- using it

@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    gan = ganzoo.DCGAN(**DCGAN_KWARGS, ema_decay=0.9, ema_warmup=0.5, seed=0)
    gan.compile()
    gan.fit(image_dataset(48, (8, 8, 1), 8), epochs=1, verbose=0)
    return gan


def test_generate_call_and_interpolate_use_the_average_unless_told_otherwise(trained):
    z = trained.prior_latents(6, seed=1)
    averaged = np.asarray(trained.generator_ema(z, training=False))
    raw = np.asarray(trained.generator(z, training=False))
    assert np.abs(averaged - raw).max() > 1e-3
    np.testing.assert_allclose(trained.generate(latents=z), averaged, atol=1e-6)
    np.testing.assert_allclose(trained.generate(latents=z, use_ema=False), raw, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(trained(z)), averaged, atol=1e-6)
    np.testing.assert_allclose(trained.predict(z, verbose=0), averaged, atol=1e-6)
    ends = trained.interpolate(3, 7, steps=4, use_ema=False)[[0, -1]]
    np.testing.assert_allclose(ends[0], trained.generate(1, seed=3, use_ema=False)[0], atol=1e-6)
    np.testing.assert_allclose(trained.interpolate(3, 7, steps=4)[0],
                               trained.generate(1, seed=3)[0], atol=1e-6)
    assert trained.inference_generator() is trained.generator_ema
    assert trained.inference_generator(use_ema=False) is trained.generator


def test_evaluation_judges_the_raw_generators_fakes(trained):
    # test_step measures D against what it trains on: the raw generator. Scrambling
    # the average changes nothing there.
    real = image_dataset(16, (8, 8, 1), 8)
    before = trained.evaluate(real, verbose=0, return_dict=True)
    saved = trained.generator_ema.get_weights()
    try:
        trained.generator_ema.set_weights([5.0 * w for w in saved])
        assert trained.evaluate(real, verbose=0, return_dict=True) == before
    finally:
        trained.generator_ema.set_weights(saved)


def test_progress_pictures_show_the_average(trained, tmp_path):
    grid = ganzoo.callbacks.SampleGrid(tmp_path / "samples", num=4)
    grid.set_model(trained)
    grid.draw(tmp_path / "grid.png")
    save_samples(trained.generate(4, seed=0), tmp_path / "ema.png", None, 4)
    save_samples(trained.generate(4, seed=0, use_ema=False), tmp_path / "raw.png", None, 4)
    picture = (tmp_path / "grid.png").read_bytes()
    assert picture == (tmp_path / "ema.png").read_bytes() != (tmp_path / "raw.png").read_bytes()


def test_run_folders_save_and_restore_the_average(trained, tmp_path):
    runs.save_run(trained, tmp_path, config={"name": "x"})
    assert any(key.startswith("generator_ema/") for key in weight_arrays(tmp_path / "gan.weights.h5"))
    loaded = runs.load_run(tmp_path)
    assert (loaded.ema_decay, loaded.ema_warmup) == (0.9, 0.5)
    for a, b in zip(loaded.generator_ema.get_weights(), trained.generator_ema.get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.generate(5, seed=2), trained.generate(5, seed=2))
    np.testing.assert_array_equal(loaded.generate(5, seed=2, use_ema=False),
                                  trained.generate(5, seed=2, use_ema=False))
    # generator.keras is the generator to use, the average; metadata says so
    assert runs.read_metadata(tmp_path)["generator_keras"] == "ema"
    z = trained.prior_latents(4, seed=0)
    alone = runs.load_generator(tmp_path)
    np.testing.assert_allclose(alone(z), trained.generator_ema(z, training=False), atol=1e-6)
    raw = runs.load_generator(tmp_path, use_ema=False)
    np.testing.assert_allclose(raw(z), trained.generator(z, training=False), atol=1e-6)


def test_a_run_without_ema_records_a_raw_generator_keras(tmp_path):
    gan = ganzoo.DCGAN(**DCGAN_KWARGS, seed=0)
    gan.compile()
    runs.save_run(gan, tmp_path)
    assert runs.read_metadata(tmp_path)["generator_keras"] == "raw"
    assert not any(k.startswith("generator_ema") for k in weight_arrays(tmp_path / "gan.weights.h5"))


def test_a_keras_file_of_the_whole_gan_keeps_the_average(trained, tmp_path):
    assert {"ema_decay": 0.9, "ema_warmup": 0.5}.items() <= trained.get_config().items()
    trained.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras")
    assert (loaded.ema_decay, loaded.ema_warmup) == (0.9, 0.5)
    np.testing.assert_array_equal(loaded.generate(5, seed=4), trained.generate(5, seed=4))


def test_zoo_entries_take_ema_arguments_and_weights_files_hold_both_generators(trained, tmp_path):
    config = zoo.get_entry("dcgan-digits")
    config["model"].update(ema_decay=0.999, ema_warmup=0.05)
    built = zoo.build_gan(config, seed=0)
    assert (built.ema_decay, built.ema_warmup) == (0.999, 0.05)

    digest = zoo.pretrained.save_weights(trained, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz") as archive:
        assert {key.split("/")[0] for key in archive.files} == {"generator", "generator_ema"}
    fresh = ganzoo.DCGAN(**DCGAN_KWARGS, ema_decay=0.9, ema_warmup=0.5, seed=1)
    zoo.pretrained.load_weights(fresh, tmp_path / "w.npz", digest)
    np.testing.assert_array_equal(fresh.generate(3, seed=0), trained.generate(3, seed=0))
    np.testing.assert_array_equal(fresh.generate(3, seed=0, use_ema=False),
                                  trained.generate(3, seed=0, use_ema=False))


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_every_latent_variant_takes_the_ema_arguments(cls, kwargs):
    assert {"ema_decay", "ema_warmup"} <= zoo.entries.yaml_arguments(cls)
    gan = cls(**kwargs, ema_decay=0.99)
    assert gan.generator_ema is not None and gan.get_config()["ema_decay"] == 0.99
    assert "ema_decay" not in zoo.entries.yaml_arguments(ganzoo.CycleGAN)


def test_the_update_is_compiled_into_the_step_and_works_with_several_steps_per_call():
    kwargs = dict(data_shape=(2,), latent_dim=4, hidden_units=(16,))
    data = np.random.default_rng(1).uniform(-1, 1, (48, 2)).astype("float32")
    averages = []
    for steps_per_execution in (1, 3):
        keras.utils.set_random_seed(0)  # the same initial weights
        gan = ganzoo.VanillaGAN(**kwargs, ema_decay=0.7, ema_warmup=0.5, seed=0)
        gan.compile(g_optimizer=keras.optimizers.SGD(0.05),
                    d_optimizer=keras.optimizers.SGD(0.05),
                    steps_per_execution=steps_per_execution)
        gan.fit(data, batch_size=8, epochs=1, verbose=0, shuffle=False)
        averages.append(gan.generator_ema.get_weights())
    for a, b in zip(*averages, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_eval_of_2d_points_measures_the_average_unless_told_raw(monkeypatch):
    from ganzoo.metrics import mixture_table
    from ganzoo.metrics.model_report import evaluate_model

    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=4, hidden_units=(16,), ema_decay=0.9,
                            seed=0)
    gan.generator_ema.set_weights([0.5 * w for w in gan.generator.get_weights()])
    measured, original = [], mixture_table.mixture_mode_metrics
    monkeypatch.setattr(mixture_table, "mixture_mode_metrics",
                        lambda samples, *args: measured.append(samples) or original(samples, *args))
    for use_ema in (True, False):
        measured.clear()
        _, report = evaluate_model(gan, "ring8", num=50, use_ema=use_ema)
        assert report["protocol"]["generator_weights"] == ("ema" if use_ema else "raw")
        np.testing.assert_array_equal(measured[0], gan.generate(50, seed=0, use_ema=use_ema))
    assert not np.allclose(gan.generate(50, seed=0), gan.generate(50, seed=0, use_ema=False))


def test_quality_metrics_during_training_measure_the_average(trained, monkeypatch):
    from ganzoo.metrics import evaluate

    sampled_from, original = [], evaluate.gan_batches

    def recording(model, *args, **kwargs):
        batches = list(original(model, *args, **kwargs))
        sampled_from.append(np.concatenate(batches))
        return iter(batches)

    monkeypatch.setattr(evaluate, "gan_batches", recording)
    real, labels = ganzoo.data.load_arrays("digits", 8, split="test")
    callback = ganzoo.callbacks.QualityMetrics(real[:50], labels[:50], metrics=("fid",), every=1,
                                               num=20)
    callback.set_model(trained)
    callback.on_train_begin()
    logs = {}
    callback.on_epoch_end(0, logs)
    np.testing.assert_allclose(sampled_from[0], trained.generate(20, seed=callback.seed),
                               atol=1e-6)
    assert not np.allclose(sampled_from[0], trained.generate(20, seed=callback.seed,
                                                             use_ema=False), atol=1e-3)
    assert np.isfinite(logs["fid"])
