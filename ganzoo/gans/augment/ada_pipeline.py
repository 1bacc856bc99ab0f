"""ADA's augmentation pipeline: geometric and colour transforms, each applied with probability p.

Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data";
transforms, order, probabilities and strengths of the reference AugmentPipe
(NVlabs/stylegan2-ada-pytorch, training/augment.py) with every probability
multiplier 1, as in its default 'bgc' pipeline. Per image, the transforms compose
into one geometric and one colour matrix; the geometric one is executed by a single
resampling. Where this differs from the reference:

- resampling is bilinear at the image's own resolution, where the reference
  upsamples 2x with a sym6 wavelet filter, samples, and downsamples: continuous
  transforms (scaling, rotation, fractional shifts) alias a little more here; flips,
  quarter turns and integer shifts are exact in both;
- outside the image, positions mirror about the edge pixels at any distance; the
  reference mirrors up to one image side and reads zeros beyond (rarely reached).

Colour transforms act around 0 on images in [-1, 1] and are not clipped (as in the
reference): brightness, contrast, hue and saturation may leave [-1, 1]. Geometric
ones keep the range (bilinear weights are convex).
"""

import math

import numpy as np
import tensorflow as tf

from ganzoo.gans.augment.augmenter import SeedStream

# Strengths: the reference's defaults. "log2 std" means the factor is 2**N(0, std**2).
XINT_MAX = 0.125  # integer translation: up to 1/8 of the side, uniform
SCALE_STD = 0.2  # isotropic scaling, log2 std
ROTATE_MAX = 1.0  # arbitrary rotation: uniform over +-ROTATE_MAX half-turns (1 = any angle)
ANISO_STD = 0.2  # anisotropic scaling, log2 std
XFRAC_STD = 0.125  # fractional translation, std as a fraction of the side
BRIGHTNESS_STD = 0.2  # added to every channel, std (images in [-1, 1])
CONTRAST_STD = 0.5  # multiplies values around 0, log2 std
HUE_MAX = 1.0  # rotation about the grey axis: uniform over +-HUE_MAX half-turns
SATURATION_STD = 1.0  # scales the departure from grey, log2 std

BLIT = ("xflip", "rotate90", "xint")
GEOM = ("scale", "rotate", "aniso", "xfrac")
COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
# The reference's pipeline names for the groups implemented here.
PIPELINES = {"blit": BLIT, "geom": GEOM, "color": COLOR, "bg": BLIT + GEOM,
             "bgc": BLIT + GEOM + COLOR}
TRANSFORMS = BLIT + GEOM + COLOR
# Each transform draws from seeds of its own, so adding one changes no other's draws.
_STREAM = {name: 16 * number for number, name in enumerate(BLIT + GEOM + COLOR, start=1)}
# NumPy, not tensors: importing must run no TensorFlow op (devices are configured first).
_ROOT3 = np.sqrt(3.0, dtype=np.float32)
_GREY = np.array([1.0, 1.0, 1.0, 0.0], np.float32) / _ROOT3  # the luma axis, homogeneous
_GREY_PROJECTION = np.outer(_GREY, _GREY)
_GREY_CROSS = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], np.float32) / _ROOT3  # v x .
_BRIGHTNESS_OFFSET = np.outer([1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]).astype(np.float32)


def resolve(pipeline):
    """The transforms of a pipeline: a name of PIPELINES, or names of pipelines and transforms.

    Returns them in the reference's order, whatever the order given.

    Example:
        >>> resolve("bg,brightness")   # ('xflip', 'rotate90', ..., 'xfrac', 'brightness')
    """
    names = pipeline.split(",") if isinstance(pipeline, str) else list(pipeline)
    chosen = set()
    for name in (name.strip() for name in names):
        if name not in PIPELINES and name not in TRANSFORMS:
            raise ValueError(f"Unknown ADA pipeline or transform {name!r}; the pipelines are "
                             f"{list(PIPELINES)}, the transforms {list(TRANSFORMS)}.")
        chosen.update(PIPELINES.get(name, (name,)))
    if not chosen:
        raise ValueError("An ADA pipeline needs at least one transform; use augment='none' "
                         "for no augmentation.")
    return tuple(name for name in TRANSFORMS if name in chosen)


def augment(images, p, seed, ops):
    """`images` (float32 NHWC) with the transforms `ops` each applied with probability `p`."""
    seeds = SeedStream(seed)
    draw = _Draws(seeds, tf.shape(images)[0], tf.cast(p, tf.float32))
    height, width, channels = images.shape[1:]
    if any(op in ops for op in BLIT + GEOM):
        images = _resample(images, _inverse_geometry(draw, ops, height, width))
    if any(op in ops for op in COLOR):
        if channels not in (1, 3):
            raise ValueError(f"ADA's colour transforms need 1 or 3 channels; got {channels}. "
                             "Use pipeline='bg' for geometric transforms only.")
        images = _recolour(images, _colour_matrix(draw, ops, channels))
    return images


