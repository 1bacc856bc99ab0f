"""What every adversarial model in ganzoo shares, whatever its networks.

`AdversarialModel` owns the two optimizers (one for the generator side, one for the
discriminator side), builds them in `compile`, restores them from `.keras` files and
run folders, and draws the stateless training noise. `GAN` (one generator, one
discriminator) and `CycleGAN` (two of each) build on it.

It also makes a GAN behave like a Keras model: `gan(x)` and `gan.predict(x)` run the
generator, `gan.evaluate(data)` and `fit(..., validation_data=...)` run the variant's
`test_step`, `gan.optimizer` shows both optimizers to Keras' learning-rate callbacks,
the loss trackers tell `EarlyStopping` which way is better, and `fit` refuses data
that yields no batch instead of training zero steps.

Written for `tf.distribute` from the start: optimizers are built in `compile` (inside
the caller's strategy scope), and gradients come from losses divided by the number of
replicas (Keras sums replica gradients). Under the `mixed_float16` policy `compile`
wraps both optimizers in a `LossScaleOptimizer`; the losses stay float32 (see
`ganzoo.losses`). tests/test_distribute.py proves that
training on two replicas ends with the weights and logs of one device.
"""

import numpy as np
import keras
import tensorflow as tf

from ganzoo.errors import DataError
from ganzoo.gans import ema
from ganzoo.gans.optimizers import OptimizerPair

SAMPLER, TRANSLATOR, UPSCALER = "sampler", "translator", "upscaler"


