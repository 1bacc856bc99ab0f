"""The contract every augmenter keeps, and the stateless seeds its draws come from."""

import keras
import tensorflow as tf


class Augmenter(keras.layers.Layer):
    """Base of the differentiable augmentations: `augmenter(images, seed)`.

    Returns images of the same shape and dtype. All randomness is stateless and comes
    from `seed` (shape `(2,)`, int32 or int64): the same seed gives the same
    augmentation, a different seed (another step, stream or replica) another one.
    Every random parameter is drawn per image. Gradients flow to the images, so the
    generator learns through the augmentation. The work happens in float32 and the
    result is cast back (float16 coordinates would misplace pixels).

    A subclass implements `augment(images, seed)` on float32 NHWC images.
    """

    def __init__(self, **kwargs):
        kwargs.pop("autocast", None)
        # autocast off: a mixed-precision policy must not change the images' dtype.
        super().__init__(autocast=False, **kwargs)
        self.built = True

    def call(self, images, seed):
        images = tf.convert_to_tensor(images)
        if images.shape.rank != 4 or None in images.shape[1:]:
            raise ValueError(f"{type(self).__name__} augments batches of images (batch, height, "
                             f"width, channels) of known size; got shape {images.shape}.")
        seed = tf.convert_to_tensor(seed)
        if seed.shape != (2,) or not seed.dtype.is_integer:
            raise ValueError(f"seed must be a stateless seed: 2 integers; got {seed.shape} "
                             f"{seed.dtype.name}. In a GAN step pass self.noise_seed(stream).")
        out = self.augment(tf.cast(images, tf.float32), seed)
        return tf.cast(out, images.dtype)

    def augment(self, images, seed):
        raise NotImplementedError

    def compute_output_shape(self, images_shape, seed_shape=None):
        return images_shape


class SeedStream:
    """Seeds for the draws of one augmentation, each a fold of one number into `seed`.

    A draw named by a fixed number keeps its randomness when other draws are added
    or switched off.
    """

    def __init__(self, seed):
        self.seed = tf.cast(seed, tf.int64)

    def __call__(self, number):
        return tf.random.experimental.stateless_fold_in(self.seed, number)

    def uniform(self, number, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
        return tf.random.stateless_uniform(shape, seed=self(number), minval=minval,
                                           maxval=maxval, dtype=dtype)

    def normal(self, number, shape, stddev=1.0):
        return tf.random.stateless_normal(shape, seed=self(number), stddev=stddev)