class _Draws:
    """Per-image random parameters, and per-image choices of whether to apply a transform."""

    def __init__(self, seeds, batch, p):
        self.seeds, self.batch, self.p = seeds, batch, p

    def uniform(self, op, k, width=None):
        return self.seeds.uniform(_STREAM[op] + k, self._shape(width))

    def normal(self, op, k, width=None):
        return self.seeds.normal(_STREAM[op] + k, self._shape(width))

    def chosen(self, op, k, probability=None, width=None):
        probability = self.p if probability is None else probability
        return self.uniform(op, k, width) < probability

    def _shape(self, width):
        return (self.batch,) if width is None else (self.batch, width)


def _inverse_geometry(draw, ops, height, width):
    """Per image, the 3x3 map from output pixel to input pixel, centred coordinates."""
    zero = tf.zeros((draw.batch,))
    matrix = tf.eye(3, batch_shape=(draw.batch,))
    if "xflip" in ops:
        flip = tf.where(draw.chosen("xflip", 0), tf.floor(draw.uniform("xflip", 1) * 2), zero)
        matrix = matrix @ _affine(1 - 2 * flip, 0.0, 0.0, 0.0, 1.0, 0.0, zero)
    if "rotate90" in ops:
        quarter = tf.where(draw.chosen("rotate90", 0), tf.floor(draw.uniform("rotate90", 1) * 4),
                           zero)
        # exact cosines and sines of quarter turns, so blits move pixels exactly
        quarter = tf.cast(quarter, tf.int32)
        cos = tf.gather([1.0, 0.0, -1.0, 0.0], quarter)
        sin = tf.gather([0.0, 1.0, 0.0, -1.0], quarter)
        matrix = matrix @ _affine(cos, -sin, 0.0, sin, cos, 0.0, zero)
    if "xint" in ops:
        shift = (draw.uniform("xint", 1, 2) * 2 - 1) * XINT_MAX
        shift = tf.where(draw.chosen("xint", 0, width=1), shift, 0.0)
        matrix = matrix @ _translation(-tf.round(shift[:, 0] * width),
                                       -tf.round(shift[:, 1] * height), zero)
    if "scale" in ops:
        scale = tf.where(draw.chosen("scale", 0),
                         tf.math.pow(2.0, draw.normal("scale", 1) * SCALE_STD), 1.0)
        matrix = matrix @ _affine(1 / scale, 0.0, 0.0, 0.0, 1 / scale, 0.0, zero)
    # Rotation before and after the anisotropic scaling, each with a probability that
    # makes "rotated at all" happen with probability p.
    p_rotate = 1 - tf.sqrt(tf.clip_by_value(1 - draw.p, 0.0, 1.0))
    if "rotate" in ops:
        matrix = matrix @ _rotation(_angle(draw, "rotate", 0, p_rotate, ROTATE_MAX), zero)
    if "aniso" in ops:
        scale = tf.where(draw.chosen("aniso", 0),
                         tf.math.pow(2.0, draw.normal("aniso", 1) * ANISO_STD), 1.0)
        matrix = matrix @ _affine(1 / scale, 0.0, 0.0, 0.0, scale, 0.0, zero)
    if "rotate" in ops:
        matrix = matrix @ _rotation(_angle(draw, "rotate", 2, p_rotate, ROTATE_MAX), zero)
    if "xfrac" in ops:
        shift = tf.where(draw.chosen("xfrac", 0, width=1), draw.normal("xfrac", 1, 2) * XFRAC_STD,
                         0.0)
        matrix = matrix @ _translation(-shift[:, 0] * width, -shift[:, 1] * height, zero)
    return matrix


def _angle(draw, op, k, probability, half_turns):
    angle = (draw.uniform(op, k + 1) * 2 - 1) * math.pi * half_turns
    return tf.where(draw.chosen(op, k, probability), angle, 0.0)


def _affine(xx, xy, tx, yx, yy, ty, zero):
    """Batched [[xx, xy, tx], [yx, yy, ty], [0, 0, 1]]; scalars broadcast over `zero`."""
    row = lambda *values: tf.stack([value + zero for value in values], axis=-1)  # noqa: E731
    return tf.stack([row(xx, xy, tx), row(yx, yy, ty), row(0.0, 0.0, 1.0)], axis=1)


def _translation(tx, ty, zero):
    return _affine(1.0, 0.0, tx, 0.0, 1.0, ty, zero)


def _rotation(angle, zero):
    cos, sin = tf.cos(angle), tf.sin(angle)
    return _affine(cos, -sin, 0.0, sin, cos, 0.0, zero)


