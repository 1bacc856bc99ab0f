"""pix2pix's U-Net generator (Isola et al. 2017, after Ronneberger et al. 2015).

An encoder of 4x4 stride-2 convolutions C64-C128-C256-C512-C512-... (instance norm
except on the first and the innermost layer, LeakyReLU 0.2) and a mirror-image decoder
of 4x4 stride-2 transposed convolutions (instance norm, ReLU, dropout 0.5 on the
`dropout_layers` innermost ones), where each decoder layer's output is concatenated
with the encoder output of the same resolution (the skip connections) before the next
layer. A last transposed convolution makes the output channels, with tanh.

At the paper's 256 px the encoder has 8 layers and reaches 1x1. The paper's batch norm
at batch size 1, applied with the test batch's statistics at inference, is instance
norm: here it is instance norm at every batch size. The innermost layer has no norm
(the reference code's choice: at 1x1 it would zero every feature).

Activations come after the norm, and a skip carries the encoder layer's activated
output (the reference code concatenates before activating; the same architecture
up to where the nonlinearity sits).

The network is fully convolutional: it takes any height and width divisible by
`2 ** depth`, not only the size it was built for.
"""

import keras
from keras import layers

from ganzoo.nets.image_layers import conv_init, instance_norm

# The paper's U-Net at 256 px: 8 stride-2 layers, down to 1x1.
PAPER_DEPTH = 8
# Decoder layers with dropout in the paper: CD512-CD1024-CD1024.
PAPER_DROPOUT_LAYERS = 3


def halvings(size):
    """How many times `size` divides by 2."""
    count = 0
    while size > 1 and size % 2 == 0:
        size //= 2
        count += 1
    return count


def default_depth(size):
    """The encoder layers of the default U-Net for `size` pixels: as many halvings as
    the size allows, at most the paper's 8 (256 px reaches 1x1; 32 px: 5)."""
    return min(PAPER_DEPTH, halvings(size))


def check_unet_size(height, width, depth, what="images"):
    """Raise ValueError unless `height` x `width` is divisible by `2 ** depth`."""
    step = 2 ** depth
    bad = [side for side in (height, width) if side is not None and side % step]
    if bad:
        raise ValueError(
            f"The U-Net with depth {depth} (stride-2 layers) takes {what} whose height and "
            f"width are multiples of 2**{depth} = {step}; got {height}x{width} ({bad[0]} is "
            f"not). Resize or crop the images to a multiple of {step}, or build the network "
            "with a smaller depth.")


def unet_generator(image_shape, output_channels=None, base_filters=64, depth=None,
                   dropout=0.5, dropout_layers=PAPER_DROPOUT_LAYERS, name="unet_generator"):
    """Image in [-1, 1] -> image in [-1, 1] of the same height and width.

    Args:
        image_shape: `(height, width, channels)` of the images it is built for; both
            sides divisible by `2 ** depth`. The model itself takes any such size.
        output_channels: channels of the output; default the input's.
        base_filters: filters of the first layer (64 in the paper); each further
            encoder layer doubles them, up to 8x.
        depth: stride-2 encoder layers; default `default_depth(min(height, width))`
            (8 at 256 px, the paper's; 5 at 32 px).
        dropout: dropout rate of the innermost decoder layers (0.5; 0 for none). Active
            in training only: `translate` is deterministic (the paper also keeps it at
            test time, as noise).
        dropout_layers: how many decoder layers, innermost first, have dropout (3).
    """
    if len(image_shape) != 3:
        raise ValueError("image_shape must be (height, width, channels); got "
                         f"{tuple(image_shape)}.")
    height, width, channels = (int(side) for side in image_shape)
    depth = default_depth(min(height, width)) if depth is None else int(depth)
    if depth < 1:
        raise ValueError(f"The U-Net needs at least one stride-2 layer, so an even image size; "
                         f"got {height}x{width}.")
    check_unet_size(height, width, depth, what=f"images (built for {height}x{width})")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}.")

    image = keras.Input((None, None, channels), name="image")
    encoded, x = [], image
    for layer in range(depth):
        innermost = layer == depth - 1
        x = layers.Conv2D(base_filters * 2 ** min(layer, 3), 4, strides=2, padding="same",
                          use_bias=layer == 0 or innermost, kernel_initializer=conv_init(),
                          name=f"encoder_{layer + 1}")(x)
        if 0 < layer and not innermost:
            x = instance_norm()(x)
        x = layers.LeakyReLU(0.2)(x) if not innermost else layers.ReLU()(x)
        encoded.append(x)
    # The decoder walks back up; its layer i (innermost first) meets encoder layer
    # depth - 1 - i, the one of the same resolution.
    for up in range(depth - 1):
        skip = encoded[depth - 2 - up]
        x = layers.Conv2DTranspose(skip.shape[-1], 4, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=conv_init(), name=f"decoder_{up + 1}")(x)
        x = instance_norm()(x)
        if dropout and up < dropout_layers:
            x = layers.Dropout(dropout)(x)
        x = layers.ReLU()(x)
        x = layers.Concatenate(name=f"skip_{depth - 1 - up}")([x, skip])
    x = layers.Conv2DTranspose(output_channels or channels, 4, strides=2, padding="same",
                               kernel_initializer=conv_init(), name="decoder_out")(x)
    # tanh in float32, so mixed-precision outputs still land exactly in [-1, 1].
    translated = layers.Activation("tanh", dtype="float32", name="translated")(x)
    return keras.Model(image, translated, name=name)


def unet_depth(model):
    """The stride-2 layers of a `unet_generator` model (counted from its layers, so
    this works on a model loaded from a file), or None for another network."""
    count = sum(1 for layer in model.layers if layer.name.startswith("encoder_"))
    return count or None
