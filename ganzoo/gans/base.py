"""The shared GAN machinery every latent-noise variant builds on.

`GAN` owns a generator and a discriminator and trains them with the canonical
alternating step (update D, then G, each with its own tape and its own variables).
A variant changes behaviour through small hooks -- `discriminator_loss`,
`generator_loss`, `discriminator_steps`, `default_optimizer` -- never by copying
the step. Optimizers, distribution scaling and training noise come from
`AdversarialModel`; trackers get the unscaled losses. `test_step` judges held-out
real samples and fresh fakes; `generate` and `interpolate` are the inference side.
"""

import numpy as np
import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans import ema
from ganzoo.gans.adversarial import (AdversarialModel, after_batch, apply_gradients,
                                     scale_for_gradients)
from ganzoo.gans.augment import ADA, make_augment
from ganzoo.gans.input_checks import check_real_batch
from ganzoo.gans.latents import checked_latents, slerp
from ganzoo.gans.trackers import Trackers
from ganzoo.nets.discriminator_options import pack_samples, packed_shape

# Noise stream of the evaluation fakes, apart from every training draw.
_EVALUATION_STREAM = 2**20
# Folded into an update's seed: real and fake images get their own augmentations.
_REAL, _FAKE = 1, 2


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
        ema_decay: keep `generator_ema`, an exponential moving average of the
            generator's weights updated after every generator step (Karras et al.
            2018 use 0.999), which `generate`, `interpolate` and `gan(z)` then run;
            None (default): no average. See `ganzoo.gans.ema`.
        ema_warmup: cap the average's half-life at this fraction of the generator
            steps so far (StyleGAN2-ADA's ramp-up, 0.05 there), so that a young
            average is not dominated by the initial weights; None: constant decay.
        augment: differentiable augmentation of every image D sees, real and fake, in
            both updates, gradients flowing through it to G: "diffaugment" (Zhao et
            al. 2020; policies color, translation, cutout, or a subset:
            "diffaugment:translation,cutout") or "ada" (Karras et al. 2020: its
            probability p adapts to D's overfitting, logged as `augment_p`, saved with
            the weights). None: none. See `ganzoo.gans.augment`.
        augment_options: the augmenter's options, e.g. `{"target": 0.6,
            "speed_images": 100_000}` for ADA.
        seed: seed of the training noise; None draws one from NumPy's global state,
            so `keras.utils.set_random_seed` makes runs reproducible.

    Example:
        >>> gan = GAN(generator=G, discriminator=D)
        >>> gan.compile()
        >>> gan.fit(dataset, epochs=3, validation_data=held_out)   # logs val_d_loss, ...
        >>> images = gan.generate(16, seed=0)              # or gan.predict(latents)
        >>> strip = gan.interpolate(0, 1, steps=8)
    """

    network_arguments = ("generator", "discriminator")
    # Adversarial losses (names in ganzoo.losses.LOSSES) that make sense for the variant.
    supported_losses = ("non_saturating", "minimax", "least_squares", "hinge")
    # Latent spaces `interpolate` can walk: "z", the generator's Gaussian input.
    latent_spaces = ("z",)
    # Whether `generate` (and `ganzoo eval` / `sample`) take a truncation psi.
    supports_truncation = False

    def __init__(self, generator, discriminator, *, loss="non_saturating",
                 label_smoothing=0.0, pack=1, ema_decay=None, ema_warmup=None, augment=None,
                 augment_options=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_networks(generator, discriminator, pack)
        if loss not in self.supported_losses:
            raise ValueError(f"{type(self).__name__} does not train with loss {loss!r}; "
                             f"it supports {list(self.supported_losses)}.")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing}.")
        self.generator = generator
        self.discriminator = discriminator
        self.ema_decay, self.ema_warmup = ema.check_arguments(ema_decay, ema_warmup)
        self.generator_ema = None if self.ema_decay is None else ema.averaged_copy(generator)
        self.latent_dim = int(generator.input_shape[-1])
        self.data_shape = tuple(generator.output_shape[1:])
        self.loss_name = loss
        self._d_loss_fn, self._g_loss_fn = losses.get_loss_pair(loss)
        self.label_smoothing = float(label_smoothing)
        # A loss that does not take label smoothing says so now, not at the first step.
        self._d_loss_fn(tf.zeros((1, 1)), tf.zeros((1, 1)), self.label_smoothing)
        self.pack = int(pack)
        self.augment, self.augment_options = augment, dict(augment_options or {})
        self.augmenter = make_augment(augment, **self.augment_options)
        if self.augmenter is not None and len(self.data_shape) != 3:
            raise ValueError(f"augment={augment!r} transforms images; this GAN makes samples of "
                             f"shape {self.data_shape}.")
        # ADA's augmentation probability is logged with the losses (and so in TensorBoard).
        self.trackers = Trackers(("d_loss", "g_loss")
                                 + (("augment_p",) if isinstance(self.augmenter, ADA) else ()))
        self.evaluation_trackers = Trackers(("d_loss", "d_real_accuracy", "d_fake_accuracy"),
                                            name="evaluation_trackers")

    # ----------------------------------------------------------------- configuration

    @property
    def generator_variables(self):
        return self.generator.trainable_variables

    @property
    def discriminator_variables(self):
        return self.discriminator.trainable_variables

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "loss": self.loss_name,
            "label_smoothing": self.label_smoothing,
            "pack": self.pack,
            "ema_decay": self.ema_decay,
            "ema_warmup": self.ema_warmup,
            "augment": self.augment,
            "augment_options": self.augment_options,
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

    @property
    def decision_threshold(self):
        """The score above which D calls a sample real, for `test_step`'s accuracies.

        0 for logits (cross-entropy: probability 1/2) and for the hinge loss (the
        middle of its margins -1 and +1). Least squares trains towards 0 (fake) and
        `1 - label_smoothing` (real): their midpoint. A Wasserstein critic's scores are
        defined up to a constant (adding one changes neither loss), so its 0 is a
        convention: compare its accuracies across checkpoints and splits, not with 1/2.
        """
        if self.loss_name == "least_squares":
            return 0.5 * (1.0 - self.label_smoothing)
        return 0.0

    # ---------------------------------------------------------------------- training

    def train_step(self, data):
        with after_batch(data):
            real = check_real_batch(_samples_of(data), self.data_shape,
                                    step=self.g_optimizer.iterations)
            if self.pack > 1:
                real = _checked_packable(real, self.pack)
            batch_size = tf.shape(real)[0]

            # 1. discriminator: a Python loop, since tf.cond around apply_gradients fails
            #    under MirroredStrategy.
            for step in range(self.discriminator_steps):
                d_loss = self._discriminator_update(real, batch_size, noise_stream=step)

            # 2. generator, with fresh noise; its average (if any) follows the new weights
            steps_before = (None if self.generator_ema is None
                            else tf.cast(self.g_optimizer.iterations, tf.int64))
            g_loss = self._generator_update(batch_size, noise_stream=self.discriminator_steps)
            if self.generator_ema is not None:
                self._update_generator_ema(steps_before)

            # 3. metrics: true (unscaled) loss values
            logged = {"d_loss": d_loss, "g_loss": g_loss}
            if isinstance(self.augmenter, ADA):
                logged["augment_p"] = self.augmenter.p
            self.trackers.update(logged)
            return self.trackers.logs()

    def test_step(self, data):
        """D's loss and accuracies on held-out real samples and on fresh fakes.

        What `evaluate` returns and `fit(validation_data=...)` logs as `val_*`:
        `d_loss`, the adversarial loss alone (WGAN-GP's penalty left out: a critic's
        loss is then minus its estimate of the Wasserstein distance, and a gap between
        training and held-out values signals overfitting, as Gulrajani et al. 2017
        watch it); `d_real_accuracy`, the fraction of real samples scored
        above `decision_threshold`; `d_fake_accuracy`, of fakes scored at or below it.
        Both networks run in inference mode; the fakes come from `evaluation_latent`.
        """
        real = check_real_batch(_samples_of(data), self.data_shape)
        if self.pack > 1:
            real = _checked_packable(real, self.pack)
        # The raw generator, not its EMA: this measures D against what it trains on.
        fake = self.generator(self.evaluation_latent(tf.shape(real)[0]), training=False)
        real_scores, fake_scores = (
            tf.cast(self.discriminator(pack_samples(samples, self.pack), training=False),
                    tf.float32)
            for samples in (real, fake))
        threshold = self.decision_threshold
        self.evaluation_trackers.update({
            "d_loss": self._d_loss_fn(real_scores, fake_scores, self.label_smoothing),
            "d_real_accuracy": tf.cast(real_scores > threshold, tf.float32),
            "d_fake_accuracy": tf.cast(fake_scores <= threshold, tf.float32)})
        return self.evaluation_trackers.logs()

    def _discriminator_update(self, real, batch_size, noise_stream):
        # G runs outside the tape: D's update needs no gradient through G.
        fake = self.generator(self.sample_latent(batch_size, noise_stream), training=True)
        # D sees only augmented images, real and fake alike (penalties included).
        real = self.augmented(real, noise_stream, _REAL)
        fake = self.augmented(fake, noise_stream, _FAKE)
        with tf.GradientTape() as tape:
            real_scores = self.judge(real)
            fake_scores = self.judge(fake)
            loss = self.discriminator_loss(real, fake, real_scores, fake_scores, noise_stream)
            scaled_loss = scale_for_gradients(self.d_optimizer, loss)
        apply_gradients(self.d_optimizer, tape, scaled_loss, self.discriminator.trainable_variables)
        if isinstance(self.augmenter, ADA):
            # the overfitting heuristic is the sign of D's real scores around its threshold
            self.augmenter.update(tf.cast(real_scores, tf.float32) - self.decision_threshold,
                                  images=batch_size)
        return loss

    def _generator_update(self, batch_size, noise_stream):
        latent = self.sample_latent(batch_size, noise_stream)
        with tf.GradientTape() as tape:
            # gradients flow through the (differentiable) augmentation into G
            fake = self.augmented(self.generator(latent, training=True), noise_stream, _FAKE)
            fake_scores = self.judge(fake)
            loss = self.generator_loss(fake_scores)
            scaled_loss = scale_for_gradients(self.g_optimizer, loss)
        apply_gradients(self.g_optimizer, tape, scaled_loss, self.generator.trainable_variables)
        return loss

    def _update_generator_ema(self, steps_before):
        # A step the loss-scale optimizer skipped (non-finite gradients) is no generator
        # step: the average stays as it is (decay 1).
        applied = tf.cast(self.g_optimizer.iterations, tf.int64) > steps_before
        decay = ema.decay_at(self.ema_decay, self.ema_warmup, steps_before)
        ema.update(self.generator_ema, self.generator, tf.where(applied, decay, 1.0))

    def augmented(self, images, noise_stream, which):
        """`images` through the augmentation (if any), with stateless randomness of
        (seed, step, stream, replica) and of which images they are (`_REAL`, `_FAKE`)."""
        if self.augmenter is None:
            return images
        seed = tf.random.experimental.stateless_fold_in(self.noise_seed(noise_stream), which)
        return self.augmenter(images, seed)

    def judge(self, samples):
        """D's outputs on a batch, in training mode, packed into groups when pack > 1."""
        return self.discriminator(pack_samples(samples, self.pack), training=True)

    def sample_latent(self, batch_size, noise_stream=0):
        """Latent vectors from the prior N(0, I) for one update of the current step."""
        return tf.random.stateless_normal((batch_size, self.latent_dim),
                                          seed=self.noise_seed(noise_stream))

    def evaluation_latent(self, batch_size):
        """Latent vectors for the fakes of one `test_step` batch.

        Stateless, from a stream no training draw uses, and a function of (seed,
        generator step, batch position within the evaluation, replica): evaluating the
        same weights twice judges the same fakes, and training noise is untouched.
        """
        # batches judged so far in this evaluation (the trackers are reset at its start)
        position = tf.cast(self.evaluation_trackers["d_loss"].count, tf.int64)
        seed = tf.random.experimental.stateless_fold_in(self.noise_seed(_EVALUATION_STREAM),
                                                        position)
        return tf.random.stateless_normal((batch_size, self.latent_dim), seed=seed)

    # -------------------------------------------------------------------- inference

    def inference_generator(self, use_ema=True):
        """The network samples come from: `generator_ema` when the GAN keeps one and
        `use_ema` is true, else the raw `generator`."""
        if use_ema and self.generator_ema is not None:
            return self.generator_ema
        return self.generator

    def prior_latents(self, num, seed=None):
        """The latent vectors `generate(num, seed=seed)` uses: N(0, I), float32
        `(num, latent_dim)` from `np.random.default_rng(seed)`."""
        return np.random.default_rng(seed).standard_normal((num, self.latent_dim)).astype("float32")

    def generate(self, num=None, seed=None, latents=None, batch_size=256, use_ema=True):
        """Samples as a NumPy array in the generator's range ([-1, 1] for images).

        Args:
            num: how many samples; may be left out when `latents` are given.
            seed: seed of the drawn latents (`prior_latents`): the same seed always
                gives the same samples.
            latents: your own latent vectors, `(n, latent_dim)`, instead of drawn ones
                (then no `seed`).
            batch_size: latent vectors per forward pass.
            use_ema: with a generator EMA (`ema_decay`), sample from the averaged
                weights (default); False takes the raw generator's.

        Example:
            >>> gan.generate(16, seed=0).shape          # (16, *gan.data_shape)
            >>> gan.generate(latents=np.zeros((1, gan.latent_dim)))   # the prior's mode
        """
        latents = self.latents_for(num, seed, latents)
        generator = self.inference_generator(use_ema)
        chunks = [keras.ops.convert_to_numpy(generator(latents[i:i + batch_size], training=False))
                  for i in range(0, len(latents), batch_size)]
        if not chunks:
            return np.zeros((0, *self.data_shape), "float32")
        return np.concatenate(chunks, axis=0)

    def latents_for(self, num=None, seed=None, latents=None):
        """The latent vectors `generate(num, seed=seed, latents=latents)` samples from:
        `latents` checked (shape, and no `seed`), else `prior_latents(num, seed)`."""
        if latents is None:
            if num is None:
                raise ValueError("generate needs num (how many samples) or latents (your own "
                                 f"latent vectors, shape (n, {self.latent_dim})).")
            return self.prior_latents(num, seed)
        return checked_latents(latents, self.latent_dim, num=num, seed=seed)

    def interpolate(self, seed_a, seed_b, steps=8, space="z", batch_size=256, use_ema=True):
        """Samples along the spherical path (slerp) between two seeds' latent vectors.

        White 2016, "Sampling Generative Networks": a straight line between two
        Gaussian latents passes through atypically short vectors; slerp keeps to the
        shell where the prior's samples lie (see `ganzoo.gans.latents.slerp`). The
        ends are exactly `generate(1, seed=seed_a)` and `generate(1, seed=seed_b)`.

        Args:
            seed_a, seed_b: seeds of the two ends, as `generate`'s `seed`.
            steps: number of samples, both ends included (at least 2).
            space: the latent space walked, one of `latent_spaces` ("z": the
                generator's Gaussian input).
            batch_size: samples per forward pass.
            use_ema: as for `generate`.

        Returns:
            NumPy array `(steps, *data_shape)`.

        Example:
            >>> strip = gan.interpolate(0, 1, steps=10)
        """
        self.check_path(space, steps)
        ends = [self.prior_latents(1, seed)[0] for seed in (seed_a, seed_b)]
        return self.generate(latents=slerp(*ends, np.linspace(0.0, 1.0, steps)),
                             batch_size=batch_size, use_ema=use_ema)

    def check_path(self, space, steps):
        """Refuse an `interpolate` walk in a latent space the variant lacks
        (`latent_spaces`), or of fewer than 2 steps."""
        if space not in self.latent_spaces:
            raise ValueError(f"{type(self).__name__} interpolates in latent space "
                             f"{' or '.join(map(repr, self.latent_spaces))}; got space={space!r}.")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
            raise ValueError("steps must be an integer of at least 2 (both ends included); "
                             f"got {steps!r}.")


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
