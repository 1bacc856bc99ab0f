"""Latent vectors a user hands to a GAN, and the spherical path between two of them.

Example:
    >>> path = slerp(gan.prior_latents(1, seed=0)[0], gan.prior_latents(1, seed=1)[0],
    ...              np.linspace(0, 1, 8))
    >>> images = gan.generate(latents=path)
"""

import numpy as np


def checked_latents(latents, latent_dim, num=None, seed=None):
    """`latents` as float32 `(n, latent_dim)`, or a ValueError naming what is wrong.

    Args:
        latents: array-like of latent vectors.
        latent_dim: the generator's latent size.
        num: optional count the caller also gave; must equal `len(latents)`.
        seed: must be None: a seed draws latents, which contradicts giving them.
    """
    if seed is not None:
        raise ValueError("seed draws the latent vectors, so it has no effect when latents are "
                         "given: pass one or the other.")
    array = np.asarray(latents)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"latents must be numbers; got an array of dtype {array.dtype}.")
    if array.ndim != 2 or array.shape[1] != latent_dim:
        hint = " For one vector v, pass v[None]." if array.shape == (latent_dim,) else ""
        raise ValueError(f"latents must have shape (n, {latent_dim}): n vectors of this GAN's "
                         f"latent_dim {latent_dim}; got shape {array.shape}.{hint}")
    if num is not None and num != len(array):
        raise ValueError(f"num={num} but {len(array)} latent vectors were given; leave num out "
                         "(it is len(latents)) or pass that many vectors.")
    if not np.all(np.isfinite(array)):
        raise ValueError("latents contain NaN or infinite values.")
    return array.astype("float32")


def slerp(a, b, fractions):
    """Spherical linear interpolation between vectors `a` and `b`.

    Shoemake 1985, used for GAN latents by White 2016 ("Sampling Generative
    Networks"): `(sin((1 - t) w) a + sin(t w) b) / sin(w)`, with `w` the angle between
    `a` and `b`. Gaussian latents of high dimension lie near a sphere; a straight line
    between two of them cuts inside it (its midpoint is ~0.7 times as long), this path
    follows it: vectors of equal norm keep that norm all along. Parallel, opposite or
    zero vectors have no such arc and are interpolated linearly.

    Args:
        a, b: the ends, shape `(dim,)`.
        fractions: positions along the path, 0 at `a` and 1 at `b`.

    Returns:
        float32 array `(len(fractions), dim)`; fractions 0 and 1 give `a` and `b` exactly.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(fractions, np.float64)[:, None]
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    omega = np.arccos(np.clip(np.dot(a, b) / norms, -1.0, 1.0)) if norms else 0.0
    if np.sin(omega) < 1e-6:
        return ((1.0 - t) * a + t * b).astype("float32")
    path = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return path.astype("float32")


def truncated_normal(rng, shape, threshold):
    """N(0, 1) draws of `shape` with every entry resampled until |z| <= `threshold`.

    BigGAN's truncation trick (Brock et al. 2019, section 3.1): less variety, each
    sample closer to the prior's mode. NumPy, from `rng` (a `np.random.Generator`),
    so the same seed gives the same latents.
    """
    check_threshold(threshold)
    z = rng.standard_normal(shape)
    outside = np.abs(z) > threshold
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > threshold
    return z.astype("float32")


def check_threshold(threshold):
    """Refuse a truncation threshold that is not a positive finite number."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) or (
            not np.isfinite(threshold) or threshold <= 0):
        raise ValueError(f"truncation must be a positive threshold on |z| (BigGAN uses 0.04 to "
                         f"2; smaller: less variety), or None for none; got {threshold!r}.")
