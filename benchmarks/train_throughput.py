"""Training throughput: ganzoo.DCGAN.fit against a minimal hand-written Keras GAN.

The reference is the canonical keras.io pattern, written here in full: a Model whose
train_step updates D, then G, each with its own tape. Both use identical networks
(same builders, same initial weights), data, batch size and optimizers, and both
train through `fit`. The two alternate in one process (which goes first alternates
too, so drift within a repetition hits both alike); each repetition times `fit` over
the same epochs after a warm-up that traces the step. The verdict is on the paired
ratios (ganzoo / hand-written within each repetition): their median, with the
interquartile range; a range that straddles the target is reported as inside the
noise, not as met. Target: ganzoo >= 0.95x the hand-written loop.

    python benchmarks/train_throughput.py [--reps 15] [--epochs 2]

With `--strategies` it measures instead the cost of tf.distribute and mixed
precision for the same DCGAN: no strategy against MirroredStrategy on one device and
on two logical CPU devices, float32 against mixed_bfloat16 and mixed_float16, each
as a ratio to no strategy in float32 (on a CPU the point is overhead; a GPU machine
would show the gains).

    python benchmarks/train_throughput.py --strategies [--reps 5] [--steps 22]
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import ganzoo  # noqa: E402
from ganzoo.training.distribute import precision_policy  # noqa: E402
from report import machine, markdown_table, publish  # noqa: E402

TARGET = 0.95  # ganzoo / hand-written, images per second

# (row label, strategy, mixed precision) of the --strategies table; the first is the
# reference. "mirrored-2": two logical CPU devices sharing the same two cores.
STRATEGY_ROWS = [
    ("no strategy, float32", None, None),
    ("MirroredStrategy, 1 device, float32", "mirrored-1", None),
    ("MirroredStrategy, 2 logical CPUs, float32", "mirrored-2", None),
    ("no strategy, mixed_bfloat16", None, "bfloat16"),
    ("no strategy, mixed_float16", None, "float16"),
]


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


def quartiles(values):
    """(first quartile, median, third quartile) of `values`."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    return tuple(statistics.quantiles(values, n=4, method="inclusive"))


def spread(values, digits=0):
    """The median, interquartile range and range of `values`, as text."""
    q1, median, q3 = quartiles(values)
    f = f".{digits}f"
    return (f"{median:{f}}", f"{q1:{f}}-{q3:{f}}", f"{min(values):{f}}-{max(values):{f}}")


def alternating_samples(labels, reps, measure):
    """`reps` measurements `measure(label)` of each label, the labels alternating and
    their order reversed every other repetition, so drift hits all alike."""
    samples = {label: [] for label in labels}
    for rep in range(reps):
        for label in (labels if rep % 2 == 0 else labels[::-1]):
            samples[label].append(measure(label))
    return samples


def paired_ratios(samples, label, reference):
    return [a / b for a, b in zip(samples[label], samples[reference])]


def verdict(ratios, target):
    """Met only if the whole interquartile range of the paired ratios clears the target."""
    q1, _, q3 = quartiles(ratios)
    if q1 >= target:
        return "met"
    if q3 < target:
        return "NOT met"
    return "inside the noise (the interquartile range straddles the target)"


def half_precision_instructions():
    """The CPU's half-precision instruction sets (Linux /proc/cpuinfo flags), or None."""
    try:
        flags = open("/proc/cpuinfo").read().split()
    except OSError:
        return None
    return sorted(set(flags) & {"avx512_bf16", "avx512_fp16", "amx_bf16", "amx_fp16"})


def strategy_of(name):
    if name is None:
        return tf.distribute.get_strategy()
    devices = ["/cpu:0", "/cpu:1"] if name == "mirrored-2" else ["/cpu:0"]
    return tf.distribute.MirroredStrategy(devices)


def build_distributed(args, strategy, precision):
    """ganzoo.DCGAN built and compiled in the strategy's scope under a precision policy."""
    keras.utils.set_random_seed(0)  # the same initial weights in every row
    with precision_policy(precision), strategy.scope():
        gan = ganzoo.DCGAN(image_shape=(args.image_size, args.image_size, 1),
                           latent_dim=args.latent_dim, base_filters=args.base_filters)
        gan.compile(g_optimizer=adam(), d_optimizer=adam())
    return gan


