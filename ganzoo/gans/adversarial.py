"""What every adversarial model in ganzoo shares, whatever its networks.

`AdversarialModel` owns the two optimizers (one for the generator side, one for the
discriminator side), builds them in `compile`, restores them from `.keras` files and
run folders, and draws the stateless training noise. `GAN` (one generator, one
discriminator) and `CycleGAN` (two of each) build on it.

Written for `tf.distribute` from the start (see KERAS_TF_NOTES.md): optimizers are
built in `compile` (inside the caller's strategy scope), and gradients come from
losses divided by the number of replicas (Keras sums replica gradients).
"""

import numpy as np
import keras
import tensorflow as tf


class AdversarialModel(keras.Model):
    """A keras.Model trained with a generator optimizer and a discriminator optimizer.

    Subclasses say which variables each optimizer updates (`generator_variables`,
    `discriminator_variables`) and write `train_step`.

    Args:
        seed: seed of the training noise; None draws one from NumPy's global state,
            so `keras.utils.set_random_seed` makes runs reproducible.
    """

    # How many discriminator updates precede each generator update.
    discriminator_steps = 1

    def __init__(self, *, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = int(np.random.randint(0, 2**31 - 1) if seed is None else seed)
        # The networks are functional models, built already; the model has no call()
        # of its own for Keras to trace, so mark it built (needed under a strategy).
        self.built = True

    @property
    def generator_variables(self):
        """The variables `g_optimizer` updates."""
        raise NotImplementedError

    @property
    def discriminator_variables(self):
        """The variables `d_optimizer` updates."""
        raise NotImplementedError

    def default_optimizer(self):
        """A fresh optimizer for either side when `compile` is given none."""
        return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Configure training; optimizers default to the variant's choice.

        Args:
            g_optimizer: optimizer of the generator(s).
            d_optimizer: optimizer of the discriminator(s) (a different instance).
            **kwargs: passed to `keras.Model.compile` (e.g. `steps_per_execution`,
                `run_eagerly`, `jit_compile`).
        """
        if g_optimizer is not None and g_optimizer is d_optimizer:
            raise ValueError("g_optimizer and d_optimizer must be different instances: "
                             "an optimizer keeps per-variable state for one network.")
        # optimizer=None: no stray default optimizer over all weights.
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = g_optimizer or self.default_optimizer()
        self.d_optimizer = d_optimizer or self.default_optimizer()
        # Built now, inside the caller's strategy scope: built lazily they fail under
        # tf.distribute, and unbuilt ones silently skip their state when loading.
        self.g_optimizer.build(self.generator_variables)
        self.d_optimizer.build(self.discriminator_variables)

    def get_compile_config(self):
        # Lets `.keras` files and run folders restore both optimizers, not just weights.
        if not self.compiled:
            return None
        return {"g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer)}

    def compile_from_config(self, config):
        self.compile(**{key: keras.saving.deserialize_keras_object(value)
                        for key, value in config.items()})

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}

    def noise_seed(self, noise_stream):
        """A stateless seed for one random draw of the current training step.

        A function of (seed, generator step, stream, replica), so training noise is
        reproducible per seed, fresh each step and different on every replica.
        """
        step = tf.cast(self.g_optimizer.iterations, tf.int64)
        seed = tf.stack([tf.constant(self.seed, tf.int64), step])
        seed = tf.random.experimental.stateless_fold_in(seed, noise_stream)
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        return tf.random.experimental.stateless_fold_in(seed, tf.cast(replica, tf.int64))


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
