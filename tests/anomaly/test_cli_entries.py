"""Anomaly detectors through the command line and the zoo: `ganzoo train` / `eval` /
`score` of a tiny detector entry, the errors a user meets, `ganzoo list`, `ganzoo.load`
of detector weights, and the model cards of detector entries."""

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml
from PIL import Image
from sklearn.metrics import average_precision_score, roc_auc_score

from ganzoo import anomaly, zoo
from ganzoo.anomaly import protocol
from ganzoo.cli import main
from ganzoo.zoo import pretrained
from ganzoo.zoo.cards import render_card

# A detector entry small enough to train in seconds: 8x8 digits, digit 0 the anomaly.
TINY = {"name": "tiny-ganomaly", "detector": "GANomaly",
        "model": {"image_shape": [8, 8, 1], "latent_dim": 8, "base_filters": 4},
        "data": {"source": "digits", "anomaly_class": 0, "batch_size": 64},
        "training": {"epochs": 2, "seed": 0}}
DETECTOR_ENTRIES = zoo.list_entries(kind="detector")
SHIPPED = [name for name in DETECTOR_ENTRIES if "pretrained" in zoo.get_entry(name)]


def write_config(folder, **changes):
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **changes}))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """(config file, run folder, `ganzoo train` output) of the tiny entry, trained once."""
    folder = tmp_path_factory.mktemp("tiny")
    config = write_config(folder)
    run_dir = folder / "run"
    out = io.StringIO()
    with _stdout(out):
        assert main(["train", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    return config, run_dir, out.getvalue()


def _stdout(stream):
    import contextlib

    return contextlib.redirect_stdout(stream)


def task_and_scores(run_dir):
    """The tiny entry's task and the run's scores of its test images, measured here
    without the command line."""
    task = protocol.digits_task(0, image_size=8)
    return task, anomaly.load(run_dir).score(task.images)


def write_digit_pngs(folder, count=6):
    """`count` test digits as 8x8 PNGs; returns the images read back by the project's
    reader (`ganzoo.images.read_images`), in file order."""
    from ganzoo.images import read_images

    images = protocol.digits_task(0, image_size=8).images[:count]
    pixels = np.round((images[..., 0] + 1) * 127.5).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"digit_{index}.png" for index in range(count)]
    for path, image in zip(paths, pixels):
        Image.fromarray(image).save(path)
    return read_images(paths, 8, 1)


# -- train, eval, score -------------------------------------------------------------------

def test_train_writes_a_detector_run_and_says_how_to_evaluate_it(tiny_run):
    _, run_dir, out = tiny_run
    for name in ("config.yaml", "detector.json", "detector.npz", "metadata.json"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "detector.json").read_text())["detector"] == "GANomaly"
    metadata = json.loads((run_dir / "metadata.json").read_text())
    assert metadata["training"]["epochs"] == 2 and metadata["task"] == "digits, anomaly 0"
    assert f"ganzoo eval {run_dir}" in out and f"ganzoo score {run_dir}" in out


def test_eval_reports_auroc_and_average_precision_of_the_run(tiny_run, tmp_path, capsys):
    _, run_dir, _ = tiny_run
    assert main(["eval", str(run_dir), "--json", str(tmp_path / "eval.json")]) == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "eval.json").read_text())
    task, scores = task_and_scores(run_dir)
    expected_auroc = roc_auc_score(task.is_anomaly, scores)
    expected_ap = average_precision_score(task.is_anomaly, scores)
    assert report["auroc"] == pytest.approx(expected_auroc, abs=1e-9)
    assert report["average_precision"] == pytest.approx(expected_ap, abs=1e-9)
    assert (report["normal"], report["anomalous"]) == (int((~task.is_anomaly).sum()),
                                                       int(task.is_anomaly.sum())) == (324, 36)
    assert report["task"] == "digits, anomaly 0" and report["detector"] == "GANomaly"
    np.testing.assert_allclose(report["scores"], scores, rtol=1e-6)
    assert f"{expected_auroc:.4f}" in printed and f"{expected_ap:.4f}" in printed
    assert "digits, anomaly 0: 324 normal and 36 anomalous" in printed
    # a threshold to start from: 95% of the normal test images score below it
    threshold = np.quantile(scores[~task.is_anomaly], 0.95)
    hint = report["threshold_hint"]
    assert hint["threshold"] == pytest.approx(threshold, rel=1e-9)
    assert hint["anomalous_flagged"] == pytest.approx(np.mean(scores[task.is_anomaly] > threshold))
    assert hint["normal_flagged"] == pytest.approx(np.mean(scores[~task.is_anomaly] > threshold))
    assert f"--threshold {threshold:.6g}" in printed


