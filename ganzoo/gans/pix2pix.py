"""pix2pix: paired image-to-image translation (Isola et al. 2017)."""

import keras

from ganzoo.gans.adversarial import TRANSLATOR
from ganzoo.gans.paired import PairedModel, float_images
from ganzoo.nets.conditional_patchgan import conditional_patchgan
from ganzoo.nets.unet import check_unet_size, unet_depth, unet_generator

# Weight of the L1 term next to the cGAN term (lambda in the paper).
PAPER_L1_WEIGHT = 100.0


@keras.saving.register_keras_serializable(package="ganzoo")
class Pix2Pix(PairedModel):
    """A U-Net generator and a conditional PatchGAN, trained on aligned (A, B) pairs.

    Isola et al. 2017, "Image-to-Image Translation with Conditional Adversarial
    Networks". G maps A to B; D scores every patch of the pair (A, B) as real and of
    (A, G(A)) as fake. Each step updates D on half its cross-entropy (the paper slows D
    down so), then G on the non-saturating cGAN loss plus `l1_weight` times the mean
    absolute error `|B - G(A)|`. Adam 2e-4, beta_1 0.5 for both (`compile()`); the
    paper keeps the rate constant, its PyTorch code decays it linearly to 0 over the
    second half (`ganzoo.gans.optimizers.make_optimizers(gan, schedule="linear_decay",
    generator_steps=..., hold_steps=...)`, as for CycleGAN).

    Differences from `CycleGAN`, which shares the base: one generator and one
    discriminator; batches are aligned pairs `(images_a, images_b)`
    (`ganzoo.data.load_paired`), not two independent domains; no image pool; the
    generator takes any size divisible by `2 ** depth`, not only `image_shape`.

    Args:
        image_shape: `(height, width, channels)` of the input images (domain A), both
            sides divisible by `2 ** depth`. Taken from `discriminator` when given.
        output_channels: channels of the translations (domain B); default A's.
        base_filters: width of the default networks (64 in the paper).
        depth: stride-2 layers of the U-Net; default as many halvings as the size
            allows, at most the paper's 8 (5 at 32 px).
        dropout: dropout rate of the U-Net's 3 innermost decoder layers (0.5), in
            training only.
        downsamplings: stride-2 layers of the PatchGAN; default scaled to the size as
            CycleGAN's: 3 (70x70 patches) from 256 px, 2 (34x34) below, 1 under 12 px.
        l1_weight: lambda of the L1 term (100 in the paper).
        generator: optional Keras model A -> B.
        discriminator: optional Keras model `[images_a, images_b]` -> scores.
        seed: seed of the training noise (see `AdversarialModel`).

    Example:
        >>> p2p = Pix2Pix(image_shape=(32, 32, 1))
        >>> p2p.compile()                        # Adam(2e-4, beta_1=0.5) for both
        >>> p2p.fit(ganzoo.data.load_paired("digits_edges", 32, batch_size=8), epochs=5)
        >>> digits = p2p.translate(edges)         # or p2p.predict(edges)
    """

    kind = TRANSLATOR
    discriminator_loss_scale = 0.5
    pair_names = ("images_a", "images_b")
    data_loader = "load_paired"

    def __init__(self, image_shape=None, output_channels=None, base_filters=64, depth=None,
                 dropout=0.5, downsamplings=None, l1_weight=PAPER_L1_WEIGHT, generator=None,
                 discriminator=None, seed=None, **kwargs):
        if image_shape is None:
            if discriminator is None:
                raise ValueError("Pix2Pix needs image_shape, or a discriminator to take it from "
                                 "(a U-Net generator takes any size).")
            image_shape = discriminator.input_shape[0][1:]
        image_shape = tuple(int(side) for side in image_shape)
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape}.")
        if l1_weight < 0:
            raise ValueError(f"l1_weight must not be negative; got {l1_weight}.")
        if generator is None:
            generator = unet_generator(image_shape, output_channels, base_filters, depth,
                                       dropout, name="generator")
        output_channels = int(output_channels or generator.output_shape[-1])
        if discriminator is None:
            discriminator = conditional_patchgan(image_shape, output_channels, base_filters,
                                                 downsamplings, name="discriminator")
        _check_networks(generator, discriminator, image_shape, output_channels)
        super().__init__(seed=seed, **kwargs)
        self.init_networks(generator, discriminator, adversarial_weight=1.0,
                           content_terms=("l1",))
        self.image_shape, self.output_channels = image_shape, output_channels
        self.base_filters, self.depth, self.dropout = base_filters, depth, dropout
        self.downsamplings = downsamplings
        self.l1_weight = float(l1_weight)
        self.unet_depth = unet_depth(generator)

    # ----------------------------------------------------------------- configuration

    @property
    def data_shape(self):
        return self.image_shape

    @property
    def target_shape(self):
        """Shape of one translation (domain B image)."""
        return (*self.image_shape[:2], self.output_channels)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "output_channels": self.output_channels, "base_filters": self.base_filters,
                "depth": self.depth, "dropout": self.dropout,
                "downsamplings": self.downsamplings, "l1_weight": self.l1_weight,
                **self.network_configs()}

    # ------------------------------------------------------------------ variant hooks

    @property
    def content_weights(self):
        return {"l1": self.l1_weight}

    def content_losses(self, outputs, targets):
        return {"l1": keras.ops.mean(keras.ops.abs(keras.ops.cast(outputs, "float32")
                                                   - keras.ops.cast(targets, "float32")))}

    def judge(self, inputs, images, training=True):
        inputs, images = (keras.ops.convert_to_tensor(x) for x in (inputs, images))
        return self.discriminator([inputs, images], training=training)

    def checked_pair(self, data):
        images_a, images_b = self.unpack_pair(data)
        return (self.checked_images(images_a, self.image_shape, "inputs (images_a)"),
                self.checked_images(images_b, self.target_shape, "targets (images_b)"))

    # -------------------------------------------------------------------- inference

    def translate(self, images, direction="a2b", batch_size=64, use_ema=True):
        """Translate images in [-1, 1] from domain A to B; returns NumPy.

        Any height and width the U-Net takes (multiples of `2 ** depth`), not only
        `image_shape`. Deterministic: dropout is off (the paper keeps it on at test
        time as the generator's noise).

        Args:
            images: `(N, H, W, C)` or one `(H, W, C)` image, float values in [-1, 1].
            direction: "a2b", the only one: a Pix2Pix learns one direction (train
                another on `load_paired(..., direction="b2a")` for the other).
            batch_size: images per forward pass.
            use_ema: with a generator EMA (`ema_decay`), run the average (default) or,
                False, the raw generator.
        """
        if direction != "a2b":
            raise ValueError(f"A Pix2Pix translates A to B only (direction 'a2b'); got "
                             f"{direction!r}. For B to A train another on "
                             "ganzoo.data.load_paired(..., direction='b2a').")
        batch, single = float_images(images, self.image_shape[-1], "inputs (domain A)",
                                     "translate")
        height, width = batch.shape[1:3]
        if self.unet_depth is not None:
            check_unet_size(height, width, self.unet_depth)
        elif _fixed_size(self.generator) not in (None, (height, width)):
            raise ValueError(f"This Pix2Pix's generator takes {_fixed_size(self.generator)} "
                             f"images; got {height}x{width}.")
        translated = self.run_generator(batch, batch_size, use_ema)
        return translated[0] if single else translated


def _fixed_size(model):
    height, width = model.input_shape[1:3]
    return None if height is None or width is None else (height, width)


def _check_networks(generator, discriminator, image_shape, output_channels):
    for role, net in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(net, keras.Model):
            raise TypeError(f"{role} must be a keras.Model; got {type(net).__name__}.")
    if generator.input_shape[-1] != image_shape[-1]:
        raise ValueError(f"The generator takes {generator.input_shape[-1]}-channel images; "
                         f"image_shape is {image_shape}.")
    if generator.output_shape[-1] != output_channels:
        raise ValueError(f"The generator makes {generator.output_shape[-1]}-channel images; "
                         f"output_channels is {output_channels}.")
    shapes = discriminator.input_shape
    expected = [(None, *image_shape), (None, *image_shape[:2], output_channels)]
    if not isinstance(shapes, list) or [tuple(shape) for shape in shapes] != expected:
        raise ValueError(f"The discriminator must take [images_a, images_b] of shapes "
                         f"{[shape[1:] for shape in expected]} (the conditional PatchGAN); "
                         f"its inputs are {shapes}.")
