"""The shared GAN machinery every latent-noise variant builds on.

`GAN` owns a generator and a discriminator and trains them with the canonical
alternating step (update D, then G, each with its own tape and its own variables).
A variant changes behaviour through small hooks -- `discriminator_loss`,
`generator_loss`, `discriminator_steps`, `default_optimizer` -- never by copying
the step. Optimizers, distribution scaling and training noise come from
`AdversarialModel`; trackers get the unscaled losses.
"""

import numpy as np
import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans.adversarial import (AdversarialModel, apply_gradients, scale_for_gradients,
                                     step_logs)
from ganzoo.gans.input_checks import check_real_batch
from ganzoo.nets.discriminator_options import pack_samples, packed_shape


@keras.saving.register_keras_serializable(package="ganzoo")
class GAN(AdversarialModel):
    """A generator and a discriminator trained adversarially with `fit`.

    Goodfellow et al. 2014, "Generative Adversarial Nets".

    Args:
        generator: a `keras.Model` from latent vectors `(batch, latent_dim)` to samples.
        discriminator: a `keras.Model` from samples to one logit per sample.
        loss: name of the adversarial loss, one of the variant's `supported_losses`.
        label_smoothing: one-sided smoothing of D's real targets (0.1 makes them 0.9);
            for the cross-entropy and least-squares losses.
        pack: D judges this many samples jointly (PacGAN, Lin et al. 2018); the
            discriminator's input stacks them along the last axis, and the batch
            size must be a multiple of it.
        seed: seed of the training noise; None draws one from NumPy's global state,
            so `keras.utils.set_random_seed` makes runs reproducible.

    Example:
        >>> gan = GAN(generator=G, discriminator=D)
        >>> gan.compile()
        >>> gan.fit(dataset, epochs=3)
        >>> images = gan.generate(16, seed=0)
    """

    network_arguments = ("generator", "discriminator")
    # Adversarial losses (names in ganzoo.losses.LOSSES) that make sense for the variant.
    supported_losses = ("non_saturating", "minimax", "least_squares", "hinge")

    def __init__(self, generator, discriminator, *, loss="non_saturating",
                 label_smoothing=0.0, pack=1, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_networks(generator, discriminator, pack)
        if loss not in self.supported_losses:
            raise ValueError(f"{type(self).__name__} does not train with loss {loss!r}; "
                             f"it supports {list(self.supported_losses)}.")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing}.")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(generator.input_shape[-1])
        self.data_shape = tuple(generator.output_shape[1:])
        self.loss_name = loss
        self._d_loss_fn, self._g_loss_fn = losses.get_loss_pair(loss)
        self.label_smoothing = float(label_smoothing)
        # A loss that does not take label smoothing says so now, not at the first step.
        self._d_loss_fn(tf.zeros((1, 1)), tf.zeros((1, 1)), self.label_smoothing)
        self.pack = int(pack)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    # ----------------------------------------------------------------- configuration

    @property
    def generator_variables(self):
        return self.generator.trainable_variables

    @property
    def discriminator_variables(self):
        return self.discriminator.trainable_variables

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "loss": self.loss_name,
            "label_smoothing": self.label_smoothing,
            "pack": self.pack,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # ------------------------------------------------------------------ variant hooks

    def discriminator_loss(self, real, fake, real_scores, fake_scores, noise_stream):
        """D's loss for one update, from its scores (logits) of real and fake samples.

        `real`, `fake` and `noise_stream` (for `noise_seed`) are there for penalties
        that need samples and randomness of their own (WGAN-GP).
        """
        return self._d_loss_fn(real_scores, fake_scores, self.label_smoothing)

    def generator_loss(self, fake_scores):
        """G's loss for one update, from D's scores of its samples."""
        return self._g_loss_fn(fake_scores)

    # ---------------------------------------------------------------------- training

    def train_step(self, data):
        real = check_real_batch(_samples_of(data), self.data_shape,
                                step=self.g_optimizer.iterations)
        if self.pack > 1:
            real = _checked_packable(real, self.pack)
        batch_size = tf.shape(real)[0]

        # 1. discriminator: a Python loop, since tf.cond around apply_gradients fails
        #    under MirroredStrategy.
        for step in range(self.discriminator_steps):
            d_loss = self._discriminator_update(real, batch_size, noise_stream=step)

        # 2. generator, with fresh noise
        g_loss = self._generator_update(batch_size, noise_stream=self.discriminator_steps)

        # 3. metrics: true (unscaled) loss values
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return step_logs(self.metrics)

    def _discriminator_update(self, real, batch_size, noise_stream):
        # G runs outside the tape: D's update needs no gradient through G.
        fake = self.generator(self.sample_latent(batch_size, noise_stream), training=True)
        with tf.GradientTape() as tape:
            real_scores = self.judge(real)
            fake_scores = self.judge(fake)
            loss = self.discriminator_loss(real, fake, real_scores, fake_scores, noise_stream)
            scaled_loss = scale_for_gradients(self.d_optimizer, loss)
        apply_gradients(self.d_optimizer, tape, scaled_loss, self.discriminator.trainable_variables)
        return loss

    def _generator_update(self, batch_size, noise_stream):
        latent = self.sample_latent(batch_size, noise_stream)
        with tf.GradientTape() as tape:
            fake_scores = self.judge(self.generator(latent, training=True))
            loss = self.generator_loss(fake_scores)
            scaled_loss = scale_for_gradients(self.g_optimizer, loss)
        apply_gradients(self.g_optimizer, tape, scaled_loss, self.generator.trainable_variables)
        return loss

    def judge(self, samples):
        """D's outputs on a batch, in training mode, packed into groups when pack > 1."""
        return self.discriminator(pack_samples(samples, self.pack), training=True)

    def sample_latent(self, batch_size, noise_stream=0):
        """Latent vectors from the prior N(0, I) for one update of the current step."""
        return tf.random.stateless_normal((batch_size, self.latent_dim),
                                          seed=self.noise_seed(noise_stream))

    # -------------------------------------------------------------------- inference

    def generate(self, num, seed=None, batch_size=256):
        """`num` samples as a NumPy array in the generator's range ([-1, 1] for images).

        The same `seed` always gives the same samples.
        """
        latent = np.random.default_rng(seed).standard_normal((num, self.latent_dim))
        latent = latent.astype("float32")
        chunks = [self.generator(latent[i:i + batch_size], training=False)
                  for i in range(0, num, batch_size)]
        return np.concatenate([keras.ops.convert_to_numpy(c) for c in chunks], axis=0)


