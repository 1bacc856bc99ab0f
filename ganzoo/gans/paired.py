"""Training on aligned pairs: the shared step of Pix2Pix, SRResNet and SRGAN.

A `PairedModel` learns a generator that makes the target of each `(inputs, targets)`
pair from its inputs: a content loss between the generator's output and the target
(L1, MSE, features), plus, when it has a discriminator, an adversarial loss. A variant
says only what differs: how D judges an output (`judge`: pix2pix conditions it on the
input, SRGAN does not), the content terms and their weights (`content_losses`,
`content_weights`), how pairs are checked (`checked_pair`), D's loss scale
(`discriminator_loss_scale`: pix2pix halves it).

One step, as the papers' reference code: G makes its outputs once; D takes one
update on (input, target) against (input, output), the outputs held fixed; then G
one update on its content terms plus `adversarial_weight` times the non-saturating
loss of the updated D. Without a discriminator (SRResNet) only G's update runs.

Optimizers, distribution scaling and noise seeds come from `AdversarialModel`, as
for CycleGAN: losses are means over the replica's batch slice, divided by the number
of replicas only for the gradients (`scale_for_gradients`); trackers get the true
values. The generator's own randomness (pix2pix's dropout, the paper's noise) is, like
every GAN's training noise here, a function of (seed, generator step, replica): each
step reseeds its random layers (`reseed_generator_noise`), so a run resumed from a
checkpoint draws what an uninterrupted one draws.

With `ema_decay`, the model keeps `generator_ema`, an exponential moving average of the
generator's weights after each of its updates (`ganzoo.gans.ema`, as a GAN's), which
`translate` and `upscale` then run: averaging the weights of a network trained to a
content loss smooths out the noise of the last steps (BasicSR keeps one for its
PSNR-trained models).
"""

import keras
import numpy as np
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans import ema
from ganzoo.gans.adversarial import (AdversarialModel, after_batch, apply_gradients,
                                     scale_for_gradients)
from ganzoo.gans.input_checks import check_real_batch
from ganzoo.gans.trackers import Trackers


# First noise stream (see `AdversarialModel.noise_seed`) of the generator's random layers.
GENERATOR_NOISE = 100


