"""GANomaly (Akcay et al. 2018): an encoder-decoder-encoder trained adversarially.

Settings from the paper and its reference code (github.com/samet-akcay/ganomaly,
lib/model.py, lib/networks.py, options.py): G is encoder E1 -> decoder -> encoder E2;
D is a DCGAN discriminator. G minimises
    w_adv * ||f(x) - f(G(x))||^2    (feature matching on D's last hidden layer)
  + w_con * |x - G(x)|_1            (contextual)
  + w_enc * ||E1(x) - E2(G(x))||^2  (latent)
with w_adv = 1, w_con = 50, w_enc = 1 (means over elements); D minimises binary
cross-entropy on real and reconstructed images, halved, and is re-initialised when
its loss falls below 1e-5. G steps first, then D, on the same reconstruction. Adam
(2e-4, beta_1 0.5) for both; latent size 100; batch 64; 15 epochs of MNIST.
The score is the latent distance, mean over latent units of (E1(x) - E2(G(x)))^2;
the paper min-max normalises it over each test set (`protocol.minmax_normalise`), which
leaves AUROC unchanged.

Differences: scores use batch norm's moving statistics (the reference scores in
training mode, so its scores depend on the other images of the test batch), and D's
re-initialisation restores its initial weights (the reference draws new ones).
"""

import keras
import tensorflow as tf

from ganzoo.anomaly.base import (AnomalyDetector, history_of, image_batches, network_state,
                                 register, seeded, set_network_state)
from ganzoo.anomaly.networks import dcgan_encoder, discriminator_features
from ganzoo.anomaly.scoring import eager_scores
from ganzoo.gans.adversarial import (AdversarialModel, after_batch, apply_gradients,
                                     scale_for_gradients)
from ganzoo.gans.trackers import Trackers
from ganzoo.nets import dcgan_discriminator, dcgan_generator

# The reference re-initialises D when its loss drops below this.
D_COLLAPSE = 1e-5


@register
class GANomaly(AnomalyDetector):
    """Encoder-decoder-encoder GAN; score = distance between the two latent codes.

    Akcay et al. 2018, "GANomaly: Semi-Supervised Anomaly Detection via Adversarial
    Training" (ACCV).

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4, 1 or 3 channels.
        latent_dim: size of the latent code (100 in the paper).
        base_filters: width of all four networks (64 in the paper).
        adversarial_weight, contextual_weight, latent_weight: w_adv, w_con, w_enc.
        learning_rate, beta_1: Adam's, for G and D.
        seed: see `AnomalyDetector`.

    Example:
        >>> detector = GANomaly(image_shape=(32, 32, 1), base_filters=32)
        >>> detector.fit(normal_images, epochs=15)
        >>> scores = detector.score(test_images)
    """

    default_epochs = 15
    score_name = "latent distance"

    def __init__(self, image_shape=(32, 32, 1), latent_dim=100, base_filters=64,
                 adversarial_weight=1.0, contextual_weight=50.0, latent_weight=1.0,
                 learning_rate=2e-4, beta_1=0.5, seed=0):
        super().__init__(image_shape, seed)
        self.latent_dim, self.base_filters = int(latent_dim), int(base_filters)
        self.adversarial_weight = float(adversarial_weight)
        self.contextual_weight = float(contextual_weight)
        self.latent_weight = float(latent_weight)
        self.learning_rate, self.beta_1 = float(learning_rate), float(beta_1)
        seeded(self.seed)
        self.encoder = dcgan_encoder(self.image_shape, self.latent_dim, self.base_filters,
                                     name="encoder")
        self.decoder = dcgan_generator(self.latent_dim, self.image_shape, self.base_filters,
                                       name="decoder")
        self.encoder_2 = dcgan_encoder(self.image_shape, self.latent_dim, self.base_filters,
                                       name="encoder_2")
        self.discriminator = dcgan_discriminator(self.image_shape, self.base_filters)

    def _networks(self):
        return {"encoder": self.encoder, "decoder": self.decoder, "encoder_2": self.encoder_2,
                "discriminator": self.discriminator}

    def _fit(self, images, epochs, batch_size, verbose):
        trainer = _GANomalyTrainer(self, seed=self.seed)
        trainer.compile(
            g_optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1),
            d_optimizer=keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1))
        restart = _RestartCollapsedDiscriminator(self.discriminator)
        history = trainer.fit(image_batches(images, batch_size, self.seed), epochs=epochs,
                              verbose=verbose, shuffle=False, callbacks=[restart])
        self.discriminator_restarts = restart.restarts
        history = history_of(history)
        history.pop("d_loss_step", None)  # the last step's, for the restart rule only
        return history

    def latents(self, images):
        """`(E1(x), E2(G(E1(x))))` of a batch, networks in inference mode."""
        latent_in = self.encoder(images, training=False)
        latent_out = self.encoder_2(self.decoder(latent_in, training=False), training=False)
        return latent_in, latent_out

    def score_tensor(self, images):
        """Scores of a batch as a tensor; eager or symbolic (see `ganzoo.anomaly.scoring`)."""
        latent_in, latent_out = self.latents(images)
        return keras.ops.mean(keras.ops.square(latent_in - latent_out), axis=1)

    def _score(self, images):
        return eager_scores(self, images)

    def state(self):
        return network_state(self._networks())

    def set_state(self, arrays):
        set_network_state(self._networks(), arrays)


