"""Anomaly detectors export their scorer (images -> scores) to ONNX and TFLite.

Every detector is fitted for one epoch on 48 real digits (8x8), exported once, and its
artifacts score the held-out digits: they must give `detector.score`, and each paper's
formula recomputed here from the detector's networks (so a wrong score definition fails
here too, not only a wrong export).
"""

import functools
import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

import ganzoo.export as export
from ganzoo import anomaly
from ganzoo.anomaly import protocol
from ganzoo.anomaly.scoring import scoring_model
from ganzoo.export import export_detector, runtime, score_parity
from ganzoo.export.cli import main
from without_tensorflow import run_without_tensorflow

SIZE = 8  # the digits' own size: no resizing, the smallest networks
SHAPE = (SIZE, SIZE, 1)
# One epoch of three batches each. kappa 2: a score that dropped kappa, or its term, differs.
DETECTORS = {
    "GANomaly": dict(latent_dim=8, base_filters=4),
    "FAnoGAN": dict(latent_dim=8, base_filters=4, n_critic=2, kappa=2.0),
    "PCA": dict(components=5),
    "ConvAutoencoder": dict(latent_dim=8, base_filters=4),
    "DiscriminatorLogit": dict(latent_dim=8, base_filters=4),
}
FILES = {"onnx": "scorer.onnx", "tflite": "scorer_float32.tflite"}


@functools.cache
def task():
    """The digits task with 1 as the anomaly; 48 normal images to learn from."""
    full = protocol.digits_task(anomaly_class=1, image_size=SIZE)
    return protocol.Task(full.name, full.normal[:48], full.images, full.is_anomaly)


@functools.cache
def fitted(name):
    keras.utils.set_random_seed(0)
    detector = anomaly.get_detector(name)(image_shape=SHAPE, seed=0, **DETECTORS[name])
    return detector.fit(task().normal, epochs=None if name == "PCA" else 1, batch_size=16)


@functools.cache
def exported(name, folder):
    """(export folder, manifest) of a detector's float32 scorer, exported once."""
    out = Path(folder) / name
    manifest = export_detector(fitted(name), out, "onnx,tflite", "none", images=task())
    return out, manifest


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("detector-exports"))
    return lambda name: exported(name, folder)


def formula(name, detector, images):
    """Each paper's score from the detector's networks, in NumPy (float64)."""
    def run(network, x):
        return np.asarray(network(x, training=False), np.float64)

    x = images.astype(np.float64)
    if name == "GANomaly":
        latent_in = run(detector.encoder, images)
        latent_out = run(detector.encoder_2, run(detector.decoder, latent_in).astype(np.float32))
        return np.mean((latent_in - latent_out) ** 2, axis=1)
    if name == "FAnoGAN":
        reconstruction = run(detector.generator, run(detector.encoder, images).astype(np.float32))
        head = detector.critic.get_layer("logit")
        features = keras.Model(detector.critic.input, head.input)
        feature_residual = np.mean(
            (run(features, images) - run(features, reconstruction.astype(np.float32))) ** 2, 1)
        return (np.mean((x - reconstruction) ** 2, axis=(1, 2, 3))
                + detector.kappa * feature_residual)
    if name == "PCA":
        flat = x.reshape(len(x), -1)
        centred = flat - detector.mean
        return np.mean((centred - centred @ detector.basis.T @ detector.basis) ** 2, axis=1)
    if name == "ConvAutoencoder":
        reconstruction = run(detector.decoder, run(detector.encoder, images).astype(np.float32))
        return np.mean((x - reconstruction) ** 2, axis=(1, 2, 3))
    return -run(detector.gan.discriminator, images).reshape(-1)


def _relative_max_error(scores, reference):
    return np.max(np.abs(np.asarray(scores, np.float64) - reference)) / np.std(reference)


