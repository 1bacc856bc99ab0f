"""Run folders: a saved GAN reloads with the same samples and optimizer state."""

import json

import numpy as np
import pytest
import yaml

import ganzoo
from ganzoo import runs
from helpers import VARIANT_CASES, image_dataset, make_gan


@pytest.fixture
def trained_gan():
    gan = make_gan(ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8))
    gan.fit(image_dataset(32, (8, 8, 1), 8), epochs=1, verbose=0)
    return gan


@pytest.mark.parametrize("cls, kwargs", [pytest.param(c, k, id=n) for n, c, k in VARIANT_CASES])
def test_round_trip_reproduces_generate_and_optimizer_state(cls, kwargs, tmp_path):
    gan = make_gan(cls, kwargs)
    data = np.random.default_rng(1).uniform(-1, 1, (16, *gan.data_shape)).astype("float32")
    gan.fit(data, batch_size=8, epochs=1, verbose=0)
    runs.save_run(gan, tmp_path, config={"name": "x"}, metadata={"epochs": 1})
    loaded = runs.load_run(tmp_path)

    assert type(loaded) is cls
    np.testing.assert_array_equal(loaded.generate(16, seed=3), gan.generate(16, seed=3))
    assert int(loaded.g_optimizer.iterations) == 2
    assert int(loaded.d_optimizer.iterations) == 2 * gan.discriminator_steps
    for name in ("g_optimizer", "d_optimizer"):
        saved, restored = getattr(gan, name).variables, getattr(loaded, name).variables
        for before, after in zip(saved, restored, strict=True):
            np.testing.assert_array_equal(np.array(before), np.array(after))


def test_the_folder_describes_itself(trained_gan, tmp_path):
    runs.save_run(trained_gan, tmp_path, config={"name": "x"}, metadata={"epochs": 1})
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["variant"] == "DCGAN"
    assert metadata["noise_seed"] == trained_gan.seed
    assert metadata["generator_steps"] == 4 and metadata["epochs"] == 1
    assert set(metadata["versions"]) >= {"ganzoo", "tensorflow", "keras"}
    assert yaml.safe_load((tmp_path / "config.yaml").read_text()) == {"name": "x"}


def test_generator_keras_file_loads_on_its_own(trained_gan, tmp_path):
    import keras

    runs.save_run(trained_gan, tmp_path)
    generator = keras.saving.load_model(tmp_path / "generator.keras")
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(generator(z), trained_gan.generator(z, training=False), atol=1e-6)


def test_custom_optimizers_and_steps_per_execution_survive_the_round_trip(tmp_path):
    import keras

    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=4, hidden_units=(8,))
    gan.compile(g_optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                d_optimizer=keras.optimizers.RMSprop(1e-3), steps_per_execution=4)
    loaded = runs.load_run(runs.save_run(gan, tmp_path))
    assert isinstance(loaded.g_optimizer, keras.optimizers.SGD)
    assert isinstance(loaded.d_optimizer, keras.optimizers.RMSprop)
    assert loaded.steps_per_execution == 4


def test_a_folder_that_is_not_a_run_is_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="not a ganzoo run folder"):
        runs.load_run(tmp_path)
