"""Learning-rate code: the schedules ganzoo trains with, and scaling a rate after the fact.

`LinearDecay` is the schedule of the 2D benchmark and of CycleGAN; `StepDecay` SRGAN's
(the rate dropped tenfold halfway). The divergence
guard retries with a lower learning rate: a constant learning rate is a variable
(saved with the optimizer's state, so a checkpoint carries the lowered value); a
`LearningRateSchedule` is Python code traced into the training function, so it is
wrapped in `ScaledSchedule` instead and the training function retraced.

Example:
    >>> set_learning_rate_scale(gan, 0.5, restored_scale=1.0)   # both optimizers, halved
"""

import keras

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule
SCHEDULES = ("constant", "linear_decay", "step_decay")
# SRGAN's drop: 1e-4, then 1e-5 (Ledig et al. 2017).
STEP_DECAY_FACTOR = 0.1


@keras.saving.register_keras_serializable(package="ganzoo")
class LinearDecay(LearningRateSchedule):
    """The learning rate held for `hold_steps` updates, then decayed linearly to zero.

    CycleGAN (Zhu et al. 2017) holds 2e-4 for 100 epochs and decays it to zero over the
    next 100. The rate reaches exactly zero at update `total_steps`, so the last update
    of a `total_steps`-long run uses `learning_rate / (total_steps - hold_steps)`.

    Args:
        learning_rate: the initial rate.
        total_steps: length of the training in updates of this optimizer.
        hold_steps: updates at the initial rate before the decay starts.
    """

    def __init__(self, learning_rate, total_steps, hold_steps=0):
        if not 0 <= hold_steps < total_steps:
            raise ValueError(f"hold_steps must be in [0, total_steps); got {hold_steps} of "
                             f"{total_steps}.")
        self.learning_rate = float(learning_rate)
        self.total_steps, self.hold_steps = int(total_steps), int(hold_steps)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        remaining = (self.total_steps - step) / (self.total_steps - self.hold_steps)
        return self.learning_rate * keras.ops.clip(remaining, 0.0, 1.0)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "total_steps": self.total_steps,
                "hold_steps": self.hold_steps}


@keras.saving.register_keras_serializable(package="ganzoo")
class StepDecay(LearningRateSchedule):
    """The learning rate for `hold_steps` updates, then `factor` times it to the end.

    SRGAN (Ledig et al. 2017) trains 10^5 updates at 1e-4, then 10^5 at 1e-5: updates
    0 to `hold_steps - 1` use `learning_rate`, every later one `factor * learning_rate`.

    Args:
        learning_rate: the initial rate.
        hold_steps: updates of this optimizer at the initial rate (at least 1).
        factor: the drop, in (0, 1].

    Example:
        >>> StepDecay(1e-4, hold_steps=100_000)       # SRGAN's 1e-4, then 1e-5
    """

    def __init__(self, learning_rate, hold_steps, factor=STEP_DECAY_FACTOR):
        if hold_steps < 1:
            raise ValueError(f"hold_steps must be at least 1; got {hold_steps}.")
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"factor must be in (0, 1]; got {factor}.")
        self.learning_rate, self.factor = float(learning_rate), float(factor)
        self.hold_steps = int(hold_steps)

    def __call__(self, step):
        held = keras.ops.cast(step, "float32") < self.hold_steps
        return keras.ops.where(held, self.learning_rate, self.learning_rate * self.factor)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "hold_steps": self.hold_steps,
                "factor": self.factor}


@keras.saving.register_keras_serializable(package="ganzoo")
class ScaledSchedule(LearningRateSchedule):
    """Another schedule multiplied by a constant `scale`.

    Args:
        schedule: a `LearningRateSchedule` (or its serialized config).
        scale: the factor.

    Example:
        >>> ScaledSchedule(keras.optimizers.schedules.PolynomialDecay(2e-4, 1000, 0.0), 0.5)
    """

    def __init__(self, schedule, scale):
        if isinstance(schedule, dict):
            schedule = keras.saving.deserialize_keras_object(schedule)
        self.schedule = schedule
        self.scale = float(scale)

    def __call__(self, step):
        return self.schedule(step) * self.scale

    def get_config(self):
        return {"schedule": keras.saving.serialize_keras_object(self.schedule),
                "scale": self.scale}


def set_learning_rate_scale(gan, scale, restored_scale):
    """Make both optimizers' learning rates `scale` times their configured values.

    Args:
        gan: a compiled GAN whose weights were just restored (or left as they are).
        scale: the wanted factor relative to the configured learning rates.
        restored_scale: the factor in effect when the restored weights were saved:
            a constant learning rate is a variable restored with them.
    """
    retrace = False
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        # a LossScaleOptimizer (mixed_float16) keeps the rate in its inner optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        current = optimizer.get_config()["learning_rate"]
        if isinstance(current, dict):  # a serialized schedule
            schedule = keras.saving.deserialize_keras_object(current)
            in_effect = schedule.scale if isinstance(schedule, ScaledSchedule) else 1.0
            if in_effect != scale:
                base = schedule.schedule if isinstance(schedule, ScaledSchedule) else schedule
                optimizer.learning_rate = base if scale == 1.0 else ScaledSchedule(base, scale)
                retrace = True
        elif scale != restored_scale:
            optimizer.learning_rate = float(current) * scale / restored_scale
    if retrace:
        # The old schedule is baked into the traced training function.
        gan.make_train_function(force=True)


def learning_rate_of(optimizer):
    """The optimizer's current learning rate as a float (schedules at the current step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