@pytest.mark.parametrize("name", DETECTORS)
def test_the_scoring_model_gives_the_detectors_score_and_its_formula(name):
    detector, images = fitted(name), task().images
    reference = detector.score(images)
    assert np.std(reference) > 0 and np.all(np.isfinite(reference))
    scores = np.asarray(scoring_model(detector)(images), np.float64)
    assert scores.shape == (len(images),)
    # float32 rounding against the detector's own (PCA scores in float64)
    assert _relative_max_error(scores, reference) < 1e-5
    assert _relative_max_error(reference, formula(name, detector, images)) < 1e-5


@pytest.mark.parametrize("fmt", FILES)
@pytest.mark.parametrize("name", DETECTORS)
def test_exported_float32_scores_match_the_detector(exports, name, fmt):
    folder, manifest = exports(name)
    detector = fitted(name)
    # the test digits (normal and anomalous) and normal training digits
    images = np.concatenate([task().images, task().normal])
    reference = detector.score(images)
    scores = runtime.load(folder / FILES[fmt], threads=1)(images)
    assert scores.shape == (len(images),)
    assert _relative_max_error(scores, reference) <= score_parity.MAX_ABS["float32"]
    assert _relative_max_error(scores, formula(name, detector, images)) <= 1e-4
    record = next(r for r in manifest["artifacts"] if r["file"] == FILES[fmt])
    facts = record["parity"]
    assert facts["passed"] and facts["relative_max_abs_diff"] <= 1e-4
    assert facts["auroc"] == pytest.approx(facts["auroc_keras"], abs=1e-3)
    assert facts["auroc_keras"] == pytest.approx(
        protocol.auroc(task().is_anomaly, detector.score(task().images)))


def test_the_manifest_describes_a_scorer(exports):
    folder, manifest = exports("GANomaly")
    assert manifest["passed"]
    assert manifest["scorer"]["detector"] == "GANomaly"
    assert manifest["scorer"]["score"] == "latent distance"
    assert manifest["input"] == {**manifest["input"], "name": "image", "shape": [None, *SHAPE],
                                 "range": [-1.0, 1.0]}
    assert manifest["output"]["shape"] == [None]
    assert manifest["parity_inputs"] == {"images": 360, "range": [-1.0, 1.0],
                                         "task": "digits, anomaly 1", "anomalous": 36}
    normal = fitted("GANomaly").score(task().normal)
    quantiles = manifest["scorer"]["normal_scores"]
    assert quantiles["images"] == 48 and quantiles["max"] == pytest.approx(normal.max())
    assert quantiles["q99"] == pytest.approx(np.quantile(normal, 0.99))
    assert runtime.verify(folder)["scorer"]["detector"] == "GANomaly"  # as written


# Scores on a device: the runtime alone, TensorFlow and Keras absent.
SCRIPT = """
    import numpy as np
    import runtime
    folder, out = sys.argv[1], sys.argv[2]
    images = np.load(out + "/images.npy")
    np.save(out + "/folder.npy", runtime.Scorer(folder, threads=1).score(images))
    np.save(out + "/tflite.npy",
            runtime.Scorer(folder + "/scorer_float32.tflite", threads=1).score(images))
    assert "tensorflow" not in sys.modules and "keras" not in sys.modules
    print("ok")
"""


def test_the_runtime_file_alone_scores_images_without_tensorflow(exports, tmp_path):
    folder, _ = exports("FAnoGAN")
    board = tmp_path / "board"
    board.mkdir()
    shutil.copy(runtime.__file__, board / "runtime.py")  # the one file, as onto a device
    images = task().images[:37]
    np.save(tmp_path / "images.npy", images)
    result = run_without_tensorflow(SCRIPT, [folder, tmp_path], board)
    assert result.returncode == 0 and result.stdout.startswith("ok"), result.stderr[-2000:]
    reference = fitted("FAnoGAN").score(images)
    for name in ("folder", "tflite"):
        scores = np.load(tmp_path / f"{name}.npy")
        assert scores.dtype == np.float64
        assert _relative_max_error(scores, reference) <= 1e-4


