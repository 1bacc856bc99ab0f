"""SRResNet and SRGAN: single-image super-resolution (Ledig et al. 2017)."""

import functools

import keras
import tensorflow as tf

from ganzoo.gans.adversarial import UPSCALER
from ganzoo.gans.feature_loss import check_feature_model
from ganzoo.gans.learning_rates import STEP_DECAY_FACTOR
from ganzoo.gans.optimizers import make_optimizers
from ganzoo.gans.paired import PairedModel, float_images
from ganzoo.gans.self_ensemble import average_over_symmetries
from ganzoo.nets.srgan_discriminator import PAPER_PATCH, check_patch_size, srgan_discriminator
from ganzoo.nets.srresnet import (PAPER_BLOCKS, PAPER_FILTERS, check_scale, generator_scale,
                                  srresnet_generator)

CONTENT_LOSSES = ("mse", "l1")
# Weight of the adversarial loss next to the content loss (the paper's 1e-3).
PAPER_ADVERSARIAL_WEIGHT = 1e-3


class SuperResolution(PairedModel):
    """What SRResNet and SRGAN share: the generator, the content loss, `upscale`.

    Differences from `CycleGAN`, which shares the base: one generator (and at most one
    discriminator); batches are aligned `(low_resolution, high_resolution)` pairs
    (`ganzoo.data.load_patches`), not two independent domains; the generator takes any
    height and width; the kind is `UPSCALER` (`upscale`, not `translate`).
    """

    kind = UPSCALER
    network_arguments = ("generator", "discriminator", "feature_model")
    pair_names = ("low_resolution", "high_resolution")
    data_loader = "load_patches"

    def init_super_resolution(self, scale, channels, residual_blocks, filters, batch_norm,
                              upsampled_skip, content_loss, pixel_weight, feature_model,
                              feature_weight, generator, discriminator=None,
                              adversarial_weight=0.0):
        """Check the arguments shared by both constructors, build the default
        generator and hand the networks to `init_networks`."""
        scale = check_scale(scale)
        if content_loss not in CONTENT_LOSSES:
            raise ValueError(f"content_loss must be one of {list(CONTENT_LOSSES)}; got "
                             f"{content_loss!r}.")
        if pixel_weight < 0 or feature_weight < 0:
            raise ValueError(f"pixel_weight and feature_weight must not be negative; got "
                             f"{pixel_weight} and {feature_weight}.")
        if generator is None:
            generator = srresnet_generator(scale, channels, residual_blocks, filters,
                                           batch_norm, upsampled_skip, name="generator")
        _check_generator(generator, scale, channels)
        if feature_model is not None:
            check_feature_model(feature_model, channels)
            feature_model.trainable = False  # a fixed measure: never trained
        self.init_networks(generator, discriminator, adversarial_weight,
                           content_terms=("content",) if feature_model is None
                           else ("content", "feature"))
        self.scale, self.channels = scale, int(channels)
        self.residual_blocks, self.filters = residual_blocks, filters
        self.batch_norm, self.upsampled_skip = bool(batch_norm), upsampled_skip
        self.content_loss, self.pixel_weight = content_loss, float(pixel_weight)
        self.feature_model, self.feature_weight = feature_model, float(feature_weight)

    # ----------------------------------------------------------------- configuration

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "channels": self.channels,
                "residual_blocks": self.residual_blocks, "filters": self.filters,
                "batch_norm": self.batch_norm, "upsampled_skip": self.upsampled_skip,
                "content_loss": self.content_loss, "pixel_weight": self.pixel_weight,
                "feature_model": (None if self.feature_model is None else
                                  keras.saving.serialize_keras_object(self.feature_model)),
                "feature_weight": self.feature_weight,
                "generator": keras.saving.serialize_keras_object(self.generator)}

    def default_optimizer(self):
        """Adam, learning rate 1e-4, beta_1 0.9: the paper's."""
        return keras.optimizers.Adam(learning_rate=1e-4, beta_1=0.9)

    # ------------------------------------------------------------------ variant hooks

    @property
    def content_weights(self):
        weights = {"content": self.pixel_weight}
        if self.feature_model is not None:
            weights["feature"] = self.feature_weight
        return weights

    def content_losses(self, outputs, targets):
        outputs, targets = (keras.ops.cast(images, "float32") for images in (outputs, targets))
        error = outputs - targets
        terms = {"content": keras.ops.mean(keras.ops.square(error) if self.content_loss == "mse"
                                           else keras.ops.abs(error))}
        if self.feature_model is not None:
            wanted = keras.ops.stop_gradient(self.feature_model(targets, training=False))
            made = self.feature_model(outputs, training=False)
            terms["feature"] = keras.ops.mean(keras.ops.square(
                keras.ops.cast(made, "float32") - keras.ops.cast(wanted, "float32")))
        return terms

    @property
    def target_shape(self):
        """Shape of one training target: any size (SRGAN: its patch size)."""
        return (None, None, self.channels)

    def checked_pair(self, data):
        low, high = self.unpack_pair(data)
        low = self.checked_images(low, (None, None, self.channels), "inputs (low_resolution)")
        high = self.checked_images(high, self.target_shape, "targets (high_resolution)")
        return low, _checked_scale(low, high, self.scale)

    # -------------------------------------------------------------------- inference

    def upscale(self, images, batch_size=8, self_ensemble=False, use_ema=True):
        """Upscale images in [-1, 1] by `scale`, any height and width; returns NumPy.

        Args:
            images: `(N, H, W, C)` or one `(H, W, C)` image, float values in [-1, 1].
            batch_size: images per forward pass.
            self_ensemble: average the upscalings of the image's eight flips and
                rotations (EDSR+, `ganzoo.gans.self_ensemble`): higher PSNR, eight
                times the compute, and smoother (less sharp) textures.
            use_ema: with a generator EMA (`ema_decay`), run the average (default) or,
                False, the raw generator.

        Returns:
            `(N, scale H, scale W, C)` (or one image) in [-1, 1].
        """
        batch, single = float_images(images, self.channels, "images", "upscale")
        run = functools.partial(self.run_generator, batch_size=batch_size, use_ema=use_ema)
        upscaled = average_over_symmetries(run, batch) if self_ensemble else run(batch)
        return upscaled[0] if single else upscaled


