"""The measuring side: AUROC and average precision, normalisation, the digits one-class
split, a task from your own folders, and entry-shaped run folders."""

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import average_precision_score, roc_auc_score

from ganzoo.anomaly import PCA, entries, protocol
from ganzoo.errors import DataError


def test_auroc_and_average_precision_match_scikit_learn_on_made_up_scores():
    rng = np.random.default_rng(0)
    is_anomaly = rng.random(200) < 0.15
    scores = rng.normal(size=200) + 1.5 * is_anomaly
    scores[:20] = np.round(scores[:20])  # some ties
    assert protocol.auroc(is_anomaly, scores) == pytest.approx(roc_auc_score(is_anomaly, scores))
    assert protocol.average_precision(is_anomaly, scores) == pytest.approx(
        average_precision_score(is_anomaly, scores))
    # by hand: 3 of the 4 (normal, anomaly) pairs are ordered right
    assert protocol.auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # anomalies are the positive class: a perfect detector scores 1, a reversed one 0
    assert protocol.auroc([True, False], [2.0, 1.0]) == 1.0
    assert protocol.auroc([True, False], [1.0, 2.0]) == 0.0
    assert protocol.average_precision([1, 0, 0, 0], [0.9, 0.1, 0.2, 0.3]) == 1.0


@pytest.mark.parametrize("is_anomaly, scores, match", [
    ([0, 0, 0], [1.0, 2.0, 3.0], "both normal and anomalous"),
    ([0, 1, 1], [1.0, np.nan, 3.0], "NaN or infinite"),
    ([0, 1], [1.0, 2.0, 3.0], "two \\(N,\\) arrays"),
    ([0, 2], [1.0, 2.0], "booleans"),
])
def test_metrics_refuse_what_they_cannot_measure(is_anomaly, scores, match):
    with pytest.raises(ValueError, match=match):
        protocol.auroc(is_anomaly, scores)


def test_evaluate_normalises_over_the_test_set_itself():
    rng = np.random.default_rng(1)
    normal = rng.uniform(-1, 1, (30, 4, 4, 1)).astype(np.float32) * 0.2
    images = rng.uniform(-1, 1, (12, 4, 4, 1)).astype(np.float32)
    task = protocol.Task("made up", normal, images, np.arange(12) % 3 == 0)
    detector = PCA(image_shape=(4, 4, 1), components=3).fit(normal)
    result = protocol.evaluate(detector, task)
    scores, normalised = np.array(result["scores"]), np.array(result["normalised"])
    assert normalised.min() == 0.0 and normalised.max() == pytest.approx(1.0)
    np.testing.assert_allclose(normalised, (scores - scores.min()) / np.ptp(scores))
    assert result["auroc"] == pytest.approx(roc_auc_score(task.is_anomaly, scores))
    assert result["normal"] == 8 and result["anomalous"] == 4
    assert np.all(protocol.minmax_normalise([2.0, 2.0]) == 0.0)
    np.testing.assert_allclose(protocol.minmax_normalise([1.0, 3.0], reference=[0.0, 4.0]),
                               [0.25, 0.75])


def test_the_digits_task_trains_on_nine_classes_and_tests_on_the_whole_held_out_split():
    task = protocol.digits_task(1, image_size=8)
    assert task.images.shape == (360, 8, 8, 1) and task.normal.shape[1:] == (8, 8, 1)
    assert task.is_anomaly.sum() == (task.labels == 1).sum() > 30
    np.testing.assert_array_equal(task.is_anomaly, task.labels == 1)
    # no training image of the anomalous class, and the other nine all there
    from ganzoo import data

    train, labels = data.load_arrays("digits", 8, split="train")
    assert len(task.normal) == (labels != 1).sum()
    np.testing.assert_array_equal(task.normal, train[labels != 1])
    with pytest.raises(ValueError, match="digit 0-9"):
        protocol.digits_task(10)


def _write_images(folder, count, value, size=12, rng=None):
    folder.mkdir(parents=True)
    rng = rng or np.random.default_rng(0)
    for index in range(count):
        pixels = np.clip(value + rng.integers(-20, 20, (size, size)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{index:03d}.png")


@pytest.fixture
def folders(tmp_path):
    # normal: dark images; anomalous: bright ones
    _write_images(tmp_path / "good", 20, 40)
    _write_images(tmp_path / "bad", 5, 200)
    return tmp_path / "good", tmp_path / "bad"


def test_a_folder_task_holds_out_normal_images_and_tests_every_anomaly(folders):
    good, bad = folders
    task = protocol.folder_task(good, bad, image_size=8, channels=1, test_fraction=0.25, seed=0)
    assert task.normal.shape == (15, 8, 8, 1) and task.images.shape == (10, 8, 8, 1)
    assert task.is_anomaly.tolist() == [False] * 5 + [True] * 5
    # held-out normals are not trained on
    held_out = task.images[~task.is_anomaly]
    assert not any(np.array_equal(image, train) for image in held_out for train in task.normal)
    result = protocol.evaluate(PCA(image_shape=(8, 8, 1)).fit(task.normal), task)
    assert result["auroc"] == 1.0
    with pytest.raises(DataError, match="no such folder"):
        protocol.folder_task(good, good.parent / "missing", image_size=8)


def test_an_entry_trains_a_run_folder_that_evaluates_itself(folders, tmp_path):
    good, bad = folders
    config = {"name": "pca-folder", "detector": "PCA",
              "model": {"image_shape": [8, 8, 1], "components": 0.95},
              "data": {"source": good.name, "anomalous": bad.name, "test_fraction": 0.25},
              "training": {"seed": 0}}
    entries.train(config, tmp_path / "run", base_dir=good.parent)
    result = entries.evaluate(tmp_path / "run")
    assert result["auroc"] == 1.0 and result["normal"] == 5 and result["anomalous"] == 5
    assert (tmp_path / "run" / "config.yaml").is_file()


@pytest.mark.parametrize("change, match", [
    ({"variant": "DCGAN"}, "unknown key 'variant'"),
    ({"detector": "Nope"}, "Unknown detector 'Nope'"),
    ({"model": {"image_shape": [8, 8, 1], "latent": 3}}, "takes no argument 'latent'"),
    ({"model": {"image_shape": [8, 8, 1], "seed": 1}}, "state it once"),
    ({"data": {"source": "digits"}}, "anomaly_class"),
    ({"data": {"source": "folder/good"}}, "anomalous"),
    ({"data": {"source": "digits", "anomaly_class": "one"}}, "anomaly_class must be int"),
])
def test_an_entry_with_a_mistake_is_refused_naming_it(change, match):
    config = {"name": "x", "detector": "GANomaly", "model": {"image_shape": [8, 8, 1]},
              "data": {"source": "digits", "anomaly_class": 1}, "training": {"seed": 0}}
    with pytest.raises(ValueError, match=match):
        entries.validate({**config, **change})


def test_a_score_histogram_is_a_png_with_both_groups(tmp_path):
    from ganzoo.anomaly.plots import NORMAL, ANOMALOUS, save_score_histogram

    rng = np.random.default_rng(0)
    path = save_score_histogram(rng.normal(0, 1, 300), rng.normal(3, 1, 30),
                                tmp_path / "hist" / "h.png", title="made up")
    picture = np.asarray(Image.open(path).convert("RGB"))
    assert picture.shape == (360, 640, 3)
    colours = {tuple(pixel) for pixel in picture.reshape(-1, 3)}
    assert NORMAL in colours and ANOMALOUS in colours
