"""Wasserstein GAN with gradient penalty (Gulrajani et al. 2017)."""

import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans.base import GAN
from ganzoo.nets import dcgan_discriminator, dcgan_generator, mlp_discriminator, mlp_generator
from ganzoo.nets.dcgan import check_upsampling

# Noise streams of the penalty's interpolation coefficients, apart from the latent ones.
_PENALTY_STREAM = 1_000


@keras.saving.register_keras_serializable(package="ganzoo")
class WGANGP(GAN):
    """A critic trained `n_critic` times per generator step, with a gradient penalty.

    Gulrajani et al. 2017, "Improved Training of Wasserstein GANs". The critic has no
    batch norm (it would couple the per-sample gradients the penalty constrains): the
    image critic uses layer norm, the vector critic none. Each critic step reuses the
    step's real batch with fresh latents and interpolation coefficients.

    Args:
        image_shape: for images: DCGAN-style networks, size a multiple of 4.
        data_shape: for vectors, e.g. `(2,)`: MLPs (ReLU, linear output).
        latent_dim: size of the latent vector z.
        n_critic: critic updates per generator update.
        gp_weight: weight lambda of the gradient penalty.
        base_filters: width of the image networks.
        hidden_units: hidden layers of the vector networks (3 x 512 in the paper's toys).
        pack: the critic judges this many samples jointly (PacGAN).
        synchronized_batch_norm: the image generator's batch norm uses the global
            batch's statistics under `tf.distribute` (see `DCGAN`); the critic and the
            vector networks have no batch norm.
        upsampling, resize_interpolation: how the image generator doubles its size,
            "transpose" or "resize" (see `DCGAN`).
        num_classes, conditioning: a class-conditional critic and generator (see
            `GAN`); the penalty differentiates the critic at the real batch's labels.
        generator, discriminator: optional Keras models used instead of the defaults.
        **kwargs: `seed`, `class_loss_weight` (see `GAN`).

    Example:
        >>> gan = WGANGP(data_shape=(2,), latent_dim=2)
        >>> gan.compile()        # Adam(1e-4, beta_1=0, beta_2=0.9) as in the paper
        >>> gan.fit(ganzoo.data.load("grid25", batch_size=256), epochs=20)
    """

    supported_losses = ("wasserstein",)

    def __init__(self, image_shape=None, data_shape=None, latent_dim=128, n_critic=5,
                 gp_weight=10.0, base_filters=64, hidden_units=(512, 512, 512), pack=1,
                 synchronized_batch_norm=False, upsampling="transpose",
                 resize_interpolation="nearest", num_classes=None, conditioning="projection",
                 generator=None, discriminator=None, loss="wasserstein", **kwargs):
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1; got {n_critic}.")
        if (image_shape is None) == (data_shape is None) and generator is None:
            raise ValueError("WGANGP needs exactly one of image_shape (images) and "
                             "data_shape (vectors), or a generator.")
        num_classes, conditioning = self.checked_conditioning(num_classes, conditioning, pack)
        check_upsampling(upsampling, resize_interpolation)
        if upsampling != "transpose" and image_shape is None:
            raise ValueError(f"upsampling={upsampling!r} applies to the image generator "
                             "(image_shape); the vector generator is an MLP.")
        conditional = dict(num_classes=num_classes, conditioning=conditioning)
        self.discriminator_steps = int(n_critic)
        self.gp_weight = float(gp_weight)
        self.base_filters = base_filters
        self.hidden_units = tuple(hidden_units)
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        self.upsampling, self.resize_interpolation = upsampling, resize_interpolation
        if image_shape is not None:
            generator = generator or dcgan_generator(
                latent_dim, image_shape, base_filters, self.synchronized_batch_norm,
                upsampling=upsampling, resize_interpolation=resize_interpolation, **conditional)
            discriminator = discriminator or dcgan_discriminator(
                image_shape, base_filters, pack, normalization="layer", **conditional)
        elif data_shape is not None:
            generator = generator or mlp_generator(latent_dim, data_shape, self.hidden_units,
                                                   output_activation="linear", **conditional)
            discriminator = discriminator or mlp_discriminator(data_shape, self.hidden_units,
                                                               pack, **conditional)
        super().__init__(generator, discriminator, loss=loss, pack=pack, **conditional, **kwargs)
        self._image_networks = image_shape is not None

    def default_optimizer(self):
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.0, beta_2=0.9)

    def discriminator_loss(self, real, fake, real_scores, fake_scores, noise_stream,
                           real_labels=None):
        # one coefficient per critic input: a packed group moves along one segment
        alpha = self.interpolation_coefficients(tf.shape(real)[0] // self.pack, noise_stream)
        # a conditional critic is differentiated at the real labels: the constraint holds
        # for each class's critic x -> D(x, y)
        penalty = losses.gradient_penalty(lambda samples: self.judge(samples, real_labels),
                                          real, fake, tf.repeat(alpha, self.pack),
                                          group=self.pack)
        return losses.wasserstein_discriminator_loss(real_scores, fake_scores) + (
            self.gp_weight * penalty)

    def interpolation_coefficients(self, groups, noise_stream):
        """The penalty's uniform coefficients, one per critic input, for one critic update."""
        return tf.random.stateless_uniform(
            (groups,), seed=self.noise_seed(_PENALTY_STREAM + noise_stream))

    def get_config(self):
        shape_key = "image_shape" if self._image_networks else "data_shape"
        return {**super().get_config(), shape_key: self.data_shape,
                "latent_dim": self.latent_dim, "n_critic": self.discriminator_steps,
                "gp_weight": self.gp_weight, "base_filters": self.base_filters,
                "hidden_units": self.hidden_units,
                "synchronized_batch_norm": self.synchronized_batch_norm,
                "upsampling": self.upsampling, "resize_interpolation": self.resize_interpolation}
