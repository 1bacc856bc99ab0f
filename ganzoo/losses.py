"""GAN losses as pure functions of discriminator logits.

Each function returns the mean over the local batch as a float32 scalar: the true
loss value. Scaling for `tf.distribute` happens once, in the GAN base, never here.
Discriminator losses are registered by name with their matching generator loss, so a
variant can take `loss="minimax"` and reject names it does not know.
"""

import tensorflow as tf


def _float32(logits):
    # Losses stay in float32 even when the networks run in mixed precision.
    return tf.cast(logits, tf.float32)


def bce_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Binary cross-entropy for D (Goodfellow et al. 2014), shared by both GAN losses.

    Args:
        real_logits: D's logits on real samples.
        fake_logits: D's logits on generated samples.
        label_smoothing: one-sided smoothing (Salimans et al. 2016): real targets
            become `1 - label_smoothing`; fake targets stay 0.
    """
    real_logits, fake_logits = _float32(real_logits), _float32(fake_logits)
    real_target = tf.fill(tf.shape(real_logits), 1.0 - label_smoothing)
    real_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=real_target, logits=real_logits)
    # -log(1 - sigmoid(x)) == softplus(x)
    fake_loss = tf.nn.softplus(fake_logits)
    return tf.reduce_mean(real_loss) + tf.reduce_mean(fake_loss)


def non_saturating_generator_loss(fake_logits):
    """G maximises log D(G(z)): -log sigmoid(x) == softplus(-x); strong early gradients."""
    return tf.reduce_mean(tf.nn.softplus(-_float32(fake_logits)))


def minimax_generator_loss(fake_logits):
    """G minimises log(1 - D(G(z))) == -softplus(x), the original minimax game."""
    return -tf.reduce_mean(tf.nn.softplus(_float32(fake_logits)))


# name -> (discriminator loss, generator loss)
LOSSES = {
    "non_saturating": (bce_discriminator_loss, non_saturating_generator_loss),
    "minimax": (bce_discriminator_loss, minimax_generator_loss),
}


def get_loss_pair(name):
    """Return `(discriminator_loss, generator_loss)` for a registered loss name."""
    if name not in LOSSES:
        raise ValueError(f"Unknown GAN loss {name!r}; expected one of {sorted(LOSSES)}.")
    return LOSSES[name]
