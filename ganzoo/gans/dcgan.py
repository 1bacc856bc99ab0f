"""Deep convolutional GAN (Radford et al. 2016)."""

import keras

from ganzoo.gans.base import GAN
from ganzoo.nets import dcgan_discriminator, dcgan_generator
from ganzoo.nets.dcgan import check_upsampling


@keras.saving.register_keras_serializable(package="ganzoo")
class DCGAN(GAN):
    """Convolutional GAN with the paper's architecture and Adam(2e-4, beta_1=0.5).

    Radford et al. 2016, "Unsupervised Representation Learning with Deep
    Convolutional Generative Adversarial Networks".

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4 (28, 32, 64, ...),
            1 or 3 channels. Taken from `generator` when that is given.
        latent_dim: size of the latent vector z.
        base_filters: width of the default networks (64 in the paper).
        spectral_norm: spectral normalization of D's layers, which then has no batch
            norm (SN-GAN, Miyato et al. 2018).
        pack: D judges this many images jointly (PacGAN).
        synchronized_batch_norm: under `tf.distribute`, batch norm uses the statistics
            of the global batch (all replicas), so training matches one device; off,
            each replica normalizes by its own slice (cheaper, slightly different).
        upsampling: how the default generator doubles its size: "transpose" (the
            paper's 4x4 transposed convolutions) or "resize" (2x resize, then a 3x3
            convolution: no checkerboard artifacts, friendlier to edge runtimes; Odena
            et al. 2016). See `ganzoo.nets.dcgan_generator`.
        resize_interpolation: the resize of `upsampling="resize"`: "nearest" (default)
            or "bilinear".
        num_classes, conditioning: a class-conditional DCGAN (see `GAN`): G takes
            `[z, label]`, D `[image, label]` ("projection": a class embedding
            concatenated to z, and D's logit plus <embed(y), features>; "concat"; or
            "auxiliary", AC-GAN, with `class_loss_weight`).
        generator, discriminator: optional Keras models used instead of the defaults.
        **kwargs: `loss`, `label_smoothing` (0.1 is the usual one-sided choice), `seed`,
            `class_loss_weight`.

    Example:
        >>> gan = DCGAN(image_shape=(32, 32, 1), latent_dim=100)   # or upsampling="resize"
        >>> gan.compile()
        >>> gan.fit(ganzoo.data.load("digits", image_size=32), epochs=5)
        >>> cgan = DCGAN(image_shape=(32, 32, 1), num_classes=10)
        >>> cgan.compile()
        >>> cgan.fit(ganzoo.data.load("digits", image_size=32, with_labels=True), epochs=5)
        >>> sevens = cgan.generate(8, labels=7, seed=0)
    """

    def __init__(self, image_shape=None, latent_dim=100, base_filters=64, spectral_norm=False,
                 pack=1, synchronized_batch_norm=False, upsampling="transpose",
                 resize_interpolation="nearest", num_classes=None, conditioning="projection",
                 generator=None, discriminator=None, **kwargs):
        if image_shape is None:
            source = generator or discriminator
            if source is None:
                raise ValueError("DCGAN needs image_shape, or networks to take it from.")
            image_shape = (source.output_shape if source is generator else source.input_shape)[1:]
        num_classes, conditioning = self.checked_conditioning(num_classes, conditioning, pack)
        check_upsampling(upsampling, resize_interpolation)
        self.upsampling, self.resize_interpolation = upsampling, resize_interpolation
        self.base_filters = base_filters
        self.spectral_norm = spectral_norm
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        if generator is None:
            generator = dcgan_generator(latent_dim, image_shape, base_filters,
                                        self.synchronized_batch_norm, num_classes, conditioning,
                                        upsampling, resize_interpolation)
        if discriminator is None:
            discriminator = dcgan_discriminator(
                image_shape, base_filters, pack,
                normalization="none" if spectral_norm else "batch", spectral_norm=spectral_norm,
                synchronized_batch_norm=self.synchronized_batch_norm, num_classes=num_classes,
                conditioning=conditioning)
        super().__init__(generator, discriminator, pack=pack, num_classes=num_classes,
                         conditioning=conditioning, **kwargs)

    @property
    def image_shape(self):
        return self.data_shape

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "base_filters": self.base_filters,
                "spectral_norm": self.spectral_norm,
                "synchronized_batch_norm": self.synchronized_batch_norm,
                "upsampling": self.upsampling, "resize_interpolation": self.resize_interpolation}
