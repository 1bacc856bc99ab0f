"""Knowledge distillation of a generator: a small student learns to make the teacher's
samples from the same latent vectors.

Aguinaldo et al. 2019, "Compressing GANs using Knowledge Distillation"; Chang & Lu 2020,
"TinyGAN" (pixel, feature and adversarial distillation losses). The student is a GAN
of the teacher's family at a smaller width; only its generator trains. Each step feeds
one batch of prior latents (and, for a class-conditional teacher, uniform labels) to
both generators and minimises

    pixel_loss(student(z), teacher(z))
      + feature_weight * |F(student(z)) - F(teacher(z))|^2      (a frozen feature model F)
      + adversarial_weight * G-loss of the teacher's D on student(z)   (D frozen)

The pixel loss is L1 by default: a generator's images are mostly saturated background
with thin strokes, and L2 lets a small student trade a few wrong stroke pixels for a
blurry average, where L1 keeps it sharp (TinyGAN's choice too).

The latents come from the data (`latent_dataset`): batch i is a function of (seed, i),
so `fit` distributes them like any dataset under `tf.distribute`, and a resumed run
continues the same stream from its step.
"""

import keras
import tensorflow as tf

from ganzoo.gans.adversarial import (SAMPLER, AdversarialModel, after_batch, apply_gradients,
                                     scale_for_gradients)
from ganzoo.gans.trackers import Trackers

# The pixel losses: {name: per-sample elementwise loss}, averaged over pixels and batch.
PIXEL_LOSSES = {"l1": lambda difference: keras.ops.abs(difference),
                "l2": lambda difference: keras.ops.square(difference)}
# Folded into a batch's seed for its labels, apart from its latents.
_LABEL_DRAW = 1


def latent_dataset(latent_dim, batch_size, seed, num_classes=None, start=0):
    """Endless batches of prior latents N(0, I) `(batch_size, latent_dim)` float32, with
    uniform int32 labels in [0, num_classes) when `num_classes` is given; batch i
    (counted from 0) is a function of `(seed, i)` only. `start` skips the first batches,
    as a resumed run does.

    Example:
        >>> next(iter(latent_dataset(100, 64, seed=0))).shape     # (64, 100)
    """
    def batch(index):
        key = tf.stack([tf.constant(seed, tf.int64), index])
        latents = tf.random.stateless_normal((batch_size, latent_dim), seed=key)
        if num_classes is None:
            return latents
        label_key = tf.random.experimental.stateless_fold_in(key, _LABEL_DRAW)
        labels = tf.random.stateless_uniform((batch_size,), seed=label_key, minval=0,
                                             maxval=num_classes, dtype=tf.int32)
        return latents, labels

    return tf.data.Dataset.range(start, 2**62).map(batch, num_parallel_calls=tf.data.AUTOTUNE)