class PairedModel(AdversarialModel):
    """A generator trained on aligned `(inputs, targets)` pairs, with or without a
    discriminator.

    A subclass calls `super().__init__(seed=seed, **kwargs)`, builds its networks, and
    hands them over with `init_networks`; its constructor keeps only its own arguments.

    Args:
        ema_decay: keep `generator_ema`, an exponential moving average of the
            generator's weights (e.g. 0.999), which `translate` and `upscale` run;
            None (default): no average. See `ganzoo.gans.ema`.
        ema_warmup: cap the average's half-life at this fraction of the generator
            steps so far; None: constant decay.
        seed: seed of the training noise (see `AdversarialModel`).
    """

    network_arguments = ("generator", "discriminator")
    # D's loss is multiplied by this in its update (pix2pix: 1/2, to slow D down).
    discriminator_loss_scale = 1.0
    # How the messages name the two sides of a pair.
    pair_names = ("inputs", "targets")
    # The `ganzoo.data` function that makes this model's training pairs.
    data_loader = None

    def __init__(self, *, ema_decay=None, ema_warmup=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.ema_decay, self.ema_warmup = ema.check_arguments(ema_decay, ema_warmup)

    def init_networks(self, generator, discriminator=None, adversarial_weight=1.0,
                      content_terms=("content",)):
        """Take the networks and create the loss trackers.

        Args:
            generator: a `keras.Model` inputs -> outputs.
            discriminator: a `keras.Model` scoring outputs (see `judge`), or None for
                content losses only.
            adversarial_weight: weight of G's adversarial loss next to its content terms.
            content_terms: names of the content terms (`content_weights`' keys), logged
                as `<name>_loss`.
        """
        for role, net in (("generator", generator), ("discriminator", discriminator)):
            if net is not None and not isinstance(net, keras.Model):
                raise TypeError(f"{role} must be a keras.Model; got {type(net).__name__}.")
        if adversarial_weight < 0:
            raise ValueError(f"adversarial_weight must not be negative; got {adversarial_weight}.")
        self.generator = generator
        self.discriminator = discriminator
        self.generator_ema = None if self.ema_decay is None else ema.averaged_copy(generator)
        self.adversarial_weight = float(adversarial_weight)
        terms = [f"{name}_loss" for name in content_terms]
        adversarial = (("d_loss", "g_loss", "adversarial_loss") if discriminator is not None
                       else ("g_loss",))
        self.trackers = Trackers((*adversarial, *terms))
        self.evaluation_trackers = Trackers(
            (*terms, *(("d_loss", "d_real_accuracy", "d_fake_accuracy")
                       if discriminator is not None else ())),
            name="evaluation_trackers")

    # ------------------------------------------------------------------ variant hooks

    @property
    def content_weights(self):
        """`{term: weight}` of G's content terms (names as `content_losses` gives them)."""
        raise NotImplementedError

    def content_losses(self, outputs, targets):
        """`{term: unweighted float32 loss}`, each a mean over the batch."""
        raise NotImplementedError

    def judge(self, inputs, images, training=True):
        """D's logits for `images` made from (or paired with) `inputs`."""
        return self.discriminator(images, training=training)

    def checked_pair(self, data):
        """`(inputs, targets)` of a batch, checked (shapes, dtype, value range)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- configuration

    @property
    def generator_variables(self):
        return self.generator.trainable_variables

    @property
    def discriminator_variables(self):
        # Without a discriminator, d_optimizer is built on nothing and never steps; it
        # is kept so that run folders and checkpoints treat every model alike.
        return [] if self.discriminator is None else self.discriminator.trainable_variables

    def get_config(self):
        return {**super().get_config(), "ema_decay": self.ema_decay,
                "ema_warmup": self.ema_warmup}

    def network_configs(self):
        """The networks for `get_config`."""
        return {"generator": keras.saving.serialize_keras_object(self.generator),
                "discriminator": (None if self.discriminator is None else
                                  keras.saving.serialize_keras_object(self.discriminator))}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in cls.network_arguments:
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # ---------------------------------------------------------------------- training

    def generator_losses(self, inputs, targets, outputs, training=True):
        """G's loss terms for one batch: the content terms (unweighted),
        `adversarial` (0 without a discriminator) and `total`, the weighted sum G
        minimises."""
        terms = self.content_losses(outputs, targets)
        total = tf.add_n([weight * terms[name] for name, weight in self.content_weights.items()])
        adversarial = tf.constant(0.0)
        if self.discriminator is not None:
            adversarial = losses.non_saturating_generator_loss(
                self.judge(inputs, outputs, training=training))
            total += self.adversarial_weight * adversarial
        return {**terms, "adversarial": adversarial, "total": total}

    def reseed_generator_noise(self):
        """Set the seeds of the generator's random layers (dropout) for this step: a
        function of (seed, generator step, replica), not of how many steps this process
        ran. Keras keeps a random layer's seed as state that checkpoints do not hold:
        without this, a resumed run would draw other dropout masks."""
        # The random layers' seed states (Dropout's SeedGenerator): what `variables`
        # holds beyond the weights. Found when the step is traced, and held nowhere:
        # an attribute would add them to the weights files.
        weights = {id(variable) for variable in self.generator.weights}
        states = [variable for variable in self.generator.variables
                  if id(variable) not in weights]
        for stream, state in enumerate(states, start=GENERATOR_NOISE):
            state.assign(tf.cast(self.noise_seed(stream), state.dtype))

    def train_step(self, data):
        with after_batch(data):
            inputs, targets = self.checked_pair(data)
            self.reseed_generator_noise()
            logged = {}
            with tf.GradientTape() as g_tape:
                outputs = self.generator(inputs, training=True)

                # 1. discriminator, on the outputs G just made (held fixed)
                if self.discriminator is not None:
                    with g_tape.stop_recording():
                        logged["d_loss"] = self._discriminator_update(
                            inputs, targets, tf.stop_gradient(outputs))

                # 2. generator: content terms plus the updated D's verdict
                terms = self.generator_losses(inputs, targets, outputs)
                scaled_loss = scale_for_gradients(self.g_optimizer, terms["total"])
            steps_before = (None if self.generator_ema is None
                            else tf.cast(self.g_optimizer.iterations, tf.int64))
            apply_gradients(self.g_optimizer, g_tape, scaled_loss, self.generator_variables)
            if self.generator_ema is not None:  # the average follows the new weights
                self._update_generator_ema(steps_before)

            # 3. metrics: true (unscaled) values
            logged["g_loss"] = terms["total"]
            if self.discriminator is not None:
                logged["adversarial_loss"] = terms["adversarial"]
            logged.update({f"{name}_loss": terms[name] for name in self.content_weights})
            self.trackers.update(logged)
            return self.trackers.logs()

    def _discriminator_update(self, inputs, targets, outputs):
        with tf.GradientTape() as tape:
            # cross-entropy: (input, target) real, (input, output) fake
            loss = losses.bce_discriminator_loss(self.judge(inputs, targets),
                                                 self.judge(inputs, outputs))
            scaled_loss = scale_for_gradients(self.d_optimizer,
                                              self.discriminator_loss_scale * loss)
        apply_gradients(self.d_optimizer, tape, scaled_loss, self.discriminator_variables)
        return loss

    def test_step(self, data):
        """Held-out pairs: the content terms of G's outputs (inference mode) and, with a
        discriminator, D's loss and the fractions of real and output scores it calls
        right (per score: per patch for a PatchGAN). What `evaluate` returns and
        `fit(validation_data=...)` logs as `val_*`."""
        inputs, targets = self.checked_pair(data)
        outputs = self.generator(inputs, training=False)
        terms = self.content_losses(outputs, targets)
        values = {f"{name}_loss": terms[name] for name in self.content_weights}
        if self.discriminator is not None:
            real_scores, fake_scores = (tf.cast(self.judge(inputs, images, training=False),
                                                tf.float32) for images in (targets, outputs))
            values.update({
                "d_loss": losses.bce_discriminator_loss(real_scores, fake_scores),
                "d_real_accuracy": tf.cast(real_scores > 0.0, tf.float32),
                "d_fake_accuracy": tf.cast(fake_scores <= 0.0, tf.float32)})
        self.evaluation_trackers.update(values)
        return self.evaluation_trackers.logs()

    # ---------------------------------------------------------------------- helpers

    def unpack_pair(self, data):
        """`(inputs, targets)` of a batch, or a ValueError that says what to feed."""
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(
                f"{type(self).__name__} trains on aligned pairs of batches "
                f"({', '.join(self.pair_names)}): fit(tf.data.Dataset.from_tensor_slices(("
                f"{', '.join(self.pair_names)})).batch(n))"
                + (f", or ganzoo.data.{self.data_loader}(...)." if self.data_loader else "."))
        return data[0], data[1]

    def checked_images(self, images, expected_shape, role):
        """`images` checked against `expected_shape` (None: any size), naming `role`."""
        images = tf.convert_to_tensor(images) if not isinstance(images, tf.Tensor) else images
        expected = tuple(expected_shape)
        if images.shape.rank == len(expected) + 1:
            # a side the model takes at any size is checked against the batch's own
            expected = tuple(have if want is None else want
                             for have, want in zip(images.shape[1:], expected))
        try:
            return check_real_batch(images, expected)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}'s {role}: {error}") from None

    def run_generator(self, images, batch_size, use_ema=True):
        """The generator (its EMA, if the model keeps one and `use_ema`) on float images
        `(N, H, W, C)` in inference mode, in chunks; NumPy."""
        generator = self.inference_generator(use_ema)
        chunks = [keras.ops.convert_to_numpy(generator(images[i:i + batch_size], training=False))
                  for i in range(0, len(images), batch_size)]
        if not chunks:
            return np.zeros((0, *images.shape[1:]), "float32")
        return np.concatenate(chunks, axis=0)


def float_images(images, channels, what, method):
    """`(batch as float32, was_single)` of images in [-1, 1] given to `method`.

    Refuses integer pixels, a wrong rank and a wrong channel count with a message that
    names the fix."""
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"{method} takes images (N, H, W, C) or one image (H, W, C); got an "
                         f"array of shape {images.shape}.")
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"{method} takes float images in [-1, 1]; got {images.dtype} values "
                         "(for 0..255 pixels use images / 127.5 - 1).")
    single = images.ndim == 3
    batch = images[None] if single else images
    if batch.shape[-1] != channels:
        raise ValueError(f"This model's {what} have {channels} channel(s); got images of shape "
                         f"{images.shape}.")
    return batch.astype("float32"), single
