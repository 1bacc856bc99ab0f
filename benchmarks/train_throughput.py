"""Training throughput: ganzoo.DCGAN.fit against a minimal hand-written Keras GAN.

The reference is the canonical keras.io pattern, written here in full: a Model whose
train_step updates D, then G, each with its own tape. Both use identical networks
(same builders, same initial weights), data, batch size and optimizers, and both
train through `fit`. The two alternate in one process; each repetition times
`fit` over the same epochs after a warm-up that traces the step; medians are
reported. Target: ganzoo >= 0.95x the hand-written loop.

    python benchmarks/train_throughput.py [--reps 7] [--epochs 2]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import ganzoo  # noqa: E402
from report import machine, markdown_table, publish  # noqa: E402


class HandWrittenGAN(keras.Model):
    """The keras.io GAN train_step: D then G, each with its own tape and variables."""

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator, self.latent_dim = generator, discriminator, latent_dim
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.seed_generator = keras.random.SeedGenerator(0)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    def compile(self, d_optimizer, g_optimizer):
        super().compile(optimizer=None)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def train_step(self, real):
        batch_size = tf.shape(real)[0]
        latent = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(latent, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = (self.bce(tf.ones_like(real_logits), real_logits)
                      + self.bce(tf.zeros_like(fake_logits), fake_logits))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        latent = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(latent, training=True), training=True)
            g_loss = self.bce(tf.ones_like(fake_logits), fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def adam():
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)


def build_pair(image_size, latent_dim, base_filters):
    """Two GANs over networks with identical architecture and initial weights."""
    shape = (image_size, image_size, 1)
    ours = ganzoo.DCGAN(image_shape=shape, latent_dim=latent_dim, base_filters=base_filters)
    ours.compile(g_optimizer=adam(), d_optimizer=adam())
    generator = ganzoo.nets.dcgan_generator(latent_dim, shape, base_filters)
    discriminator = ganzoo.nets.dcgan_discriminator(shape, base_filters)
    generator.set_weights(ours.generator.get_weights())
    discriminator.set_weights(ours.discriminator.get_weights())
    reference = HandWrittenGAN(generator, discriminator, latent_dim)
    reference.compile(d_optimizer=adam(), g_optimizer=adam())
    return {"ganzoo.DCGAN": ours, "hand-written keras.io loop": reference}


def images_per_second(model, dataset, epochs, images_per_epoch):
    start = time.perf_counter()
    model.fit(dataset, epochs=epochs, verbose=0)
    return epochs * images_per_epoch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed repetition")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    dataset = ganzoo.data.load("digits", args.image_size, args.batch_size, seed=0).cache()
    steps = int(dataset.cardinality())
    models = build_pair(args.image_size, args.latent_dim, args.base_filters)
    for model in models.values():  # warm-up: trace the step, fill the cache
        model.fit(dataset, epochs=1, verbose=0)

    samples = {name: [] for name in models}
    for _ in range(args.reps):
        for name, model in models.items():  # alternate, so drift hits both alike
            samples[name].append(images_per_second(model, dataset, args.epochs,
                                                   steps * args.batch_size))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    reference = medians["hand-written keras.io loop"]
    rows = [(name, f"{medians[name]:.0f}", f"{min(samples[name]):.0f}-{max(samples[name]):.0f}",
             f"{medians[name] / reference:.3f}") for name in models]
    header = ("loop", "median images/s", "range", "ratio to hand-written")
    table = markdown_table(header, rows)
    setup = (f"DCGAN {args.image_size}x{args.image_size}x1, base_filters {args.base_filters}, "
             f"latent {args.latent_dim}, batch {args.batch_size}, digits train split "
             f"({steps} steps/epoch), {args.reps} alternating repetitions of {args.epochs} epochs, "
             f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {machine()['cpus']} CPUs")
    print(setup)
    print(table)
    ratio = medians["ganzoo.DCGAN"] / reference
    print(f"ganzoo / hand-written = {ratio:.3f} (target >= 0.95)")
    publish("train_throughput", {"setup": vars(args), "machine": machine(), "samples": samples,
                                 "medians": medians, "ratio": ratio},
            f"## Training throughput\n\n`python benchmarks/train_throughput.py`\n\n{setup}.\n\n"
            f"{table}\n\nTarget: ganzoo >= 0.95x the hand-written loop; measured {ratio:.3f}x.")


if __name__ == "__main__":
    main()
