"""Your own feature extractor: a .keras file or keras.Model with a named layer, or a function.

The numbers are the metric functions applied to the features the model gives; the
report names the model file and the layer; bad files and layers are one clear error each.
"""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo.files import sha256_of
from ganzoo.metrics import (CallableExtractor, ExtractorError, KerasModelExtractor, compare,
                            evaluate_gan, frechet_distance, get_extractor, kid, precision_recall)
from ganzoo.metrics.evaluate import protocol_lines

SIZE = 8


def classifier(channels=1):
    """A tiny classifier whose named layer "features" (6-d) is not its penultimate one (4-d)."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((SIZE, SIZE, channels), name="image")
    x = keras.layers.Flatten()(inputs)
    features = keras.layers.Dense(6, activation="tanh", name="features")(x)
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(features)
    probs = keras.layers.Dense(3, activation="softmax", name="probs")(hidden)
    return keras.Model(inputs, probs, name="tiny_classifier")


def features_of(model, layer, images):
    """The layer's output, computed directly with Keras."""
    return np.asarray(keras.Model(model.inputs[0], model.get_layer(layer).output)(images),
                      np.float64)


def pr_of(real_features, fake_features, seed=0):
    """Precision/recall as `compare` computes it: the larger (real) set subsampled first."""
    keep = np.sort(np.random.default_rng(seed).choice(len(real_features), len(fake_features),
                                                      replace=False))
    return precision_recall(real_features[keep], fake_features, k=3)


@pytest.fixture(scope="module")
def image_sets():
    rng = np.random.default_rng(0)
    real = np.tanh(rng.normal(0.3, 0.5, (120, SIZE, SIZE, 1))).astype("float32")
    fake = rng.uniform(-1, 1, (100, SIZE, SIZE, 1)).astype("float32")
    return real, fake


def test_a_named_layer_gives_the_fid_kid_and_pr_of_its_features(image_sets):
    real, fake = image_sets
    model = classifier()
    extractor = get_extractor(model, layer="features")
    result = compare(fake, real, extractor, metrics=("fid", "kid", "pr"), kid_subsets=10,
                     kid_subset_size=50)
    real_f, fake_f = features_of(model, "features", real), features_of(model, "features", fake)
    assert result["metrics"]["fid"] == pytest.approx(frechet_distance(real_f, fake_f), rel=1e-6)
    kid_mean, _ = kid(real_f, fake_f, 10, 50, 0)
    assert result["metrics"]["kid"] == pytest.approx(kid_mean, rel=1e-6)
    assert (result["metrics"]["precision"], result["metrics"]["recall"]) == pr_of(real_f, fake_f)
    protocol = result["protocol"]
    assert protocol["layer"] == "features" and protocol["feature_dim"] == 6


