"""The history of generated images that feeds CycleGAN's discriminators."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="ganzoo")
class ImagePool(keras.layers.Layer):
    """A buffer of past generated images (Shrivastava et al. 2017; CycleGAN, Zhu et al. 2017).

    Judging a mix of current and past fakes keeps the discriminator from chasing the
    generator's latest mode. `query` follows the CycleGAN reference code image by
    image: while the pool has room, an image is stored and returned unchanged; once
    it is full, with probability 1/2 a random stored image is returned and the new
    one takes its slot, otherwise the new image is returned. The buffer is a
    variable, so it is saved with the weights and a resumed run continues with it.

    Under `tf.distribute` every replica keeps a pool of its own fakes, as each GPU
    process of a data-parallel PyTorch run keeps its own: the variables are
    `on_read` (per replica, written in the replica step without any cross-replica
    traffic). Saving writes the first replica's pool; restoring gives every replica
    that pool.

    Args:
        pool_size: images kept (50 in the paper); 0 disables the pool.
        image_shape: shape of one image.
    """

    def __init__(self, pool_size, image_shape, **kwargs):
        super().__init__(**kwargs)
        if pool_size < 0:
            raise ValueError(f"pool_size must be at least 0; got {pool_size}.")
        self.pool_size = int(pool_size)
        self.image_shape = tuple(image_shape)
        # add_weight takes no `synchronization`; variables set as attributes are tracked
        # all the same, in this order (the order .weights.h5 files rely on), and the
        # name scope gives them add_weight's paths ("pool_a/images").
        per_replica = dict(trainable=False, synchronization="on_read",
                           aggregation="only_first_replica")
        with keras.name_scope(self.name):
            self.images = keras.Variable("zeros", shape=(self.pool_size, *self.image_shape),
                                         dtype=self.variable_dtype, name="images", **per_replica)
            self.count = keras.Variable("zeros", shape=(), dtype="int32", name="count",
                                        **per_replica)
        self.built = True

    def query(self, images, seed):
        """Images for the discriminator in place of `images`, updating the pool.

        Args:
            images: a batch of generated images.
            seed: a stateless seed (shape `(2,)` int) for the coin flips and slots.
        """
        if self.pool_size == 0:
            return images
        images = tf.stop_gradient(tf.cast(images, self.images.dtype))
        batch = tf.shape(images)[0]
        coins = tf.random.stateless_uniform((batch,), seed=seed)
        slots = tf.random.stateless_uniform(
            (batch,), seed=tf.random.experimental.stateless_fold_in(seed, 1),
            maxval=self.pool_size, dtype=tf.int32)

        def one_image(i, pool, count, returned):
            image = images[i]
            has_room = count < self.pool_size
            # the slot written: the next free one, or the random victim of a swap
            swap = tf.logical_and(tf.logical_not(has_room), coins[i] > 0.5)
            slot = tf.where(has_room, count, slots[i])
            out = tf.where(swap, pool[slot], image)
            written = tf.tensor_scatter_nd_update(pool, [[slot]], image[None])
            pool = tf.where(tf.logical_or(has_room, swap), written, pool)
            count = tf.minimum(count + 1, self.pool_size)
            return i + 1, pool, count, returned.write(i, out)

        _, pool, count, returned = tf.while_loop(
            lambda i, *_: i < batch, one_image,
            (tf.constant(0), tf.convert_to_tensor(self.images), tf.convert_to_tensor(self.count),
             tf.TensorArray(images.dtype, size=batch, element_shape=images.shape[1:])))
        self.images.assign(pool)
        self.count.assign(count)
        return returned.stack()

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "image_shape": self.image_shape}
