"""Every detector: it learns what normal is, its scores are finite and repeatable, and
a run folder gives back exactly the same scores."""

import json

import numpy as np
import pytest

from anomaly_cases import NAMES, SHAPE, constant_image, make_detector, mixed_images, other_images
from ganzoo import anomaly
from ganzoo.errors import RunFolderError


@pytest.mark.parametrize("name", NAMES)
def test_a_detector_of_one_constant_image_scores_other_images_higher(constant_detectors, name):
    detector = constant_detectors[name]
    trained_on = detector.score(constant_image()[None])[0]
    others = detector.score(other_images())
    assert (others > trained_on).all(), (name, trained_on, others)


@pytest.mark.parametrize("name", NAMES)
def test_scores_are_finite_float_and_repeatable(constant_detectors, name):
    detector = constant_detectors[name]
    images = mixed_images()
    scores = detector.score(images)
    assert scores.shape == (len(images),) and scores.dtype == np.float64
    assert np.all(np.isfinite(scores))
    assert np.array_equal(scores, detector.score(images))
    # an image's score does not depend on the images scored with it (inference mode)
    np.testing.assert_allclose(detector.score(images[5:6]), scores[5:6], rtol=1e-4, atol=0)
    np.testing.assert_allclose(detector.score(images[5:8]), scores[5:8], rtol=1e-4, atol=0)
    assert detector.score(np.zeros((0, *SHAPE), np.float32)).shape == (0,)


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_give_back_the_same_scores_exactly(constant_detectors, name, tmp_path):
    detector = constant_detectors[name]
    detector.save(tmp_path / "run")
    loaded = anomaly.load(tmp_path / "run")
    assert type(loaded) is type(detector)
    assert loaded.get_config() == detector.get_config()
    images = np.concatenate([mixed_images(), other_images(), constant_image()[None]])
    assert np.array_equal(loaded.score(images), detector.score(images))
    metadata = json.loads((tmp_path / "run" / "metadata.json").read_text())
    assert metadata["detector"] == name and metadata["training"]["normal_images"] == 32


def test_the_same_seed_trains_the_same_detector():
    normal = np.stack([constant_image(), constant_image(0.2)] * 8)
    images = mixed_images(8)
    first = make_detector("GANomaly", seed=4).fit(normal, epochs=2, batch_size=8).score(images)
    second = make_detector("GANomaly", seed=4).fit(normal, epochs=2, batch_size=8).score(images)
    np.testing.assert_allclose(first, second, rtol=1e-5)


def test_config_is_the_constructor():
    detector = make_detector("FAnoGAN", seed=3)
    config = detector.get_config()
    assert config["seed"] == 3 and config["kappa"] == 1.0 and config["image_shape"] == list(SHAPE)
    assert type(detector)(**config).get_config() == config


def test_a_changed_state_file_is_refused(constant_detectors, tmp_path):
    constant_detectors["PCA"].save(tmp_path / "run")
    with open(tmp_path / "run" / "detector.npz", "ab") as stream:
        stream.write(b"tampered")
    with pytest.raises(RunFolderError, match="checksum"):
        anomaly.load(tmp_path / "run")


def test_a_folder_without_a_detector_is_refused(tmp_path):
    (tmp_path / "gan.json").write_text("{}")
    with pytest.raises(RunFolderError, match="not an anomaly detector's run folder.*load_run"):
        anomaly.load(tmp_path)
