"""A GAN's pair of optimizers built from its variant's defaults, with an optional
learning rate and linear decay to zero (the schedule of the 2D benchmark and of
CycleGAN-style training)."""

import keras

SCHEDULES = ("constant", "linear_decay")


def make_optimizers(gan, learning_rate=None, schedule="constant", generator_steps=None):
    """Return fresh `(g_optimizer, d_optimizer)` for `gan.compile`.

    Args:
        gan: a `ganzoo.GAN`; its `default_optimizer()` gives the type and betas.
        learning_rate: replaces the default learning rate of both optimizers.
        schedule: `"constant"`, or `"linear_decay"` to zero over the training.
        generator_steps: the training's length in generator steps; needed for the
            decay (the discriminator's optimizer decays over its own, n-times-more
            updates).
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown learning-rate schedule {schedule!r}; expected one of "
                         f"{list(SCHEDULES)}.")
    if schedule == "linear_decay" and not generator_steps:
        raise ValueError("linear_decay needs the training length in generator steps.")

    def build(updates):
        default = gan.default_optimizer()
        config = default.get_config()
        if learning_rate is not None:
            config["learning_rate"] = learning_rate
        if schedule == "linear_decay":
            config["learning_rate"] = keras.optimizers.schedules.PolynomialDecay(
                config["learning_rate"], decay_steps=updates, end_learning_rate=0.0)
        return type(default).from_config(config)

    steps = generator_steps or 0
    return build(steps), build(steps * gan.discriminator_steps)