def test_the_scorer_refuses_images_it_cannot_score_and_generator_exports(exports, tmp_path):
    folder, _ = exports("PCA")
    scorer = runtime.Scorer(folder)
    assert scorer.artifact.path.name == "scorer.onnx" and scorer.image_shape == SHAPE
    images = task().images[:4]
    assert scorer.score(images[:0]).shape == (0,)
    with pytest.raises(ValueError, match="images\\[np.newaxis\\]"):
        scorer.score(images[0])
    with pytest.raises(ValueError, match="outside \\[-1, 1\\].*127.5"):
        scorer.score((images + 1) * 127.5)
    with pytest.raises(ValueError, match="uint8 values"):
        scorer.score(np.zeros((2, *SHAPE), np.uint8))
    generator_export = tmp_path / "generator"
    generator_export.mkdir()
    (generator_export / runtime.MANIFEST_FILE).write_text(json.dumps({"artifacts": []}))
    with pytest.raises(ValueError, match="generator's export, not an anomaly detector's"):
        runtime.Scorer(generator_export)


def test_a_detector_run_folder_exports_through_the_cli(tmp_path, capsys):
    detector = fitted("ConvAutoencoder")
    config = {"name": "tiny-autoencoder", "detector": "ConvAutoencoder",
              "model": {"image_shape": list(SHAPE), **DETECTORS["ConvAutoencoder"]},
              "data": {"source": "digits", "anomaly_class": 1, "batch_size": 16},
              "training": {"epochs": 1, "seed": 0}}
    run = detector.save(tmp_path / "run", config=config)
    out = tmp_path / "export"
    assert main([str(run), "--formats", "onnx,tflite", "--quantize", "none,int8", "--out",
                 str(out), "--bench", "--batch-sizes", "1", "--runs", "3", "--warmup", "1",
                 "--threads", "1", "--calibration-samples", "32"]) in (0, 1)
    printed = capsys.readouterr().out
    assert "ConvAutoencoder scorer: images -> reconstruction error" in printed
    assert "360 test images of the task 'digits, anomaly 1'" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"] == {**manifest["source"], "type": "run", "run": str(run),
                                  "entry": "tiny-autoencoder", "detector": "ConvAutoencoder"}
    records = {r["file"]: r for r in manifest["artifacts"]}
    assert sorted(records) == ["scorer.onnx", "scorer_float32.tflite", "scorer_int8.onnx",
                               "scorer_int8.tflite"]
    assert records["scorer.onnx"]["parity"]["passed"]
    assert records["scorer_float32.tflite"]["parity"]["passed"]
    # int8 calibrates on the task's normal images and is judged on order and AUROC
    int8 = records["scorer_int8.tflite"]
    assert int8["calibration"]["of"] == "the normal images the detector learnt from"
    assert int8["calibration"]["samples"] == 32
    assert "rank correlation" in int8["parity"]["rule"] and "AUROC" in int8["parity"]["rule"]
    assert {row["name"] for row in manifest["latency"]["rows"]} >= {
        "scorer.onnx", "scorer_float32.tflite", "tf.function"}
    images = task().images
    scores = runtime.Scorer(out / "scorer_float32.tflite").score(images)
    assert _relative_max_error(scores, detector.score(images)) <= 1e-4


