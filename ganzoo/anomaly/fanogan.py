"""f-AnoGAN (Schlegl et al. 2019): a WGAN-GP of normal images, then an izi_f encoder.

Settings from the paper and its reference code (github.com/tSchlegl/f-AnoGAN,
wgangp_64x64.py, z_encoding_izif.py, anomaly_detection.py):
1. a WGAN-GP trained on normal images only: 5 critic updates per generator update,
   gradient penalty 10, Adam(1e-4, beta_1 0, beta_2 0.9), latent size 128, batch 64
   (`ganzoo.WGANGP`, whose defaults these are);
2. with G and D frozen (inference mode), an encoder E (the critic's architecture with
   batch norm, and tanh on its output: the paper's default "tanh_fc") trained izi_f:
   image -> z -> image, minimising
       MSE(x, G(E(x))) + kappa * MSE(f(x), f(G(E(x))))
   with f the critic's last hidden layer and kappa = 1, by RMSprop(5e-5).
The score of an image is the same sum for that image alone: the image residual plus
kappa times the feature residual (means over pixels and over features).

Differences: the networks are ganzoo's DCGAN generator and layer-norm critic (the
reference uses residual networks at 64x64), and both stages count epochs of the normal
set (the reference trains the encoder for 50,000 iterations).
"""

import keras
import tensorflow as tf

import ganzoo
from ganzoo.anomaly.base import (AnomalyDetector, history_of, image_batches, network_state,
                                 register, seeded, set_network_state)
from ganzoo.anomaly.networks import dcgan_encoder, discriminator_features
from ganzoo.anomaly.scoring import eager_scores
from ganzoo.gans.adversarial import scale_for_gradients
from ganzoo.gans.trackers import Trackers


