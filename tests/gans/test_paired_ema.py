"""A generator EMA for the paired models (SRResNet, SRGAN, Pix2Pix): the closed form,
what `upscale` and `translate` run, run folders, weights files, and a generator started
from another entry."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.metrics.model_report import evaluate_model
from ganzoo.runs import load_run, save_run
from ganzoo.training.trainer import start_generator_from
from ganzoo.zoo.pretrained import load_weights, save_weights
from test_ema import RecordGenerator

TINY = dict(scale=4, residual_blocks=1, filters=8, batch_norm=False, upsampled_skip="bilinear")
STEPS = 4


def _pairs(num=4 * STEPS, size=16, scale=4):
    rng = np.random.default_rng(0)
    high = rng.uniform(-1, 1, (num, size, size, 3)).astype("float32")
    low = tf.image.resize(high, (size // scale, size // scale), "area").numpy()
    return low, high


def _trained(cls=ganzoo.SRResNet, decay=0.5, **kwargs):
    model = cls(**TINY, **kwargs, ema_decay=decay, seed=0)
    # Adam: each step moves every weight by about the rate, whatever the gradient's scale
    model.compile(g_optimizer=keras.optimizers.Adam(0.01),
                  d_optimizer=keras.optimizers.Adam(0.01))
    record = RecordGenerator()
    low, high = _pairs()
    model.fit(tf.data.Dataset.from_tensor_slices((low, high)).batch(4), epochs=1, verbose=0,
              callbacks=[record])
    return model, record, low


@pytest.fixture(scope="module")
def srresnet():
    return _trained()


def test_after_n_steps_the_average_is_the_closed_form(srresnet):
    model, record, _ = srresnet
    decay = 0.5
    assert record.steps == list(range(STEPS + 1))
    w = [[np.asarray(a, np.float64) for a in weights] for weights in record.weights]
    closed_form = [decay**STEPS * w[0][i] + (1 - decay) * sum(
        decay**(STEPS - k) * w[k][i] for k in range(1, STEPS + 1)) for i in range(len(w[0]))]
    for index, expected in enumerate(closed_form):
        np.testing.assert_allclose(model.generator_ema.get_weights()[index], expected,
                                   rtol=0, atol=1e-6, err_msg=f"weight {index}")
    moved = max(np.abs(a - b).max() for a, b in zip(model.generator_ema.get_weights(),
                                                     record.weights[-1]))
    assert moved > 1e-3  # the average is neither the last generator nor the first
    assert max(np.abs(a - b).max() for a, b in zip(model.generator_ema.get_weights(),
                                                    record.weights[0])) > 1e-3


def test_upscale_runs_the_average_unless_told_raw(srresnet):
    model, _, low = srresnet
    ema_out = model.generator_ema(low, training=False).numpy()
    raw_out = model.generator(low, training=False).numpy()
    assert np.abs(ema_out - raw_out).max() > 1e-3
    np.testing.assert_allclose(model.upscale(low), ema_out, atol=1e-6)
    np.testing.assert_allclose(model.upscale(low, use_ema=False), raw_out, atol=1e-6)
    assert model.inference_generator() is model.generator_ema


def test_run_folders_and_weights_files_keep_the_average(srresnet, tmp_path):
    model, _, low = srresnet
    restored = load_run(save_run(model, tmp_path / "run"))
    assert restored.ema_decay == 0.5 and restored.generator_ema is not None
    np.testing.assert_array_equal(restored.upscale(low), model.upscale(low))
    np.testing.assert_array_equal(restored.upscale(low, use_ema=False),
                                  model.upscale(low, use_ema=False))
    digest = save_weights(model, tmp_path / "w.npz")
    assert {key.split("/")[0] for key in np.load(tmp_path / "w.npz")} == {"generator",
                                                                          "generator_ema"}
    fresh = ganzoo.SRResNet(**TINY, ema_decay=0.5, seed=1)
    load_weights(fresh, tmp_path / "w.npz", digest)
    np.testing.assert_array_equal(fresh.upscale(low), model.upscale(low))


def test_a_pix2pix_translates_with_its_average():
    model = ganzoo.Pix2Pix(image_shape=(16, 16, 1), base_filters=4, ema_decay=0.5, seed=0)
    # Adam: each step moves every weight by about the rate, whatever the gradient's scale
    model.compile(g_optimizer=keras.optimizers.Adam(0.01),
                  d_optimizer=keras.optimizers.Adam(0.01))
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(-1, 1, (8, 16, 16, 1)).astype("float32") for _ in range(2))
    model.fit(tf.data.Dataset.from_tensor_slices((a, b)).batch(4), epochs=1, verbose=0)
    ema_out = model.generator_ema(a, training=False).numpy()
    assert np.abs(ema_out - model.generator(a, training=False).numpy()).max() > 1e-4
    np.testing.assert_allclose(model.translate(a), ema_out, atol=1e-6)
    assert model.get_config()["ema_decay"] == 0.5


def test_a_generator_started_from_another_entry_starts_its_average_there(srresnet,
                                                                         monkeypatch):
    source, _, low = srresnet
    monkeypatch.setattr(ganzoo.zoo, "load", lambda name: source)
    srgan = ganzoo.SRGAN(**TINY, patch_size=16, discriminator_filters=2, ema_decay=0.9, seed=3)
    start_generator_from(srgan, "srresnet-tiny", "srgan-tiny")
    wanted = source.upscale(low)  # the source's average
    np.testing.assert_array_equal(srgan.upscale(low), wanted)
    np.testing.assert_array_equal(srgan.upscale(low, use_ema=False), wanted)


def test_bad_ema_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="ema_decay must be a number in"):
        ganzoo.SRResNet(**TINY, ema_decay=1.5)
    with pytest.raises(ValueError, match="ema_warmup needs a generator EMA"):
        ganzoo.Pix2Pix(image_shape=(16, 16, 1), base_filters=4, ema_warmup=0.05)


def test_eval_on_the_command_line_takes_the_raw_generator_when_asked(srresnet, tmp_path):
    from ganzoo.cli import main

    model, _, _ = srresnet
    run = save_run(model, tmp_path / "run")
    reports = {}
    for flags in ([], ["--raw-generator"]):
        out = tmp_path / f"eval{len(flags)}.json"
        assert main(["eval", str(run), "--data", "sklearn_photos", "--json", str(out),
                     *flags]) == 0
        reports[tuple(flags)] = json.loads(out.read_text())
    averaged, raw = reports[()], reports[("--raw-generator",)]
    assert averaged["protocol"]["generator_weights"] == "ema"
    assert raw["protocol"]["generator_weights"] == "raw"
    _, direct = evaluate_model(model, "sklearn_photos", use_ema=False)
    assert raw["rows"][0]["metrics"]["psnr"] == pytest.approx(direct["rows"][0]["metrics"]["psnr"])
    assert averaged["rows"][0]["metrics"]["psnr"] != raw["rows"][0]["metrics"]["psnr"]