def _samples_of(data):
    # Unconditional GANs accept (image, label) batches and ignore the labels.
    return data[0] if isinstance(data, (tuple, list)) else data


def _checked_packable(real, pack):
    message = f"pack={pack} needs batches whose size is a multiple of {pack}"
    if real.shape[0] is not None:  # known when tracing: say so before any step runs
        if real.shape[0] % pack:
            raise ValueError(f"{message}; got batches of {real.shape[0]}.")
        return real
    # a dynamic batch (drop_remainder=False) is checked as it comes, before any use
    check = tf.debugging.assert_equal(tf.shape(real)[0] % pack, 0, message=message)
    with tf.control_dependencies([check]):
        return tf.identity(real)


def _check_networks(generator, discriminator, pack):
    for role, net in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(net, keras.Model):
            raise TypeError(f"{role} must be a keras.Model; got {type(net).__name__}.")
    if len(generator.input_shape) != 2:
        raise ValueError("The generator must take latent vectors of shape (batch, latent_dim); "
                         f"its input shape is {generator.input_shape}.")
    produced = packed_shape(generator.output_shape[1:], pack)
    expected = tuple(discriminator.input_shape[1:])
    if produced != expected:
        packing = f" (packed {pack} at a time)" if pack > 1 else ""
        raise ValueError(f"The generator makes samples of shape "
                         f"{tuple(generator.output_shape[1:])}{packing} but the "
                         f"discriminator expects {expected}.")
    if tuple(discriminator.output_shape[1:]) != (1,):
        raise ValueError("The discriminator must output one logit per sample, shape "
                         f"(batch, 1); its output shape is {discriminator.output_shape}.")
