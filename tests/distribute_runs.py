"""Training runs on device layouts the test process cannot have: run as a subprocess.

Two logical CPU devices (for MirroredStrategy) must be configured before TensorFlow
runs any op, and MultiWorkerMirroredStrategy needs a process per worker, so
tests/test_distribute.py starts this script with `sys.executable` and reads back an
.npz file of weights and logged losses.

    python tests/distribute_runs.py mirrored OUT.npz        # every case, 2 replicas and 1 device
    python tests/distribute_runs.py worker OUT.npz [VARIANT]     # one MWMS worker (TF_CONFIG set)
    python tests/distribute_runs.py reference OUT.npz [VARIANT]  # the same training in one process

"Same noise" across layouts: with R replicas, replica r draws its latents (and WGAN-GP
coefficients) from a seed folded with r, for its 1/R of the global batch. The
one-device runs here use `EmulatedReplicas`, which draws exactly that: for each 1/R
of the batch, what replica r draws (via `noise_seed(..., replica=r)`), concatenated
in replica order, the order in which tf.distribute splits a global batch.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

REPLICAS = 2
STEPS = 3
GLOBAL_BATCH = 8


def _configure_two_cpus():
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


# ganzoo and keras are imported inside the functions, after the device set-up, so the
# order that matters stays visible (importing them runs no op either way).
def _ganzoo():
    import ganzoo

    return ganzoo


def cases():
    """(id, class, constructor arguments, SGD learning rate) trained in every layout.

    Batch norm synchronized. CycleGAN at 16 px with a small rate: at 8 px its instance
    norm sees 2x2 maps, whose near-zero variances amplify float32 rounding (1e-7)
    into 1e-2 weight differences within three steps, on one device as on two.
    "dcgan-ema" keeps a generator EMA with warm-up (decays 0, 0.25, 0.5 over the
    three steps), so its average differs from every generator state it saw. The
    conditional DCGANs train on (image, label) batches: each replica's labels must
    follow its images, and its fakes' labels are drawn per replica like its latents.
    """
    ganzoo = _ganzoo()
    return [
        ("vanilla", ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,)),
         0.05),
        ("dcgan", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                                     synchronized_batch_norm=True), 0.05),
        ("wgangp", ganzoo.WGANGP, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                                       n_critic=2, pack=2, synchronized_batch_norm=True), 0.05),
        ("cyclegan", ganzoo.CycleGAN, dict(image_shape=(16, 16, 1), base_filters=4,
                                           residual_blocks=1, pool_size=50), 0.001),
        ("cdcgan-projection", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8,
                                                 base_filters=8, synchronized_batch_norm=True,
                                                 num_classes=3), 0.05),
        # the classification loss is a mean over the replica's batch, scaled like the rest
        ("cdcgan-auxiliary", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8,
                                                base_filters=8, synchronized_batch_norm=True,
                                                num_classes=3, conditioning="auxiliary",
                                                class_loss_weight=0.5), 0.05),
        ("dcgan-ema", ganzoo.DCGAN, dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8,
                                         synchronized_batch_norm=True, ema_decay=0.9,
                                         ema_warmup=0.5), 0.05),
        # three steps: 4x4 stable, 8x8 fading in at alpha 0, then at alpha 0.5
        ("progan", ganzoo.ProGAN, dict(image_shape=(8, 8, 1), latent_dim=8, channel_base=64,
                                       channel_max=8, stable_images=8, fade_images=16,
                                       ema_decay=0.9), 0.01),
        # R1 and the path length penalty on steps 0 and 2; style mixing; w_avg; EMA
        ("stylegan2", ganzoo.StyleGAN2, dict(image_shape=(8, 8, 1), latent_dim=8,
                                             channel_base=64, channel_max=8, r1_gamma=1.0,
                                             r1_interval=2, pl_weight=2.0, pl_interval=2,
                                             ema_decay=0.9, ema_warmup=0.5), 0.01),
        # class-conditional batch norm (synchronized), spectral norm's power iterations,
        # self-attention, two D steps, the orthogonal penalty, an EMA copying G for one
        # step and then averaging
        ("biggan", ganzoo.BigGAN, dict(image_shape=(16, 16, 1), num_classes=3, latent_dim=6,
                                       base_filters=2, channel_multipliers=(4, 4, 4),
                                       embedding_dim=4, attention_resolution=8,
                                       synchronized_batch_norm=True, ema_decay=0.9,
                                       ema_start=1), 0.05),
    ]


class EmulatedReplicas:
    """Mixin: one device draws, for each 1/R of the batch, what replica r of R draws."""

    replicas = REPLICAS
    _replica = None

    def noise_seed(self, noise_stream, replica=None):
        return super().noise_seed(noise_stream, self._replica if replica is None else replica)

    def _per_replica(self, draw, size, *args):
        parts = []
        for replica in range(self.replicas):
            self._replica = replica  # read while tracing: each part gets its own seed
            parts.append(draw(size // self.replicas, *args))
        self._replica = None
        # a draw may give several tensors (StyleGAN2's generator inputs)
        return tf.nest.map_structure(lambda *halves: tf.concat(halves, axis=0), *parts)

    def sample_latent(self, batch_size, noise_stream=0):
        return self._per_replica(super().sample_latent, batch_size, noise_stream)

    def sample_labels(self, batch_size, noise_stream=0):
        if self.num_classes is None:
            return None
        return self._per_replica(super().sample_labels, batch_size, noise_stream)

    def interpolation_coefficients(self, groups, noise_stream):
        return self._per_replica(super().interpolation_coefficients, groups, noise_stream)

    def sample_generator_inputs(self, batch_size, noise_stream):
        return self._per_replica(super().sample_generator_inputs, batch_size, noise_stream)

    def sample_path_length_noise(self, batch_size, noise_stream):
        return self._per_replica(super().sample_path_length_noise, batch_size, noise_stream)


def emulated(cls):
    return type(f"Emulated{cls.__name__}", (EmulatedReplicas, cls), {})


def dataset_for(gan, steps=STEPS, batch=GLOBAL_BATCH):
    """`steps` global batches; pairs of domains for a translator; (images, labels) for a
    class-conditional GAN."""
    rng = np.random.default_rng(1)
    data = lambda: rng.uniform(-1, 1, (steps * batch, *gan.data_shape)).astype("float32")  # noqa: E731
    batches = lambda x: tf.data.Dataset.from_tensor_slices(x).batch(batch, drop_remainder=True)  # noqa: E731
    if gan.kind == _ganzoo().gans.TRANSLATOR:
        return tf.data.Dataset.zip((batches(data()), batches(data())))
    if getattr(gan, "num_classes", None) is not None:
        labels = rng.integers(0, gan.num_classes, steps * batch).astype("int32")
        return batches((data(), labels))
    return batches(data())


def networks(gan):
    if gan.kind == _ganzoo().gans.TRANSLATOR:
        return [gan.generator_ab, gan.generator_ba, gan.discriminator_a, gan.discriminator_b]
    return [gan.generator, gan.discriminator,
            *([] if gan.generator_ema is None else [gan.generator_ema])]


def weight_vector(gan, nets=None):
    """Every weight of every network (moving statistics too), flattened into one vector."""
    return np.concatenate([np.asarray(w.numpy(), np.float64).ravel()
                           for net in (nets or networks(gan)) for w in net.weights])


def replica_vectors(strategy, network):
    """`network`'s weights as each replica holds them, one vector per replica."""
    copies = zip(*(strategy.experimental_local_results(w.value) for w in network.weights))
    return [np.concatenate([np.asarray(c, np.float64).ravel() for c in copy]) for copy in copies]


