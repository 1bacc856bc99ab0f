"""Bad inputs are clear errors that name the fix, never a deep TensorFlow traceback."""

import numpy as np
import pytest
import tensorflow as tf

from anomaly_cases import NAMES, SHAPE, make_detector, mixed_images
from ganzoo.anomaly import PCA, GANomaly
from ganzoo.errors import DataError

NORMAL = mixed_images(8)


@pytest.mark.parametrize("normal, match", [
    (np.zeros((0, *SHAPE), np.float32), "empty"),
    (tf.data.Dataset.from_tensor_slices(NORMAL).filter(lambda image: False), "empty"),
    ((NORMAL, np.zeros(8, np.int32)), "labels are mixed in"),
    (tf.data.Dataset.from_tensor_slices((NORMAL, np.zeros(8, np.int32))).batch(4),
     "labels are mixed in"),
    (mixed_images(8, (16, 16, 1)), r"shape \(16, 16, 1\).*takes \(8, 8, 1\).*image_size=8"),
    (mixed_images(8, (8, 8, 3)), "channel count differs.*channels=1"),
    (tf.data.Dataset.from_tensor_slices(mixed_images(8, (8, 8, 3))).batch(4), "channels=1"),
    ((NORMAL * 127.5 + 127.5).astype(np.uint8), "uint8 pixels.*/ 127.5 - 1"),
    (NORMAL * 127.5 + 127.5, "0..255 pixel data"),
    (tf.data.Dataset.from_tensor_slices(NORMAL).repeat(), "endless"),
    (NORMAL[0], r"For one image, pass images\[np.newaxis\]"),
])
@pytest.mark.parametrize("name", ["GANomaly", "PCA"])
def test_fit_refuses_bad_normal_sets(name, normal, match):
    with pytest.raises(DataError, match=match):
        make_detector(name).fit(normal, epochs=None if name == "PCA" else 1)


@pytest.mark.parametrize("name", NAMES)
def test_score_refuses_images_of_another_shape_or_with_labels(constant_detectors, name):
    detector = constant_detectors[name]
    with pytest.raises(DataError, match="takes \\(8, 8, 1\\)"):
        detector.score(mixed_images(3, (12, 12, 1)))
    with pytest.raises(DataError, match="labels are mixed in"):
        detector.score(tf.data.Dataset.from_tensor_slices((mixed_images(3), [0, 1, 0])))


def test_a_dataset_of_images_or_of_batches_is_read_whole():
    normal = mixed_images(10)
    by_image = PCA(image_shape=SHAPE, components=3).fit(tf.data.Dataset.from_tensor_slices(normal))
    by_batch = PCA(image_shape=SHAPE, components=3).fit(
        tf.data.Dataset.from_tensor_slices(normal).batch(4))
    np.testing.assert_allclose(by_image.score(normal), by_batch.score(normal))
    assert by_image.training_record["normal_images"] == 10


def test_scoring_before_fitting_and_wrong_arguments_are_errors():
    with pytest.raises(ValueError, match="has not been fitted"):
        GANomaly(image_shape=SHAPE, base_filters=4, latent_dim=4).score(mixed_images(2))
    with pytest.raises(ValueError, match="closed form; epochs does not apply"):
        PCA(image_shape=SHAPE).fit(mixed_images(4), epochs=3)
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        make_detector("ConvAutoencoder").fit(mixed_images(4), epochs=0)
    with pytest.raises(ValueError, match="multiple of 4"):
        GANomaly(image_shape=(10, 10, 1))
    with pytest.raises(ValueError, match="has not been fitted; there is nothing to save"):
        PCA(image_shape=SHAPE).save("unused")
