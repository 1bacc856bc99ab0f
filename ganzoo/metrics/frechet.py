"""Fréchet distance between Gaussians fitted to two feature sets (FID; Heusel et al. 2017).

    d^2 = |mu_a - mu_b|^2 + tr(C_a) + tr(C_b) - 2 tr((C_a C_b)^(1/2))

The trace of the matrix square root is the numerically delicate part. `C_a C_b` is not
symmetric, and `scipy.linalg.sqrtm` of it can return complex values or fail when the
covariances are singular (fewer samples than feature dimensions, dead ReLU features).
The default method avoids that: with S = C_a^(1/2), `C_a C_b` is similar to the
symmetric positive semi-definite `S C_b S`, so the trace is the sum of the square roots
of its eigenvalues (`eigh`, real by construction). Eigenvalues that come out negative
through round-off are set to zero; ones that are negative beyond round-off mean the
inputs are not covariances, and are reported with a warning. `method="sqrtm"` follows
the reference TTUR implementation instead and reports what it does: an `eps`
offset when the product is singular, and an error when the imaginary part is large.
"""

import warnings

import numpy as np

# Relative size (to the largest eigenvalue) below which a negative eigenvalue is round-off.
NEGATIVE_EIGENVALUE_TOLERANCE = 1e-8
# Largest imaginary part of sqrtm's diagonal accepted as round-off (the TTUR value).
IMAGINARY_TOLERANCE = 1e-3


def frechet_distance(feats_a, feats_b, method="eigh", eps=1e-6):
    """Fréchet distance between Gaussians fitted to two feature sets (FID for Inception features).

    Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
    Local Nash Equilibrium", arXiv:1706.08500.

    Args:
        feats_a, feats_b: features, arrays of shape (N, D) and (M, D), at least 2 rows each.
        method: "eigh" (default, see the module docstring) or "sqrtm" (reference algorithm).
        eps: diagonal offset `method="sqrtm"` adds when the covariance product is singular.

    Example:
        >>> frechet_distance(real_features, fake_features)
    """
    feats_a, feats_b = check_feature_pair(feats_a, feats_b)
    return frechet_distance_from_moments(feats_a.mean(0), np.cov(feats_a, rowvar=False),
                                         feats_b.mean(0), np.cov(feats_b, rowvar=False),
                                         method=method, eps=eps)


def frechet_distance_from_moments(mu_a, cov_a, mu_b, cov_b, method="eigh", eps=1e-6):
    """Fréchet distance of N(mu_a, cov_a) and N(mu_b, cov_b); see `frechet_distance`.

    Takes the moments a streaming accumulator (`ganzoo.metrics.FeatureStats`) keeps,
    so the features of many samples never need to be in memory at once.
    """
    mu_a, mu_b = (np.atleast_1d(np.asarray(m, np.float64)) for m in (mu_a, mu_b))
    cov_a, cov_b = (np.atleast_2d(np.asarray(c, np.float64)) for c in (cov_a, cov_b))
    dim = mu_a.shape[0]
    if mu_b.shape != (dim,) or cov_a.shape != (dim, dim) or cov_b.shape != (dim, dim):
        raise ValueError(f"moments do not match: means {mu_a.shape} and {mu_b.shape}, "
                         f"covariances {cov_a.shape} and {cov_b.shape}.")
    if method == "eigh":
        trace_sqrt = _trace_sqrt_product_eigh(cov_a, cov_b)
    elif method == "sqrtm":
        trace_sqrt = _trace_sqrt_product_sqrtm(cov_a, cov_b, eps)
    else:
        raise ValueError(f"method must be 'eigh' or 'sqrtm'; got {method!r}.")
    diff = mu_a - mu_b
    distance = float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt)
    # Equal statistics give 0 up to round-off of the traces; only that much is clamped.
    scale = float(np.trace(cov_a) + np.trace(cov_b) + diff @ diff)
    if distance < 0:
        if distance < -1e-6 * max(scale, 1.0):
            warnings.warn(f"Fréchet distance came out negative ({distance:.3g}) beyond round-off; "
                          "the covariances are probably not positive semi-definite.",
                          RuntimeWarning, stacklevel=2)
        else:
            distance = 0.0
    return distance


def _psd_sqrt(matrix, what):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    values = _clip_negative(values, what)
    return (vectors * np.sqrt(values)) @ vectors.T


def _trace_sqrt_product_eigh(cov_a, cov_b):
    root_a = _psd_sqrt(cov_a, "the first covariance")
    inner = root_a @ cov_b @ root_a
    values = np.linalg.eigvalsh((inner + inner.T) / 2.0)
    return float(np.sum(np.sqrt(_clip_negative(values, "C_a^(1/2) C_b C_a^(1/2)"))))


def _clip_negative(values, what):
    largest = max(float(np.max(np.abs(values))), np.finfo(np.float64).tiny)
    worst = float(np.min(values))
    if worst < -NEGATIVE_EIGENVALUE_TOLERANCE * largest:
        warnings.warn(f"{what} has a negative eigenvalue {worst:.3g} (largest {largest:.3g}) "
                      "beyond round-off: it is not positive semi-definite. Negative eigenvalues "
                      "were set to 0.", RuntimeWarning, stacklevel=4)
    return np.maximum(values, 0.0)


def _trace_sqrt_product_sqrtm(cov_a, cov_b, eps):
    from scipy import linalg

    root = linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(root)):
        warnings.warn(f"sqrtm of the covariance product is singular; adding {eps:g} to the "
                      "diagonal of both covariances.", RuntimeWarning, stacklevel=3)
        offset = np.eye(cov_a.shape[0]) * eps
        root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    if np.iscomplexobj(root):
        imaginary = float(np.max(np.abs(np.diagonal(root).imag)))
        if imaginary > IMAGINARY_TOLERANCE:
            raise ValueError(f"sqrtm of the covariance product has imaginary parts up to "
                             f"{imaginary:.3g} on its diagonal; use method='eigh'.")
        root = root.real
    return float(np.trace(root))


def check_feature_pair(feats_a, feats_b, names=("feats_a", "feats_b"), min_rows=2):
    """Two feature arrays checked by `check_features`, with equal dimensions D."""
    feats_a = check_features(feats_a, names[0], min_rows)
    feats_b = check_features(feats_b, names[1], min_rows)
    if feats_a.shape[1] != feats_b.shape[1]:
        raise ValueError(f"feature dimensions differ: {feats_a.shape[1]} and {feats_b.shape[1]}.")
    return feats_a, feats_b


def check_features(features, name="features", min_rows=2):
    """`features` as a float64 (N, D) array with N >= min_rows, or ValueError."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D); got {features.shape}.")
    if features.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows; got {features.shape[0]}.")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return features