def trainable_mask(gan):
    """Which entries of `weight_vector` the optimizers update (moving statistics move
    without them, in every forward pass in training mode)."""
    return np.concatenate([np.full(int(np.prod(w.shape)), w.trainable)
                           for net in networks(gan) for w in net.weights])


def train(cls, kwargs, strategy=None, steps=STEPS, seed=0, sgd=0.05):
    """Build, compile (inside the strategy's scope) and fit `steps` steps.

    Returns (gan, {"weights": vector, "initial_weights": the same before `fit`,
    "trainable": `trainable_mask`, "logs/<name>": per-step logged values,
    "history/<name>": the epoch's logged value}).

    `sgd`: the learning rate of plain SGD for both sides, or None for the variant's
    default optimizers. SGD's update is proportional to the gradient, so a gradient
    scaled twice (or not at all) by the number of replicas shows up in the weights;
    Adam's update hardly changes when every gradient is doubled.
    """
    import keras

    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)  # the networks' initial weights
    with strategy.scope():
        gan = cls(**kwargs, seed=seed)
        optimizers = (dict(g_optimizer=keras.optimizers.SGD(sgd),
                           d_optimizer=keras.optimizers.SGD(sgd)) if sgd else {})
        gan.compile(**optimizers)
    initial = weight_vector(gan)
    step_logs = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: step_logs.append(
            {key: float(value) for key, value in logs.items()}))
    history = gan.fit(dataset_for(gan, steps), epochs=1, verbose=0, shuffle=False,
                      callbacks=[record]).history
    result = {"weights": weight_vector(gan), "initial_weights": initial,
              "trainable": trainable_mask(gan)}
    if gan.kind != _ganzoo().gans.TRANSLATOR and gan.generator_ema is not None:
        result["ema_weights"] = weight_vector(gan, [gan.generator_ema])
        result["generator_weights"] = weight_vector(gan, [gan.generator])
        for replica, vector in enumerate(replica_vectors(strategy, gan.generator_ema)):
            result[f"ema/{replica}"] = vector
    for key in step_logs[0]:
        result[f"logs/{key}"] = np.array([logs[key] for logs in step_logs])
        result[f"history/{key}"] = np.array(history[key])
    return gan, result