class _GANomalyTrainer(AdversarialModel):
    """The training step of GANomaly over a detector's networks, for `fit`."""

    def __init__(self, detector, **kwargs):
        super().__init__(**kwargs)
        self.detector = detector
        self.encoder, self.decoder = detector.encoder, detector.decoder
        self.encoder_2, self.discriminator = detector.encoder_2, detector.discriminator
        self.judge = discriminator_features(detector.discriminator)
        image = keras.Input(detector.image_shape)
        self.generator = keras.Model(image, self.decoder(self.encoder(image)),
                                     name="reconstruction")
        self.trackers = Trackers(("d_loss", "g_loss", "adversarial_loss", "contextual_loss",
                                  "latent_loss"))
        self.evaluation_trackers = Trackers((), name="evaluation_trackers")

    @property
    def generator_variables(self):
        return (self.encoder.trainable_variables + self.decoder.trainable_variables
                + self.encoder_2.trainable_variables)

    @property
    def discriminator_variables(self):
        return self.discriminator.trainable_variables

    def train_step(self, data):
        detector = self.detector
        with after_batch(data):
            real = tf.convert_to_tensor(data)

            # 1. generator (E1, decoder, E2): adversarial + contextual + latent losses
            with tf.GradientTape() as tape:
                latent_in = self.encoder(real, training=True)
                fake = self.decoder(latent_in, training=True)
                latent_out = self.encoder_2(fake, training=True)
                _, real_features = self.judge(real, training=True)
                _, fake_features = self.judge(fake, training=True)
                adversarial = tf.reduce_mean(tf.square(real_features - fake_features))
                contextual = tf.reduce_mean(tf.abs(real - fake))
                latent = tf.reduce_mean(tf.square(latent_out - latent_in))
                g_loss = (detector.adversarial_weight * adversarial
                          + detector.contextual_weight * contextual
                          + detector.latent_weight * latent)
                scaled = scale_for_gradients(self.g_optimizer, g_loss)
            apply_gradients(self.g_optimizer, tape, scaled, self.generator_variables)

            # 2. discriminator: real against the same (pre-update) reconstruction
            fake = tf.stop_gradient(fake)
            with tf.GradientTape() as tape:
                real_logits = self.discriminator(real, training=True)
                fake_logits = self.discriminator(fake, training=True)
                d_loss = 0.5 * (
                    tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                        labels=tf.ones_like(real_logits), logits=real_logits))
                    + tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                        labels=tf.zeros_like(fake_logits), logits=fake_logits)))
                scaled = scale_for_gradients(self.d_optimizer, d_loss)
            apply_gradients(self.d_optimizer, tape, scaled, self.discriminator_variables)

            # 3. metrics
            self.trackers.update({"d_loss": d_loss, "g_loss": g_loss,
                                  "adversarial_loss": adversarial,
                                  "contextual_loss": contextual, "latent_loss": latent})
            return {"d_loss_step": d_loss, **self.trackers.logs()}


class _RestartCollapsedDiscriminator(keras.callbacks.Callback):
    """Give D back its initial weights when a step's D loss drops below 1e-5.

    The reference code re-initialises D then, so that a D that wins outright does not
    starve G of the adversarial signal.
    """

    def __init__(self, discriminator):
        super().__init__()
        self.discriminator = discriminator
        self.initial = discriminator.get_weights()
        self.restarts = 0

    def on_train_batch_end(self, batch, logs=None):
        if logs and float(logs.get("d_loss_step", 1.0)) < D_COLLAPSE:
            self.discriminator.set_weights(self.initial)
            self.restarts += 1
