"""The shared GAN machinery every latent-noise variant builds on.

`GAN` owns a generator and a discriminator and trains them with the canonical
alternating step (update D, then G, each with its own tape and its own variables).
A variant changes behaviour through small hooks -- `discriminator_loss`,
`generator_loss`, `discriminator_steps`, `default_optimizer` -- never by copying
the step. Optimizers, distribution scaling and training noise come from
`AdversarialModel`; trackers get the unscaled losses. `test_step` judges held-out
real samples and fresh fakes; `generate` and `interpolate` are the inference side.

Class conditioning (`num_classes`, `conditioning`) lives here and in
`ganzoo.nets.conditioning`: the variant builds its networks with the label inputs, and
the step takes `(samples, labels)` batches, draws uniform labels for every update's
fakes from the same stateless noise seed as their latents, and feeds labels to G and D
(`generator_inputs`, `discriminate`); an auxiliary classifier adds its loss here.
"""

import numpy as np
import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans import ema
from ganzoo.gans.adversarial import (AdversarialModel, after_batch, apply_gradients,
                                     scale_for_gradients)
from ganzoo.gans.augment import ADA, make_augment
from ganzoo.gans.class_labels import labels_for_generate, sample_labels
from ganzoo.gans.input_checks import check_real_batch, split_batch
from ganzoo.gans.latents import check_threshold, checked_latents, slerp, truncated_normal
from ganzoo.gans.trackers import Trackers
from ganzoo.nets.conditioning import check_conditioning
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
        generator: a `keras.Model` from latent vectors `(batch, latent_dim)` to samples
            (conditional: from `[latents, labels]`).
        discriminator: a `keras.Model` from samples to one logit per sample
            (conditional: see `ganzoo.nets.conditioning` for its inputs and outputs).
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
        num_classes: K for a class-conditional GAN, which trains on `(samples,
            labels)` batches of int labels in [0, K) (`ganzoo.data.load(...,
            with_labels=True)`) and generates the classes asked for; None: unconditional.
        conditioning: how the label enters the networks: "projection" (Miyato & Koyama
            2018, default), "concat" (Mirza & Osindero 2014) or "auxiliary" (AC-GAN,
            Odena et al. 2017). See `ganzoo.nets.conditioning`.
        class_loss_weight: with "auxiliary", the weight of the classification loss
            (cross-entropy of D's class head) added to D's loss on real and fake
            samples and to G's on fake ones (the paper's L_C; 1 there).
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
    # What `generate(truncation=)` is for the variant, as reports name it: here BigGAN's
    # threshold on |z| (`truncated_normal`); StyleGAN2 overrides it as its psi.
    truncation_meaning = "threshold on |z|"
    # Whether the variant takes `num_classes` (its networks have label inputs).
    supports_conditioning = True

    def __init__(self, generator, discriminator, *, loss="non_saturating",
                 label_smoothing=0.0, pack=1, ema_decay=None, ema_warmup=None, augment=None,
                 augment_options=None, num_classes=None, conditioning="projection",
                 class_loss_weight=1.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.num_classes, self.conditioning = self.checked_conditioning(
            num_classes, conditioning, pack, class_loss_weight)
        self.class_loss_weight = float(class_loss_weight)
        _check_networks(generator, discriminator, pack, self.num_classes, self.conditioning)
        if loss not in self.supported_losses:
            raise ValueError(f"{type(self).__name__} does not train with loss {loss!r}; "
                             f"it supports {list(self.supported_losses)}.")
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing}.")
        self.generator = generator
        self.discriminator = discriminator
        self.ema_decay, self.ema_warmup = ema.check_arguments(ema_decay, ema_warmup)
        self.generator_ema = None if self.ema_decay is None else ema.averaged_copy(generator)
        # a conditional generator's inputs are [z, label]
        self.latent_dim = int((generator.input_shape[0] if self.num_classes
                               else generator.input_shape)[-1])
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

    @classmethod
    def checked_conditioning(cls, num_classes, conditioning, pack=1, class_loss_weight=1.0):
        """`(num_classes, conditioning)` validated for this variant, or a ValueError."""
        num_classes, conditioning = check_conditioning(num_classes, conditioning)
        if num_classes is not None and not cls.supports_conditioning:
            from ganzoo.gans import VARIANTS  # the registry imports this module

            takers = [name for name, variant in VARIANTS.items()
                      if getattr(variant, "supports_conditioning", False)]
            raise ValueError(f"{cls.__name__} is unconditional: num_classes applies to "
                             f"{', '.join(takers)}.")
        if num_classes is not None and pack != 1:
            raise ValueError("pack applies to unconditional GANs: a packed group would mix "
                             "samples of different classes; leave pack out.")
        if class_loss_weight != 1.0 and (num_classes is None or conditioning != "auxiliary"):
            raise ValueError("class_loss_weight weighs the auxiliary classifier's loss: it "
                             "needs num_classes and conditioning=\"auxiliary\".")
        return num_classes, conditioning

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
            "num_classes": self.num_classes,
            "conditioning": self.conditioning,
            "class_loss_weight": self.class_loss_weight,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # ------------------------------------------------------------------ variant hooks

    def discriminator_loss(self, real, fake, real_scores, fake_scores, noise_stream,
                           real_labels=None):
        """D's loss for one update, from its scores (logits) of real and fake samples.

        `real`, `fake`, `noise_stream` (for `noise_seed`) and `real_labels` (of a
        conditional GAN, for `judge`) are there for penalties that need samples and
        randomness of their own (WGAN-GP).
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
            real, real_labels = split_batch(data, self.num_classes)
            real = check_real_batch(real, self.data_shape, step=self.g_optimizer.iterations)
            if self.pack > 1:
                real = _checked_packable(real, self.pack)
            batch_size = tf.shape(real)[0]

            # 1. discriminator: a Python loop, since tf.cond around apply_gradients fails
            #    under MirroredStrategy.
            for step in range(self.discriminator_steps):
                d_loss = self._discriminator_update(real, batch_size, noise_stream=step,
                                                    real_labels=real_labels)

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
        real, labels = split_batch(data, self.num_classes)
        real = check_real_batch(real, self.data_shape)
        if self.pack > 1:
            real = _checked_packable(real, self.pack)
        # The raw generator, not its EMA: this measures D against what it trains on. A
        # conditional GAN's fakes get the real batch's labels.
        latent = self.evaluation_latent(tf.shape(real)[0])
        fake = self.generator(self.generator_inputs(latent, labels), training=False)
        real_scores, fake_scores = (
            tf.cast(self.discriminate(samples, labels, training=False)[0], tf.float32)
            for samples in (real, fake))
        threshold = self.decision_threshold
        self.evaluation_trackers.update({
            "d_loss": self._d_loss_fn(real_scores, fake_scores, self.label_smoothing),
            "d_real_accuracy": tf.cast(real_scores > threshold, tf.float32),
            "d_fake_accuracy": tf.cast(fake_scores <= threshold, tf.float32)})
        return self.evaluation_trackers.logs()

    def _discriminator_update(self, real, batch_size, noise_stream, real_labels=None):
        # G runs outside the tape: D's update needs no gradient through G.
        fake_labels = self.sample_labels(batch_size, noise_stream)
        latent = self.sample_latent(batch_size, noise_stream)
        fake = self.generator(self.generator_inputs(latent, fake_labels), training=True)
        # D sees only augmented images, real and fake alike (penalties included).
        real = self.augmented(real, noise_stream, _REAL)
        fake = self.augmented(fake, noise_stream, _FAKE)
        with tf.GradientTape() as tape:
            real_scores, real_classes = self.discriminate(real, real_labels)
            fake_scores, fake_classes = self.discriminate(fake, fake_labels)
            loss = self.discriminator_loss(real, fake, real_scores, fake_scores, noise_stream,
                                           real_labels=real_labels)
            # AC-GAN: D also learns to classify real and fake samples (L_C)
            loss += (self.class_loss(real_classes, real_labels)
                     + self.class_loss(fake_classes, fake_labels))
            scaled_loss = scale_for_gradients(self.d_optimizer, loss)
        apply_gradients(self.d_optimizer, tape, scaled_loss, self.discriminator.trainable_variables)
        if isinstance(self.augmenter, ADA):
            # the overfitting heuristic is the sign of D's real scores around its threshold
            self.augmenter.update(tf.cast(real_scores, tf.float32) - self.decision_threshold,
                                  images=batch_size)
        return loss

    def _generator_update(self, batch_size, noise_stream):
        latent = self.sample_latent(batch_size, noise_stream)
        labels = self.sample_labels(batch_size, noise_stream)
        with tf.GradientTape() as tape:
            # gradients flow through the (differentiable) augmentation into G
            fake = self.generator(self.generator_inputs(latent, labels), training=True)
            fake = self.augmented(fake, noise_stream, _FAKE)
            fake_scores, fake_classes = self.discriminate(fake, labels)
            # AC-GAN: G makes samples D classifies as the labels asked for
            loss = self.generator_loss(fake_scores) + self.class_loss(fake_classes, labels)
            scaled_loss = scale_for_gradients(self.g_optimizer, loss)
        apply_gradients(self.g_optimizer, tape, scaled_loss, self.generator.trainable_variables)
        return loss

    def augmented(self, images, noise_stream, which):
        """`images` through the augmentation (if any), with stateless randomness of
        (seed, step, stream, replica) and of which images they are (`_REAL`, `_FAKE`)."""
        if self.augmenter is None:
            return images
        seed = tf.random.experimental.stateless_fold_in(self.noise_seed(noise_stream), which)
        return self.augmenter(images, seed)

    def judge(self, samples, labels=None):
        """D's scores of a batch (of a conditional GAN: for `labels`), in training
        mode, packed into groups when pack > 1."""
        return self.discriminate(samples, labels)[0]

    def discriminate(self, samples, labels=None, training=True):
        """`(scores, class_logits)`: D's outputs on a batch, class logits None unless
        D has an auxiliary classifier. D takes the labels unless "auxiliary"."""
        samples = pack_samples(samples, self.pack)
        if self.num_classes is None:
            return self.discriminator(samples, training=training), None
        if self.conditioning == "auxiliary":  # (scores, class logits)
            return tuple(self.discriminator(samples, training=training))
        return self.discriminator([samples, labels], training=training), None

    def class_loss(self, class_logits, labels):
        """The weighted classification loss of D's auxiliary head on one batch (0
        without the head)."""
        if class_logits is None:
            return 0.0
        return self.class_loss_weight * losses.classification_loss(labels, class_logits)

    def generator_inputs(self, latent, labels):
        """What the generator takes: `latent`, or `[latent, labels]` when conditional."""
        return latent if labels is None else [latent, labels]

    def sample_labels(self, batch_size, noise_stream=0):
        """Uniform labels for one update's fakes (None for an unconditional GAN), drawn
        statelessly from the update's noise seed (seed, step, stream, replica)."""
        if self.num_classes is None:
            return None
        return sample_labels(batch_size, self.num_classes, self.noise_seed(noise_stream))

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

    def prior_latents(self, num, seed=None, truncation=None):
        """The latent vectors `generate(num, seed=seed, truncation=truncation)` uses:
        N(0, I), float32 `(num, latent_dim)` from `np.random.default_rng(seed)`, each
        entry resampled until |z| <= `truncation` when given (`truncated_normal`)."""
        rng = np.random.default_rng(seed)
        if truncation is None:
            return rng.standard_normal((num, self.latent_dim)).astype("float32")
        return truncated_normal(rng, (num, self.latent_dim), truncation)

    def check_truncation(self, truncation):
        """Refuse a `truncation` that `generate` cannot take (here: not a positive
        threshold on |z|)."""
        check_threshold(truncation)

    def generate(self, num=None, seed=None, latents=None, labels=None, truncation=None,
                 batch_size=256, use_ema=True):
        """Samples as a NumPy array in the generator's range ([-1, 1] for images).

        Args:
            num: how many samples; may be left out when `latents` or an array of
                `labels` are given.
            seed: seed of the drawn latents (`prior_latents`): the same seed (and
                labels) always gives the same samples.
            latents: your own latent vectors, `(n, latent_dim)`, instead of drawn ones
                (then no `seed` and no `truncation`).
            labels: for a conditional GAN (`num_classes`), the classes to make: one int
                for all samples, or one int per sample; default: the classes in turn,
                0, 1, ..., K-1, 0, 1, ... An unconditional GAN takes none.
            truncation: BigGAN's truncation trick (Brock et al. 2019): every entry of
                the drawn latents is resampled until |z| <= `truncation` (a positive
                threshold; smaller: less variety, more typical samples). None: none.
            batch_size: latent vectors per forward pass.
            use_ema: with a generator EMA (`ema_decay`), sample from the averaged
                weights (default); False takes the raw generator's.

        Example:
            >>> gan.generate(16, seed=0).shape          # (16, *gan.data_shape)
            >>> gan.generate(latents=np.zeros((1, gan.latent_dim)))   # the prior's mode
            >>> conditional.generate(8, labels=7, seed=0, truncation=0.5)   # eight 7s
        """
        if num is None and latents is None and labels is not None and np.ndim(labels) == 1:
            num = len(labels)
        latents = self.latents_for(num, seed, latents, truncation)
        labels = labels_for_generate(len(latents), labels, self.num_classes,
                                     f"this {type(self).__name__}")
        generator = self.inference_generator(use_ema)
        chunks = [keras.ops.convert_to_numpy(generator(
                      self.generator_inputs(latents[i:i + batch_size],
                                            None if labels is None else labels[i:i + batch_size]),
                      training=False))
                  for i in range(0, len(latents), batch_size)]
        if not chunks:
            return np.zeros((0, *self.data_shape), "float32")
        return np.concatenate(chunks, axis=0)

    def latents_for(self, num=None, seed=None, latents=None, truncation=None):
        """The latent vectors `generate(num, seed=seed, latents=latents, truncation=...)`
        samples from: `latents` checked (shape, and no `seed` or `truncation`), else
        `prior_latents(num, seed, truncation)`."""
        if latents is None:
            if num is None:
                raise ValueError("generate needs num (how many samples) or latents (your own "
                                 f"latent vectors, shape (n, {self.latent_dim})).")
            return self.prior_latents(num, seed, truncation)
        if truncation is not None:
            raise ValueError("truncation resamples drawn latents, so it has no effect when "
                             "latents are given: truncate them yourself, or pass a seed.")
        return checked_latents(latents, self.latent_dim, num=num, seed=seed)

    def interpolate(self, seed_a, seed_b, steps=8, space="z", label=None, batch_size=256,
                    use_ema=True):
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
            label: for a conditional GAN, the class of the whole strip (default 0).
            batch_size: samples per forward pass.
            use_ema: as for `generate`.

        Returns:
            NumPy array `(steps, *data_shape)`.

        Example:
            >>> strip = gan.interpolate(0, 1, steps=10)
        """
        self.check_path(space, steps)
        ends = [self.prior_latents(1, seed)[0] for seed in (seed_a, seed_b)]
        if self.num_classes is not None and label is None:
            label = 0
        return self.generate(latents=slerp(*ends, np.linspace(0.0, 1.0, steps)), labels=label,
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


def _check_networks(generator, discriminator, pack, num_classes=None, conditioning=None):
    for role, net in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(net, keras.Model):
            raise TypeError(f"{role} must be a keras.Model; got {type(net).__name__}.")
    if num_classes is not None:
        _check_conditional_networks(generator, discriminator, num_classes, conditioning)
        return
    if any(isinstance(net.input_shape, list) for net in (generator, discriminator)):
        raise ValueError("These networks take labels (more than one input), but the GAN is "
                         "unconditional: give it num_classes and conditioning to match them.")
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


def _check_conditional_networks(generator, discriminator, num_classes, conditioning):
    """A conditional GAN's networks, as `ganzoo.nets.conditioning` builds them."""
    takes_label = conditioning != "auxiliary"
    wanted = [("generator", generator, 2, "[latents, labels]", 1),
              ("discriminator", discriminator, 2 if takes_label else 1,
               "[samples, labels]" if takes_label else "samples alone",
               1 if takes_label else 2)]
    for role, net, inputs, what, outputs in wanted:
        if len(net.inputs) != inputs or len(net.outputs) != outputs:
            raise ValueError(f"With num_classes={num_classes} and conditioning="
                             f"{conditioning!r}, the {role} takes {what} and has {outputs} "
                             f"output(s); this one has {len(net.inputs)} input(s) and "
                             f"{len(net.outputs)} output(s). See ganzoo.nets.conditioning.")
    if not takes_label and tuple(discriminator.output_shape[1][1:]) != (num_classes,):
        raise ValueError(f"The auxiliary classifier must output {num_classes} class logits "
                         f"per sample; its output shape is {discriminator.output_shape[1]}.")
