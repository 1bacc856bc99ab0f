"""Checks on the real batches a GAN trains on, with errors that say how to fix the data.

Two mistakes are common and silent otherwise: images of the wrong shape or channel
count (Keras fails deep in the discriminator, or broadcasts), and images still in
0..255 (uint8) or 0..1 where ganzoo's generators produce [-1, 1] (training then
runs but learns nothing useful). `check_real_batch` catches what is visible when
the training step is traced, and adds cheap runtime assertions for the values.

Example:
    >>> real = check_real_batch(real, self.data_shape, step=self.g_optimizer.iterations)
"""

import tensorflow as tf

# Float round-off (resize, colour conversion) can step just past [-1, 1].
TOLERANCE = 1e-3


def describe_mismatch(shape, dtype, expected_shape):
    """Why samples of `shape` (without the batch axis) and `dtype` cannot train a GAN
    making `expected_shape`, or None when they can.

    Args:
        shape: the per-sample shape (a `tf.TensorShape` or tuple; None dims are unknown).
        dtype: the samples' dtype.
        expected_shape: the GAN's `data_shape`.
    """
    dtype = tf.as_dtype(dtype)
    if dtype.is_integer or dtype == tf.bool:
        return (f"got {dtype.name} samples; ganzoo expects float samples (images in [-1, 1]): "
                "convert them first, e.g. images / 127.5 - 1 for 0..255 pixels "
                "(ganzoo.data.load does this).")
    if not dtype.is_floating:
        return f"got {dtype.name} samples; ganzoo expects float32 samples."
    shape, expected = tf.TensorShape(shape), tuple(expected_shape)
    if shape.rank is None:
        return None
    if shape.rank != len(expected) or not all(
            have is None or have == want for have, want in zip(shape.as_list(), expected)):
        have = tuple(shape.as_list())
        hint = ""
        if len(expected) == 3 and shape.rank == 3 and have[:2] == expected[:2]:
            hint = (f" The channel count differs ({have[2]} vs {expected[2]}): load the data "
                    f"with channels={expected[2]}.")
        elif len(expected) == 3:
            hint = (f" Load the data with image_size={expected[0]} and channels={expected[2]}, "
                    "or build the GAN for your data's shape.")
        return f"got samples of shape {have}, but this GAN makes and judges {expected}.{hint}"
    return None


def check_real_batch(images, expected_shape, step=None):
    """Return `images` after checking they suit a GAN whose samples have `expected_shape`.

    When tracing: raises ValueError for an integer dtype (uint8 pixels) or a static
    shape/channel mismatch. At run time, for images (rank-3 samples): asserts that the
    values lie in [-1, 1] (a larger value means 0..255 data) and, on the first
    training step (`step == 0`), that the batch is not entirely >= 0 (0..1 data).
    Both assertions fail with `tf.errors.InvalidArgumentError` naming the fix.

    Args:
        images: the batch of real samples, `(batch, *expected_shape)`.
        expected_shape: the GAN's `data_shape`, e.g. `(32, 32, 1)`.
        step: optional generator step (e.g. `g_optimizer.iterations`) for the
            first-step 0..1 check; without it that check is skipped.

    Example:
        >>> real = check_real_batch(real, self.data_shape, step=self.g_optimizer.iterations)
    """
    images = tf.convert_to_tensor(images) if not isinstance(images, tf.Tensor) else images
    problem = describe_mismatch(images.shape[1:], images.dtype, expected_shape)
    if problem:
        raise ValueError(f"Real training data does not fit the GAN: {problem}")
    if len(tuple(expected_shape)) != 3:
        return images  # points (e.g. 2D mixtures) may lie anywhere
    # Comparisons, not min/max: NaN compares false, so a NaN batch passes here and
    # reaches the losses, where the divergence guard reports it as what it is.
    def none_beyond(outside, message):
        return tf.debugging.assert_equal(tf.reduce_any(outside), False, message=message)

    checks = [
        none_beyond(images > 1.0 + TOLERANCE,
                    "Real images must lie in [-1, 1], but this batch has values above 1: it "
                    "looks like 0..255 pixel data. Scale it with images / 127.5 - 1 "
                    "(ganzoo.data.load does this)."),
        none_beyond(images < -1.0 - TOLERANCE,
                    "Real images must lie in [-1, 1], but this batch has values below -1."),
    ]
    if step is not None:
        # Only the first batch: a later batch of bright images may legitimately be >= 0.
        first = tf.equal(tf.cast(step, tf.int64), 0)
        checks.append(none_beyond(
            tf.logical_and(first, tf.logical_not(tf.reduce_any(images < 0))),
            "Real images must lie in [-1, 1], but the first batch has no negative "
            "value: it looks like 0..1 data. Scale it with images * 2 - 1 "
            "(ganzoo.data.load does this)."))
    with tf.control_dependencies(checks):
        return tf.identity(images)


def split_batch(data, num_classes):
    """`(samples, labels)` of one training batch, labels None for an unconditional GAN.

    A conditional GAN (`num_classes` K) trains on `(samples, labels)` batches, an
    unconditional one on samples alone; the other kind is a ValueError when the step
    is traced, naming how to load the data. Labels are checked by `check_labels`.
    """
    labelled = isinstance(data, (tuple, list))
    if num_classes is None:
        if labelled:
            raise ValueError("Real training data does not fit the GAN: got (samples, labels) "
                             "batches, but this GAN is unconditional. Load the data with "
                             "with_labels=False, or build the GAN with num_classes=K to "
                             "condition it on the labels.")
        return data, None
    if not labelled or len(data) != 2:
        raise ValueError(f"Real training data does not fit the GAN: this GAN is conditional "
                         f"(num_classes={num_classes}) and trains on (images, labels) "
                         "batches, but got samples alone. Load the data with "
                         "with_labels=True.")
    samples, labels = data
    return samples, check_labels(labels, num_classes)


def check_labels(labels, num_classes):
    """`labels` as int32 `(batch,)` after checking them: integers of one axis when
    traced (ValueError), and in [0, num_classes) at run time (an assertion failing with
    `tf.errors.InvalidArgumentError`, like the pixel-range checks)."""
    labels = tf.convert_to_tensor(labels)
    if not labels.dtype.is_integer:
        raise ValueError(f"Real training data does not fit the GAN: got {labels.dtype.name} "
                         "labels; class labels are integers 0 .. num_classes - 1.")
    if labels.shape.rank != 1:
        raise ValueError(f"Real training data does not fit the GAN: got labels of shape "
                         f"{tuple(labels.shape)}; a batch has one integer label per image, "
                         "shape (batch,) (not one-hot).")
    labels = tf.cast(labels, tf.int32)
    inside = tf.logical_and(labels >= 0, labels < num_classes)
    check = tf.debugging.assert_equal(
        tf.reduce_all(inside), True,
        message=f"Class labels must lie in [0, {num_classes}) for this GAN (num_classes="
                f"{num_classes}), but this batch has one outside: relabel the data as 0 .. "
                f"{num_classes - 1}, or build the GAN with the right num_classes.")
    with tf.control_dependencies([check]):
        return tf.identity(labels)
