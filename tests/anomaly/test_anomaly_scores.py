"""Each score is the paper's formula, recomputed here from the detector's own networks."""

import numpy as np
import pytest
import tensorflow as tf

from anomaly_cases import constant_image, mixed_images, other_images


def _images():
    return np.concatenate([mixed_images(6), other_images(), constant_image()[None]])


def test_ganomaly_scores_the_mean_squared_distance_of_the_two_latent_codes(constant_detectors):
    detector = constant_detectors["GANomaly"]
    images = _images()
    latent_in = detector.encoder(images, training=False).numpy()
    latent_out = detector.encoder_2(detector.decoder(latent_in, training=False),
                                    training=False).numpy()
    expected = np.mean((latent_in - latent_out) ** 2, axis=1)
    np.testing.assert_allclose(detector.score(images), expected, rtol=1e-5, atol=1e-12)


def test_fanogan_scores_image_residual_plus_kappa_times_feature_residual(constant_detectors):
    detector = constant_detectors["FAnoGAN"]
    images = _images()
    reconstruction = detector.generator(detector.encoder(images, training=False),
                                        training=False).numpy()
    # the critic's last hidden layer: the input of its logit layer
    head = detector.critic.get_layer("logit")
    features = tf.keras.Model(detector.critic.input, head.input)
    image_residual = np.mean((images - reconstruction) ** 2, axis=(1, 2, 3))
    feature_residual = np.mean((features(images).numpy() - features(reconstruction).numpy()) ** 2,
                               axis=1)
    assert np.all(feature_residual > 0)
    expected = image_residual + detector.kappa * feature_residual
    np.testing.assert_allclose(detector.score(images), expected, rtol=1e-5)
    image_part, feature_part = detector.residuals(images)
    np.testing.assert_allclose(image_part, image_residual, rtol=1e-5)
    np.testing.assert_allclose(feature_part, feature_residual, rtol=1e-5)


def test_fanogan_kappa_weights_the_feature_residual(constant_detectors):
    detector = constant_detectors["FAnoGAN"]
    images = _images()
    image_part, feature_part = detector.residuals(images)
    detector.kappa = 3.0
    try:
        np.testing.assert_allclose(detector.score(images), image_part + 3.0 * feature_part,
                                   rtol=1e-6)
    finally:
        detector.kappa = 1.0


def test_the_discriminator_baseline_scores_minus_the_logit(constant_detectors):
    detector = constant_detectors["DiscriminatorLogit"]
    images = _images()
    logits = detector.gan.discriminator(images, training=False).numpy().reshape(-1)
    np.testing.assert_allclose(detector.score(images), -logits, rtol=1e-6)


def test_pca_scores_the_error_of_the_projection_on_the_kept_components():
    from ganzoo.anomaly import PCA

    rng = np.random.default_rng(0)
    # normal images vary along two directions only
    directions = rng.normal(size=(2, 16))
    normal = (rng.normal(size=(50, 2)) @ directions * 0.1).reshape(50, 4, 4, 1)
    detector = PCA(image_shape=(4, 4, 1), components=2).fit(normal.astype(np.float32))
    assert detector.num_components == 2
    inside = (np.array([[0.3, -0.2]]) @ directions * 0.1).reshape(1, 4, 4, 1)
    outside = inside + 0.2 * np.eye(16)[3].reshape(1, 4, 4, 1)
    scores = detector.score(np.concatenate([inside, outside]).astype(np.float32))
    assert scores[0] < 1e-6 < scores[1]
    # a variance fraction keeps the fewest components that explain it
    assert PCA(image_shape=(4, 4, 1), components=0.5).fit(
        normal.astype(np.float32)).num_components in (1, 2)


def test_ganomaly_trains_g_on_the_papers_weighted_sum(constant_detectors):
    detector = constant_detectors["GANomaly"]
    assert (detector.adversarial_weight, detector.contextual_weight,
            detector.latent_weight) == (1.0, 50.0, 1.0)
    history = detector.history
    for epoch in range(len(history["g_loss"])):
        expected = (1.0 * history["adversarial_loss"][epoch]
                    + 50.0 * history["contextual_loss"][epoch]
                    + 1.0 * history["latent_loss"][epoch])
        assert history["g_loss"][epoch] == pytest.approx(expected, rel=1e-4)
    assert history["contextual_loss"][-1] < history["contextual_loss"][0]


def test_fanogan_trains_its_encoder_on_image_plus_kappa_feature_residuals(constant_detectors):
    history = constant_detectors["FAnoGAN"].history
    assert history["wgan_d_loss"] and history["wgan_g_loss"]
    for loss, image, feature in zip(history["encoder_loss"], history["encoder_image_loss"],
                                    history["encoder_feature_loss"]):
        assert feature > 0 and loss == pytest.approx(image + 1.0 * feature, rel=1e-4)
    assert history["encoder_loss"][-1] < history["encoder_loss"][0]