def test_a_detector_zoo_entry_exports_its_scorer(tmp_path, monkeypatch, capsys):
    # The zoo resolves names (ganzoo.zoo.load gives an entry's fitted detector); here a
    # stand-in entry, so the test needs no shipped detector weights.
    from ganzoo import zoo

    config = {"name": "pca-tiny", "detector": "PCA", "model": {"image_shape": list(SHAPE)},
              "data": {"source": "digits", "anomaly_class": 1}, "training": {"seed": 0}}
    monkeypatch.setattr(zoo, "get_entry", lambda name: dict(config), raising=False)
    monkeypatch.setattr(zoo, "load", lambda name, pretrained=True: fitted("PCA"), raising=False)
    out = tmp_path / "pca"
    assert main(["pca-tiny", "--formats", "onnx", "--quantize", "none", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"] == {**manifest["source"], "type": "entry", "entry": "pca-tiny",
                                  "detector": "PCA", "task": "digits, anomaly 1"}
    assert manifest["artifacts"][0]["parity"]["passed"]
    assert main(["pca-tiny", "--untrained", "--out", str(tmp_path / "u")]) == 2
    assert "--untrained does not apply" in capsys.readouterr().err


def test_score_parity_fails_wrong_scores_and_a_lost_auroc():
    detector, flags = fitted("GANomaly"), task().is_anomaly
    reference = detector.score(task().images)
    std = np.std(reference)
    wrong = {"zero": np.zeros_like(reference),
             "constant": np.full_like(reference, reference.mean()),
             "shuffled": np.roll(reference, 1),
             # the reconstruction error where the latent distance belongs
             "other score": fitted("ConvAutoencoder").score(task().images)}
    for precision in [*score_parity.MAX_ABS, *score_parity.QUANTIZED]:
        assert score_parity.compare(reference, reference, precision, flags)["passed"]
        for kind, scores in wrong.items():
            facts = score_parity.compare(scores, reference, precision, flags)
            assert not facts["passed"], (precision, kind)
    # float32 and float16 are held score by score
    nudged = reference + 1e-3 * std * np.sign(np.sin(np.arange(len(reference))))
    assert not score_parity.compare(nudged, reference, "float32", flags)["passed"]
    assert score_parity.compare(nudged, reference, "float16", flags)["passed"]
    # small errors on the anomalies alone: MAE and order fine, the AUROC is lost
    lowered = reference - np.where(flags, 0.5 * std, 0.0)
    facts = score_parity.compare(lowered, reference, "int8", flags)
    assert facts["relative_mae"] <= 0.3 and facts["rank_correlation"] >= 0.95
    assert abs(facts["auroc_diff"]) > score_parity.MAX_AUROC_DIFF and not facts["passed"]
    assert score_parity.compare(lowered, reference, "int8")["passed"]  # no flags, no AUROC
    # in order, but shifted: a threshold from the Keras detector's scores would move
    facts = score_parity.compare(reference + 0.5 * std, reference, "int8", flags)
    assert facts["rank_correlation"] == pytest.approx(1.0) and facts["auroc_diff"] == 0.0
    assert not facts["passed"]


def test_score_parity_judges_the_order_of_heavy_tailed_scores():
    # A few far-off scores (anomalies often give them) inflate the std, so the bulk can
    # be scrambled within a small MAE: the rank correlation still sees it.
    rng = np.random.default_rng(0)
    reference = np.concatenate([rng.normal(size=350), np.full(10, 100.0)])
    scrambled = np.concatenate([rng.permutation(reference[:350]), reference[350:]])
    facts = score_parity.compare(scrambled, reference, "int8")
    assert facts["relative_mae"] <= 0.3 and facts["rank_correlation"] < 0.95
    assert not facts["passed"]


def test_export_detector_says_what_it_needs(tmp_path):
    with pytest.raises(ValueError, match="not an anomaly detector"):
        export_detector(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]),
                        tmp_path / "a", "onnx", "none")
    with pytest.raises(ValueError, match="has not been fitted"):
        export_detector(anomaly.PCA(image_shape=SHAPE), tmp_path / "b", "onnx", "none",
                        images=task())
    run = fitted("PCA").save(tmp_path / "run")  # saved from Python: no config.yaml, no task
    with pytest.raises(ValueError, match="needs images to calibrate and check it on"):
        export.export_generator(run, tmp_path / "c", "onnx", "none")
    with pytest.raises(ValueError, match="scores images of shape \\(N, 8, 8, 1\\)"):
        export_detector(run, tmp_path / "d", "onnx", "none", images=np.zeros((3, 16, 16, 1)))
    # images without flags: parity on them, no AUROC
    manifest = export_detector(run, tmp_path / "e", "onnx", "none", images=task().images)
    facts = manifest["artifacts"][0]["parity"]
    assert facts["passed"] and "auroc" not in facts and "AUROC" not in facts["rule"]
