"""Feature extractors: the shipped digits classifier (offline) and the InceptionV3 path without weights."""

import socket
import time

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ganzoo.data import load_arrays
from ganzoo.metrics import digits_classifier as dc
from ganzoo.metrics import ExtractorError, compare, get_extractor
from ganzoo.metrics.inception import InceptionV3Extractor, MissingWeightsError

NOTOP = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """No socket connects and no Keras downloads; an empty Keras home. Records attempts."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in tests")

    import keras

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: pytest.fail("download attempted"))
    (tmp_path / "keras").mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return attempts


@pytest.fixture(scope="module")
def classifier():
    return get_extractor("digits")


def test_shipped_classifier_loads_offline_and_matches_its_record(no_network):
    classifier = dc.DigitsClassifier()  # a fresh instance, built with the network refused
    record = dc.shipped_record()
    assert classifier.weights_sha256 == record["sha256"]
    assert not no_network


@pytest.mark.parametrize("size", [16, 32])
def test_classifier_reaches_its_recorded_held_out_accuracy(classifier, size):
    images, labels = load_arrays("digits", size, split="test")
    accuracy = float(np.mean(classifier.predict(images) == labels))
    recorded = dc.shipped_record()["held_out_accuracy"][f"{size}x{size}"]
    assert accuracy >= 0.97
    assert accuracy >= recorded - 0.005


def test_features_and_probabilities_for_any_size_and_channels(classifier):
    images, _ = load_arrays("digits", 32, split="test")
    features, probs = classifier.extract(images[:20])
    assert features.shape == (20, dc.FEATURE_DIM) and probs.shape == (20, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    # Colour only when asked for: then as the channel mean (exact for repeated gray).
    allowing = get_extractor("digits", allow_non_digits=True)
    rgb_features, _ = allowing.extract(np.repeat(images[:20], 3, axis=-1))
    np.testing.assert_allclose(rgb_features, features, atol=1e-5)
    small, _ = load_arrays("digits", 16, split="test")
    assert classifier.extract(small[:20])[0].shape == (20, dc.FEATURE_DIM)
    # Unit RMS on the train split by construction, so of order 1 on the test split.
    assert 0.5 < np.sqrt(np.mean(features ** 2)) < 2.0
    assert classifier.protocol()["weights_sha256"] == classifier.weights_sha256


def test_images_outside_the_gan_range_or_not_images_are_value_errors(classifier):
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        classifier.extract(np.full((2, 16, 16, 1), 255.0))
    with pytest.raises(ValueError, match="2D points"):
        classifier.extract(np.zeros((10, 2)))


def test_missing_classifier_weights_say_how_to_retrain(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_digits_classifier.py"):
        dc.DigitsClassifier(tmp_path / "none.weights.h5")


def coloured_shapes(count, size=32, seed=0):
    """Filled circles, squares and triangles of random colours on black, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    images = []
    for i in range(count):
        image = Image.new("RGB", (size, size))
        draw, colour = ImageDraw.Draw(image), tuple(int(c) for c in rng.integers(60, 256, 3))
        x0, y0 = (int(v) for v in rng.integers(2, size // 2 - 2, 2))
        x1, y1 = (int(v) for v in rng.integers(size // 2 + 2, size - 2, 2))
        if i % 3 == 0:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        elif i % 3 == 1:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            draw.polygon([(x0, y1), (x1, y1), ((x0 + x1) // 2, y0)], fill=colour)
        images.append(np.asarray(image, np.float32) / 127.5 - 1.0)
    return np.stack(images)


def test_the_digits_classifier_refuses_colour_images_naming_the_alternatives(classifier):
    with pytest.raises(ExtractorError, match="1 channel.*got images with 3 channels") as error:
        classifier.extract(coloured_shapes(4))
    assert "extractor='inception'" in str(error.value) and "--layer" in str(error.value)
    assert isinstance(error.value, ValueError)


def test_compare_no_longer_scores_shapes_with_the_digits_classifier(classifier):
    shapes = coloured_shapes(120)
    with pytest.raises(ExtractorError, match="3 channels"):
        compare(shapes[:60], shapes[60:], classifier)
    gray = shapes.mean(axis=-1, keepdims=True)
    with pytest.raises(ExtractorError, match="do not look like digits: .* confident .* on \\d+%"):
        compare(gray[:60], gray[60:], classifier)
    # Digits pass the same check, however bad the generated side is (noise is measured).
    digits, labels = load_arrays("digits", 32, split="test")
    noise = np.random.default_rng(0).uniform(-1, 1, (60, 32, 32, 1)).astype(np.float32)
    assert compare(noise, digits, classifier, metrics=("fid",))["metrics"]["fid"] > 0
    # Asked for, it measures anyway.
    allowing = get_extractor("digits", allow_non_digits=True)
    result = compare(shapes[:60], shapes[60:], allowing, metrics=("fid", "modes"))
    assert result["metrics"]["fid"] >= 0 and result["protocol"]["allow_non_digits"] is True


def test_unknown_extractor_names_the_known_ones():
    with pytest.raises(ValueError, match="digits, inception"):
        get_extractor("resnet")


def test_inception_without_weights_fails_fast_with_how_to(no_network):
    start = time.perf_counter()
    with pytest.raises(MissingWeightsError) as error:
        InceptionV3Extractor()
    assert time.perf_counter() - start < 5
    message = str(error.value)
    assert f"weights='/path/to/{NOTOP}'" in message and "unreachable" in message
    assert len(no_network) == 1  # one short probe, then no download attempt
    # Without downloads allowed it does not even probe.
    with pytest.raises(MissingWeightsError, match="download=False"):
        InceptionV3Extractor(download=False)
    assert len(no_network) == 1


def test_inception_with_a_missing_or_wrong_weights_file(no_network, tmp_path):
    with pytest.raises(MissingWeightsError, match="does not exist"):
        InceptionV3Extractor(weights=tmp_path / NOTOP)
    assert isinstance(MissingWeightsError("x"), FileNotFoundError)  # the CLI's one-line errors
    cached = tmp_path / "keras" / "models" / NOTOP
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"not an h5 file")
    # A cached file is used without any network; a broken one is a clear error.
    with pytest.raises(ValueError, match="not a weights file of InceptionV3"):
        InceptionV3Extractor()
    assert not no_network


def test_inception_plumbing_with_random_weights():
    with pytest.warns(UserWarning, match="random weights"):
        extractor = InceptionV3Extractor(weights=None)
    features, probs = extractor.extract(np.zeros((2, 16, 16, 1), np.float32))
    assert features.shape == (2, 2048) and probs is None
