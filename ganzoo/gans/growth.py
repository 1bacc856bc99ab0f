"""ProGAN's growth schedule, and how far a training has come along it.

Training starts at 4x4 (level 0) and doubles the resolution level by level. Each
level is first trained stably for `stable_images` real images, then the next level's
blocks fade in linearly over `fade_images` (alpha from 0 to 1), as in Karras et al.
2018 (800k each in the paper, section A.1; its code's
lod_training_kimg and lod_transition_kimg default to 600k):

    images shown:  | stable 4x4 | fade 8x8 | stable 8x8 | fade 16x16 | ... | final, stable on

The stage is a function of one number, the real images shown so far, kept in the
`Growth` layer's variable `images_seen`: it is saved with the model's weights, so a
checkpoint taken mid-fade resumes mid-fade.

Example:
    >>> growth = Growth(levels=4, fade_images=600_000, stable_images=600_000)
    >>> stage_at(900_000, 4, 600_000, 600_000)      # (level, alpha)
    (1, 0.5)
"""

import keras
from keras import ops


def check_schedule(fade_images, stable_images):
    """`(fade_images, stable_images)` as ints, or a ValueError naming what is allowed."""
    values = {"fade_images": fade_images, "stable_images": stable_images}
    for name, value in values.items():
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise ValueError(f"{name} must be a whole number of images, at least 0; got {value!r}.")
    if fade_images + stable_images == 0:
        raise ValueError("fade_images and stable_images are both 0: the schedule would have no "
                         "length. Give each phase some images (the paper: 800_000 each).")
    return int(fade_images), int(stable_images)


def stage_at(images, levels, fade_images, stable_images):
    """The `(level, alpha)` after `images` real images, in plain Python."""
    period = fade_images + stable_images
    phase, within = divmod(int(images), period)
    if phase >= levels - 1:
        return levels - 1, 1.0
    if within < stable_images:
        return phase, 1.0
    return phase + 1, (within - stable_images) / fade_images


def schedule_images(levels, fade_images, stable_images):
    """Real images until the last level is fully faded in (its stable phase begins)."""
    return (levels - 1) * (fade_images + stable_images)


@keras.saving.register_keras_serializable(package="ganzoo")
class Growth(keras.layers.Layer):
    """The schedule and the images shown so far (`images_seen`, an int64 variable).

    Args:
        levels: resolutions from 4x4 to the final one (4 for 32x32).
        fade_images: real images over which each new level fades in.
        stable_images: real images each level trains before the next one fades in.
    """

    def __init__(self, levels, fade_images, stable_images, **kwargs):
        super().__init__(**kwargs)
        self.levels = int(levels)
        self.fade_images, self.stable_images = check_schedule(fade_images, stable_images)
        # Aggregation "none": under tf.distribute each replica adds the global batch
        # to its own copy, so every copy holds the same count.
        self.images_seen = self.add_weight(shape=(), dtype="int64", initializer="zeros",
                                           trainable=False, name="images_seen")
        self.built = True

    def stage(self, images=None):
        """`(level, alpha)` as tensors (int32, float32) after `images` (default:
        `images_seen`) real images; the graph twin of `stage_at`."""
        images = ops.convert_to_tensor(self.images_seen if images is None else images, "int64")
        period = self.fade_images + self.stable_images
        phase = images // period
        within = images - phase * period
        final = phase >= self.levels - 1
        fading = within >= self.stable_images
        level = ops.where(final, self.levels - 1, phase + ops.cast(fading, "int64"))
        faded = ops.cast(within - self.stable_images, "float32") / float(max(self.fade_images, 1))
        alpha = ops.where(ops.logical_and(fading, ops.logical_not(final)), faded, 1.0)
        return ops.cast(level, "int32"), ops.cast(alpha, "float32")

    def advance(self, images):
        """Count `images` more real images shown (the global batch of one step)."""
        self.images_seen.assign_add(ops.cast(images, "int64"))

    @property
    def total_images(self):
        """Real images until the final level is faded in (`schedule_images`)."""
        return schedule_images(self.levels, self.fade_images, self.stable_images)

    def get_config(self):
        return {**super().get_config(), "levels": self.levels, "fade_images": self.fade_images,
                "stable_images": self.stable_images}


class LatestValue(keras.metrics.Metric):
    """A logged value that is the latest one given, not a running mean (the stage)."""

    def __init__(self, name, **kwargs):
        super().__init__(name=name, **kwargs)
        # on-read, like every metric variable; "mean": all replicas hold the same value
        self.value = self.add_variable(shape=(), initializer="zeros", aggregation="mean",
                                       name="value")

    def update_state(self, value):
        self.value.assign(ops.cast(value, self.value.dtype))

    def result(self):
        return ops.convert_to_tensor(self.value)
