"""DCGAN convolutional generator and discriminator (Radford et al. 2016).

Strided (transposed) 4x4 convolutions, batch norm everywhere except G's output and
D's input, ReLU in G, LeakyReLU(0.2) in D, tanh output, weights drawn from N(0, 0.02).
Any square size that is a multiple of 4 works: the networks start (or end) at the
smallest even-halving size of at least 4 (7 for 28, 4 for 32 and 64).

G can instead double its feature maps by resize-convolution (Odena et al. 2016,
"Deconvolution and Checkerboard Artifacts"): a 2x nearest-neighbour (or bilinear)
upsampling, then a 3x3 convolution. A stride-2 transposed convolution computes
neighbouring output pixels with different taps of its kernel and readily learns
checkerboard patterns; the resize-convolution computes every pixel with one kernel.
It also suits edge runtimes: XNNPACK has no per-channel int8 transposed convolution, and
ONNX Runtime does not fuse an int8 ConvTranspose on CPU, while both run int8 convolutions.
"""

import keras
from keras import layers

from ganzoo.nets.conditioning import (discriminator_inputs, discriminator_outputs,
                                      generator_inputs, with_label)
from ganzoo.nets.discriminator_options import maybe_spectral_norm, packed_shape


def _weights_init():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _batch_norm(synchronized=False):
    # momentum 0.9 (PyTorch's 0.1): with Keras' 0.99 the moving statistics of a short
    # run lag far behind, and inference-mode samples come out washed out.
    # synchronized: statistics of the global batch under tf.distribute (an all-reduce
    # per layer), instead of each replica's slice.
    return layers.BatchNormalization(
        momentum=0.9, gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        synchronized=synchronized)


def validate_image_shape(image_shape, family="DCGAN"):
    """Return `(size, channels)` of a square image shape the `family` networks (DCGAN,
    CycleGAN) can take: a multiple of 4, at least 8, 1 or 3 channels."""
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels); got {tuple(image_shape)}.")
    height, width, channels = image_shape
    if height != width:
        raise ValueError(f"{family} networks take square images; got {height}x{width}.")
    if height < 8 or height % 4:
        raise ValueError(f"{family} image size must be a multiple of 4 and at least 8 "
                         f"(28, 32, 64, ...); got {height}.")
    if channels not in (1, 3):
        raise ValueError(f"{family} images have 1 or 3 channels; got {channels}.")
    return height, channels


# How G doubles its feature maps: {name: what it is}, in error messages as they are.
UPSAMPLING = {"transpose": "4x4 transposed convolution, stride 2 (the paper)",
              "resize": "2x resize, then 3x3 convolution (Odena et al. 2016)"}
# Interpolations of the "resize" upsampling. Nearest is the default: Odena et al. had
# their best results with it (and trouble with bilinear), and it only copies values: no
# arithmetic, exact in int8.
RESIZE_INTERPOLATIONS = ("nearest", "bilinear")


def check_upsampling(upsampling, resize_interpolation="nearest"):
    """Raise a ValueError naming the choices unless `upsampling` (and, for "resize",
    `resize_interpolation`) is one `dcgan_generator` takes."""
    if upsampling not in UPSAMPLING:
        choices = "; ".join(f"{name!r}: {what}" for name, what in UPSAMPLING.items())
        raise ValueError(f"upsampling must be one of {list(UPSAMPLING)} ({choices}); "
                         f"got {upsampling!r}.")
    if resize_interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"resize_interpolation must be one of {list(RESIZE_INTERPOLATIONS)}; "
                         f"got {resize_interpolation!r}.")
    if upsampling != "resize" and resize_interpolation != RESIZE_INTERPOLATIONS[0]:
        raise ValueError(f"resize_interpolation={resize_interpolation!r} applies to "
                         f"upsampling='resize' only; upsampling is {upsampling!r}.")


def num_resolution_steps(size):
    """How many stride-2 steps lead from the base size (>= 4) to `size`."""
    steps = 0
    while size % 2 == 0 and size // 2 >= 4:
        size //= 2
        steps += 1
    return steps


