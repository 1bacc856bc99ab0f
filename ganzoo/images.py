"""Image grids: turn a batch of generated images in [-1, 1] into one PNG."""

import math
from pathlib import Path

import numpy as np
from PIL import Image


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