def test_score_writes_one_row_per_image_with_threshold_flags(tiny_run, tmp_path, capsys,
                                                             monkeypatch):
    _, run_dir, _ = tiny_run
    # a folder named like the embedded dataset, given relative: it is the folder
    images = write_digit_pngs(tmp_path / "digits")
    monkeypatch.chdir(tmp_path)
    expected = anomaly.load(run_dir).score(images)
    threshold = float(np.median(expected))
    out = tmp_path / "scores.csv"
    assert main(["score", str(run_dir), "--input", "digits", "--out", str(out),
                 "--threshold", repr(threshold)]) == 0
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["path", "score", "anomalous"]
    assert [row[0] for row in rows[1:]] == [f"digits/digit_{i}.png" for i in range(6)]
    np.testing.assert_allclose([float(row[1]) for row in rows[1:]], expected, rtol=1e-6)
    assert [int(row[2]) for row in rows[1:]] == [int(score > threshold) for score in expected]
    assert 0 < sum(int(row[2]) for row in rows[1:]) < 6
    assert f"wrote {out}" in capsys.readouterr().out

    # one file, to stdout (the summary goes to stderr, so stdout is the CSV alone)
    assert main(["score", str(run_dir), "--input", str(tmp_path / "digits" / "digit_3.png")]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert rows[0] == ["path", "score"] and len(rows) == 2
    assert float(rows[1][1]) == pytest.approx(expected[3], rel=1e-6)
    assert "Scored 1 image(s)" in captured.err


# -- what a user gets wrong ---------------------------------------------------------------

def test_a_trained_run_folder_is_never_replaced_without_overwrite(tiny_run, capsys):
    config, run_dir, _ = tiny_run
    before = (run_dir / "detector.npz").read_bytes()
    assert main(["train", "--config", str(config), "--run-dir", str(run_dir)]) == 2
    error = capsys.readouterr().err
    assert "holds a trained detector" in error and "--overwrite" in error and "--new" in error
    assert len(error.strip().splitlines()) == 1
    assert (run_dir / "detector.npz").read_bytes() == before


def test_overwrite_replaces_a_trained_run(tmp_path):
    config = write_config(tmp_path, training={"epochs": 1, "seed": 0})
    run_dir = tmp_path / "run"
    assert main(["train", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    before = (run_dir / "detector.npz").read_bytes()
    assert main(["train", "--config", str(config), "--run-dir", str(run_dir), "--seed", "1",
                 "--overwrite"]) == 0
    assert (run_dir / "detector.npz").read_bytes() != before
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["training"]["seed"] == 1


def test_a_run_trained_from_a_zoo_entry_does_not_carry_the_shipped_weights_record(tmp_path):
    entry = {**_card_config(PCA=(0.8, 0.4)), "training": {"epochs": 1, "seed": 0}}
    config = tmp_path / "entry.yaml"
    config.write_text(yaml.safe_dump(entry))
    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 0
    recorded = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert "pretrained" not in recorded and recorded["model"] == TINY["model"]


@pytest.mark.parametrize("argv, message", [
    (["sample", "{run}", "--out", "x.png"], "scores images instead of making them. Score "
                                            "images with: ganzoo score {run}"),
    (["translate", "{run}", "--input", "{config}", "--out", "x"],
     "scores images instead of translating them"),
    (["eval", "{run}", "--extractor", "inception"], "--extractor applies to GANs only"),
    (["eval", "{run}", "--raw-generator", "--num", "10"], "--num, --raw-generator apply to "
                                                           "GANs only"),
    (["score", "dcgan-digits", "--input", "{config}"], "dcgan-digits is a GAN, not an anomaly "
                                                       "detector"),
    (["score", "{run}", "--input", "{run}/missing"], "does not exist"),
])
def test_commands_given_the_wrong_kind_of_model_say_what_to_use(tiny_run, capsys, argv,
                                                                message):
    config, run_dir, _ = tiny_run
    fill = {"run": str(run_dir), "config": str(config)}
    assert main([arg.format(**fill) for arg in argv]) == 2
    assert message.format(**fill) in capsys.readouterr().err


@pytest.mark.parametrize("changes, message", [
    ({"detector": "GANomally"}, "Unknown detector 'GANomally'"),
    ({"model": {"image_shape": [8, 8, 1], "filters": 4}}, "GANomaly takes no argument 'filters'"),
    ({"data": {"source": "digits"}}, "source digits needs anomaly_class"),
])
def test_a_detector_config_with_a_mistake_is_refused_before_training(tmp_path, capsys,
                                                                     changes, message):
    config = write_config(tmp_path, **changes)
    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_gan_training_options_are_refused_for_a_detector(tmp_path, capsys):
    config = write_config(tmp_path)
    assert main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run"),
                 "--strategy", "mirrored", "--checkpoint-every", "10"]) == 2
    assert "--checkpoint-every, --strategy apply to GANs only" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_file_that_is_not_an_image_is_named(tiny_run, tmp_path, capsys):
    _, run_dir, _ = tiny_run
    write_digit_pngs(tmp_path / "in", count=2)
    (tmp_path / "in" / "notes.png").write_text("not a picture")
    assert main(["score", str(run_dir), "--input", str(tmp_path / "in")]) == 2
    error = capsys.readouterr().err
    assert "1 of 3 files" in error and "notes.png" in error and "score again" in error
    assert "train" not in error  # the data loader's advice is about training
    assert main(["score", str(run_dir), "--input", str(tmp_path / "in" / "notes.png")]) == 2
    assert "notes.png' as an image: it is corrupt" in capsys.readouterr().err


# -- the zoo: load, weights, list, cards --------------------------------------------------

@pytest.fixture
def tiny_entry(tiny_run, tmp_path, monkeypatch):
    """The tiny entry as a zoo entry whose pretrained weights are the tiny run's state."""
    _, run_dir, _ = tiny_run
    weights = tmp_path / "tiny.npz"
    sha256 = pretrained.save_weights(anomaly.load(run_dir), weights)
    config = {**TINY, "pretrained": {"url": weights.as_uri(), "sha256": sha256}}
    monkeypatch.setattr("ganzoo.zoo.entries.get_entry", lambda name: json.loads(json.dumps(config)))
    return run_dir, weights, sha256


def test_load_gives_the_fitted_detector_of_the_weights_and_unfitted_without(tiny_entry,
                                                                            tmp_path):
    run_dir, _, _ = tiny_entry
    task, expected = task_and_scores(run_dir)
    detector = zoo.load("tiny-ganomaly", cache_dir=tmp_path / "cache")
    assert type(detector) is anomaly.GANomaly and detector.fitted
    np.testing.assert_array_equal(detector.score(task.images), expected)
    untrained = zoo.load("tiny-ganomaly", pretrained=False)
    assert not untrained.fitted
    with pytest.raises(ValueError, match="has not been fitted"):
        untrained.score(task.images)


def test_damaged_or_foreign_weights_are_refused(tiny_entry, tmp_path):
    _, weights, sha256 = tiny_entry
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ValueError, match=f"SHA-256 mismatch .* expected {sha256}"):
        zoo.load("tiny-ganomaly", weights=damaged, sha256=sha256)
    with pytest.raises(ValueError, match="Cannot read pretrained weights .* damaged"):
        zoo.load("tiny-ganomaly", weights=damaged)
    # shipped weights skip the download's check: loading checks the recorded sha256 itself
    with pytest.raises(ValueError, match=f"SHA-256 mismatch .* expected {sha256}"):
        pretrained.load_weights(zoo.load("tiny-ganomaly", pretrained=False), damaged, sha256)
    foreign = tmp_path / "pca.npz"
    pca = anomaly.PCA(image_shape=(8, 8, 1)).fit(protocol.digits_task(0, 8).normal)
    pretrained.save_weights(pca, foreign)
    with pytest.raises(ValueError, match="do not fit this GANomaly"):
        zoo.load("tiny-ganomaly", weights=foreign)
    # the right arrays and one more (another detector's network): not this detector's file
    with np.load(weights) as archive:
        arrays = {key: archive[key] for key in archive.files}
    np.savez(tmp_path / "extra.npz", **arrays, **{"critic/000": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="do not fit this GANomaly"):
        zoo.load("tiny-ganomaly", weights=tmp_path / "extra.npz")


@pytest.mark.parametrize("name", DETECTOR_ENTRIES)
def test_every_detector_entry_builds_its_detector_for_its_task(name):
    config = zoo.get_entry(name)
    detector = zoo.load(name, pretrained=False)
    assert type(detector).__name__ == config["detector"]
    assert list(detector.image_shape) == config["model"]["image_shape"]
    assert config["data"]["source"] == "digits"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_detector_weights_match_their_sha256_and_score(name):
    record = zoo.get_entry(name)["pretrained"]
    path = zoo.entries._weights_path(name, record, cache_dir=None)
    assert pretrained.sha256_of(path) == record["sha256"]
    assert path.stat().st_size < 4 * 2**20  # shipped in the wheel: a few MB at most
    detector = zoo.load(name)
    assert detector.fitted
    task = protocol.digits_task(zoo.get_entry(name)["data"]["anomaly_class"],
                                detector.image_shape[0])
    assert np.all(np.isfinite(detector.score(task.images[:8])))


def test_list_shows_detector_entries_with_their_auroc():
    result = subprocess.run([sys.executable, "-m", "ganzoo", "list"], capture_output=True,
                            text=True, check=True)
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    for name in DETECTOR_ENTRIES:
        config = zoo.get_entry(name)
        assert config["detector"] in lines[name] and "digits (anomaly 0)" in lines[name]
        if "pretrained" in config:
            assert f"AUROC {config['pretrained']['metrics']['auroc']:.3f}" in lines[name]


def _card_config(**baselines):
    return {**TINY, "evaluation": {"tolerance": {"auroc": 0.05, "average_precision": 0.1}},
            "pretrained": {"file": "weights/tiny.npz", "sha256": "0" * 64, "command": "ganzoo x",
                           "wall_time_s": 12.0, "task": "digits, anomaly 0",
                           "test_images": {"normal": 324, "anomalous": 36},
                           "metrics": {"auroc": 0.9, "average_precision": 0.6},
                           "baselines": {name: {"auroc": auroc, "average_precision": ap,
                                                "epochs": 15}
                                         for name, (auroc, ap) in baselines.items()}}}


def test_a_card_says_plainly_when_a_baseline_beats_the_gan_detector():
    card = render_card(_card_config(PCA=(0.95, 0.5), ConvAutoencoder=(0.8, 0.7)))
    assert "| **GANomaly** (this entry) | 0.9 | 0.6 |" in card
    assert "| PCA | 0.95 | 0.5 |" in card
    assert "On AUROC, PCA beats GANomaly: 0.95 against 0.9." in card
    assert "On average precision, ConvAutoencoder beats GANomaly: 0.7 against 0.6." in card
    assert "324 normal and 36 anomalous" in card
    card = render_card(_card_config(PCA=(0.85, 0.5)))
    assert "On AUROC, GANomaly beats every baseline: 0.9 against at most 0.85." in card
    assert zoo.key_metrics(_card_config(PCA=(0.95, 0.5), ConvAutoencoder=(0.8, 0.7))) == (
        "AUROC 0.900, AP 0.600; best baseline PCA AUROC 0.950")


def test_a_record_with_an_unknown_baseline_is_refused():
    config = _card_config(PCA=(0.9, 0.5))
    config["pretrained"]["baselines"]["Kmeans"] = {"auroc": 0.5, "average_precision": 0.1}
    with pytest.raises(ValueError, match="baselines: unknown detector 'Kmeans'"):
        zoo.validate(config, source="tiny.yaml")
    config = _card_config(PCA=(0.9, 0.5))
    config["pretrained"]["metrics"]["f1"] = 0.3
    with pytest.raises(ValueError, match=r"no tolerance for \['f1'\]"):
        zoo.validate(config, source="tiny.yaml")
