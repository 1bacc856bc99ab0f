"""Augmentation inside the GAN step: every image D sees, real and fake, in both
updates; ADA's p adapts in a real fit, is logged and survives a resume."""

import json

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo.gans.augment import Augmenter
from ganzoo.training import train
from helpers import Crash, assert_same_weights, tiny_config, weights_of


class Blackout(Augmenter):
    """Maps every image to black: differentiable, and hides every image D sees."""

    def augment(self, images, seed):
        return images * 0.0 - 1.0


def tiny_images(num=64, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (num, 8, 8, 1)).astype("float32")


@pytest.mark.parametrize("cls, extra", [(ganzoo.DCGAN, {}), (ganzoo.WGANGP, {"n_critic": 2})])
def test_d_sees_only_augmented_images_in_both_updates(cls, extra):
    gan = cls(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, augment=Blackout(), seed=0,
              **extra)
    gan.compile()
    generator_before = weights_of(gan.generator)
    history = gan.fit(tiny_images(), batch_size=16, epochs=2, verbose=0)
    # Real and fake both black to D: it cannot tell them apart, and G, judged only
    # through the blackout, gets no gradient at all.
    for before, after in zip(generator_before, weights_of(gan.generator)):
        np.testing.assert_array_equal(before, after)
    if cls is ganzoo.DCGAN:
        np.testing.assert_allclose(history.history["d_loss"], 2 * np.log(2), rtol=1e-5)


def test_without_augmentation_the_same_run_moves_the_generator():
    # the control of the test above: it is the augmentation that stops G's gradient
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0)
    gan.compile()
    before = weights_of(gan.generator)
    gan.fit(tiny_images(), batch_size=16, epochs=1, verbose=0)
    assert any(not np.array_equal(b, a) for b, a in zip(before, weights_of(gan.generator)))


def test_ada_p_rises_while_d_overfits_a_tiny_dataset_and_is_logged():
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, augment="ada",
                       augment_options={"speed_images": 1_000, "interval": 1}, seed=0)
    # a fast-learning D on 16 images: it soon tells them from G's samples
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    history = gan.fit(tiny_images(16), batch_size=16, epochs=60, verbose=0)
    p = history.history["augment_p"]
    assert p[0] < 0.05 and p[-1] > 0.2 and float(gan.augmenter.p) > 0.2
    assert float(gan.augmenter.rt) > gan.augmenter.target - 0.2


def test_augmentation_of_2d_points_is_refused():
    with pytest.raises(ValueError, match="transforms images"):
        ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(8,), augment="diffaugment")


def test_the_augmentation_is_part_of_the_config():
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                       augment="diffaugment:translation", seed=0)
    clone = ganzoo.DCGAN.from_config(gan.get_config())
    assert clone.augment == "diffaugment:translation" and clone.augmenter is not None


def test_a_resumed_ada_run_keeps_p_and_ends_as_an_uninterrupted_one(tmp_path):
    config = tiny_config(epochs=2)
    config["model"].update(augment="ada", augment_options={"speed_images": 5_000})
    train(config, tmp_path / "whole", verbose=0, checkpoint_every=10, deterministic=True)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "resumed", verbose=0, checkpoint_every=10, deterministic=True,
              callbacks=[Crash(57)])
    gan = train(config, tmp_path / "resumed", verbose=0, checkpoint_every=10, deterministic=True)
    assert float(gan.augmenter.p) > 0
    assert_same_weights(tmp_path / "whole", tmp_path / "resumed")  # p and its counters too
    metadata = json.loads((tmp_path / "resumed" / "metadata.json").read_text())
    assert "augment_p" in metadata["final_losses"]
