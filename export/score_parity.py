"""Parity of an exported scorer: its scores against the Keras detector's, and the task's AUROC.

Every artifact scores the task's test images (normal and anomalous, see
`export.scorers`); the reference is `detector.score` on the same images. Errors are in
units of the reference scores' std (`parity.figures`), since scores have no common
scale (a tiny GANomaly's latent distances lie near 1e-6 after one epoch of training,
f-AnoGAN's near 0.5).

- float32 and float16 must match score by score: max abs difference.
- Quantized scores cannot; what a device does with scores is rank them against a
  threshold, so they are judged on their order (Spearman's rank correlation with the
  reference) and their mean error (MAE: a threshold taken from the Keras detector's
  normal scores must still mean the same).
- With anomaly flags (a task), the artifact's AUROC must stay within
  `MAX_AUROC_DIFF` of the Keras detector's, at every precision. AUROC alone cannot
  judge an artifact: a detector with AUROC near 0.5 (a briefly trained one) keeps it
  whatever the artifact returns, which is why the rules above come first.

A failing artifact is recorded as failing, and `ganzoo.export.runtime` refuses it.
"""

import numpy as np

from ganzoo.export import parity

# Bounds in units of the reference scores' std, set from measurements on the five
# detectors: tiny ones at 16x16 (one epoch on 64 digits) and ones trained on the digits
# task at 32x32 (base_filters 32, 10-15 epochs); 360 test images each, int8 calibrated
# on 16 and on 200 normal images. On the same images a zero, constant (the mean) or
# shuffled artifact scores at best max abs diff 2.4 std, MAE 0.74 std and rank
# correlation 0.13: far outside every bound.
# float32: worst 1.7e-5 (trained GANomaly, TFLite; ONNX 9.9e-6): a 6x margin.
# float16: worst 4.0e-3 (trained GANomaly): a 7.5x margin.
MAX_ABS = {"float32": 1e-4, "float16": 3e-2}
# (max MAE in std, min Spearman rank correlation).
# dynamic-int8: worst MAE 0.042 and rank correlation 0.998 (trained GANomaly).
# int8: worst MAE 0.19 (trained ConvAutoencoder; 0.37 calibrated on 16 images) and rank
# correlation 0.995 (0.973 on 16).
QUANTIZED = {"dynamic-int8": (0.15, 0.99), "int8": (0.3, 0.95)}
# The AUROC's own sampling error on the digits task (36 anomalies, 324 normal images;
# Hanley and McNeil's estimate) is 0.012 at AUROC 0.99 and 0.05 at 0.75: an export that
# moves the AUROC by at most 0.01 is as good a detector as this test set can tell.
# Measured: float32 and float16 at most 1e-4; dynamic-int8 0.0075 (trained GANomaly);
# int8 calibrated on 200 images at most 0.004, except the trained ConvAutoencoder's
# 0.021, which fails (int8 costs that detector real AUROC), and 0.038 on 16 images.
MAX_AUROC_DIFF = 0.01
WHAT = "the Keras detector's own scores"


def compare(scores, reference, precision, is_anomaly=None):
    """Parity facts of an artifact's `scores` against the detector's `reference` scores;
    `passed` applies the rules of `precision` (and the AUROC rule given `is_anomaly`)."""
    if precision not in MAX_ABS and precision not in QUANTIZED:
        raise ValueError(f"No score parity rule for precision {precision!r}; expected one "
                         f"of {', '.join([*MAX_ABS, *QUANTIZED])}.")
    scores = np.asarray(scores, np.float64)
    reference = np.asarray(reference, np.float64)
    facts = parity.figures(scores, reference, what=WHAT)
    if "passed" in facts:  # refused: nothing to measure
        return facts
    nonzero = np.abs(reference) > 0
    facts["max_relative_error"] = (float(np.max(np.abs(scores - reference)[nonzero]
                                                / np.abs(reference[nonzero])))
                                   if nonzero.any() else None)
    facts["rank_correlation"] = _spearman(scores, reference)
    checks = []
    if precision in MAX_ABS:
        bound = MAX_ABS[precision]
        checks.append((facts["relative_max_abs_diff"] <= bound,
                       f"max abs diff <= {bound:g} std"))
    else:
        max_mae, min_rank = QUANTIZED[precision]
        checks.append((facts["relative_mae"] <= max_mae, f"MAE <= {max_mae:g} std"))
        checks.append((facts["rank_correlation"] is not None
                       and facts["rank_correlation"] >= min_rank,
                       f"rank correlation >= {min_rank:g}"))
    if is_anomaly is not None:
        from ganzoo.anomaly import protocol

        is_anomaly = np.asarray(is_anomaly, bool)
        facts["auroc_keras"] = protocol.auroc(is_anomaly, reference)
        facts["auroc"] = (protocol.auroc(is_anomaly, scores)
                          if np.all(np.isfinite(scores)) else None)
        facts["auroc_diff"] = (None if facts["auroc"] is None
                               else facts["auroc"] - facts["auroc_keras"])
        checks.append((facts["auroc_diff"] is not None
                       and abs(facts["auroc_diff"]) <= MAX_AUROC_DIFF,
                       f"|AUROC diff| <= {MAX_AUROC_DIFF:g}"))
    facts["rule"] = " and ".join(rule for _, rule in checks)
    facts["passed"] = facts["finite"] and all(ok for ok, _ in checks)
    auroc = ("" if is_anomaly is None else
             f", AUROC {_number(facts['auroc'], '.4f')} vs Keras "
             f"{facts['auroc_keras']:.4f}")
    facts["summary"] = (f"{'pass' if facts['passed'] else 'FAIL'}: max abs diff "
                        f"{facts['max_abs_diff']:.2e} ({facts['relative_max_abs_diff']:.2g} "
                        f"std), MAE {facts['relative_mae']:.2g} std, rank correlation "
                        f"{_number(facts['rank_correlation'], '.4f')}{auroc}; rule: "
                        f"{facts['rule']}, std {facts['reference_std']:.3g} of the Keras "
                        "scores")
    return facts


def check_artifact(scorer, images, reference, precision, is_anomaly=None):
    """Run a loaded artifact (see ganzoo.export.runtime) on `images` and compare."""
    try:
        scores = scorer(images)
    except Exception as error:  # a runtime that cannot run the file is a failure too
        return {"passed": False, "summary": f"FAIL: the runtime could not run it: {error}"}
    return compare(scores, reference, precision, is_anomaly)


def _spearman(scores, reference):
    # None when undefined (a constant artifact), which no rule accepts.
    if not np.all(np.isfinite(scores)) or not np.ptp(scores) > 0:
        return None
    from scipy.stats import spearmanr

    return float(spearmanr(scores, reference)[0])


def _number(value, spec):
    return "n/a" if value is None else format(value, spec)


class ScoreCheck:
    """How the export pipeline checks a scorer's artifacts: the parity images of its
    `scorers.ScorerSource` (the task's test images), against `detector.score` on them.

    Called with a loaded artifact and its precision, returns the artifact's parity
    record; `manifest_facts` describes the images for the manifest.
    """

    def __init__(self, source):
        self.images, self.is_anomaly = source.images, source.is_anomaly
        self.reference = source.predict(self.images)
        self.manifest_facts = {"parity_inputs": source.parity_facts()}

    def __call__(self, scorer, precision):
        return check_artifact(scorer, self.images, self.reference, precision, self.is_anomaly)