class Distiller(AdversarialModel):
    """Train `student`'s generator to reproduce `teacher`'s samples with `fit`.

    Args:
        student: the GAN to train (its generator only), e.g. a `DCGAN` with a smaller
            `base_filters`; same latent size, sample shape and classes as the teacher.
        teacher: the trained GAN to imitate; frozen. Its `inference_generator()` (the
            generator EMA, if it keeps one) makes the targets.
        pixel_loss: "l1" (default; see the module docstring) or "l2".
        feature_model: a frozen `keras.Model` from samples to feature vectors (the
            digits classifier's penultimate layer for digits), or None for no feature loss.
        feature_weight: weight of the squared feature distance.
        adversarial_weight: weight of the teacher discriminator's generator loss on
            the student's samples; 0 (default) leaves D out. Only meaningful when the
            teacher's D is trained (a run folder's, not a zoo entry's).
        seed: the model's noise seed (recorded; the latents come from the data).

    Example:
        >>> distiller = Distiller(DCGAN(image_shape=(32, 32, 1), base_filters=16),
        ...                       ganzoo.load("dcgan-digits"))
        >>> distiller.compile(g_optimizer=keras.optimizers.Adam(1e-3))
        >>> distiller.fit(latent_dataset(100, 64, seed=0), steps_per_epoch=100, epochs=3)
        >>> distiller.student.generate(16, seed=0)
    """

    kind = SAMPLER
    network_arguments = ("student", "teacher", "feature_model")

    def __init__(self, student, teacher, *, pixel_loss="l1", feature_model=None,
                 feature_weight=1.0, adversarial_weight=0.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        _check_pair(student, teacher)
        if pixel_loss not in PIXEL_LOSSES:
            raise ValueError(f"pixel_loss must be one of {list(PIXEL_LOSSES)}; got "
                             f"{pixel_loss!r}.")
        for name, weight in (("feature_weight", feature_weight),
                             ("adversarial_weight", adversarial_weight)):
            if not weight >= 0:
                raise ValueError(f"{name} must be a number >= 0; got {weight!r}.")
        if feature_model is not None and not isinstance(feature_model, keras.Model):
            raise TypeError(f"feature_model must be a keras.Model from samples to features; "
                            f"got {type(feature_model).__name__}.")
        self.student, self.teacher = student, teacher
        self.teacher.trainable = False
        self.feature_model = feature_model
        if feature_model is not None:
            feature_model.trainable = False
        self.pixel_loss = pixel_loss
        self.feature_weight, self.adversarial_weight = float(feature_weight), float(adversarial_weight)
        names = ["loss", "pixel_loss"]
        names += ["feature_loss"] if feature_model is not None else []
        names += ["adversarial_loss"] if self.adversarial_weight else []
        self.trackers = Trackers(names)
        self.evaluation_trackers = Trackers(("pixel_loss",), name="evaluation_trackers")

    # ----------------------------------------------------------------- configuration

    @property
    def generator(self):
        return self.student.generator

    @property
    def data_shape(self):
        return self.student.data_shape

    @property
    def num_classes(self):
        return self.student.num_classes

    @property
    def generator_variables(self):
        return self.student.generator.trainable_variables

    @property
    def discriminator_variables(self):
        return []  # the teacher's D, if used, stays frozen: nothing on this side trains

    def generate(self, *args, **kwargs):
        """The student's samples (`GAN.generate`), e.g. for progress pictures."""
        return self.student.generate(*args, **kwargs)

    def default_optimizer(self):
        # a regression onto fixed targets: Adam's usual momentum, not a GAN's 0.5
        return keras.optimizers.Adam(learning_rate=1e-3)

    # ---------------------------------------------------------------------- training

    def train_step(self, data):
        with after_batch(data):
            latents, labels = self._split(data)
            # 1. targets: the teacher's samples (and their features), in inference mode
            target = self._teacher_samples(latents, labels)
            target_features = self._features(target)

            # 2. the student's update
            with tf.GradientTape() as tape:
                made = self.student.generator(self.student.generator_inputs(latents, labels),
                                              training=True)
                logged = self.losses_of(made, target, target_features, labels)
                scaled_loss = scale_for_gradients(self.g_optimizer, logged["loss"])
            apply_gradients(self.g_optimizer, tape, scaled_loss, self.generator_variables)

            # 3. metrics: true (unscaled) loss values
            self.trackers.update(logged)
            return self.trackers.logs()

    def losses_of(self, made, target, target_features, labels=None):
        """{"loss": the weighted total, and each term} for the student's samples `made`."""
        logged = {"pixel_loss": self._pixel_loss(made, target)}
        total = logged["pixel_loss"]
        if self.feature_model is not None:
            logged["feature_loss"] = keras.ops.mean(
                keras.ops.square(self._features(made) - target_features))
            total = total + self.feature_weight * logged["feature_loss"]
        if self.adversarial_weight:
            scores = self.teacher.discriminate(made, labels, training=False)[0]
            logged["adversarial_loss"] = self.teacher.generator_loss(scores)
            total = total + self.adversarial_weight * logged["adversarial_loss"]
        return {"loss": total, **logged}

    def test_step(self, data):
        """The student's mean pixel loss to the teacher on held-out latents, both in
        inference mode: what `evaluate` returns and `fit(validation_data=...)` logs."""
        latents, labels = self._split(data)
        target = self._teacher_samples(latents, labels)
        made = self.student.generator(self.student.generator_inputs(latents, labels),
                                      training=False)
        self.evaluation_trackers.update({"pixel_loss": self._pixel_loss(made, target)})
        return self.evaluation_trackers.logs()

    def _pixel_loss(self, made, target):
        return keras.ops.mean(PIXEL_LOSSES[self.pixel_loss](keras.ops.cast(made, "float32")
                                                             - target))

    def _split(self, data):
        if self.num_classes is None:
            if isinstance(data, (tuple, list)):
                raise ValueError("This teacher is unconditional: the data must be latent "
                                 "batches alone, not (latents, labels).")
            return data, None
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError(f"This teacher is class-conditional ({self.num_classes} classes): "
                             "the data must be (latents, labels) batches, e.g. "
                             "latent_dataset(..., num_classes=K).")
        return data[0], data[1]

    def _teacher_samples(self, latents, labels):
        generator = self.teacher.inference_generator()
        samples = generator(self.teacher.generator_inputs(latents, labels), training=False)
        return tf.stop_gradient(keras.ops.cast(samples, "float32"))

    def _features(self, samples):
        if self.feature_model is None:
            return None
        return keras.ops.cast(self.feature_model(samples, training=False), "float32")


def _check_pair(student, teacher):
    """The student must take and make what the teacher does."""
    for role, gan in (("student", student), ("teacher", teacher)):
        if getattr(gan, "kind", None) != SAMPLER or not hasattr(gan, "generator_inputs"):
            raise TypeError(f"The {role} must be a GAN that samples from noise (a DCGAN, "
                            f"WGANGP, ...); got {type(gan).__name__}.")
    facts = (("latent size", "latent_dim"), ("sample shape", "data_shape"),
             ("number of classes", "num_classes"))
    for what, attribute in facts:
        mine, theirs = getattr(student, attribute), getattr(teacher, attribute)
        if mine != theirs:
            raise ValueError(f"The student's {what} ({mine}) differs from the teacher's "
                             f"({theirs}): it must take and make what the teacher does.")
