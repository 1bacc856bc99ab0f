"""Pictures in and out: image files read for translation, image grids (in [-1, 1])
and 2D scatter plots of generated samples."""

import math
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def read_images(paths, image_size, channels):
    """Read image files as one float32 batch `(N, size, size, channels)` in [-1, 1],
    resized the way `ganzoo.data` resizes training images.

    Args:
        paths: image files (PNG, JPEG, BMP, GIF).
        image_size: side length of the output images.
        channels: 1 or 3.
    """
    return np.stack([read_image(path, channels, image_size) for path in paths])


def read_image(path, channels, image_size=None):
    """Read one image file as float32 `(H, W, channels)` in [-1, 1]: at its own size,
    or resized to `image_size` square as `read_images` does.

    Args:
        path: an image file (PNG, JPEG, BMP, GIF).
        channels: 1 or 3.
        image_size: side length of the output image; None keeps the file's size.
    """
    import tensorflow as tf

    from ganzoo.data.pipeline import convert_channels, scale_images

    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=3,
                                   expand_animations=False)
    except tf.errors.OpError as error:
        raise ValueError(f"cannot read image {str(path)!r}: {op_error_text(error)}") from None
    image = tf.image.convert_image_dtype(image, tf.float32)
    if image_size is None:
        return (convert_channels(image, channels) * 2.0 - 1.0).numpy()
    return scale_images(image, image_size, channels).numpy().astype(np.float32)


def op_error_text(error):
    """A TensorFlow op error's message without the op's plumbing ("{{function_node
    ...}}", "[Op:DecodeImage] name:"): what went wrong, for a one-line error."""
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", error.message)
    return re.sub(r"\s*\[Op:\w+\].*$", "", text, flags=re.DOTALL).strip()


def save_image(image, path):
    """Write one `(H, W, C)` image in [-1, 1] as a PNG at `path`; returns the path."""
    pixels = to_uint8(image)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)
    return path


def to_uint8(images):
    """Map images in [-1, 1] to uint8 in [0, 255]."""
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_grid(images, columns=None, padding=1):
    """Tile `(N, H, W, C)` images in [-1, 1] into one uint8 `(rows*H', cols*W', C)` array.

    Args:
        images: a batch of images in [-1, 1], 1 or 3 channels.
        columns: images per row; default the smallest square that holds them all.
        padding: pixels of black between images.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError("make_grid takes images of shape (N, H, W, 1 or 3); "
                         f"got {images.shape}.")
    num, height, width, channels = images.shape
    columns = columns or math.ceil(math.sqrt(num))
    rows = math.ceil(num / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = np.zeros((rows * cell_h + padding, columns * cell_w + padding, channels), np.uint8)
    for index, image in enumerate(to_uint8(images)):
        top, left = (index // columns) * cell_h + padding, (index % columns) * cell_w + padding
        grid[top:top + height, left:left + width] = image
    return grid


def save_grid(images, path, columns=None, scale=1):
    """Write `images` as one PNG grid at `path`, upscaled `scale` times; returns the path."""
    grid = make_grid(images, columns)
    picture = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)
    return path


def save_scatter(points, path, reference=None, size=400, extent=None):
    """Draw 2D `points` (white) over optional `reference` points such as mode centres
    (red crosses) into a `size` x `size` PNG at `path`; returns the path.

    Args:
        points: array (N, 2).
        reference: optional array (K, 2) drawn on top.
        extent: half-width of the square shown around the origin; default fits the
            reference with a margin (or the points' 99th percentile).
    """
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"save_scatter takes points of shape (N, 2); got {points.shape}.")
    if extent is None:
        spread = np.abs(reference if reference is not None else points)
        extent = 1.25 * float(np.percentile(spread, 99 if reference is None else 100)) + 0.5
    to_pixels = lambda xy: (np.asarray(xy) / extent + 1.0) * (size - 1) / 2  # noqa: E731
    picture = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(picture)
    for x, y in to_pixels(points):
        draw.point((x, size - 1 - y), fill=(255, 255, 255))  # y grows upwards
    for x, y in to_pixels(reference if reference is not None else np.empty((0, 2))):
        y = size - 1 - y
        draw.line((x - 4, y, x + 4, y), fill=(255, 64, 64))
        draw.line((x, y - 4, x, y + 4), fill=(255, 64, 64))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path)
    return path


def save_samples(samples, path, reference=None, scale=4):
    """A PNG of generated samples: a grid for images (N, H, W, C), a scatter plot for
    2D points (N, 2) with optional `reference` points; returns the path."""
    samples = np.asarray(samples)
    if samples.ndim == 2 and samples.shape[1] == 2:
        return save_scatter(samples, path, reference)
    return save_grid(samples, path, scale=scale)


def save_columns(columns, path, scale=4):
    """Write image sets side by side as one PNG grid: row i holds image i of each
    column (e.g. input | translation | ground truth); returns the path.

    Args:
        columns: a list of `(N, H, W, C)` arrays in [-1, 1] with one N; gray columns
            (C = 1) beside colour ones are shown in gray (a Pix2Pix of edge maps to
            photos).
        scale: upscaling, so small images stay visible.
    """
    columns = [np.asarray(column) for column in columns]
    channels = max(column.shape[-1] for column in columns)
    images = np.stack([np.repeat(column, channels, axis=-1) if column.shape[-1] == 1
                       else column for column in columns], axis=1)
    return save_grid(images.reshape(-1, *images.shape[2:]), path, columns=len(columns),
                     scale=scale)


def translation_columns(translator, images_a, images_b):
    """The columns `a | a2b | back to A | b | b2a | back to B` of a CycleGAN's
    translations and cycle reconstructions, as `save_columns` takes them.

    The two domains are cut to the same number of images.
    """
    num = min(len(images_a), len(images_b))
    columns = []
    for images, there, back in ((images_a[:num], "a2b", "b2a"), (images_b[:num], "b2a", "a2b")):
        translated = translator.translate(images, there)
        columns += [images, translated, translator.translate(translated, back)]
    return columns
