"""Progressive growing of GANs (Karras et al. 2018)."""

import contextlib

import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans.adversarial import after_batch, scale_for_gradients
from ganzoo.gans.augment import ADA
from ganzoo.gans.base import _FAKE, _REAL, GAN
from ganzoo.gans.growth import Growth, LatestValue
from ganzoo.gans.input_checks import check_real_batch, split_batch
from ganzoo.gans.trackers import Trackers
from ganzoo.nets.progan import (growing_layer, images_at_stage, num_levels,
                                progan_discriminator, progan_generator)

# Noise streams of one step's draws: the base's (critic step 0, then the generator),
# and the penalty's interpolation coefficients (as WGANGP's).
_CRITIC_STREAM, _GENERATOR_STREAM, _PENALTY_STREAM = 0, 1, 1_000


@keras.saving.register_keras_serializable(package="ganzoo")
class ProGAN(GAN):
    """A GAN that grows from 4x4 to its final resolution while it trains.

    Karras et al. 2018, "Progressive Growing of GANs for Improved Quality, Stability,
    and Variation". Both networks hold every level's blocks from the start (see
    `ganzoo.nets.progan`); the growth stage -- `resolution` and fade-in `alpha` --
    follows the real images shown (see `ganzoo.gans.growth`), is logged with the
    losses, and is saved with the weights. Real images are shown to D as G makes them
    at the stage (downscaled, faded, upscaled). Equalized learning rate, pixel norm in
    G, minibatch standard deviation in D; the WGAN-GP loss (lambda 10) plus the drift
    term 0.001 * E[D(x)^2]; Adam(1e-3, beta_1=0, beta_2=0.99, epsilon=1e-8); one critic
    step per generator step; a generator EMA of decay 0.999 -- all the paper's.

    Args:
        image_shape: `(size, size, channels)`, size a power of two >= 8, 1 or 3 channels.
        latent_dim: size of the latent vector (512 in the paper).
        channel_base, channel_max: feature maps at resolution r are
            `min(channel_base // r, channel_max)` (paper-sized: 16384 and 512, the
            reference's fmap_base 8192: 512 maps up to 32x32, 16 at 1024x1024).
        fade_images: real images over which each new level fades in (paper: 800k).
        stable_images: real images each level trains before the next fades in (800k).
        gp_weight: weight of the gradient penalty.
        drift_weight: weight of the drift term that keeps D's real scores near 0.
        group_size: samples per minibatch-standard-deviation group (4); the
            per-replica batch must be a multiple of it (or smaller).
        ema_decay: decay of the generator EMA (0.999, the paper's); None: no EMA. For
            runs of fewer than several thousand steps add `ema_warmup=0.05`: the
            plain 0.999 average of an 800-step run still holds 45% of the initial
            weights, and a new level's blocks reach it slowly.
        generator, discriminator: networks from `ganzoo.nets.progan.progan_generator` /
            `progan_discriminator` (a saved ProGAN gives them back); built from the
            other arguments when left out.
        **kwargs: `ema_warmup`, `augment`, `augment_options`, `seed` (see `GAN`).

    Example:
        >>> gan = ProGAN(image_shape=(32, 32, 1), fade_images=20_000, stable_images=20_000)
        >>> gan.compile()
        >>> gan.fit(ganzoo.data.load("digits", image_size=32).repeat(), steps_per_epoch=500,
        ...         epochs=10)                      # logs resolution and alpha
        >>> gan.resolution, gan.alpha
    """

    supported_losses = ("wasserstein",)
    # Its growing networks have no label inputs (yet): num_classes is refused.
    supports_conditioning = False

    def __init__(self, image_shape=None, latent_dim=128, channel_base=1024, channel_max=64,
                 fade_images=800_000, stable_images=800_000, gp_weight=10.0, drift_weight=0.001,
                 group_size=4, ema_decay=0.999, generator=None, discriminator=None,
                 loss="wasserstein", **kwargs):
        if image_shape is None:
            if generator is None:
                raise ValueError("ProGAN needs image_shape, or networks to take it from.")
            image_shape = generator.output_shape[1:]
        if kwargs.get("pack", 1) != 1:
            raise ValueError("ProGAN's critic judges one image at a time (its minibatch "
                             "standard deviation already looks across samples); leave pack out.")
        image_shape = tuple(int(s) for s in image_shape)
        self.channel_base, self.channel_max = int(channel_base), int(channel_max)
        self.gp_weight, self.drift_weight = float(gp_weight), float(drift_weight)
        self.group_size = int(group_size)
        generator = generator or progan_generator(latent_dim, image_shape, self.channel_base,
                                                  self.channel_max)
        discriminator = discriminator or progan_discriminator(
            image_shape, self.channel_base, self.channel_max, self.group_size)
        # found before the base clones the generator for its EMA: errors name the network
        growing_layer(generator), growing_layer(discriminator)
        super().__init__(generator, discriminator, loss=loss, ema_decay=ema_decay, **kwargs)
        self.growth = Growth(num_levels(image_shape[0]), fade_images, stable_images,
                             name="growth")
        # the losses' running means, and the stage as it is now
        self.trackers = _StageTrackers(self.trackers.names)

    # ------------------------------------------------------------------ the stage

    @property
    def image_shape(self):
        return self.data_shape

    @property
    def resolution(self):
        """The resolution of the current stage (a Python int): the one the networks
        make and judge now, and the next training step trains."""
        level, _ = self.growth.stage()
        return 4 * 2 ** int(keras.ops.convert_to_numpy(level))

    @property
    def alpha(self):
        """The fade-in of the current resolution's new blocks (1: fully in)."""
        return float(keras.ops.convert_to_numpy(self.growth.stage()[1]))

    def _growing_networks(self):
        networks = [self.generator, self.discriminator]
        if self.generator_ema is not None:
            networks.append(self.generator_ema)
        return [growing_layer(network) for network in networks]

    def apply_stage(self):
        """Set the networks to the stage of `growth.images_seen`; returns `(level, alpha)`.

        The training step does this before and after each step; call it after changing
        `growth.images_seen` by hand.
        """
        level, alpha = self.growth.stage()
        for network in self._growing_networks():
            network.set_stage(level, alpha)
        return level, alpha

    def stage_from_networks(self):
        """Set `growth.images_seen` from the generator's stage after its weights were set
        alone (a zoo weights file holds the networks, whose level and alpha are weights,
        but not the schedule): a fully grown generator makes the GAN fully grown, so
        `resolution`, `alpha` and further training go on from the final size. Weights
        saved mid-growth are refused, as the images shown cannot be told from them."""
        layer = growing_layer(self.generator)
        level = int(keras.ops.convert_to_numpy(layer.level))
        alpha = float(keras.ops.convert_to_numpy(layer.alpha))
        if (level, alpha) != (self.growth.levels - 1, 1.0):
            raise ValueError(f"These {type(self).__name__} weights were saved mid-growth "
                             f"({4 * 2 ** level}x{4 * 2 ** level}, alpha {alpha:.3f}); load "
                             "the run folder or checkpoint instead, which holds the schedule.")
        self.growth.images_seen.assign(max(int(self.growth.images_seen.numpy()),
                                           self.growth.total_images))
        self.apply_stage()

    # ---------------------------------------------------------------------- training

    def default_optimizer(self):
        return keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8)

    def train_step(self, data):
        real = check_real_batch(split_batch(data, self.num_classes)[0], self.data_shape,
                                step=self.g_optimizer.iterations)
        with after_batch(data):
            # 1. the stage of the images shown so far, for every network (set already
            #    after the previous step, unless images_seen was restored since)
            level, alpha = self.apply_stage()
            self.trackers.update_stage(level, alpha)
            batch_size = tf.shape(real)[0]

            # 2. critic: loss and gradients in the branch of the stage's level, the
            #    update outside it (an all-reduce inside a branch fails under
            #    MirroredStrategy)
            d_loss, real_scores, gradients = self.at_level(
                level, lambda lvl: self._critic_gradients(real, batch_size, lvl, alpha))
            self.d_optimizer.apply_gradients(zip(gradients, self.discriminator_variables))
            if isinstance(self.augmenter, ADA):
                self.augmenter.update(tf.cast(real_scores, tf.float32), images=batch_size)

            # 3. generator, with fresh noise; its average (if any) follows
            steps_before = tf.cast(self.g_optimizer.iterations, tf.int64)
            g_loss, gradients = self.at_level(
                level, lambda lvl: self._generator_gradients(batch_size))
            self.g_optimizer.apply_gradients(zip(gradients, self.generator_variables))
            if self.generator_ema is not None:
                self._update_generator_ema(steps_before)

            # 4. the global batch counts towards the schedule; the networks show the
            #    stage the next step trains (for samples and checkpoints in between)
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            self.growth.advance(batch_size * replicas)
            self.apply_stage()

            # 5. metrics: true (unscaled) loss values
            logged = {"d_loss": d_loss, "g_loss": g_loss}
            if isinstance(self.augmenter, ADA):
                logged["augment_p"] = self.augmenter.p
            self.trackers.update(logged)
            return self.trackers.logs()

    def at_level(self, level, compute):
        """`compute(lvl)` in the branch of `level` (a tensor), with every network
        running level `lvl` (a Python int) directly: differentiating inside one branch
        per level costs about half as much as through a branching call of each network."""
        networks = self._growing_networks()

        def branch(lvl):
            def run():
                with contextlib.ExitStack() as stack:
                    for network in networks:
                        stack.enter_context(network.fixed_level(lvl))
                    return compute(lvl)
            return run

        return tf.switch_case(tf.cast(level, tf.int32),
                              [branch(lvl) for lvl in range(self.growth.levels)])

    def _critic_gradients(self, real, batch_size, level, alpha):
        # the reals as G makes them at this stage; G runs outside the tape
        real = images_at_stage(real, level, alpha, self.growth.levels)
        fake = self.generator(self.sample_latent(batch_size, _CRITIC_STREAM), training=True)
        real = self.augmented(real, _CRITIC_STREAM, _REAL)
        fake = self.augmented(fake, _CRITIC_STREAM, _FAKE)
        with tf.GradientTape() as tape:
            real_scores, fake_scores = self.judge(real), self.judge(fake)
            loss = self.discriminator_loss(real, fake, real_scores, fake_scores,
                                           noise_stream=_CRITIC_STREAM)
            scaled_loss = scale_for_gradients(self.d_optimizer, loss)
        gradients = _gradients(tape, scaled_loss, self.discriminator_variables)
        return loss, real_scores, gradients

    def _generator_gradients(self, batch_size):
        latent = self.sample_latent(batch_size, _GENERATOR_STREAM)
        with tf.GradientTape() as tape:
            fake = self.augmented(self.generator(latent, training=True), _GENERATOR_STREAM, _FAKE)
            loss = self.generator_loss(self.judge(fake))
            scaled_loss = scale_for_gradients(self.g_optimizer, loss)
        return loss, _gradients(tape, scaled_loss, self.generator_variables)

    def test_step(self, data):
        real = check_real_batch(split_batch(data, self.num_classes)[0], self.data_shape)
        level, alpha = self.growth.stage()
        return super().test_step(images_at_stage(real, level, alpha, self.growth.levels))

    def discriminator_loss(self, real, fake, real_scores, fake_scores, noise_stream):
        alpha = self.interpolation_coefficients(tf.shape(real)[0], noise_stream)
        penalty = losses.gradient_penalty(self.judge, real, fake, alpha)
        drift = tf.reduce_mean(tf.square(tf.cast(real_scores, tf.float32)))
        return (losses.wasserstein_discriminator_loss(real_scores, fake_scores)
                + self.gp_weight * penalty + self.drift_weight * drift)

    def interpolation_coefficients(self, groups, noise_stream):
        """The penalty's uniform coefficients, one per critic input, for one critic update."""
        return tf.random.stateless_uniform(
            (groups,), seed=self.noise_seed(_PENALTY_STREAM + noise_stream))

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "channel_base": self.channel_base,
                "channel_max": self.channel_max, "fade_images": self.growth.fade_images,
                "stable_images": self.growth.stable_images, "gp_weight": self.gp_weight,
                "drift_weight": self.drift_weight, "group_size": self.group_size}


class _StageTrackers(Trackers):
    """The losses' trackers plus `resolution` and `alpha`, logged as they are now."""

    def __init__(self, names):
        super().__init__(names)
        self.metrics = [*self.metrics, LatestValue("resolution"), LatestValue("alpha")]

    def update_stage(self, level, alpha):
        self["resolution"].update_state(4 * 2 ** level)
        self["alpha"].update_state(alpha)


def _gradients(tape, loss, variables):
    # Zeros, not None, for the levels this branch does not run: every branch of a
    # switch returns the same structure.
    return [tf.zeros(variable.shape, variable.dtype) if gradient is None else gradient
            for variable, gradient in zip(variables, tape.gradient(loss, variables))]