def _resample(images, inverse):
    """Each output pixel read bilinearly at its mapped position; mirrored beyond the edges.

    Pixel centres map to pixel centres under flips, quarter turns and integer shifts,
    which are then exact; bilinear weights are convex, so the values stay in range.
    """
    batch = tf.shape(images)[0]
    height, width, channels = images.shape[1:]
    cy, cx = (height - 1) / 2, (width - 1) / 2
    rows, cols = tf.meshgrid(tf.range(height, dtype=tf.float32) - cy,
                             tf.range(width, dtype=tf.float32) - cx, indexing="ij")
    grid = tf.stack([tf.reshape(cols, [-1]), tf.reshape(rows, [-1]),
                     tf.ones([height * width])])
    source = tf.einsum("bij,jn->bin", inverse, grid)
    x, y = _mirror(source[:, 0] + cx, width), _mirror(source[:, 1] + cy, height)
    x0, y0 = tf.floor(x), tf.floor(y)
    fx, fy = x - x0, y - y0
    x0 = tf.clip_by_value(tf.cast(x0, tf.int32), 0, width - 1)
    y0 = tf.clip_by_value(tf.cast(y0, tf.int32), 0, height - 1)
    x1, y1 = tf.minimum(x0 + 1, width - 1), tf.minimum(y0 + 1, height - 1)
    flat = tf.reshape(images, (batch, height * width, channels))
    out = 0.0
    for row, col, weight in ((y0, x0, (1 - fy) * (1 - fx)), (y0, x1, (1 - fy) * fx),
                             (y1, x0, fy * (1 - fx)), (y1, x1, fy * fx)):
        out += tf.gather(flat, row * width + col, batch_dims=1) * weight[..., None]
    return tf.reshape(out, (batch, height, width, channels))


def _mirror(position, size):
    """Reflects positions into [0, size - 1] about the first and last pixel centres."""
    if size == 1:
        return tf.zeros_like(position)
    period = 2.0 * (size - 1)
    position = tf.math.floormod(position, period)
    return tf.where(position > size - 1, period - position, position)


def _colour_matrix(draw, ops, channels):
    """Per image, the 4x4 homogeneous map of (r, g, b, 1), composed in the reference's order."""
    eye = tf.eye(4, batch_shape=(draw.batch,))
    grey = _GREY_PROJECTION
    matrix = eye
    if "brightness" in ops:
        offset = tf.where(draw.chosen("brightness", 0),
                          draw.normal("brightness", 1) * BRIGHTNESS_STD, 0.0)
        matrix = (eye + offset[:, None, None] * _BRIGHTNESS_OFFSET) @ matrix
    if "contrast" in ops:
        gain = tf.where(draw.chosen("contrast", 0),
                        tf.math.pow(2.0, draw.normal("contrast", 1) * CONTRAST_STD), 1.0)
        matrix = tf.linalg.diag(tf.stack([gain, gain, gain, tf.ones_like(gain)], -1)) @ matrix
    if "lumaflip" in ops:
        flip = tf.where(draw.chosen("lumaflip", 0), tf.floor(draw.uniform("lumaflip", 1) * 2), 0.0)
        matrix = (eye - 2 * grey * flip[:, None, None]) @ matrix
    # hue and saturation leave grey pixels as they are: skipped on one channel
    if "hue" in ops and channels > 1:
        angle = _angle(draw, "hue", 0, draw.p, HUE_MAX)
        matrix = _rotation_about_grey(angle) @ matrix
    if "saturation" in ops and channels > 1:
        factor = tf.where(draw.chosen("saturation", 0),
                          tf.math.pow(2.0, draw.normal("saturation", 1) * SATURATION_STD), 1.0)
        matrix = (grey + (eye - grey) * factor[:, None, None]) @ matrix
    return matrix


def _rotation_about_grey(angle):
    """Rodrigues' rotation by `angle` about the grey axis, as batched 4x4 matrices."""
    cos, sin = tf.cos(angle)[:, None, None], tf.sin(angle)[:, None, None]
    rotation = cos * tf.eye(3) + sin * _GREY_CROSS + (1 - cos) * _GREY_PROJECTION[:3, :3]
    return tf.pad(rotation, [[0, 0], [0, 1], [0, 1]]) + tf.pad([[[1.0]]], [[0, 0], [3, 0], [3, 0]])


def _recolour(images, matrix):
    if images.shape[-1] == 3:
        return (tf.einsum("bij,bhwj->bhwi", matrix[:, :3, :3], images)
                + matrix[:, None, None, :3, 3])
    # one channel: the grey image as (v, v, v), the result averaged back over r, g, b
    gain = tf.reduce_mean(tf.reduce_sum(matrix[:, :3, :3], axis=2), axis=1)
    offset = tf.reduce_mean(matrix[:, :3, 3], axis=1)
    return images * gain[:, None, None, None] + offset[:, None, None, None]