def test_the_default_layer_of_a_classifier_is_its_penultimate_one_with_class_probabilities(
        image_sets):
    real, fake = image_sets
    model = classifier()
    extractor = get_extractor(model)
    assert extractor.layer == "hidden" and extractor.feature_dim == 4
    assert extractor.num_classes == 3
    features, probs = extractor.extract(fake)
    np.testing.assert_allclose(features, features_of(model, "hidden", fake), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(probs, np.asarray(model(fake)), rtol=1e-5, atol=1e-6)
    result = compare(fake, real, extractor, metrics=("is", "modes"))
    assert result["metrics"]["is"] is not None and result["metrics"]["num_modes"] >= 1


def test_a_model_without_softmax_gives_its_output_and_no_is_or_modes(image_sets):
    real, fake = image_sets
    embedding = keras.Sequential([keras.Input((SIZE, SIZE, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(5, name="embedding")])
    result = compare(fake, real, get_extractor(embedding))
    values, protocol = result["metrics"], result["protocol"]
    expected = frechet_distance(np.asarray(embedding(real), np.float64),
                                np.asarray(embedding(fake), np.float64))
    assert values["fid"] == pytest.approx(expected, rel=1e-6)
    assert values["is"] is None and values["modes_covered"] is None
    assert "no class probabilities" in protocol["inception_score"]["skipped"]
    assert "no class probabilities" in protocol["mode_coverage"]["skipped"]


def test_images_are_resized_to_the_model_input_and_mapped_to_its_range(image_sets):
    import tensorflow as tf

    real, _ = image_sets
    model = classifier()
    large = np.asarray(tf.image.resize(real, (16, 16)))
    resized = np.asarray(tf.image.resize(large, (SIZE, SIZE), antialias=True))
    features, _ = get_extractor(model, layer="features").extract(large)
    np.testing.assert_allclose(features, features_of(model, "features", resized), rtol=1e-5,
                               atol=1e-5)
    pixels, _ = get_extractor(model, layer="features", input_range=(0, 255)).extract(real)
    np.testing.assert_allclose(pixels, features_of(model, "features", (real + 1) * 127.5),
                               rtol=1e-5, atol=1e-5)


def test_a_keras_file_round_trip_is_recorded_in_the_report(tmp_path, image_sets):
    real, fake = image_sets
    model = classifier()
    path = tmp_path / "domain.keras"
    model.save(path)
    from_file = get_extractor(str(path), layer="features")
    assert isinstance(from_file, KerasModelExtractor)
    np.testing.assert_allclose(from_file.extract(fake)[0], features_of(model, "features", fake),
                               rtol=1e-6, atol=1e-6)
    assert get_extractor(path, layer="features") is from_file  # built once per file and layer
    result = compare(fake, real, from_file, metrics=("fid",))
    protocol = result["protocol"]
    assert protocol["model_file"] == str(path.resolve())
    assert protocol["weights_sha256"] == sha256_of(path)
    assert protocol["layer"] == "features" and protocol["extractor"] == "keras-model:domain.keras"
    json.dumps(result)  # the report is JSON


def test_a_function_is_an_extractor(image_sets):
    real, fake = image_sets

    def mean_rows(images):
        return images.mean(axis=2)[..., 0]  # (N, H): the mean of each image row

    extractor = get_extractor(mean_rows, name="row-means")
    assert isinstance(extractor, CallableExtractor)
    result = compare(fake, real, extractor, metrics=("fid", "pr", "is"))
    real_f, fake_f = mean_rows(real), mean_rows(fake)
    assert result["metrics"]["fid"] == pytest.approx(frechet_distance(real_f, fake_f), rel=1e-6)
    assert (result["metrics"]["precision"], result["metrics"]["recall"]) == pr_of(real_f, fake_f)
    assert result["metrics"]["is"] is None
    assert result["protocol"]["extractor"] == "row-means"
    assert result["protocol"]["feature_dim"] == SIZE
    with pytest.raises(ExtractorError, match=r"one vector per image, shape \(4, D\)"):
        get_extractor(lambda images: images.mean()).extract(fake[:4])


def test_evaluate_gan_measures_a_folder_with_your_own_extractor(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "blobs"
    folder.mkdir()
    for i in range(24):
        pixels = rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
    model_path = tmp_path / "domain.keras"
    classifier().save(model_path)
    gan = ganzoo.DCGAN(image_shape=(SIZE, SIZE, 1), latent_dim=4, base_filters=4, seed=0)
    report = evaluate_gan(gan, source=str(folder), seed=0, metrics=("fid", "pr", "is"),
                          extractor=get_extractor(model_path, layer="features"))
    assert [row["protocol"]["num_fake"] for row in report["rows"]] == [12, 12, 12]
    shared = report["protocol"]
    assert shared["model_file"] == str(model_path.resolve()) and shared["layer"] == "features"
    assert "random half" in shared["reference"]
    text = "\n".join(protocol_lines(report))
    assert str(model_path.resolve()) in text and "'features'" in text
    assert "IS, modes: not measured" not in text  # a classifier: it has class probabilities
    with pytest.raises(ExtractorError, match="only measures digit images"):
        evaluate_gan(gan, source=str(folder))


# -- one clear error each ------------------------------------------------------------

def test_a_missing_model_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="none.keras does not exist"):
        get_extractor(str(tmp_path / "none.keras"))


def test_a_corrupt_or_foreign_model_file_is_one_clear_error(tmp_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip archive")
    with pytest.raises(ExtractorError, match="corrupt, truncated"):
        get_extractor(broken)
    model_path = tmp_path / "model.keras"
    classifier().save(model_path)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(model_path.read_bytes()[:300])
    with pytest.raises(ExtractorError, match="truncated.keras"):
        get_extractor(truncated)
    weights = tmp_path / "model.weights.h5"
    classifier().save_weights(weights)
    with pytest.raises(ExtractorError, match=r"not a \.keras file"):
        get_extractor(weights)
    with pytest.raises(ExtractorError, match="is a folder"):
        get_extractor(tmp_path / ".")


def test_an_unknown_layer_names_the_layers(tmp_path):
    path = tmp_path / "model.keras"
    classifier().save(path)
    with pytest.raises(ExtractorError, match="has no layer 'pool'; its layers are: .*features"):
        get_extractor(path, layer="pool")


def test_a_feature_map_layer_or_a_subclassed_model_are_refused():
    inputs = keras.Input((SIZE, SIZE, 1))
    conv = keras.layers.Conv2D(2, 3, name="conv")(inputs)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(conv))
    with pytest.raises(ExtractorError, match=r"\(None, 6, 6, 2\).*one vector per image"):
        get_extractor(model, layer="conv")

    class Subclassed(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ExtractorError, match="no input graph"):
        get_extractor(Subclassed())


def test_the_wrong_channel_count_is_a_clear_error(image_sets):
    real, _ = image_sets
    extractor = get_extractor(classifier(channels=3), layer="features")
    with pytest.raises(ExtractorError, match="takes 3-channel images; these have 1"):
        extractor.extract(real)


def test_unknown_names_list_the_choices_and_built_extractors_take_no_options():
    with pytest.raises(ValueError, match=r"digits, inception, or the path of a \.keras model"):
        get_extractor("resnet")
    with pytest.raises(ValueError, match="layer= applies to your own model"):
        get_extractor("digits", layer="features")
    with pytest.raises(ValueError, match="built already"):
        get_extractor(get_extractor(classifier()), layer="features")
