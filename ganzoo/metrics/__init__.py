"""Metrics for GANs: FID, KID, Inception Score, precision/recall, mode coverage
(of a labelled domain, and of the 2D Gaussian mixtures); for class-conditional GANs,
class accuracy, intra-class FID and CAS (`conditional`); for super-resolution, PSNR,
SSIM and sharpness (`super_resolution`); for paired translation, agreement of a
classifier with the true class (`paired_translation`).

Every metric is a function over feature arrays (N, D) or class probabilities (N, C);
feature extractors turn images in [-1, 1] into them; `FeatureStats` streams many
samples; `evaluate` makes the table `ganzoo eval` prints, with its protocol.

    >>> from ganzoo import metrics
    >>> extractor = metrics.get_extractor("digits")          # shipped, offline
    >>> real, _ = extractor.extract(real_images)
    >>> fake, probs = extractor.extract(gan.generate(1000, seed=0))
    >>> metrics.frechet_distance(real, fake), metrics.kid(real, fake)
    >>> metrics.inception_score(probs), metrics.precision_recall(real, fake, k=3)
    >>> metrics.compare(gan.generate(1000, seed=0), real_images)   # all of them, with protocol

Images that are not digits need another extractor: "inception" (its weights downloaded,
or a local file), or your own model, `get_extractor("model.keras", layer="features")`,
a `keras.Model`, or a function `images -> features`.
"""

from ganzoo.metrics.evaluate import compare, evaluate_gan, feature_stats
from ganzoo.metrics.extractors import ExtractorError, FeatureExtractor, check_images
from ganzoo.metrics.callable_extractor import CallableExtractor
from ganzoo.metrics.keras_model_extractor import KerasModelExtractor
from ganzoo.metrics.registry import extractor_names, get_extractor, register_extractor
from ganzoo.metrics.frechet import frechet_distance, frechet_distance_from_moments
from ganzoo.metrics.classifier_score import inception_score
from ganzoo.metrics.conditional import (ClassificationAccuracyScore, ConditionalAccuracy,
                                        IntraClassFID, classification_accuracy_score,
                                        conditional_accuracy, conditional_samples,
                                        intra_class_fid)
from ganzoo.metrics.kernel_distance import kid, mmd2_unbiased, polynomial_kernel
from ganzoo.metrics.mixture_modes import mixture_mode_metrics
from ganzoo.metrics.modes import (ModeCoverage, class_distribution, coverage_from_counts,
                                  mode_coverage)
from ganzoo.metrics.manifold import precision_recall
from ganzoo.metrics.stacked import stacked_modes
from ganzoo.metrics.super_resolution import psnr, sharpness, sr_report, ssim
from ganzoo.metrics.streaming import FeatureStats, Reservoir, RunningMoments

__all__ = [
    "frechet_distance", "frechet_distance_from_moments", "kid", "mmd2_unbiased",
    "polynomial_kernel", "inception_score", "precision_recall", "mode_coverage",
    "coverage_from_counts", "class_distribution", "ModeCoverage", "mixture_mode_metrics",
    "stacked_modes", "psnr", "ssim", "sharpness", "sr_report",
    "FeatureStats",
    "RunningMoments", "Reservoir", "FeatureExtractor", "get_extractor", "register_extractor",
    "extractor_names", "check_images", "compare", "evaluate_gan", "feature_stats",
    "ExtractorError", "KerasModelExtractor", "CallableExtractor", "conditional_accuracy",
    "intra_class_fid", "classification_accuracy_score", "conditional_samples",
    "ConditionalAccuracy", "IntraClassFID", "ClassificationAccuracyScore",
]
