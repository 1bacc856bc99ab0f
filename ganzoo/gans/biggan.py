"""BigGAN (Brock et al. 2019): class-conditional GAN with the paper's training choices."""

import keras
import tensorflow as tf

from ganzoo import losses
from ganzoo.gans.base import GAN
from ganzoo.gans.trackers import Trackers
from ganzoo.nets.biggan import (biggan_discriminator, biggan_generator,
                                channel_multipliers_for, check_attention_resolution,
                                orthogonal_kernels)
from ganzoo.nets.progan import check_image_shape

# "auto": self-attention at min(64, size / 2), where the paper puts it at 128 to 512.
AUTO = "auto"


@keras.saving.register_keras_serializable(package="ganzoo")
class BigGAN(GAN):
    """A class-conditional residual GAN with BigGAN's architecture and training.

    Brock et al. 2019, "Large Scale GAN Training for High Fidelity Natural Image
    Synthesis", after the reference code (BigGAN-PyTorch). Networks (see
    `ganzoo.nets.biggan`): G's residual up-blocks take class-conditional batch norm
    whose gains (1 + linear) and biases are linear in a shared class embedding
    concatenated with the block's chunk of z (hierarchical latents); D is a residual
    projection discriminator; spectral norm in both; one SAGAN self-attention block in
    each. Training: the hinge loss, `d_steps` D updates per G update, orthogonal
    regularisation of G (`orthogonal_reg` times `ganzoo.losses.orthogonal_regularization`,
    added to G's loss: the logged `g_loss` includes it, `orthogonal_penalty` logs the
    unweighted sum), Adam with beta_1 0 and beta_2 0.999 at G 5e-5 and D 2e-4, and a
    generator EMA that copies G for the first `ema_start` steps and then averages.
    `generate(truncation=t)` is the truncation trick (every entry of z resampled until
    |z| <= t).

    Each option the paper ablates (its Table 1) can be switched off:
    `shared_embedding`, `hierarchical_latents`, `orthogonal_reg=0`; and SAGAN's
    `attention_resolution=None` and `spectral_norm=False`.

    Args:
        image_shape: `(size, size, channels)`, size a power of two >= 8, 1 or 3
            channels. Taken from `generator` when that is given.
        num_classes: K, the number of labels (required: BigGAN is class-conditional).
        latent_dim: size of z (120 in the paper at 128x128); with hierarchical latents
            a multiple of the generator's blocks + 1 (4 at 32x32, 6 at 128x128).
        base_filters: the width unit ch (96 in the paper at 128x128, 64 in the
            reference's default).
        channel_multipliers: widths in units of ch, G's 4x4 input and then each
            block's (D takes them backwards); default: the reference's for the size
            (`ganzoo.nets.biggan.DEFAULT_MULTIPLIERS`).
        attention_resolution: the resolution of G's and D's self-attention block;
            "auto" (default): min(64, size / 2), the paper's 64 from 128x128 up; None:
            no self-attention.
        shared_embedding: one class embedding for all of G's batch norms, projected
            linearly to each one's gains and biases (True in the paper); False: each
            batch norm has its own per-class gains and biases.
        embedding_dim: size of the shared embedding (128 in the paper).
        hierarchical_latents: z split into chunks, one for G's first layer and one per
            block (True in the paper); False: all of z enters the first layer.
        spectral_norm: in both networks (True in the paper).
        orthogonal_reg: beta of the orthogonal regularisation of G (1e-4 in the
            paper); 0: none.
        d_steps: D updates per G update (2 in the paper).
        ema_decay: decay of the generator EMA (0.9999 in the paper); None: no EMA.
        ema_start: generator steps during which the EMA copies G before averaging
            (the reference's 128x128 runs: 20,000); 0: average from the start.
        synchronized_batch_norm: under `tf.distribute`, G's batch norm uses the
            global batch's statistics (the paper's cross-replica batch norm).
        conditioning: "projection", the only mode (see `GAN`).
        generator, discriminator: networks from `ganzoo.nets.biggan` (a saved BigGAN
            gives them back); built from the other arguments when left out.
        **kwargs: `loss` ("hinge"), `ema_warmup`, `augment`, `augment_options`, `seed`
            (see `GAN`).

    Example:
        >>> gan = BigGAN(image_shape=(32, 32, 1), num_classes=10, base_filters=16)
        >>> gan.compile()             # G Adam(5e-5), D Adam(2e-4), betas (0, 0.999)
        >>> gan.fit(ganzoo.data.load("digits", image_size=32, with_labels=True), epochs=5)
        >>> sevens = gan.generate(8, labels=7, seed=0, truncation=1.0)
    """

    def __init__(self, image_shape=None, num_classes=None, latent_dim=120, base_filters=64,
                 channel_multipliers=None, attention_resolution=AUTO, shared_embedding=True,
                 embedding_dim=128, hierarchical_latents=True, spectral_norm=True,
                 orthogonal_reg=1e-4, d_steps=2, ema_decay=0.9999, ema_start=20_000,
                 synchronized_batch_norm=False, conditioning="projection", generator=None,
                 discriminator=None, loss="hinge", **kwargs):
        if image_shape is None:
            if generator is None:
                raise ValueError("BigGAN needs image_shape, or networks to take it from.")
            image_shape = generator.output_shape[1:]
        image_shape = tuple(int(s) for s in image_shape)
        size, _ = check_image_shape(image_shape, "BigGAN")
        if num_classes is None:
            raise ValueError("BigGAN is class-conditional: give num_classes (e.g. 10 for "
                             "digits) and train on (image, label) batches. For an "
                             "unconditional GAN with spectral norm and the hinge loss, use "
                             "DCGAN(spectral_norm=True, loss='hinge').")
        if conditioning != "projection":
            raise ValueError(f"BigGAN conditions G through class-conditional batch norm and D "
                             f"by projection: conditioning must be 'projection'; got "
                             f"{conditioning!r}.")
        num_classes, conditioning = self.checked_conditioning(num_classes, conditioning,
                                                              kwargs.get("pack", 1))
        _check_whole("d_steps", d_steps, minimum=1)
        _check_whole("ema_start", ema_start, minimum=0)
        _check_whole("latent_dim", latent_dim, minimum=1)
        _check_whole("base_filters", base_filters, minimum=1)
        _check_whole("embedding_dim", embedding_dim, minimum=1)
        if (isinstance(orthogonal_reg, bool) or not isinstance(orthogonal_reg, (int, float))
                or not orthogonal_reg >= 0):
            raise ValueError(f"orthogonal_reg must be a number >= 0 (1e-4 in the paper; 0: "
                             f"none); got {orthogonal_reg!r}.")
        if attention_resolution == AUTO:
            attention_resolution = min(64, size // 2)
        self.attention_resolution = check_attention_resolution(size, attention_resolution)
        self.channel_multipliers = channel_multipliers_for(size, channel_multipliers)
        self.base_filters, self.embedding_dim = int(base_filters), int(embedding_dim)
        self.shared_embedding = bool(shared_embedding)
        self.hierarchical_latents = bool(hierarchical_latents)
        self.spectral_norm = bool(spectral_norm)
        self.synchronized_batch_norm = bool(synchronized_batch_norm)
        self.orthogonal_reg = float(orthogonal_reg)
        self.discriminator_steps = int(d_steps)
        self.ema_start = int(ema_start)
        architecture = dict(base_filters=self.base_filters,
                            channel_multipliers=self.channel_multipliers,
                            attention_resolution=self.attention_resolution,
                            spectral_norm=self.spectral_norm)
        generator = generator or biggan_generator(
            int(latent_dim), image_shape, num_classes, shared_embedding=self.shared_embedding,
            embedding_dim=self.embedding_dim, hierarchical_latents=self.hierarchical_latents,
            synchronized_batch_norm=self.synchronized_batch_norm, **architecture)
        discriminator = discriminator or biggan_discriminator(image_shape, num_classes,
                                                              **architecture)
        super().__init__(generator, discriminator, loss=loss, ema_decay=ema_decay,
                         num_classes=num_classes, conditioning=conditioning, **kwargs)
        if self.orthogonal_reg:
            self.trackers = Trackers((*self.trackers.names, "orthogonal_penalty"))

    @property
    def image_shape(self):
        return self.data_shape

    # ---------------------------------------------------------------------- training

    def default_optimizers(self):
        # the paper's at 128x128 (its Table 1 and appendix): a four times faster D
        return (keras.optimizers.Adam(learning_rate=5e-5, beta_1=0.0, beta_2=0.999,
                                      epsilon=1e-8),
                keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.0, beta_2=0.999,
                                      epsilon=1e-8))

    def default_optimizer(self):
        """The generator's default optimizer (D's is `default_optimizers()[1]`)."""
        return self.default_optimizers()[0]

    def generator_loss(self, fake_scores):
        """The hinge generator loss plus `orthogonal_reg` times the orthogonal
        regularisation of G's kernels (`ganzoo.nets.biggan.orthogonal_kernels`)."""
        loss = super().generator_loss(fake_scores)
        if not self.orthogonal_reg:
            return loss
        penalty = losses.orthogonal_regularization(orthogonal_kernels(self.generator))
        self.trackers["orthogonal_penalty"].update_state(penalty)
        return loss + self.orthogonal_reg * penalty

    def ema_decay_at(self, steps_before):
        """0 (the EMA copies G) for the first `ema_start` generator steps, then the
        base's decay."""
        decay = super().ema_decay_at(steps_before)
        if not self.ema_start:
            return decay
        return tf.where(tf.cast(steps_before, tf.int64) < self.ema_start, 0.0, decay)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "base_filters": self.base_filters,
                "channel_multipliers": self.channel_multipliers,
                "attention_resolution": self.attention_resolution,
                "shared_embedding": self.shared_embedding, "embedding_dim": self.embedding_dim,
                "hierarchical_latents": self.hierarchical_latents,
                "spectral_norm": self.spectral_norm, "orthogonal_reg": self.orthogonal_reg,
                "d_steps": self.discriminator_steps, "ema_start": self.ema_start,
                "synchronized_batch_norm": self.synchronized_batch_norm}


def _check_whole(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}; got {value!r}.")