@keras.saving.register_keras_serializable(package="ganzoo")
class SRResNet(SuperResolution):
    """The SRGAN generator trained alone on a content loss: the non-adversarial baseline.

    Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
    Generative Adversarial Network" (their SRResNet-MSE; see `ganzoo.nets.srresnet`).
    Trains on aligned `(low_resolution, high_resolution)` batches
    (`ganzoo.data.load_patches`), images in [-1, 1], the high-resolution side `scale`
    times the low-resolution one. G minimises `pixel_weight` times the MSE (or L1)
    plus, with a `feature_model`, `feature_weight` times the MSE between its feature
    maps of the output and of the target (the paper's VGG loss; see
    `ganzoo.gans.feature_loss`). Adam 1e-4, beta_1 0.9 (`compile()`); the paper trains
    SRResNet for 10^6 updates at that rate. It has no discriminator: `d_optimizer` is
    built on nothing and never steps, so run folders and checkpoints stay alike.

    Args:
        scale: upscaling factor: 2, 3, 4 (the paper's) or 8.
        channels: image channels, 1 or 3.
        residual_blocks: B, the generator's residual blocks (16 in the paper).
        filters: the generator's filters (64).
        batch_norm: the generator's batch norms (the paper's); False drops them (EDSR).
        upsampled_skip: None (the paper's), "bilinear" or "nearest": the generator
            adds the input, upsampled, to its output and learns only the residual
            (VDSR); with `batch_norm=False` it learns much faster on a small budget
            (`ganzoo.nets.srresnet`).
        content_loss: "mse" (the paper's) or "l1", pixel-wise on [-1, 1] images.
        pixel_weight: weight of that pixel loss (0 leaves the feature loss alone, as
            the paper's SRGAN-VGG54).
        feature_model: optional Keras model high-resolution images -> features.
        feature_weight: weight of the feature loss (the paper's VGG54: 1/12.75 on VGG
            features of [0, 255] images; other models need their own).
        generator: optional Keras model low -> high resolution.
        ema_decay, ema_warmup: a generator EMA, which `upscale` runs (see `PairedModel`).
        seed: seed of the training noise (see `AdversarialModel`).

    Example:
        >>> sr = SRResNet(scale=4)
        >>> sr.compile()
        >>> sr.fit(ganzoo.data.load_patches("sklearn_photos", 96, 4, batch_size=16), epochs=100)
        >>> big = sr.upscale(photo)          # (H, W, 3) -> (4H, 4W, 3), any H, W
    """

    def __init__(self, scale=4, channels=3, residual_blocks=PAPER_BLOCKS, filters=PAPER_FILTERS,
                 batch_norm=True, upsampled_skip=None, content_loss="mse", pixel_weight=1.0, feature_model=None, feature_weight=1.0,
                 generator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.init_super_resolution(scale, channels, residual_blocks, filters, batch_norm,
                                   upsampled_skip, content_loss, pixel_weight, feature_model,
                                   feature_weight, generator)


@keras.saving.register_keras_serializable(package="ganzoo")
class SRGAN(SuperResolution):
    """SRResNet's generator against the paper's discriminator: sharper, less faithful.

    Ledig et al. 2017. G minimises SRResNet's content loss plus `adversarial_weight`
    (1e-3) times the non-saturating loss `-log D(G(x))`; D (`ganzoo.nets.
    srgan_discriminator`) learns to tell real high-resolution patches from G's on the
    cross-entropy, one update before each of G's. The paper starts G from a trained
    SRResNet (pass `generator=srresnet.generator`) and trains 10^5 updates at 1e-4,
    then 10^5 at 1e-5: `step_decay_optimizers`. D's dense layers fix the size of the
    patches it judges, so training targets are `patch_size` square (the paper's 96);
    `upscale` still takes any size.

    Args:
        patch_size: side of the high-resolution training patches, a multiple of 16
            and of `scale`.
        discriminator_filters: filters of D's first layers (64; its dense layer has 16x).
        adversarial_weight: weight of G's adversarial loss (the paper's 1e-3).
        discriminator: optional Keras model high-resolution patch -> one logit.
        Others as `SRResNet`.

    Example:
        >>> srgan = SRGAN(scale=4, generator=srresnet.generator)   # start from SRResNet
        >>> srgan.compile(*step_decay_optimizers(srgan, generator_steps=200_000))
        >>> srgan.fit(ganzoo.data.load_patches("sklearn_photos", 96, 4, batch_size=16))
    """

    def __init__(self, scale=4, channels=3, residual_blocks=PAPER_BLOCKS, filters=PAPER_FILTERS,
                 batch_norm=True, upsampled_skip=None, content_loss="mse", pixel_weight=1.0, feature_model=None, feature_weight=1.0,
                 patch_size=PAPER_PATCH, discriminator_filters=64,
                 adversarial_weight=PAPER_ADVERSARIAL_WEIGHT, generator=None,
                 discriminator=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        patch_size = check_patch_size(patch_size)
        if patch_size % check_scale(scale):
            raise ValueError(f"patch_size {patch_size} must be a multiple of scale {scale}.")
        if discriminator is None:
            discriminator = srgan_discriminator(patch_size, channels, discriminator_filters,
                                                name="discriminator")
        _check_discriminator(discriminator, (patch_size, patch_size, channels))
        self.init_super_resolution(scale, channels, residual_blocks, filters, batch_norm,
                                   upsampled_skip, content_loss, pixel_weight, feature_model,
                                   feature_weight, generator, discriminator, adversarial_weight)
        self.patch_size, self.discriminator_filters = patch_size, discriminator_filters

    @property
    def target_shape(self):
        return (self.patch_size, self.patch_size, self.channels)

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size,
                "discriminator_filters": self.discriminator_filters,
                "adversarial_weight": self.adversarial_weight,
                "discriminator": keras.saving.serialize_keras_object(self.discriminator)}


def step_decay_optimizers(model, generator_steps, decay_at=0.5, factor=STEP_DECAY_FACTOR,
                          learning_rate=None):
    """Fresh `(g_optimizer, d_optimizer)` with SRGAN's schedule, for `compile`.

    The model's default optimizer (Adam 1e-4, beta_1 0.9) whose rate drops by
    `factor` after `decay_at` of the training: the paper's 10^5 updates at 1e-4,
    then 10^5 at 1e-5. The same as `make_optimizers(model, schedule="step_decay",
    ...)`, which zoo entries reach with `training: lr_schedule: step_decay`.

    Args:
        model: an `SRResNet` or `SRGAN`.
        generator_steps: the training's length in generator updates.
        decay_at: fraction of the training after which the rate drops.
        factor: the drop.
        learning_rate: the initial rate instead of the default 1e-4.
    """
    if generator_steps < 2 or not 0 < decay_at < 1:
        raise ValueError(f"generator_steps must be >= 2 and decay_at in (0, 1); got "
                         f"{generator_steps} and {decay_at}.")
    return make_optimizers(model, learning_rate, "step_decay", generator_steps=generator_steps,
                           hold_steps=max(1, int(generator_steps * decay_at)),
                           decay_factor=factor)


def _checked_scale(low, high, scale):
    """`high`, after checking it is `scale` times `low` in height and width."""
    low_size, high_size = low.shape[1:3], high.shape[1:3]
    if None not in (*low_size, *high_size):
        if tuple(high_size) != tuple(scale * side for side in low_size):
            raise ValueError(f"The targets (high_resolution) must be {scale}x the inputs "
                             f"(low_resolution); got {tuple(low_size)} -> {tuple(high_size)}. "
                             f"ganzoo.data.load_patches(..., scale={scale}) makes such pairs.")
        return high
    check = tf.debugging.assert_equal(tf.shape(high)[1:3], scale * tf.shape(low)[1:3],
                                      message=f"The targets (high_resolution) must be {scale}x "
                                              "the inputs (low_resolution).")
    with tf.control_dependencies([check]):
        return tf.identity(high)


def _check_discriminator(discriminator, expected):
    if not isinstance(discriminator, keras.Model):
        raise TypeError(f"discriminator must be a keras.Model; got {type(discriminator).__name__}.")
    if tuple(discriminator.input_shape[1:]) != expected:
        raise ValueError(f"The discriminator takes {tuple(discriminator.input_shape[1:])}; "
                         f"this SRGAN's high-resolution patches are {expected}.")
    if tuple(discriminator.output_shape[1:]) != (1,):
        raise ValueError("The discriminator must output one logit per patch, shape "
                         f"(batch, 1); its output shape is {discriminator.output_shape}.")


def _check_generator(generator, scale, channels):
    if not isinstance(generator, keras.Model):
        raise TypeError(f"generator must be a keras.Model; got {type(generator).__name__}.")
    if generator.input_shape[-1] != channels or generator.output_shape[-1] != channels:
        raise ValueError(f"The generator maps {generator.input_shape[-1]} to "
                         f"{generator.output_shape[-1]} channels; this model's images have "
                         f"{channels}.")
    made = generator_scale(generator)
    if made is not None and made != scale:
        raise ValueError(f"The generator upscales {made}x; scale is {scale}.")


__all__ = ["SRResNet", "SRGAN", "UPSCALER", "step_decay_optimizers"]
