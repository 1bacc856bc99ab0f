"""The original GAN with multilayer perceptrons (Goodfellow et al. 2014)."""

import keras

from ganzoo.gans.base import GAN
from ganzoo.nets import mlp_discriminator, mlp_generator


@keras.saving.register_keras_serializable(package="ganzoo")
class VanillaGAN(GAN):
    """MLP generator and discriminator, for vectors or images.

    Goodfellow et al. 2014, "Generative Adversarial Nets". The generator loss is the
    non-saturating one by default (the paper's practical advice); `loss="minimax"`
    gives the original game.

    Args:
        data_shape: shape of one sample: `(2,)` for points, `(28, 28, 1)` for images.
        latent_dim: size of the latent vector z.
        hidden_units: width of each hidden layer of both networks.
        output_activation: G's output; default `"tanh"` for images (rank 3) and
            `"linear"` for vectors, whose values need not lie in [-1, 1].
        spectral_norm: spectral normalization of D's layers (Miyato et al. 2018).
        pack: D judges this many samples jointly (PacGAN).
        num_classes, conditioning: a class-conditional GAN (see `GAN`): G takes
            `[z, label]`, D `[sample, label]` (or, "auxiliary", the sample alone).
        generator, discriminator: optional Keras models used instead of the MLPs.
        **kwargs: `loss`, `label_smoothing`, `seed`, `class_loss_weight` (see `GAN`).

    Example:
        >>> gan = VanillaGAN(data_shape=(2,), latent_dim=8)
        >>> gan.compile()
        >>> gan.fit(points_dataset, epochs=10)
    """

    def __init__(self, data_shape=None, latent_dim=64, hidden_units=(256, 256),
                 output_activation=None, spectral_norm=False, pack=1, num_classes=None,
                 conditioning="projection", generator=None, discriminator=None, **kwargs):
        if data_shape is None:
            if generator is None:
                raise ValueError("VanillaGAN needs data_shape, or a generator to take it from.")
            data_shape = generator.output_shape[1:]
        num_classes, conditioning = self.checked_conditioning(num_classes, conditioning, pack)
        self.hidden_units = tuple(hidden_units)
        self.spectral_norm = spectral_norm
        self.output_activation = output_activation or (
            "tanh" if len(data_shape) == 3 else "linear")
        if generator is None:
            generator = mlp_generator(latent_dim, data_shape, self.hidden_units,
                                      self.output_activation, num_classes, conditioning)
        if discriminator is None:
            discriminator = mlp_discriminator(data_shape, self.hidden_units, pack, spectral_norm,
                                              num_classes, conditioning)
        super().__init__(generator, discriminator, pack=pack, num_classes=num_classes,
                         conditioning=conditioning, **kwargs)

    def get_config(self):
        return {**super().get_config(), "data_shape": self.data_shape,
                "latent_dim": self.latent_dim, "hidden_units": self.hidden_units,
                "output_activation": self.output_activation, "spectral_norm": self.spectral_norm}
