"""BigGAN's networks (Brock et al. 2019), after the reference code (BigGAN-PyTorch).

Generator: z (split into one chunk per block plus one for the first dense layer when
latents are hierarchical) and a label; the label's code is a shared learned class
embedding (or the one-hot label); each residual up-block conditions its two batch
norms on the code concatenated with its chunk of z (`ClassConditionalBatchNorm`).
Block: CBN, ReLU, 2x nearest upsampling, 3x3 conv, CBN, ReLU, 3x3 conv, plus a
shortcut (upsample, 1x1 conv). After the blocks: batch norm, ReLU, 3x3 conv to the
image, tanh.

Discriminator: residual down-blocks (3x3 conv, ReLU, 3x3 conv, 2x2 average pooling;
every block but the first starts with a ReLU), one more block at 4x4 without pooling,
ReLU, global sum pooling, a linear logit plus the projection <embed(y), features>.

Both: one self-attention block (SAGAN) after the block that outputs
`attention_resolution`; spectral norm on every convolution and linear layer (G's class
embedding excepted, as in the reference); orthogonal initialisation. Widths:
`base_filters` (the paper's ch, 96 at 128x128) times `channel_multipliers`, the
generator's from its 4x4 input to its last block; the discriminator's are the same
read backwards, from its first block to its last.

Example:
    >>> G = biggan_generator(120, (32, 32, 1), num_classes=10, base_filters=32)
    >>> G.input_shape, G.output_shape
    ([(None, 120), (None,)], (None, 32, 32, 1))
"""

import keras
from keras import layers

from ganzoo.nets.biggan_layers import (BN_EPSILON, BN_MOMENTUM, ClassConditionalBatchNorm,
                                       GlobalSumPooling2D, LatentChunk, SelfAttention, conv,
                                       dense)
from ganzoo.nets.conditioning import ClassProjection, discriminator_inputs, label_input
from ganzoo.nets.progan import check_image_shape, num_levels
from ganzoo.nets.spectral_norm import SpectralClassProjection

# The reference's widths per image size (BigGAN.py, G_arch): 32 is its CIFAR network.
DEFAULT_MULTIPLIERS = {32: (4, 4, 4, 4), 64: (16, 16, 8, 4, 2),
                       128: (16, 16, 8, 4, 2, 1), 256: (16, 16, 8, 8, 4, 2, 1),
                       512: (16, 16, 8, 8, 4, 2, 1, 1)}


def num_blocks(size):
    """Residual up-blocks from 4x4 to `size`: 3 for 32x32, 5 for 128x128."""
    return num_levels(size) - 1


def channel_multipliers_for(size, channel_multipliers=None):
    """The generator's width multipliers, 4x4 input first: `channel_multipliers` checked,
    or the reference's for `size` (4 everywhere for sizes it has none for)."""
    wanted = num_blocks(size) + 1
    if channel_multipliers is None:
        return DEFAULT_MULTIPLIERS.get(size, (4,) * wanted)
    multipliers = tuple(channel_multipliers)
    if len(multipliers) != wanted or any(
            isinstance(m, bool) or int(m) != m or m < 1 for m in multipliers):
        raise ValueError(f"channel_multipliers gives the width of the 4x4 input and of each of "
                         f"the {wanted - 1} blocks of a {size}x{size} generator: {wanted} "
                         f"positive integers, e.g. {DEFAULT_MULTIPLIERS.get(size, (4,) * wanted)}; "
                         f"got {channel_multipliers!r}.")
    return tuple(int(m) for m in multipliers)


def check_attention_resolution(size, attention_resolution):
    """`attention_resolution` as an int (or None), or a ValueError naming the choices."""
    if attention_resolution is None:
        return None
    choices = [2 ** k for k in range(3, num_levels(size) + 1) if 2 ** k < size]
    if isinstance(attention_resolution, bool) or attention_resolution not in choices:
        raise ValueError(f"attention_resolution must be a resolution both networks hold a "
                         f"block at, one of {choices} for {size}x{size} images (the paper: 64 "
                         f"at 128x128), or None for no self-attention; got "
                         f"{attention_resolution!r}.")
    return int(attention_resolution)