class AdversarialModel(keras.Model):
    """A keras.Model trained with a generator optimizer and a discriminator optimizer.

    Subclasses say which variables each optimizer updates (`generator_variables`,
    `discriminator_variables`), give `generator` (what `call` runs), create
    `trackers` and `evaluation_trackers` (`ganzoo.gans.trackers.Trackers`, logged by
    `train_step` and `test_step`), and write both steps.

    Args:
        seed: seed of the training noise; None draws one from NumPy's global state,
            so `keras.utils.set_random_seed` makes runs reproducible.
    """

    # What the model does with its generator: SAMPLER (latent vectors -> samples,
    # `generate`), TRANSLATOR (images -> images of the same size, `translate`) or
    # UPSCALER (images -> `scale` times larger ones, `upscale`). Data loading, progress
    # pictures, evaluation, the command line, the zoo and export go by it.
    kind = SAMPLER
    # Constructor arguments that take Keras models: a zoo entry (YAML) cannot give them.
    network_arguments = ()
    # How many discriminator updates precede each generator update.
    discriminator_steps = 1

    def __init__(self, *, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = int(np.random.randint(0, 2**31 - 1) if seed is None else seed)
        # The networks are functional models, built already, and `call` only runs one
        # of them: there is nothing for Keras to build or trace, so mark the model
        # built (under a strategy, Keras would otherwise build it symbolically).
        self.built = True

    def call(self, inputs, training=False):
        """What `gan(x)` and `gan.predict(x)` compute: the generator on `inputs`.

        A SAMPLER maps latent vectors `(batch, latent_dim)` to samples; a TRANSLATOR
        maps images of domain A to domain B (its `generator` is the A->B network).
        The network is `inference_generator()`: a GAN's generator EMA when it keeps
        one. Inference mode (batch norm uses its moving statistics) unless
        `training=True`.

        Example:
            >>> images = gan.predict(np.random.normal(size=(16, gan.latent_dim)))
        """
        return self.inference_generator()(inputs, training=training)

    # The generator EMA (`ganzoo.gans.ema`) of a model that keeps one (`ema_decay`): a
    # GAN or a PairedModel sets these; CycleGAN keeps none.
    generator_ema = ema_decay = ema_warmup = None

    def inference_generator(self, use_ema=True):
        """The network `gan(x)`, `predict`, sampling, translating and upscaling run:
        `generator_ema` when the model keeps one and `use_ema` is true, else the raw
        `generator`."""
        if use_ema and self.generator_ema is not None:
            return self.generator_ema
        return self.generator

    def _update_generator_ema(self, steps_before):
        # A step the loss-scale optimizer skipped (non-finite gradients) is no generator
        # step: the average stays as it is (decay 1).
        applied = tf.cast(self.g_optimizer.iterations, tf.int64) > steps_before
        decay = self.ema_decay_at(steps_before)
        ema.update(self.generator_ema, self.generator, tf.where(applied, decay, 1.0))

    def ema_decay_at(self, steps_before):
        """The generator EMA's decay for the update after `steps_before` generator steps
        (a tensor): `ema_decay`, ramped up by `ema_warmup` (`ganzoo.gans.ema.decay_at`)."""
        return ema.decay_at(self.ema_decay, self.ema_warmup, steps_before)

    @property
    def generator_variables(self):
        """The variables `g_optimizer` updates."""
        raise NotImplementedError

    @property
    def discriminator_variables(self):
        """The variables `d_optimizer` updates."""
        raise NotImplementedError

    @property
    def metrics(self):
        # One group (see ganzoo.gans.trackers): Keras resets it each epoch and reads
        # the direction of each loss from it.
        return [self.trackers]

    def reset_metrics(self):
        # Keras calls this at the start of every epoch and of every evaluation. The
        # evaluation trackers stay out of `metrics`, so validation never mixes into the
        # training logs; they are reset here.
        super().reset_metrics()
        self.evaluation_trackers.reset_state()

    def default_optimizer(self):
        """A fresh optimizer for either side when `compile` is given none."""
        return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)

    def default_optimizers(self):
        """Fresh `(g_optimizer, d_optimizer)` for `compile` when given none:
        `default_optimizer()` for each side, unless the variant gives each side its
        own (BigGAN's two learning rates)."""
        return self.default_optimizer(), self.default_optimizer()

    def compile(self, g_optimizer=None, d_optimizer=None, auto_scale_loss=True, **kwargs):
        """Configure training; optimizers default to the variant's choice.

        Call it inside `strategy.scope()` when training under `tf.distribute`.

        Args:
            g_optimizer: optimizer of the generator(s).
            d_optimizer: optimizer of the discriminator(s) (a different instance).
            auto_scale_loss: when the networks compute in float16 (`mixed_float16`
                policy), wrap both optimizers in `keras.optimizers.LossScaleOptimizer`
                (Keras' own `compile` would wrap only `self.optimizer`, which a GAN
                does not use). Optimizers already wrapped are kept as they are.
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`,
                `run_eagerly`, `jit_compile`).

        Example:
            >>> keras.mixed_precision.set_global_policy("mixed_float16")
            >>> gan = DCGAN(image_shape=(32, 32, 1))
            >>> gan.compile()
            >>> type(gan.g_optimizer).__name__
            'LossScaleOptimizer'
        """
        if g_optimizer is not None and g_optimizer is d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be different instances: "
                             "an optimizer keeps per-variable state for one network.")
        # optimizer=None: no stray default optimizer over all weights.
        super().compile(optimizer=None, auto_scale_loss=auto_scale_loss, **kwargs)
        if g_optimizer is None or d_optimizer is None:
            g_default, d_default = self.default_optimizers()
            g_optimizer, d_optimizer = g_optimizer or g_default, d_optimizer or d_default
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        if auto_scale_loss and self.computes_in_float16():
            # float16 gradients underflow without loss scaling; the step functions
            # call `optimizer.scale_loss`, which is the identity for other optimizers.
            self.g_optimizer, self.d_optimizer = (
                optimizer if isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
                else keras.optimizers.LossScaleOptimizer(optimizer, name=f"{role}_loss_scale")
                for role, optimizer in (("g", self.g_optimizer), ("d", self.d_optimizer)))
        # Built now, inside the caller's strategy scope: built lazily they fail under
        # tf.distribute, and unbuilt ones silently skip their state when loading.
        self.g_optimizer.build(self.generator_variables)
        self.d_optimizer.build(self.discriminator_variables)
        # For Keras callbacks (ReduceLROnPlateau, LearningRateScheduler, TensorBoard):
        # not an optimizer Keras trains with, and not saved (see OptimizerPair).
        self.optimizer = OptimizerPair(self.g_optimizer, self.d_optimizer)

    def fit(self, x=None, *args, **kwargs):
        """`keras.Model.fit`, refusing data that yields no batch.

        Keras only warns ("Your input ran out of data") and returns after zero steps;
        here training or validation data known to be empty (`cardinality() == 0`, e.g.
        fewer samples than one batch with `drop_remainder=True`) raises `DataError`
        before training, and a fit that ran no step (data of unknown length, e.g.
        after `.filter()`) raises it after.
        """
        refuse_empty(x, "The training data")
        if kwargs.get("validation_data") is not None:
            refuse_empty(kwargs["validation_data"], "validation_data")
        history = super().fit(x, *args, **kwargs)
        # An epoch ran (History.epoch) but no step logged a training loss: no batch came.
        if (history is not None and history.epoch
                and not any(name in history.history for name in self.trackers.names)):
            raise DataError(f"fit ran no training step: {no_batch_message(x, 'the training data')}")
        return history

    def evaluate(self, x=None, *args, **kwargs):
        """`keras.Model.evaluate` (the variant's `test_step`), refusing an empty dataset."""
        refuse_empty(x, "The evaluation data")
        return super().evaluate(x, *args, **kwargs)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Workaround for Keras 3.15 (backend/tensorflow/trainer.py): under a strategy,
        # `fit` fetches a batch and averages it over the replicas (strategy.reduce) only
        # to build unbuilt layers, compiled losses and metrics symbolically. Under
        # MultiWorkerMirroredStrategy that reduce fails on tuple batches such as
        # CycleGAN's (images_a, images_b) ("unsupported type PerReplica"). A GAN has
        # nothing to build: its networks are built and it compiles no loss or metric.
        if all(layer.built for layer in self._flatten_layers()):
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def get_compile_config(self):
        # Lets `.keras` files and run folders restore both optimizers, not just weights,
        # and the steps per `fit` call the model was compiled with.
        if not self.compiled:
            return None
        return {"g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
                "steps_per_execution": self.steps_per_execution}

    def compile_from_config(self, config):
        config = dict(config)
        steps_per_execution = config.pop("steps_per_execution", 1)  # absent from older files
        self.compile(**{key: keras.saving.deserialize_keras_object(value)
                        for key, value in config.items()},
                     steps_per_execution=steps_per_execution)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}

    def computes_in_float16(self):
        """True when some layer of the networks computes in float16 (`mixed_float16`)."""
        return any(layer.dtype_policy.compute_dtype == "float16"
                   for layer in self._flatten_layers(include_self=False))

    @property
    def generator_steps(self):
        """Generator updates applied so far, as a Python int.

        `int(gan.g_optimizer.iterations)` fails under a `tf.distribute` strategy (the
        value is a MirroredVariable); this works under any.
        """
        return updates_applied(self.g_optimizer)

    def noise_seed(self, noise_stream, replica=None):
        """A stateless seed for one random draw of the current training step.

        A function of (seed, generator step, stream, replica), so training noise is
        reproducible per seed, fresh each step and different on every replica.

        Args:
            noise_stream: which draw of the step (an int; each draw has its own).
            replica: the replica whose seed to give; default the replica running this
                code (`replica_id_in_sync_group`, 0 without a strategy). Passing it
                lets one device reproduce what each replica of a distributed run draws.
        """
        step = tf.cast(self.g_optimizer.iterations, tf.int64)
        seed = tf.stack([tf.constant(self.seed, tf.int64), step])
        seed = tf.random.experimental.stateless_fold_in(seed, noise_stream)
        if replica is None:
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        return tf.random.experimental.stateless_fold_in(seed, tf.cast(replica, tf.int64))


