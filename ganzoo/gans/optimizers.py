"""A GAN's pair of optimizers built from its variant's defaults, with an optional
learning rate and schedule: a linear decay to zero, optionally after a constant phase
(the schedule of the 2D benchmark and of CycleGAN), or a step decay (SRGAN's: tenfold
lower after half the training); and the pair as Keras callbacks see it
(`OptimizerPair`, `gan.optimizer`)."""

from ganzoo.gans.learning_rates import SCHEDULES, STEP_DECAY_FACTOR, LinearDecay, StepDecay

# The schedules that hold the rate for `hold_steps` before changing it.
HOLDING_SCHEDULES = ("linear_decay", "step_decay")


def make_optimizers(gan, learning_rate=None, schedule="constant", generator_steps=None,
                    hold_steps=0, decay_factor=STEP_DECAY_FACTOR):
    """Return fresh `(g_optimizer, d_optimizer)` for `gan.compile`.

    Args:
        gan: a ganzoo model; its `default_optimizers()` give the types and betas.
        learning_rate: replaces the default learning rate of both optimizers; of a
            variant with a default rate per side (BigGAN), the generator's, and the
            discriminator's keeps its default ratio to it.
        schedule: `"constant"`; `"linear_decay"` to zero over the training; or
            `"step_decay"`: `decay_factor` times the rate after `hold_steps` (default
            half the training), as SRGAN trains.
        generator_steps: the training's length in generator steps; needed for the
            decays (the discriminator's optimizer decays over its own, n-times-more
            updates).
        hold_steps: generator steps at the initial rate before the decay starts
            (step_decay: before the drop; 0 means half the training).
        decay_factor: the drop of `"step_decay"` (0.1, the paper's).

    Example:
        >>> g_opt, d_opt = make_optimizers(srgan, schedule="step_decay", generator_steps=2000)
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {schedule!r}; expected one of "
                         f"{list(SCHEDULES)}.")
    if schedule in HOLDING_SCHEDULES and not generator_steps:
        raise ValueError(f"{schedule} needs the training length in generator steps.")
    if hold_steps and schedule not in HOLDING_SCHEDULES:
        raise ValueError("hold_steps applies to the linear_decay and step_decay schedules only.")
    if schedule == "step_decay":
        if generator_steps < 2:
            raise ValueError(f"step_decay drops the rate within the training, which needs at "
                             f"least 2 generator steps; got {generator_steps}.")
        hold_steps = hold_steps or generator_steps // 2
        if not 0 < hold_steps < generator_steps:
            raise ValueError(f"step_decay drops the rate within the training: hold_steps must "
                             f"be in [1, {generator_steps}); got {hold_steps}.")

    def build(default, updates_per_step, rate):
        config = default.get_config()
        if rate is not None:
            config["learning_rate"] = rate
        if schedule == "linear_decay":
            config["learning_rate"] = LinearDecay(
                config["learning_rate"], generator_steps * updates_per_step,
                hold_steps * updates_per_step)
        elif schedule == "step_decay":
            config["learning_rate"] = StepDecay(config["learning_rate"],
                                                hold_steps * updates_per_step, decay_factor)
        return type(default).from_config(config)

    g_default, d_default = gan.default_optimizers()
    d_rate = learning_rate
    g_config, d_config = g_default.get_config(), d_default.get_config()
    if learning_rate is not None and d_config["learning_rate"] != g_config["learning_rate"]:
        # two default rates (BigGAN's): learning_rate is G's, D's keeps their ratio
        d_rate = learning_rate * d_config["learning_rate"] / g_config["learning_rate"]
    return build(g_default, 1, learning_rate), build(d_default, gan.discriminator_steps, d_rate)


class OptimizerPair:
    """What a compiled GAN gives as `gan.optimizer`: its two optimizers for Keras callbacks.

    Keras' callbacks read and change the learning rate through `model.optimizer`
    (ReduceLROnPlateau, LearningRateScheduler, TensorBoard), and given an object with
    `.optimizers` (the protocol of `keras.optimizers.MultiOptimizer`) act on each. So
    `ReduceLROnPlateau` multiplies both learning rates by its factor (their ratio
    stays) and logs them as `learning_rate_g_optimizer` and `learning_rate_d_optimizer`.
    A learning rate given as a schedule cannot be set this way (Keras says so); for
    those see `ganzoo.gans.learning_rates.set_learning_rate_scale`.

    It holds no variables of its own and is not saved: the optimizers are saved as
    `g_optimizer` and `d_optimizer`.

    Args:
        g_optimizer, d_optimizer: the GAN's optimizers (maybe loss-scaled).
    """

    # Both are built in `compile`; Keras builds `model.optimizer` only when unbuilt.
    built = True

    def __init__(self, g_optimizer, d_optimizer):
        self.optimizers = [_Named(g_optimizer, "g_optimizer"), _Named(d_optimizer, "d_optimizer")]

    @property
    def iterations(self):
        """Generator updates: the step TensorBoard and ganzoo count in."""
        return self.optimizers[0].iterations

    @property
    def variables(self):
        return [variable for optimizer in self.optimizers for variable in optimizer.variables]

    @property
    def learning_rate(self):
        raise AttributeError("A GAN has two learning rates: gan.g_optimizer.learning_rate and "
                             "gan.d_optimizer.learning_rate.")

    def build(self, variables):
        pass  # built in compile


class _Named:
    """An optimizer seen under its role's name: Keras names learning-rate logs after `name`."""

    def __init__(self, optimizer, name):
        self.optimizer, self.name = optimizer, name

    def __getattr__(self, attribute):
        if attribute == "optimizer":  # not set yet (copy, pickle): no recursion
            raise AttributeError(attribute)
        return getattr(self.optimizer, attribute)

    @property
    def learning_rate(self):
        return self.optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.optimizer.learning_rate = value