def dcgan_generator(latent_dim, image_shape, base_filters=64, synchronized_batch_norm=False,
                    num_classes=None, conditioning="projection", upsampling="transpose",
                    resize_interpolation="nearest", name="dcgan_generator"):
    """Latent vector (and label, when conditional) -> image in [-1, 1] of `image_shape`.

    Args:
        latent_dim: size of the latent vector z.
        image_shape: `(size, size, channels)`, size a multiple of 4, channels 1 or 3.
        base_filters: filters of the last hidden block; each block closer to z doubles it.
        synchronized_batch_norm: batch statistics over the global batch under
            `tf.distribute` (as on one device), not per replica.
        num_classes, conditioning: class conditioning (see `ganzoo.nets.conditioning`);
            None: unconditional, the input is z alone.
        upsampling: how each block doubles the size: "transpose" (the paper's 4x4
            transposed convolution) or "resize" (`resize_interpolation` 2x upsampling,
            then a 3x3 convolution with the same filters, batch norm and activation).
        resize_interpolation: "nearest" (default) or "bilinear", for "resize".

    Example:
        >>> G = dcgan_generator(100, (32, 32, 1), base_filters=32, upsampling="resize")
    """
    check_upsampling(upsampling, resize_interpolation)
    size, channels = validate_image_shape(image_shape)
    steps = num_resolution_steps(size)
    base_size = size >> steps
    filters = base_filters * 2 ** (steps - 1)

    inputs, code = generator_inputs(latent_dim, num_classes, conditioning)
    x = layers.Dense(base_size * base_size * filters, use_bias=False,
                     kernel_initializer=_weights_init())(code)
    x = _batch_norm(synchronized_batch_norm)(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base_size, base_size, filters))(x)
    for _ in range(steps - 1):
        filters //= 2
        x = _doubled(x, filters, upsampling, resize_interpolation, use_bias=False)
        x = _batch_norm(synchronized_batch_norm)(x)
        x = layers.ReLU()(x)
    x = _doubled(x, channels, upsampling, resize_interpolation, use_bias=True)
    # tanh in float32, so mixed-precision outputs still land exactly in [-1, 1].
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(inputs, image, name=name)


def _doubled(x, filters, upsampling, interpolation, use_bias):
    """`x` at twice its size with `filters` channels: one upsampling layer of G."""
    if upsampling == "transpose":
        return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=use_bias,
                                      kernel_initializer=_weights_init())(x)
    # Keras' nearest UpSampling2D is a repeat (Tile and Reshape in the ONNX and LiteRT
    # files) and exports in parity; keras.layers.Resizing's nearest resize did not, in
    # ONNX (tf2onnx 1.17), once a batch norm followed it.
    x = layers.UpSampling2D(2, interpolation=interpolation)(x)
    return layers.Conv2D(filters, 3, padding="same", use_bias=use_bias,
                         kernel_initializer=_weights_init())(x)


def dcgan_discriminator(image_shape, base_filters=64, pack=1, normalization="batch",
                        spectral_norm=False, synchronized_batch_norm=False, num_classes=None,
                        conditioning="projection", name="dcgan_discriminator"):
    """Image (and label, when conditional) -> one real/fake logit; the mirror image of
    `dcgan_generator`.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4, channels 1 or 3.
        base_filters: filters of the first block; each following block doubles it.
        pack: number of images judged jointly (PacGAN), stacked along the channels.
        normalization: `"batch"` (the paper), `"layer"` (for critics with a gradient
            penalty, which batch norm would invalidate; Gulrajani et al. 2017) or `"none"`.
        spectral_norm: spectral normalization of every convolution and the logit layer.
        synchronized_batch_norm: with `normalization="batch"`, statistics over the
            global batch under `tf.distribute`, not per replica.
        num_classes, conditioning: class conditioning (see `ganzoo.nets.conditioning`):
            "concat" appends the label as channels of the image, "projection" adds
            <embed(y), features> to the logit, "auxiliary" adds a head of class logits.
    """
    size, _ = validate_image_shape(image_shape)
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {sorted(NORMALIZATIONS)}; "
                         f"got {normalization!r}.")
    image = keras.Input(packed_shape(image_shape, pack), name="image")
    inputs, label = discriminator_inputs(image, num_classes, conditioning)
    x = with_label(image, label, num_classes, conditioning)
    for step in range(num_resolution_steps(size)):
        normalized = step > 0 and normalization != "none"  # never on D's input layer
        conv = layers.Conv2D(base_filters * 2 ** step, 4, strides=2, padding="same",
                             use_bias=not normalized, kernel_initializer=_weights_init())
        x = maybe_spectral_norm(conv, spectral_norm)(x)
        if normalized:
            x = NORMALIZATIONS[normalization](synchronized_batch_norm)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, kernel_initializer=_weights_init(), dtype="float32", name="logit")
    outputs = discriminator_outputs(x, maybe_spectral_norm(logit, spectral_norm), label,
                                    num_classes, conditioning)
    return keras.Model(inputs, outputs, name=name)


NORMALIZATIONS = {
    "batch": _batch_norm,
    # per-sample statistics over each feature map, as the gradient penalty needs;
    # nothing to synchronize across replicas
    "layer": lambda synchronized=False: layers.LayerNormalization(axis=[1, 2, 3]),
    "none": None,
}