def measure_strategies(args):
    """The --strategies table: each row's median images/s and its ratio to the first.

    Each repetition times one `fit` of `args.steps` batches (22: one epoch of the
    digits), a quarter of that for bfloat16, which a CPU without bfloat16 instructions
    emulates at about 12 images/s: a fit also pays for setting up its (distributed)
    dataset, so short fits would overstate that cost.
    """
    dataset = ganzoo.data.load("digits", args.image_size, args.batch_size, seed=0).cache()
    models = {label: build_distributed(args, strategy_of(name), precision)
              for label, name, precision in STRATEGY_ROWS}
    steps = {label: args.steps if precision != "bfloat16" else max(4, args.steps // 4)
             for label, _, precision in STRATEGY_ROWS}
    for model in models.values():  # warm-up: trace the step, fill the cache
        model.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0)
    samples = alternating_samples(
        list(models), args.reps, lambda label: images_per_second(
            models[label], dataset.take(steps[label]), 1, steps[label] * args.batch_size))
    medians = {label: statistics.median(values) for label, values in samples.items()}
    reference = STRATEGY_ROWS[0][0]
    ratios = {label: paired_ratios(samples, label, reference) for label in models}
    rows = [(label, *spread(samples[label]), *spread(ratios[label], 3)) for label in models]
    table = markdown_table(("strategy, precision", "median images/s", "IQR", "range",
                            "median paired ratio to no strategy, float32", "IQR", "range"),
                           rows)
    setup = (f"DCGAN {args.image_size}x{args.image_size}x1, base_filters {args.base_filters}, "
             f"latent {args.latent_dim}, global batch {args.batch_size}, digits, "
             f"{args.reps} repetitions of one fit of {args.steps} steps "
             f"({max(4, args.steps // 4)} for bfloat16), rows alternating (order reversed "
             f"every other repetition), "
             f"TensorFlow {tf.__version__}, Keras {keras.__version__}, "
             f"{machine()['cpus']} CPUs, no GPU")
    print(setup)
    print(table)
    found = half_precision_instructions()
    flags = "unknown instructions" if found is None else (
        ", ".join(found) if found else "none of avx512_bf16, avx512_fp16, amx_bf16, amx_fp16")

    def medians_of(precision):
        label = next(label for label, _, p in STRATEGY_ROWS if p == precision)
        q1, median, q3 = quartiles(ratios[label])
        return f"{median:.2f}x ({q1:.2f}-{q3:.2f})"

    publish("train_throughput_strategies",
            {"setup": vars(args), "machine": machine(), "samples": samples, "medians": medians,
             "paired_ratios": ratios,
             "median_paired_ratios": {label: quartiles(r)[1] for label, r in ratios.items()},
             "half_precision_instructions": found},
            f"## Training throughput under tf.distribute and mixed precision\n\n"
            f"`{command()}`\n\n{setup}. A paired ratio divides a row's images/s by the "
            f"reference's in the same repetition; IQR: first to third quartile.\n\n{table}\n\n"
            "On a CPU the strategy rows show overhead only: MirroredStrategy on one device "
            "against no strategy is the price of the distributed step (the all-reduce of one "
            "replica, the distributed dataset); two logical CPUs share the same two cores, so "
            "they add the second replica's bookkeeping without adding compute. Mixed "
            "precision gains on a CPU only where it has half-precision instructions; this "
            f"one has {flags}: here mixed_bfloat16 ran at {medians_of('bfloat16')} and "
            f"mixed_float16 at {medians_of('float16')} the float32 speed (median paired "
            "ratios, IQR in brackets). A GPU or TPU is where mixed precision is meant to pay.")


def command():
    return " ".join(["python benchmarks/train_throughput.py", *sys.argv[1:]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", action="store_true",
                        help="measure strategies and mixed precision instead (see above)")
    parser.add_argument("--reps", type=int, default=None,
                        help="timed repetitions (default 15, or 5 with --strategies)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per timed repetition (default 2)")
    parser.add_argument("--steps", type=int, default=22,
                        help="with --strategies: timed steps per repetition (default 22)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--latent-dim", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    if args.strategies:
        args.reps = args.reps or 5
        # before TensorFlow runs any op: two logical devices for the mirrored-2 row
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return measure_strategies(args)
    args.reps, args.epochs = args.reps or 15, args.epochs or 2

    keras.utils.set_random_seed(0)
    dataset = ganzoo.data.load("digits", args.image_size, args.batch_size, seed=0).cache()
    steps = int(dataset.cardinality())
    models = build_pair(args.image_size, args.latent_dim, args.base_filters)
    for model in models.values():  # warm-up: trace the step, fill the cache
        model.fit(dataset, epochs=1, verbose=0)

    samples = alternating_samples(
        list(models), args.reps, lambda name: images_per_second(
            models[name], dataset, args.epochs, steps * args.batch_size))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    reference = "hand-written keras.io loop"
    ratios = paired_ratios(samples, "ganzoo.DCGAN", reference)
    q1, ratio, q3 = quartiles(ratios)
    result = verdict(ratios, TARGET)
    rows = [(name, *spread(samples[name]), *(spread(ratios, 3) if name != reference else
                                              ("1.000", "-", "-")), result if name != reference
             else "reference") for name in models]
    header = ("loop", "median images/s", "IQR", "range", "median paired ratio to hand-written",
              "IQR", "range", f"target >= {TARGET}")
    table = markdown_table(header, rows)
    setup = (f"DCGAN {args.image_size}x{args.image_size}x1, base_filters {args.base_filters}, "
             f"latent {args.latent_dim}, batch {args.batch_size}, digits train split "
             f"({steps} steps/epoch), {args.reps} repetitions of {args.epochs} epochs, the two "
             f"loops alternating (order reversed every other repetition), "
             f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {machine()['cpus']} CPUs")
    print(setup)
    print(table)
    load = os.getloadavg()[0]
    conclusion = (f"Target: ganzoo >= {TARGET}x the hand-written loop. Median of the "
                  f"{args.reps} paired ratios {ratio:.3f}x (IQR {q1:.3f}-{q3:.3f}, range "
                  f"{min(ratios):.3f}-{max(ratios):.3f}): {result}. 1-minute load average "
                  f"{load:.1f} at the end (other work shares the CPUs).")
    print(conclusion)
    publish("train_throughput", {"setup": vars(args), "machine": machine(), "samples": samples,
                                 "medians": medians, "paired_ratios": ratios,
                                 "median_paired_ratio": ratio,
                                 "paired_ratio_quartiles": [q1, ratio, q3],
                                 "target": TARGET, "verdict": result,
                                 "load_average_1min_end": load},
            f"## Training throughput\n\n`{command()}`\n\n{setup}. A paired ratio divides "
            f"ganzoo's images/s by the hand-written loop's in the same repetition; IQR: first "
            f"to third quartile.\n\n{table}\n\n{conclusion}")


if __name__ == "__main__":
    main()
