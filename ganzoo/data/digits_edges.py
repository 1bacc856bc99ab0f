""""digits_edges": an embedded paired dataset, the digits' edge maps (A) and the digits (B).

The pix2pix paper's edges -> photo task (edges2shoes, edges2handbags) at digit scale,
offline: A is a deterministic edge map of B, so the pairs are aligned by construction
and a translation can be checked against the true digit (and the shipped digits
classifier can tell whether the class survived).
"""

import numpy as np
from scipy import ndimage

from ganzoo.data import digits

NAME = "digits_edges"
SPLITS = ("train", "test")
# An edge pixel's Sobel gradient magnitude, as a fraction of the image's strongest.
EDGE_THRESHOLD = 0.45


def sobel_gradients(images, mode="mirror"):
    """`(gy, gx)`: the 3x3 Sobel derivatives of a batch of 2D images `(N, H, W)`.

    Each is the central difference [-1, 0, 1] along one image axis and the smoothing
    [1, 2, 1] along the other, image by image (`scipy.ndimage.sobel` on the whole
    array would also smooth across the batch axis).
    """
    def derivative(axis):
        other = 3 - axis
        diff = ndimage.correlate1d(images, [-1.0, 0.0, 1.0], axis=axis, mode=mode)
        return ndimage.correlate1d(diff, [1.0, 2.0, 1.0], axis=other, mode=mode)

    return derivative(1), derivative(2)


def sobel_edges(images, threshold=EDGE_THRESHOLD):
    """Edge maps of images in [-1, 1]: 1 where the Sobel gradient is strong, else -1.

    The channel mean (gray) of each image is filtered with the 3x3 Sobel kernels along
    both axes (`sobel_gradients`, mirrored borders); a pixel is an edge when its
    gradient magnitude `sqrt(gx^2 + gy^2)` exceeds `threshold` times the largest
    magnitude in its image. Relative to each image's own strongest edge, so the maps
    look alike at every size (resized digits are blurrier the larger they are: at 32
    px about 30% of the pixels are edges, as at 64). A flat image has no edge.
    Computed in float64 NumPy: the same maps on every machine.

    Args:
        images: array (N, H, W, C) in [-1, 1].
        threshold: fraction of the image's largest gradient magnitude (0.45).

    Returns:
        float32 array (N, H, W, C): white (1) edges on black (-1), the gray edge map
        repeated over the C channels.
    """
    images = np.asarray(images, np.float64)
    if images.ndim != 4:
        raise ValueError(f"sobel_edges expects images of shape (N, H, W, C); got {images.shape}")
    gray = images.mean(axis=-1)
    magnitude = np.hypot(*sobel_gradients(gray))
    strongest = magnitude.max(axis=(1, 2), keepdims=True)
    edges = (magnitude > threshold * strongest) & (strongest > 0)
    maps = np.where(edges, 1.0, -1.0).astype(np.float32)[..., None]
    return np.repeat(maps, images.shape[-1], axis=-1)


def digits_edges_arrays(split="train", image_size=None, channels=None):
    """Return the pairs as (edges, digits, labels): A, B and the digits' classes.

    B is the digits split of `digits.digits_arrays` (1,437 "train", 360 "test"
    images, resized to `image_size` first); A is `sobel_edges(B)` at that size.
    A[i] and B[i] are the same digit.

    Args:
        split: "train" or "test".
        image_size: output side length; None keeps the native 8 (edges of 8x8 digits
            are coarse: 32 gives the strokes' outlines).
        channels: 1 (default) or 3.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} for {NAME!r}; expected one of {SPLITS}")
    images, labels = digits.digits_arrays(split, image_size, channels)
    return sobel_edges(images), images, labels
