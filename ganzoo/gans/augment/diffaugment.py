"""DiffAugment: the same random colour, translation and cutout for real and fake images."""

import functools

import keras
import tensorflow as tf

from ganzoo.gans.augment.augmenter import Augmenter, SeedStream

# Settings of the reference implementation (mit-han-lab/data-efficient-gans).
TRANSLATION_RATIO = 0.125  # largest shift, as a fraction of the image side
CUTOUT_RATIO = 0.5  # side of the cut square, as a fraction of the image side


def brightness(images, seeds):
    """Adds one offset from U(-0.5, 0.5) to every value of an image (may leave [-1, 1])."""
    offset = seeds.uniform(1, _per_image(images), -0.5, 0.5)
    return images + offset


def saturation(images, seeds):
    """Scales each pixel's departure from its channel mean by U(0, 2); no-op on 1 channel."""
    factor = seeds.uniform(2, _per_image(images), 0.0, 2.0)
    mean = tf.reduce_mean(images, axis=3, keepdims=True)
    return (images - mean) * factor + mean


def contrast(images, seeds):
    """Scales an image's departure from its overall mean by U(0.5, 1.5)."""
    factor = seeds.uniform(3, _per_image(images), 0.5, 1.5)
    mean = tf.reduce_mean(images, axis=(1, 2, 3), keepdims=True)
    return (images - mean) * factor + mean


def translation(images, seeds, ratio=TRANSLATION_RATIO):
    """Shifts each image by whole pixels, up to round(ratio * side) per axis, filling with 0.

    The shifts along height and width are independent, uniform over
    [-limit, limit] with limit = int(side * ratio + 0.5) (2 pixels for 16, 4 for 32).
    """
    batch = tf.shape(images)[0]
    for axis, number in ((1, 4), (2, 5)):
        size = images.shape[axis]
        limit = int(size * ratio + 0.5)
        shift = seeds.uniform(number, (batch, 1), -limit, limit + 1, tf.int32)
        # a zero border on each side, read wherever the shifted index leaves the image
        padding = [[0, 0]] * 4
        padding[axis] = [1, 1]
        index = tf.clip_by_value(tf.range(size)[None, :] + shift + 1, 0, size + 1)
        images = tf.gather(tf.pad(images, padding), index, axis=axis, batch_dims=1)
    return images


def cutout(images, seeds, ratio=CUTOUT_RATIO):
    """Zeroes a square of side int(side * ratio + 0.5) per axis, centred anywhere in the image.

    The centre is uniform over the pixels (one more position for an even side, so
    the square can reach the last row); the part outside the image is dropped, so a
    square near an edge zeroes less.
    """
    batch = tf.shape(images)[0]
    inside = []
    for axis, number in ((1, 6), (2, 7)):
        size = images.shape[axis]
        side = int(size * ratio + 0.5)
        centre = seeds.uniform(number, (batch, 1), 0, size + 1 - side % 2, tf.int32)
        start = centre - side // 2
        position = tf.range(size)[None, :]
        inside.append(tf.logical_and(position >= start, position < start + side))
    cut = tf.logical_and(inside[0][:, :, None], inside[1][:, None, :])
    return images * tf.cast(tf.logical_not(cut), images.dtype)[..., None]


POLICIES = {
    "color": (brightness, saturation, contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


def _per_image(images):
    return (tf.shape(images)[0], 1, 1, 1)


@keras.saving.register_keras_serializable(package="ganzoo")
class DiffAugment(Augmenter):
    """Differentiable augmentation applied to every image D sees, real and fake.

    Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training".
    Every policy is applied to every image (no probability); the random parameters
    differ per image. Policies, in the order given:

    - "color": brightness + U(-0.5, 0.5), saturation x U(0, 2) around the channel
      mean (a no-op on one channel), contrast x U(0.5, 1.5) around the image mean.
      Like the reference, on images in [-1, 1], unclipped: values may leave [-1, 1].
    - "translation": integer shift up to 1/8 of the side per axis, zero fill.
    - "cutout": a zeroed square of half the side, centre anywhere.

    Translation and cutout keep the range (they move values or write 0).

    Args:
        policies: names from `POLICIES`, applied in this order; empty = identity.
        translation_ratio: largest shift as a fraction of the side (0.125).
        cutout_ratio: side of the cut square as a fraction of the image side (0.5).

    Example:
        >>> augment = DiffAugment(("translation", "cutout"))
        >>> seen_by_d = augment(images, seed=tf.constant([0, 1]))
    """

    def __init__(self, policies=tuple(POLICIES), translation_ratio=TRANSLATION_RATIO,
                 cutout_ratio=CUTOUT_RATIO, **kwargs):
        super().__init__(**kwargs)
        policies = (policies,) if isinstance(policies, str) else tuple(policies)
        unknown = [name for name in policies if name not in POLICIES]
        if unknown:
            raise ValueError(f"Unknown DiffAugment policy {unknown[0]!r}; the policies are "
                             f"{list(POLICIES)} (e.g. 'diffaugment:translation,cutout').")
        if len(set(policies)) != len(policies):
            raise ValueError(f"A DiffAugment policy is listed twice in {list(policies)}.")
        for name, ratio in (("translation_ratio", translation_ratio),
                            ("cutout_ratio", cutout_ratio)):
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(f"{name} must be in [0, 1]; got {ratio}.")
        self.policies = policies
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        ratios = {translation: self.translation_ratio, cutout: self.cutout_ratio}
        self._ops = tuple(functools.partial(op, ratio=ratios[op]) if op in ratios else op
                          for policy in policies for op in POLICIES[policy])

    @classmethod
    def from_spec(cls, arguments, **options):
        """The augmenter of 'diffaugment' (every policy) or 'diffaugment:name,name'."""
        if arguments is None:
            return cls(**options)
        if "policies" in options:
            raise ValueError(f"'diffaugment:{arguments}' and policies={options['policies']!r} "
                             "both name policies; give one.")
        policies = [name.strip() for name in arguments.split(",")]
        if not any(policies):
            raise ValueError(f"'diffaugment:{arguments}' names no policy; list some of "
                             f"{list(POLICIES)}, or use augment='none'.")
        return cls(policies, **options)

    def augment(self, images, seed):
        seeds = SeedStream(seed)
        for op in self._ops:
            images = op(images, seeds)
        return images

    def get_config(self):
        return {**super().get_config(), "policies": list(self.policies),
                "translation_ratio": self.translation_ratio, "cutout_ratio": self.cutout_ratio}