@register
class FAnoGAN(AnomalyDetector):
    """WGAN-GP plus an izi_f encoder; score = image residual + kappa * feature residual.

    Schlegl et al. 2019, "f-AnoGAN: Fast unsupervised anomaly detection with
    generative adversarial networks", Medical Image Analysis 54.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4, 1 or 3 channels.
        latent_dim: size of the WGAN's latent vector (128 in the paper).
        base_filters: width of the generator, critic and encoder (64 in the paper).
        n_critic, gp_weight: the WGAN-GP's critic updates per generator update and
            gradient-penalty weight (5 and 10).
        learning_rate: the WGAN-GP's Adam learning rate, for G and D (1e-4; betas 0, 0.9).
        kappa: weight of the feature residual, in training and in the score (1.0).
        encoder_learning_rate: RMSprop's, for the encoder (5e-5).
        encoder_epochs: epochs of encoder training; None trains it as many epochs as
            the WGAN (the `epochs` of `fit`).
        seed: see `AnomalyDetector`; also the WGAN's training noise.

    Example:
        >>> detector = FAnoGAN(image_shape=(32, 32, 1), base_filters=32)
        >>> detector.fit(normal_images, epochs=20)
        >>> image_part, feature_part = detector.residuals(test_images)
    """

    default_epochs = 20
    score_name = "image + kappa * feature residual"

    def __init__(self, image_shape=(32, 32, 1), latent_dim=128, base_filters=64, n_critic=5,
                 gp_weight=10.0, learning_rate=1e-4, kappa=1.0, encoder_learning_rate=5e-5,
                 encoder_epochs=None, seed=0):
        super().__init__(image_shape, seed)
        self.latent_dim, self.base_filters = int(latent_dim), int(base_filters)
        self.n_critic, self.gp_weight = int(n_critic), float(gp_weight)
        self.learning_rate, self.kappa = float(learning_rate), float(kappa)
        self.encoder_learning_rate = float(encoder_learning_rate)
        self.encoder_epochs = None if encoder_epochs is None else int(encoder_epochs)
        seeded(self.seed)
        self.gan = ganzoo.WGANGP(image_shape=self.image_shape, latent_dim=self.latent_dim,
                                 base_filters=self.base_filters, n_critic=self.n_critic,
                                 gp_weight=self.gp_weight, seed=self.seed)
        self.generator, self.critic = self.gan.generator, self.gan.discriminator
        self.encoder = dcgan_encoder(self.image_shape, self.latent_dim, self.base_filters,
                                     latent_activation="tanh", name="encoder")
        self.features = discriminator_features(self.critic)

    def _networks(self):
        return {"generator": self.generator, "critic": self.critic, "encoder": self.encoder}

    def _fit(self, images, epochs, batch_size, verbose):
        batches = image_batches(images, batch_size, self.seed)
        # 1. the WGAN-GP on normal images, with its paper's Adam betas (0, 0.9)
        self.gan.compile(*(keras.optimizers.Adam(self.learning_rate, beta_1=0.0, beta_2=0.9)
                           for _ in range(2)))
        history = history_of(self.gan.fit(batches, epochs=epochs, verbose=verbose,
                                          shuffle=False), "wgan_")
        # 2. the encoder, izi_f, against the frozen G and D
        trainer = _IziFTrainer(self.encoder, self.generator, self.features, self.kappa)
        trainer.compile(optimizer=keras.optimizers.RMSprop(self.encoder_learning_rate))
        encoder_epochs = self.encoder_epochs or epochs
        history.update(history_of(trainer.fit(batches, epochs=encoder_epochs,
                                              verbose=verbose, shuffle=False),
                                  "encoder_"))
        return history

    def residuals(self, images):
        """`(image residual, feature residual)` per image, NumPy `(N,)` each.

        The image residual is the mean over pixels of (x - G(E(x)))^2; the feature
        residual the mean over the critic's last hidden features of (f(x) - f(G(E(x))))^2.
        """
        image_part, feature_part = _residuals(
            tf.convert_to_tensor(images), self.encoder, self.generator, self.features)
        return image_part.numpy(), feature_part.numpy()

    def score_tensor(self, images):
        """Scores of a batch as a tensor; eager or symbolic (see `ganzoo.anomaly.scoring`)."""
        image_part, feature_part = _residuals(images, self.encoder, self.generator,
                                              self.features)
        return image_part + self.kappa * feature_part

    def _score(self, images):
        return eager_scores(self, images)

    def state(self):
        return network_state(self._networks())

    def set_state(self, arrays):
        set_network_state(self._networks(), arrays)


def _residuals(images, encoder, generator, features, training=False):
    # keras.ops, not tf: the scoring model calls this on a keras.Input.
    reconstruction = generator(encoder(images, training=training), training=False)
    _, image_features = features(images, training=False)
    _, reconstruction_features = features(reconstruction, training=False)
    image_part = keras.ops.mean(keras.ops.square(images - reconstruction), axis=(1, 2, 3))
    feature_part = keras.ops.mean(keras.ops.square(image_features - reconstruction_features),
                                  axis=1)
    return image_part, feature_part


class _IziFTrainer(keras.Model):
    """izi_f encoder training: only the encoder learns; G and D run in inference mode."""

    def __init__(self, encoder, generator, features, kappa, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.generator, self.features = encoder, generator, features
        self.kappa = kappa
        self.trackers = Trackers(("loss", "image_loss", "feature_loss"))
        self.built = True

    @property
    def metrics(self):
        return [self.trackers]

    def train_step(self, data):
        images = tf.convert_to_tensor(data)
        with tf.GradientTape() as tape:
            image_part, feature_part = _residuals(images, self.encoder, self.generator,
                                                  self.features, training=True)
            image_loss = tf.reduce_mean(image_part)
            feature_loss = tf.reduce_mean(feature_part)
            loss = image_loss + self.kappa * feature_loss
            scaled = scale_for_gradients(self.optimizer, loss)
        variables = self.encoder.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        self.trackers.update({"loss": loss, "image_loss": image_loss,
                              "feature_loss": feature_loss})
        return self.trackers.logs()