def refuse_empty(data, what):
    """Raise `DataError` when `data` (a dataset or arrays) is known to yield no batch."""
    if isinstance(data, tf.data.Dataset):
        empty = int(data.cardinality()) == 0
    else:
        empty = any(isinstance(array, np.ndarray) and array.ndim and len(array) == 0
                    for array in tf.nest.flatten(data))
    if empty:
        raise DataError(no_batch_message(data, what))


def no_batch_message(data, what):
    """Why `data` gave no batch, with its batch size when the dataset says it."""
    batch_size = _static_batch_size(data)
    if batch_size:
        message = (f"{what} yields no batch: it holds fewer samples than one batch of "
                   f"{batch_size}, which is dropped (batched with drop_remainder=True), or "
                   f"none at all. Give it at least {batch_size} samples, or smaller batches.")
    else:
        message = (f"{what} yields no batch: it is empty. Check its source (an empty folder "
                   "or array).")
    if (isinstance(data, tf.data.Dataset)
            and int(data.cardinality()) == tf.data.UNKNOWN_CARDINALITY):
        message += " Its length was unknown until read: check that a filter lets samples through."
    return message


def _static_batch_size(data):
    if not isinstance(data, tf.data.Dataset):
        return None
    spec = tf.nest.flatten(data.element_spec)[0]
    shape = getattr(spec, "shape", None)
    return shape[0] if shape is not None and shape.rank else None


def after_batch(data):
    """A context in which every op of a training step waits for the step's batch.

    On an exhausted iterator (at each epoch's end, for a dataset of unknown length) the
    step fails at the iterator's `get_next`, yet TensorFlow still runs the ops that do
    not depend on the batch: without this, each epoch's end would advance the
    optimizers' step counters (which seed the noise and count ganzoo's steps) and the
    generator's batch-norm statistics by a step that never happened.
    """
    return tf.control_dependencies(tf.nest.flatten(data))


def updates_applied(optimizer):
    """`optimizer.iterations` as a Python int, under any `tf.distribute` strategy."""
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def step_logs(trackers):
    """What `train_step` returns: each tracker's result (the true, unscaled mean).

    Keras averages these over the replicas, which gives the global batch's value
    since every replica's slice has the same size (`drop_remainder=True`).
    """
    logs = {tracker.name: tracker.result() for tracker in trackers}
    strategy = tf.distribute.get_strategy()
    if (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode()):
        # Workaround for Keras 3.15 (backend/tensorflow/trainer.py, reduce_per_replica):
        # with several workers it reduces step outputs with
        # strategy.reduce("MEAN", value, axis=0), which fails on scalars ("Invalid
        # reduction dimension 0 for input with 0 dimensions"). One-element vectors
        # reduce to the scalar mean over all replicas, the value the logs should show.
        # The condition is Keras' own (_collective_all_reduce_multi_worker).
        logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
    return logs


def scale_for_gradients(optimizer, loss):
    """The loss to differentiate on one replica: `loss / replicas`, loss-scaled.

    Keras sums gradients across replicas, so each replica contributes loss / N;
    `scale_loss` applies the loss scale of a LossScaleOptimizer (identity otherwise).
    Call it inside the tape, or the gradient chain is cut.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return optimizer.scale_loss(loss / replicas)


def apply_gradients(optimizer, tape, scaled_loss, variables):
    """One optimizer update of `variables` from a tape and a `scale_for_gradients` loss."""
    gradients = tape.gradient(scaled_loss, variables)
    optimizer.apply_gradients(zip(gradients, variables))