def latent_chunk_size(latent_dim, size, hierarchical_latents):
    """Entries of z per chunk: `latent_dim / (blocks + 1)` when hierarchical, else 0."""
    if not hierarchical_latents:
        return 0
    places = num_blocks(size) + 1
    if latent_dim % places:
        raise ValueError(f"With hierarchical latents, z is split evenly between the first "
                         f"layer and the {places - 1} blocks of a {size}x{size} generator: "
                         f"latent_dim must be a multiple of {places}; got {latent_dim} (the "
                         f"paper: 120 = 6 x 20 at 128x128).")
    return latent_dim // places


def biggan_generator(latent_dim, image_shape, num_classes, base_filters=64,
                     channel_multipliers=None, attention_resolution=None,
                     shared_embedding=True, embedding_dim=128, hierarchical_latents=True,
                     spectral_norm=True, synchronized_batch_norm=False, name="generator"):
    """BigGAN's generator: `[z, label]` -> images in [-1, 1] (see the module docstring).

    Args:
        latent_dim: size of z (the paper: 120 at 128x128).
        image_shape: `(size, size, channels)`, size a power of two >= 8.
        num_classes: K, the number of labels.
        base_filters: the width unit ch.
        channel_multipliers: widths of the 4x4 input and of each block's output in
            units of ch; default: the reference's for the size.
        attention_resolution: the block output that self-attention follows, or None.
        shared_embedding: one learned class embedding of `embedding_dim` for all
            blocks, linearly projected to each batch norm's gains and biases; False:
            each batch norm has its own per-class gains and biases (the one-hot label).
        embedding_dim: size of the shared embedding (the paper: 128).
        hierarchical_latents: split z into blocks + 1 chunks: the first feeds the
            dense layer, each other one is concatenated to the class code of one
            block; False: all of z feeds the dense layer, the blocks get the code alone.
        spectral_norm: on every convolution and dense layer (the gain and bias
            projections too when the embedding is shared).
        synchronized_batch_norm: batch statistics over all replicas (the paper's
            cross-replica batch norm).
    """
    size, channels = check_image_shape(image_shape, "BigGAN")
    widths = [base_filters * m for m in channel_multipliers_for(size, channel_multipliers)]
    attention_resolution = check_attention_resolution(size, attention_resolution)
    chunk = latent_chunk_size(latent_dim, size, hierarchical_latents)
    blocks = num_blocks(size)

    z, label = layers.Input((latent_dim,), name="z"), label_input()
    if shared_embedding:
        code = layers.Embedding(num_classes, embedding_dim, embeddings_initializer="orthogonal",
                                name="shared_embedding")(label)
    else:
        code = layers.CategoryEncoding(num_classes, output_mode="one_hot",
                                       name="one_hot_label")(label)
    if chunk:
        first = LatentChunk(0, chunk, name="z_chunk_0")(z)
        conditions = [layers.Concatenate(name=f"block{i}_condition")(
                          [code, LatentChunk(i, chunk, name=f"z_chunk_{i}")(z)])
                      for i in range(1, blocks + 1)]
    else:
        first, conditions = z, [code] * blocks

    h = dense(4 * 4 * widths[0], spectral_norm, name="initial_dense")(first)
    h = layers.Reshape((4, 4, widths[0]), name="initial_map")(h)
    cbn_sn = spectral_norm and shared_embedding
    for i in range(1, blocks + 1):
        h = _up_block(h, conditions[i - 1], widths[i], f"block{i}", spectral_norm, cbn_sn,
                      synchronized_batch_norm)
        if 4 * 2 ** i == attention_resolution:
            h = SelfAttention(spectral_norm, name="attention")(h)
    h = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM,
                                  synchronized=synchronized_batch_norm, name="output_bn")(h)
    h = layers.ReLU(name="output_relu")(h)
    h = conv(channels, 3, spectral_norm, name="output_conv")(h)
    images = layers.Activation("tanh", dtype="float32", name="image")(h)
    return keras.Model([z, label], images, name=name)


