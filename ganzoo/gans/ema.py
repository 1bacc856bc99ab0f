"""Generator EMA: a copy of the generator whose weights are an exponential moving
average of the generator's weights over training.

Karras et al. 2018 (ProGAN) sample from such an average (decay 0.999 per step), and
Yazici et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training", show
why it helps: the averaged generator sits near the middle of the cycles that
alternating updates make the raw one run around. After generator step t (weights
w_t) the average is

    ema_t = beta_t * ema_{t-1} + (1 - beta_t) * w_t,      ema_0 = w_0,

so with a constant beta = d, ema_n = d^n w_0 + (1 - d) sum_{k=1..n} d^(n-k) w_k.

Warm-up (`warmup=r`, StyleGAN2-ADA's `ema_rampup`, Karras et al. 2020; 0.05 in
their reference code): the average's half-life, ln(0.5) / ln(d) steps, is capped at
r times the generator steps taken before the update, so beta_t = min(d,
0.5 ** (1 / (r * (t - 1)))). The first update copies the generator (beta_1 = 0), and
an average of a short or young run is not dominated by its random initial weights;
once r * (t - 1) passes the half-life the decay is d.

Batch-norm moving statistics and the other non-trainable weights are copied, not
averaged, as StyleGAN2-ADA copies its buffers and ProGAN's `beta_nontrainable=0.0`
does: they are already running averages, of the raw generator's activations.

Under `tf.distribute` the averaged copy's variables are mirrored like the
generator's, and every replica updates its own copy in its replica context
(aggregation "none"). That needs no communication and stays consistent: the update
reads only the generator's trainable weights and the optimizer's step counter, which
are identical on every replica after `apply_gradients`. Copied batch-norm statistics
are per replica exactly when the generator's are (unless it uses synchronized batch
norm); saving reads the first replica's, as for the generator.
"""

import keras
import tensorflow as tf


def check_arguments(decay, warmup):
    """`(decay, warmup)` as floats (or None), or a ValueError that says what is allowed."""
    if decay is None:
        if warmup is not None:
            raise ValueError("ema_warmup needs a generator EMA: give ema_decay too (e.g. "
                             "ema_decay=0.999), or leave ema_warmup out.")
        return None, None
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay < 1.0:
        raise ValueError(f"ema_decay must be a number in [0, 1) (0.999 in ProGAN), or None for "
                         f"no generator EMA; got {decay!r}.")
    if warmup is not None and (isinstance(warmup, bool) or not isinstance(warmup, (int, float))
                               or not warmup > 0.0):
        raise ValueError(f"ema_warmup must be a positive number (StyleGAN2-ADA uses 0.05: the "
                         f"average's half-life is at most that fraction of the steps so far), "
                         f"or None for the constant decay; got {warmup!r}.")
    return float(decay), None if warmup is None else float(warmup)


def averaged_copy(generator):
    """A non-trainable clone of `generator` (same architecture, new variables) holding
    its current weights: the start of the average.

    Built in the caller's `tf.distribute` scope, like the generator. The clone keeps
    the generator's name, so a `.keras` file of it is "the generator" to its users.
    """
    clone = keras.models.clone_model(generator)
    if not clone.built:  # a subclassed network, rebuilt from its config
        clone.build(generator.input_shape)
    sources, targets = generator.weights, clone.weights
    if [tuple(w.shape) for w in sources] != [tuple(w.shape) for w in targets]:
        raise ValueError(f"Cannot average the generator {generator.name!r}: its clone has "
                         "weights of other shapes or order; give a functional or Sequential "
                         "generator, or one whose get_config rebuilds it.")
    clone.set_weights(generator.get_weights())
    clone.trainable = False
    return clone


def decay_at(decay, warmup, steps_before):
    """The decay beta of the update after `steps_before` earlier generator steps (a
    tensor), by the warm-up rule of this module's docstring."""
    decay_tensor = tf.constant(decay, tf.float32)
    if warmup is None or decay == 0.0:
        return decay_tensor
    ramp = warmup * tf.cast(steps_before, tf.float32)  # the half-life cap, in steps
    ramped = tf.where(ramp > 0.0, tf.pow(0.5, 1.0 / tf.maximum(ramp, 1e-30)), 0.0)
    return tf.minimum(decay_tensor, ramped)


def update(average, generator, decay):
    """One step of the average: `average`'s weights move towards `generator`'s.

    Trainable weights: `decay * average + (1 - decay) * generator` (exactly the
    average for decay 1, exactly the generator for decay 0); every other weight
    (batch-norm statistics) is copied. Call it in the training step, after the
    generator's update.
    """
    decay = tf.cast(decay, tf.float32)
    for target, source in zip(average.weights, generator.weights, strict=True):
        if source.trainable:
            target.assign(decay * target + (1.0 - decay) * source)
        else:
            target.assign(source)
