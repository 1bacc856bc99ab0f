"""A GAN's pair of optimizers built from its variant's defaults, with an optional
learning rate and a linear decay to zero, optionally after a constant phase (the
schedule of the 2D benchmark and of CycleGAN)."""

from ganzoo.gans.learning_rates import SCHEDULES, LinearDecay


def make_optimizers(gan, learning_rate=None, schedule="constant", generator_steps=None,
                    hold_steps=0):
    """Return fresh `(g_optimizer, d_optimizer)` for `gan.compile`.

    Args:
        gan: a ganzoo model; its `default_optimizer()` gives the type and betas.
        learning_rate: replaces the default learning rate of both optimizers.
        schedule: `"constant"`, or `"linear_decay"` to zero over the training.
        generator_steps: the training's length in generator steps; needed for the
            decay (the discriminator's optimizer decays over its own, n-times-more
            updates).
        hold_steps: generator steps at the initial rate before the decay starts.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {schedule!r}; expected one of "
                         f"{list(SCHEDULES)}.")
    if schedule == "linear_decay" and not generator_steps:
        raise ValueError("linear_decay needs the training length in generator steps.")
    if hold_steps and schedule != "linear_decay":
        raise ValueError("hold_steps applies to the linear_decay schedule only.")

    def build(updates_per_step):
        default = gan.default_optimizer()
        config = default.get_config()
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        if schedule == "linear_decay":
            config["learning_rate"] = LinearDecay(
                config["learning_rate"], generator_steps * updates_per_step,
                hold_steps * updates_per_step)
        return type(default).from_config(config)

    return build(1), build(gan.discriminator_steps)
