"""Mode counts on stacked digits (1,000 modes), as in unrolled GANs and PacGAN.

The digits classifier labels each channel of a sample on its own; the sample's mode
is `100 * red + 10 * green + blue` (`ganzoo.data.stacked.mode_of`). From the mode
histogram, as PacGAN's stacked-MNIST code computes it (Lin et al. 2018,
arXiv:1712.04086, Table 2 in VEEGAN's setting, after Metz et al. 2017,
arXiv:1611.02163):

- modes: the number of modes with at least one sample;
- reverse KL: KL(q || uniform) = sum_m q_m log(1000 q_m) over the modes with q_m > 0,
  q the samples' mode frequencies: 0 for a perfect spread, log 1000 = 6.91 when every
  sample is one mode;

on 26,000 samples. Like PacGAN, each channel's class is the classifier's most probable
one, with no confidence threshold; `confident_fraction` is reported beside it. Even real
stacks do not reach KL 0 at that size (26 samples a mode on average, so the finite
sample alone gives about 999 / 52,000 = 0.019): 26,000 stacks of the digits test split
cover 1,000 modes at KL 0.0195 to 0.0206 (seeds 0-2), the floor to compare against.
"""

import numpy as np

from ganzoo.data.digits import NUM_CLASSES
from ganzoo.data.stacked import CHANNELS, NUM_MODES, mode_of
from ganzoo.metrics.extractors import check_images
from ganzoo.metrics.modes import coverage_from_counts
from ganzoo.metrics.registry import get_extractor

# PacGAN's protocol size (VEEGAN's setting): 26,000 generated samples per measurement.
NUM_SAMPLES = 26_000
# Top probability from which a channel counts as confidently classified, as in `mode_coverage`.
CONFIDENCE = 0.9
# Samples per classifier call (3 channel images each); bounds the memory of the copies.
CHUNK = 4096


def stacked_modes(images, classifier=None, batch_size=None, confidence=CONFIDENCE):
    """Modes covered and reverse KL to the uniform over 1,000 modes of stacked-digit samples.

    Lin et al. 2018 (PacGAN), Table 2; Metz et al. 2017 (unrolled GANs). Measure
    `NUM_SAMPLES` (26,000) samples for numbers comparable with PacGAN's table; any
    count works.

    Args:
        images: (N, H, W, 3) samples in [-1, 1], one digit per channel (red, green, blue).
        classifier: a `FeatureExtractor` with 10 class probabilities, or a name for
            `get_extractor`; None is the shipped digits classifier.
        batch_size: one-channel images per classifier call (None: the classifier's).
        confidence: top probability from which a channel counts as confident.

    Returns:
        dict with `modes` (modes with >= 1 sample), `reverse_kl` (KL(samples ||
        uniform) of the mode histogram, natural log), `histogram` (1,000 counts, a list
        of ints, index = mode), `num_samples` and `confident_fraction` (share of the
        3N channels classified with top probability >= `confidence`: low for blurry
        or ambiguous digits; the classifier is confident on uniform noise, which the
        mode count catches instead).

    Example:
        >>> stacked_modes(gan.generate(26_000, seed=0))["modes"]
    """
    images = _check_stacked(images)
    extractor = _classifier(classifier)
    probs = []
    for start in range(0, len(images), CHUNK):
        chunk = images[start:start + CHUNK]
        # (n, H, W, 3) -> (3n, H, W, 1): rows 3i, 3i+1, 3i+2 are sample i's red, green, blue.
        channels = np.moveaxis(chunk, -1, 1).reshape(-1, *chunk.shape[1:3], 1)
        probs.append(extractor.extract(channels, batch_size)[1])
    probs = np.concatenate(probs).reshape(len(images), CHANNELS, -1)
    counts = np.bincount(mode_of(probs.argmax(axis=-1)), minlength=NUM_MODES)
    # min_share=0: a mode counts with a single sample, the rule of VEEGAN and PacGAN.
    coverage = coverage_from_counts(counts, min_share=0.0)
    return {"modes": coverage.modes_covered, "reverse_kl": coverage.kl,
            "histogram": [int(count) for count in counts], "num_samples": len(images),
            "confident_fraction": float(np.mean(probs.max(axis=-1) >= confidence))}


def _check_stacked(images):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != CHANNELS:
        raise ValueError(
            f"stacked_modes measures stacked digits, images of shape (N, H, W, 3) with one "
            f"digit per channel; got shape {images.shape}. Gray digits (1 channel) are "
            "measured by ganzoo.metrics.mode_coverage; make the samples with a GAN trained "
            "on ganzoo.data.load('stacked_digits', ...).")
    return check_images(images)


def _classifier(classifier):
    extractor = get_extractor("digits" if classifier is None else classifier)
    if extractor.num_classes != NUM_CLASSES:
        raise ValueError(f"stacked_modes needs a classifier of the {NUM_CLASSES} digits; "
                         f"{extractor!r} has {extractor.num_classes} classes.")
    return extractor