def _up_block(x, condition, filters, name, spectral_norm, cbn_sn, synchronized):
    h = ClassConditionalBatchNorm(cbn_sn, synchronized, name=f"{name}_bn1")([x, condition])
    h = layers.ReLU(name=f"{name}_relu1")(h)
    h = layers.UpSampling2D(2, name=f"{name}_upsample")(h)
    h = conv(filters, 3, spectral_norm, name=f"{name}_conv1")(h)
    h = ClassConditionalBatchNorm(cbn_sn, synchronized, name=f"{name}_bn2")([h, condition])
    h = layers.ReLU(name=f"{name}_relu2")(h)
    h = conv(filters, 3, spectral_norm, name=f"{name}_conv2")(h)
    shortcut = layers.UpSampling2D(2, name=f"{name}_shortcut_upsample")(x)
    shortcut = conv(filters, 1, spectral_norm, name=f"{name}_shortcut")(shortcut)
    return layers.Add(name=f"{name}_out")([h, shortcut])


def biggan_discriminator(image_shape, num_classes, base_filters=64, channel_multipliers=None,
                         attention_resolution=None, spectral_norm=True, name="discriminator"):
    """BigGAN's projection discriminator: `[image, label]` -> one logit per image.

    Args:
        image_shape, num_classes, base_filters, attention_resolution, spectral_norm: as
            `biggan_generator`.
        channel_multipliers: the generator's; the discriminator's blocks take them
            backwards (the reference's 128x128 D: 1, 2, 4, 8, 16, 16 times ch).
    """
    size, _ = check_image_shape(image_shape, "BigGAN")
    widths = [base_filters * m
              for m in reversed(channel_multipliers_for(size, channel_multipliers))]
    attention_resolution = check_attention_resolution(size, attention_resolution)
    image = layers.Input(tuple(int(s) for s in image_shape), name="image")
    inputs, label = discriminator_inputs(image, num_classes, "projection")
    h, resolution = image, size
    for i, filters in enumerate(widths, start=1):
        downsample = i < len(widths)  # the last block stays at 4x4
        h = _down_block(h, filters, f"block{i}", spectral_norm, downsample,
                        preactivation=i > 1)
        resolution //= 2 if downsample else 1
        if downsample and resolution == attention_resolution:
            h = SelfAttention(spectral_norm, name="attention")(h)
    h = layers.ReLU(name="features_relu")(h)
    features = GlobalSumPooling2D(name="sum_pool")(h)
    logit = dense(1, spectral_norm, name="logit")(features)
    projection = (SpectralClassProjection(num_classes, name="class_projection") if spectral_norm
                  else ClassProjection(num_classes, name="class_projection"))([features, label])
    output = layers.Add(dtype="float32", name="projected_logit")([logit, projection])
    return keras.Model(inputs, output, name=name)


def _down_block(x, filters, name, spectral_norm, downsample, preactivation):
    # the first block's input is the image, which needs no ReLU (and must keep its sign)
    h = layers.ReLU(name=f"{name}_relu0")(x) if preactivation else x
    h = conv(filters, 3, spectral_norm, name=f"{name}_conv1")(h)
    h = layers.ReLU(name=f"{name}_relu1")(h)
    h = conv(filters, 3, spectral_norm, name=f"{name}_conv2")(h)
    if downsample:
        h = layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    shortcut = x
    if downsample or int(x.shape[-1]) != filters:
        # preactivated blocks convolve before pooling (cheaper), the first after
        if preactivation:
            shortcut = conv(filters, 1, spectral_norm, name=f"{name}_shortcut")(shortcut)
        if downsample:
            shortcut = layers.AveragePooling2D(2, name=f"{name}_shortcut_pool")(shortcut)
        if not preactivation:
            shortcut = conv(filters, 1, spectral_norm, name=f"{name}_shortcut")(shortcut)
    return layers.Add(name=f"{name}_out")([h, shortcut])


def orthogonal_kernels(generator):
    """The weights BigGAN's orthogonal regularisation applies to: every trainable weight
    of `generator` with two or more axes (kernels, per-class tables) except the shared
    class embedding, which the reference leaves out (its rows need not be orthogonal)."""
    try:
        excluded = {id(w) for w in generator.get_layer("shared_embedding").weights}
    except ValueError:  # no shared embedding
        excluded = set()
    return [w for w in generator.trainable_weights
            if len(w.shape) >= 2 and id(w) not in excluded]
