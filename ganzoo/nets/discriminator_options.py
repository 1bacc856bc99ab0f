"""Discriminator options shared by every network family: packing and spectral norm."""

import tensorflow as tf
from keras import layers


def packed_shape(sample_shape, pack):
    """Input shape of a discriminator that judges `pack` samples jointly (PacGAN).

    The samples are stacked along the last axis: channels for images, features for
    vectors (Lin et al. 2018).
    """
    if pack < 1:
        raise ValueError(f"pack must be a positive number of samples; got {pack}.")
    return (*sample_shape[:-1], sample_shape[-1] * pack)


def pack_samples(samples, pack):
    """Group a batch `(B, ..., C)` into `(B / pack, ..., C * pack)`; B must divide."""
    if pack == 1:
        return samples
    shape = tf.shape(samples)
    rank = len(samples.shape)
    grouped = tf.reshape(samples, tf.concat([[shape[0] // pack, pack], shape[1:]], axis=0))
    # (groups, pack, ..., C) -> (groups, ..., pack, C), so each group's samples sit
    # side by side in the last axis.
    grouped = tf.transpose(grouped, [0, *range(2, rank), 1, rank])
    return tf.reshape(grouped, tf.concat([[shape[0] // pack], shape[1:-1],
                                          [shape[-1] * pack]], axis=0))


def maybe_spectral_norm(layer, enabled):
    """Wrap `layer` in spectral normalization (Miyato et al. 2018) when `enabled`."""
    return layers.SpectralNormalization(layer) if enabled else layer