def run_mirrored(out):
    _configure_two_cpus()
    import keras

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == REPLICAS
    results = {}

    def keep(prefix, result):
        results.update({f"{prefix}/{key}": value for key, value in result.items()})

    for name, cls, kwargs, rate in cases():
        gan, result = train(cls, kwargs, mirrored, sgd=rate)
        keep(f"{name}/mirrored", result)
        if name == "cyclegan":  # each replica's own pool, and what one device's pool holds
            for pool in ("pool_a", "pool_b"):
                variable = getattr(gan, pool)
                for replica, (images, count) in enumerate(zip(
                        mirrored.experimental_local_results(variable.images.value),
                        mirrored.experimental_local_results(variable.count.value))):
                    results[f"{name}/mirrored/{pool}/{replica}/images"] = np.asarray(images)
                    results[f"{name}/mirrored/{pool}/{replica}/count"] = np.asarray(count)
        gan, result = train(emulated(cls), kwargs, sgd=rate)
        keep(f"{name}/one-device", result)
        if name == "cyclegan":
            for pool in ("pool_a", "pool_b"):
                results[f"{name}/one-device/{pool}/images"] = getattr(gan, pool).images.numpy()
                results[f"{name}/one-device/{pool}/count"] = getattr(gan, pool).count.numpy()

    ganzoo = _ganzoo()
    dcgan = dict(image_shape=(8, 8, 1), latent_dim=8, base_filters=8)
    # The same seed again: identical, bit for bit.
    keep("dcgan/mirrored-again", train(ganzoo.DCGAN, {**dcgan, "synchronized_batch_norm": True},
                                       mirrored)[1])
    # Per-replica batch statistics: a legitimately different training.
    keep("dcgan-unsynchronized/mirrored", train(ganzoo.DCGAN, dcgan, mirrored)[1])
    keep("dcgan-unsynchronized/one-device", train(emulated(ganzoo.DCGAN), dcgan)[1])

    # What each replica draws: latents and WGAN-GP coefficients, against the emulation.
    with mirrored.scope():
        wgan = ganzoo.WGANGP(data_shape=(2,), latent_dim=4, hidden_units=(8,), seed=5)
        wgan.compile()
    draws = {"latent": lambda: wgan.sample_latent(4, 0),
             "alpha": lambda: wgan.interpolation_coefficients(4, 0)}
    for key, draw in draws.items():
        per_replica = mirrored.run(tf.function(draw))
        for replica, value in enumerate(mirrored.experimental_local_results(per_replica)):
            results[f"draws/{key}/{replica}"] = np.asarray(value)
    keras.utils.set_random_seed(0)
    one = emulated(ganzoo.WGANGP)(data_shape=(2,), latent_dim=4, hidden_units=(8,), seed=5)
    one.compile()
    results["draws/latent/emulated"] = one.sample_latent(8, 0).numpy()
    results["draws/alpha/emulated"] = one.interpolation_coefficients(8, 0).numpy()

    # Mixed float16 under the strategy: loss-scaled optimizers, finite training.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan, result = train(ganzoo.DCGAN, {**dcgan, "synchronized_batch_norm": True}, mirrored,
                            sgd=None)
        keep("dcgan-float16/mirrored", result)
        results["dcgan-float16/mirrored/loss_scaled"] = np.array(
            [isinstance(opt, keras.optimizers.LossScaleOptimizer)
             for opt in (gan.g_optimizer, gan.d_optimizer)])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    np.savez(out, **results)


def _case(variant):
    return next(case[1:] for case in cases() if case[0] == variant)


def run_worker(out, variant="dcgan"):
    """One MultiWorkerMirroredStrategy worker: TF_CONFIG comes from the environment."""
    # Created first: collective ops must be configured before TensorFlow runs any op.
    # Default communication options; the test's subprocess timeout catches a hang.
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == REPLICAS, strategy.num_replicas_in_sync
    cls, kwargs, rate = _case(variant)
    _, result = train(cls, kwargs, strategy, sgd=rate)
    np.savez(out, **result)


def run_reference(out, variant="dcgan"):
    """The workers' training in one process on one device, with their noise."""
    cls, kwargs, rate = _case(variant)
    _, result = train(emulated(cls), kwargs, sgd=rate)
    np.savez(out, **result)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    scenario, *args = sys.argv[1:]
    {"mirrored": run_mirrored, "worker": run_worker, "reference": run_reference}[scenario](*args)
