"""GAN losses as pure functions of discriminator outputs.

Each function returns the mean over the local batch as a float32 scalar: the true
loss value. Scaling for `tf.distribute` happens once, in the GAN base, never here.
Discriminator losses are registered by name with their matching generator loss, so a
variant can take `loss="hinge"` and reject names it does not know.
"""

import tensorflow as tf


def _float32(scores):
    # Losses stay in float32 even when the networks run in mixed precision.
    return tf.cast(scores, tf.float32)


def _no_label_smoothing(label_smoothing, loss):
    if label_smoothing:
        raise ValueError(f"label_smoothing applies to the cross-entropy and least-squares "
                         f"losses, not to the {loss} loss.")


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


def least_squares_discriminator_loss(real_scores, fake_scores, label_smoothing=0.0):
    """LSGAN (Mao et al. 2017) with targets a=0 (fake), b=1 (real): 1/2 E(D(x)-b)^2 + 1/2 E D(G(z))^2.

    Args:
        real_scores, fake_scores: D's raw outputs.
        label_smoothing: one-sided: the real target b becomes `1 - label_smoothing`.
    """
    real_target = 1.0 - label_smoothing
    return 0.5 * (tf.reduce_mean(tf.square(_float32(real_scores) - real_target))
                  + tf.reduce_mean(tf.square(_float32(fake_scores))))


def least_squares_generator_loss(fake_scores):
    """LSGAN generator loss with target c=1: 1/2 E (D(G(z)) - 1)^2."""
    return 0.5 * tf.reduce_mean(tf.square(_float32(fake_scores) - 1.0))


def hinge_discriminator_loss(real_scores, fake_scores, label_smoothing=0.0):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): E relu(1 - D(x)) + E relu(1 + D(G(z)))."""
    _no_label_smoothing(label_smoothing, "hinge")
    return (tf.reduce_mean(tf.nn.relu(1.0 - _float32(real_scores)))
            + tf.reduce_mean(tf.nn.relu(1.0 + _float32(fake_scores))))


def wasserstein_discriminator_loss(real_scores, fake_scores, label_smoothing=0.0):
    """Critic loss of the Wasserstein GAN (Arjovsky et al. 2017): E D(G(z)) - E D(x).

    Meaningful only with a Lipschitz constraint on the critic (gradient penalty,
    spectral normalization).
    """
    _no_label_smoothing(label_smoothing, "wasserstein")
    return tf.reduce_mean(_float32(fake_scores)) - tf.reduce_mean(_float32(real_scores))


def score_generator_loss(fake_scores):
    """G raises the critic's score of its samples: -E D(G(z)) (hinge and Wasserstein)."""
    return -tf.reduce_mean(_float32(fake_scores))


def gradient_penalty(critic, real, fake, alpha, group=1, epsilon=1e-10):
    """WGAN-GP penalty (Gulrajani et al. 2017): E (||grad_x D(x_hat)||_2 - 1)^2.

    x_hat = real + alpha * (fake - real) lies on the segment between paired real and
    fake samples. Computed in float32, with `epsilon` inside the square root: the
    gradient of sqrt at 0 is infinite, and would turn into NaN.

    Args:
        critic: a callable from samples to scores (one per sample or packed group).
        real, fake: batches of the same shape.
        alpha: interpolation coefficients, shape (batch,), uniform in [0, 1]; equal
            within a group when the critic packs samples.
        group: samples per critic input (PacGAN's pack): the norm is taken over a
            whole packed input, the critic's real argument.
    """
    real, fake = _float32(real), _float32(fake)
    alpha = tf.reshape(_float32(alpha), [-1] + [1] * (len(real.shape) - 1))
    interpolated = real + alpha * (fake - real)
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        scores = _float32(critic(interpolated))
    gradients = tape.gradient(scores, interpolated)
    squared_norm = tf.reduce_sum(tf.square(gradients), axis=list(range(1, len(real.shape))))
    squared_norm = tf.reduce_sum(tf.reshape(squared_norm, [-1, group]), axis=1)
    return tf.reduce_mean(tf.square(tf.sqrt(squared_norm + epsilon) - 1.0))


def orthogonal_regularization(kernels):
    """BigGAN's orthogonal regularisation (Brock et al. 2019, eq. 3), without its weight
    beta: the sum over `kernels` of ||W^T W * (1 - I)||_F^2.

    Each kernel is read as a matrix W of one column per output unit (`(-1, units)`: a
    convolution's filters are its columns), so only the inner products between
    different filters are penalised, not their norms (the paper's relaxation of
    ||W^T W - I||^2). Float32.

    Args:
        kernels: weight tensors, the last axis the output units.
    """
    total = tf.constant(0.0)
    for kernel in kernels:
        matrix = tf.reshape(_float32(kernel), (-1, kernel.shape[-1]))
        gram = tf.matmul(matrix, matrix, transpose_a=True)
        off_diagonal = gram * (1.0 - tf.eye(kernel.shape[-1]))
        total += tf.reduce_sum(tf.square(off_diagonal))
    return total


def classification_loss(labels, class_logits):
    """Mean softmax cross-entropy of class logits against int labels: the auxiliary
    classifier's loss of AC-GAN (Odena et al. 2017), -log P(C = c | X)."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=_float32(class_logits)))


# name -> (discriminator loss, generator loss)
LOSSES = {
    "non_saturating": (bce_discriminator_loss, non_saturating_generator_loss),
    "minimax": (bce_discriminator_loss, minimax_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "hinge": (hinge_discriminator_loss, score_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, score_generator_loss),
}


def get_loss_pair(name):
    """Return `(discriminator_loss, generator_loss)` for a registered loss name."""
    if name not in LOSSES:
        raise ValueError(f"Unknown GAN loss {name!r}; expected one of {sorted(LOSSES)}.")
    return LOSSES[name]
