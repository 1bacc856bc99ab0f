"""CycleGAN: unpaired image-to-image translation (Zhu et al. 2017)."""

import keras
import numpy as np
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans.adversarial import (TRANSLATOR, AdversarialModel, after_batch,
                                     apply_gradients, scale_for_gradients)
from ganzoo.gans.image_pool import ImagePool
from ganzoo.gans.input_checks import check_real_batch
from ganzoo.gans.trackers import Trackers
from ganzoo.nets import patchgan_discriminator, resnet_generator

DIRECTIONS = ("a2b", "b2a")
_NETWORKS = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")
# noise streams of the two image pools
_POOL_A_STREAM, _POOL_B_STREAM = 0, 1
# The least-squares discriminators train towards 0 (fake) and 1 (real): a patch scored
# above the midpoint counts as called real.
_DECISION_THRESHOLD = 0.5


@keras.saving.register_keras_serializable(package="ganzoo")
class CycleGAN(AdversarialModel):
    """Two generators (A->B, B->A) and two PatchGAN discriminators, trained on unpaired images.

    Zhu et al. 2017, "Unpaired Image-to-Image Translation using Cycle-Consistent
    Adversarial Networks". Each step updates both generators on the least-squares
    adversarial loss plus the cycle loss `|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|`
    (weight `cycle_weight`) and the identity loss `|G_AB(b) - b| + |G_BA(a) - a|`
    (weight `identity_weight * cycle_weight`); then both discriminators on real
    images against fakes drawn through a history pool of `pool_size` images per
    domain. The generator step comes first and the discriminators judge the fakes it
    started from, as in the reference code.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4 (at least 8), 1 or
            3 channels; both domains share it. Taken from the networks when given.
        base_filters: width of the default networks (64 in the paper).
        residual_blocks: residual blocks of the default generators; default 6 up to
            128 px, 9 above.
        cycle_weight: lambda of the cycle-consistency loss (10 in the paper).
        identity_weight: weight of the identity loss as a fraction of
            `cycle_weight` (0.5 in the paper); 0 turns it off.
        pool_size: generated images remembered per domain (50; 0 disables the pool).
        generator_ab, generator_ba: optional Keras models image -> image.
        discriminator_a, discriminator_b: optional Keras models image -> scores.
        seed: seed of the pools' randomness (see `AdversarialModel`).

    Example:
        >>> cyc = CycleGAN(image_shape=(32, 32, 1))
        >>> cyc.compile()        # Adam(2e-4, beta_1=0.5) for both sides
        >>> cyc.fit(ganzoo.data.load_unpaired("digits2negative", 32, batch_size=4))
        >>> negatives = cyc.translate(digits, direction="a2b")   # or cyc.predict(digits)
    """

    kind = TRANSLATOR
    network_arguments = _NETWORKS

    def __init__(self, image_shape=None, base_filters=64, residual_blocks=None,
                 cycle_weight=10.0, identity_weight=0.5, pool_size=50, generator_ab=None,
                 generator_ba=None, discriminator_a=None, discriminator_b=None, seed=None,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        given = {"generator_ab": generator_ab, "generator_ba": generator_ba,
                 "discriminator_a": discriminator_a, "discriminator_b": discriminator_b}
        if image_shape is None:
            model = next((net for net in given.values() if net is not None), None)
            if model is None:
                raise ValueError("CycleGAN needs image_shape, or networks to take it from.")
            image_shape = model.input_shape[1:]
        self.image_shape = tuple(image_shape)
        self.base_filters = base_filters
        self.residual_blocks = residual_blocks
        for name, net in given.items():
            if net is None:
                net = (resnet_generator(self.image_shape, base_filters, residual_blocks, name=name)
                       if name.startswith("generator") else
                       patchgan_discriminator(self.image_shape, base_filters, name=name))
            _check_network(name, net, self.image_shape)
            setattr(self, name, net)
        if cycle_weight < 0 or identity_weight < 0:
            raise ValueError("cycle_weight and identity_weight must not be negative; got "
                             f"{cycle_weight} and {identity_weight}.")
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = float(identity_weight)
        self.pool_a = ImagePool(pool_size, self.image_shape, name="pool_a")
        self.pool_b = ImagePool(pool_size, self.image_shape, name="pool_b")
        self.trackers = Trackers(("d_loss", "g_loss", "cycle_loss", "identity_loss"))
        self.evaluation_trackers = Trackers(
            ("d_loss", *(f"d_{domain}_{name}" for domain in "ab"
                         for name in ("loss", "real_accuracy", "fake_accuracy"))),
            name="evaluation_trackers")

    # ----------------------------------------------------------------- configuration

    @property
    def generator(self):
        """The A->B generator: what export, sampling and the zoo treat as "the" generator."""
        return self.generator_ab

    @property
    def generator_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    @property
    def discriminator_variables(self):
        return (self.discriminator_a.trainable_variables
                + self.discriminator_b.trainable_variables)

    @property
    def data_shape(self):
        return self.image_shape

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "base_filters": self.base_filters, "residual_blocks": self.residual_blocks,
                "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight,
                "pool_size": self.pool_a.pool_size,
                **{name: keras.saving.serialize_keras_object(getattr(self, name))
                   for name in _NETWORKS}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in _NETWORKS:
            if isinstance(config.get(name), dict):
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)

    # ---------------------------------------------------------------------- training

    def generator_losses(self, real_a, real_b, training=True):
        """The generators' loss terms on one batch of each domain, plus the fakes.

        Returns a dict: `adversarial` (least squares, both directions), `cycle` and
        `identity` (mean absolute errors summed over both directions, unweighted),
        `total` (the weighted sum the generators minimise), `fake_a`, `fake_b`.
        """
        fake_b = self.generator_ab(real_a, training=training)
        fake_a = self.generator_ba(real_b, training=training)
        # The paper's generator term is E (D(G(x)) - 1)^2, without LSGAN's 1/2.
        adversarial = 2.0 * (
            losses.least_squares_generator_loss(self.discriminator_b(fake_b, training=training))
            + losses.least_squares_generator_loss(self.discriminator_a(fake_a, training=training)))
        cycle = (_mean_absolute_error(self.generator_ba(fake_b, training=training), real_a)
                 + _mean_absolute_error(self.generator_ab(fake_a, training=training), real_b))
        total = adversarial + self.cycle_weight * cycle
        identity = tf.constant(0.0)
        if self.identity_weight:
            identity = (_mean_absolute_error(self.generator_ab(real_b, training=training), real_b)
                        + _mean_absolute_error(self.generator_ba(real_a, training=training), real_a))
            total += self.identity_weight * self.cycle_weight * identity
        return {"adversarial": adversarial, "cycle": cycle, "identity": identity,
                "total": total, "fake_a": fake_a, "fake_b": fake_b}

    def domain_discriminator_loss(self, discriminator, real, fake):
        """LSGAN loss of one discriminator: 1/2 E (D(real) - 1)^2 + 1/2 E D(fake)^2."""
        return losses.least_squares_discriminator_loss(discriminator(real, training=True),
                                                       discriminator(fake, training=True))

    def train_step(self, data):
        with after_batch(data):
            # no first-batch 0..1 check (step=None): a batch of one bright photo is >= 0
            # legitimately
            real_a, real_b = (check_real_batch(images, self.image_shape)
                              for images in _domains_of(data))

            # 1. both generators, with the discriminators fixed
            with tf.GradientTape() as tape:
                terms = self.generator_losses(real_a, real_b)
                scaled_loss = scale_for_gradients(self.g_optimizer, terms["total"])
            apply_gradients(self.g_optimizer, tape, scaled_loss, self.generator_variables)

            # 2. both discriminators, on fakes from the history pools
            fake_a = self.pool_a.query(terms["fake_a"], self.noise_seed(_POOL_A_STREAM))
            fake_b = self.pool_b.query(terms["fake_b"], self.noise_seed(_POOL_B_STREAM))
            with tf.GradientTape() as tape:
                d_loss = (self.domain_discriminator_loss(self.discriminator_a, real_a, fake_a)
                          + self.domain_discriminator_loss(self.discriminator_b, real_b, fake_b))
                scaled_loss = scale_for_gradients(self.d_optimizer, d_loss)
            apply_gradients(self.d_optimizer, tape, scaled_loss, self.discriminator_variables)

            # 3. metrics: true (unscaled) values
            self.trackers.update({"d_loss": d_loss, "g_loss": terms["total"],
                                  "cycle_loss": terms["cycle"], "identity_loss": terms["identity"]})
            return self.trackers.logs()

    def test_step(self, data):
        """Each discriminator on held-out real images of its domain and on translations.

        What `evaluate` returns and `fit(validation_data=...)` logs as `val_*`, on
        pairs `(images_a, images_b)`: for each domain `a` and `b`, `d_<domain>_loss` (its
        least-squares loss against fresh translations, no history pool),
        `d_<domain>_real_accuracy` and `d_<domain>_fake_accuracy` (fractions of PatchGAN
        patches scored above / at or below 1/2, per image, averaged); and `d_loss`, the sum
        of both losses as in training. All networks run in inference mode.
        """
        real_a, real_b = (check_real_batch(images, self.image_shape)
                          for images in _domains_of(data))
        fake_b = self.generator_ab(real_a, training=False)
        fake_a = self.generator_ba(real_b, training=False)
        values = {"d_loss": 0.0}
        for domain, discriminator, real, fake in (("a", self.discriminator_a, real_a, fake_a),
                                                  ("b", self.discriminator_b, real_b, fake_b)):
            real_scores, fake_scores = (tf.cast(discriminator(images, training=False), tf.float32)
                                        for images in (real, fake))
            loss = losses.least_squares_discriminator_loss(real_scores, fake_scores)
            values["d_loss"] += loss
            values.update({
                f"d_{domain}_loss": loss,
                f"d_{domain}_real_accuracy": tf.cast(real_scores > _DECISION_THRESHOLD, tf.float32),
                f"d_{domain}_fake_accuracy": tf.cast(fake_scores <= _DECISION_THRESHOLD,
                                                     tf.float32)})
        self.evaluation_trackers.update(values)
        return self.evaluation_trackers.logs()

    # -------------------------------------------------------------------- inference

    def translate(self, images, direction="a2b", batch_size=64):
        """Translate images in [-1, 1] from one domain to the other; returns NumPy.

        Args:
            images: `(N, H, W, C)` or one `(H, W, C)` image, float values in [-1, 1].
            direction: `"a2b"` (generator_ab) or `"b2a"` (generator_ba).
            batch_size: images per forward pass.
        """
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {list(DIRECTIONS)}; got {direction!r}.")
        images = np.asarray(images)
        single = images.ndim == len(self.image_shape)
        batch = images[None] if single else images
        if batch.shape[1:] != self.image_shape:
            raise ValueError(f"This CycleGAN translates images of shape {self.image_shape}; "
                             f"got {images.shape}.")
        if not np.issubdtype(batch.dtype, np.floating):
            raise ValueError(f"translate takes float images in [-1, 1]; got {batch.dtype} "
                             "values (for 0..255 pixels use images / 127.5 - 1).")
        generator = self.generator_ab if direction == "a2b" else self.generator_ba
        batch = batch.astype("float32")
        chunks = [keras.ops.convert_to_numpy(generator(batch[i:i + batch_size], training=False))
                  for i in range(0, len(batch), batch_size)]
        translated = np.concatenate(chunks, axis=0) if chunks else batch
        return translated[0] if single else translated


def _mean_absolute_error(prediction, target):
    return tf.reduce_mean(tf.abs(tf.cast(prediction, tf.float32) - tf.cast(target, tf.float32)))


def _domains_of(data):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError("CycleGAN trains on pairs of batches (images_a, images_b): "
                         "fit(tf.data.Dataset.zip((dataset_a, dataset_b))), or "
                         "ganzoo.data.load_unpaired(...).")
    # each domain may come as (images, labels); labels are not used
    return [domain[0] if isinstance(domain, (tuple, list)) else domain for domain in data]


def _check_network(name, net, image_shape):
    if not isinstance(net, keras.Model):
        raise TypeError(f"{name} must be a keras.Model; got {type(net).__name__}.")
    if tuple(net.input_shape[1:]) != image_shape:
        raise ValueError(f"{name} takes inputs of shape {tuple(net.input_shape[1:])}; this "
                         f"CycleGAN's images are {image_shape}.")
    if name.startswith("generator") and tuple(net.output_shape[1:]) != image_shape:
        raise ValueError(f"{name} makes images of shape {tuple(net.output_shape[1:])}; both "
                         f"domains' images are {image_shape}.")
