"""Parity: every artifact against the Keras generator on the same fixed inputs (for a
class-conditional generator, the same latents and labels, every class among them).

Every rule is relative to the reference's own scale, the standard deviation of the
Keras generator's outputs on the parity inputs: an untrained generator's outputs stay
below about 0.015, so under absolute bounds an artifact that returned zeros passed.
float32 and float16 artifacts are held to a max abs difference. Quantized int8
artifacts cannot match element-wise; they are judged on mean abs error and
signal-to-noise ratio, and for grey images the digits classifier of ganzoo.metrics
must agree with the float32 generator's classes (digits-FID against float32 is
recorded). A failing artifact is recorded as failing (and refused by `ganzoo.export.runtime`).
An anomaly detector's scorer is judged by `score_parity`, on `figures` too.
"""

import math

import numpy as np

from ganzoo.export.sources import at_least_every_class, count, drawn_from

# Bounds are in units of the reference's std, set from `.venv/bin/python
# tests/export/parity_errors.py`: every trained entry, 3 x 256 inputs, int8 calibrated
# on 16 and on 200 inputs; the worst entry is quoted. On the same inputs a zero, a
# constant (the reference mean) or a batch-shuffled artifact scores at best max abs
# diff 1.42, MAE 0.56 and SNR 1.5 dB: far outside every bound.
# float32: worst 2.9e-6 (cyclegan-digits), a 35x margin.
# float16: worst 1.05e-2 (vanilla-grid25), a 2.9x margin.
MAX_ABS = {"float32": 1e-4, "float16": 3e-2}
# (max MAE, min SNR in dB), SNR = 10 log10(var(reference) / MSE). No max abs diff:
# int8 rounding leaves a few far-off values (up to 1.04 std, vanilla-digits int8).
# dynamic-int8: worst MAE 0.016 and SNR 31.2 dB (vanilla-grid25): 3x and 6 dB margins.
# int8: worst MAE 0.032 and SNR 22.1 dB (vanilla-grid25): 3x and 6 dB margins.
QUANTIZED = {"dynamic-int8": (0.05, 25.0), "int8": (0.1, 16.0)}
# Where ganzoo.metrics is installed: share of images the digits classifier puts in the
# same class as the float32 generator's image of the same input. Measured on 256
# inputs: worst 0.977 (dcgan-digits and vanilla-digits int8); a batch-shuffled int8
# artifact scores 0.08 to 0.16, about chance for ten classes.
MIN_AGREEMENT = 0.9
PARITY_SEED = 0
QUALITY_SEED = 2


def compare(outputs, reference, precision, value_range=None):
    """Parity facts of `outputs` against `reference`; `passed` applies the rule.

    `value_range` (the declared output range, else the reference's) only sets the
    recorded PSNR; the rules use the reference's std.
    """
    if precision not in MAX_ABS and precision not in QUANTIZED:
        raise ValueError(f"No parity rule for precision {precision!r}; expected one of "
                         f"{', '.join([*MAX_ABS, *QUANTIZED])}.")
    facts = figures(outputs, reference, value_range)
    if "passed" in facts:  # refused
        return facts
    scale = facts["reference_std"]
    if precision in MAX_ABS:
        bound = MAX_ABS[precision]
        facts["rule"] = f"max abs diff <= {bound:g} std"
        facts["passed"] = facts["finite"] and facts["relative_max_abs_diff"] <= bound
    else:
        max_mae, min_snr = QUANTIZED[precision]
        facts["rule"] = f"MAE <= {max_mae:g} std and SNR >= {min_snr:g} dB"
        facts["passed"] = (facts["finite"] and facts["relative_mae"] <= max_mae
                           and _db(facts["snr_db"]) >= min_snr)
    facts["summary"] = (f"{'pass' if facts['passed'] else 'FAIL'}: max abs diff "
                        f"{facts['max_abs_diff']:.2e} ({facts['relative_max_abs_diff']:.2g} "
                        f"std), MAE {facts['mean_abs_error']:.2e} "
                        f"({facts['relative_mae']:.2g} std), SNR {_text(facts['snr_db'])} dB; "
                        f"rule: {facts['rule']}, std {scale:.3g} of the Keras outputs")
    return facts


def figures(outputs, reference, value_range=None, what="the Keras generator's own outputs"):
    """The error figures of `outputs` against `reference`, no rule applied: max abs
    difference, MAE, PSNR and SNR, and the first two in units of the reference's std.

    Returns a refusal (`passed` False, `summary`) when nothing can be measured: other
    shapes, a reference that is not finite or that is one constant. `what` names the
    reference in those messages.
    """
    outputs = np.asarray(outputs, np.float64)
    reference = np.asarray(reference, np.float64)
    if outputs.shape != reference.shape:
        return _refused(f"output shape {outputs.shape} differs from the shape of {what}, "
                        f"{reference.shape}")
    if not np.all(np.isfinite(reference)):
        return _refused(f"{what} on the parity inputs are not finite (NaN or inf)")
    if not np.ptp(reference) > 0:
        return _refused(f"{what} on the parity inputs are one constant, and every rule is "
                        "relative to their spread; export a model whose outputs depend on "
                        "its input")
    scale = float(np.std(reference))
    error = outputs - reference
    span = (value_range[1] - value_range[0]) if value_range else float(np.ptp(reference))
    mse = float(np.mean(error ** 2))
    facts = {"max_abs_diff": float(np.max(np.abs(error))),
             "mean_abs_error": float(np.mean(np.abs(error))),
             # None for identical outputs: JSON has no infinity.
             "psnr_db": None if mse == 0 else 10 * math.log10(span ** 2 / mse),
             "reference_std": scale,
             "snr_db": None if mse == 0 else 10 * math.log10(scale ** 2 / mse),
             "finite": bool(np.all(np.isfinite(outputs)))}
    facts["relative_max_abs_diff"] = facts["max_abs_diff"] / scale
    facts["relative_mae"] = facts["mean_abs_error"] / scale
    return facts


def digits_agreement(generator, inputs, reference):
    """digits-FID and classifier agreement of an artifact against the float32 generator.

    Uses ganzoo.metrics' shipped digits classifier (the evaluation stage) on the same
    inputs run through both; None when outputs are not grey images. The rule: at least
    `MIN_AGREEMENT` of the artifact's images get the float32 image's class.
    """
    if reference.ndim != 4 or reference.shape[-1] != 1:
        return None
    try:
        from ganzoo.metrics import frechet_distance, get_extractor

        extractor = get_extractor("digits")
        ref_features, ref_probs = extractor.extract(reference)
        features, probs = extractor.extract(np.clip(generator(inputs), -1.0, 1.0))
    except Exception as error:  # the evaluation stage is optional here, never fatal
        return {"unavailable": f"{type(error).__name__}: {error}"}
    agreement = float(np.mean(np.argmax(probs, 1) == np.argmax(ref_probs, 1)))
    return {"samples": int(count(inputs)), "classifier_agreement": agreement,
            "digits_fid_vs_float32": float(frechet_distance(ref_features, features)),
            "rule": f"classifier agreement >= {MIN_AGREEMENT:g}",
            "passed": agreement >= MIN_AGREEMENT}


def _refused(reason):
    return {"passed": False, "summary": f"FAIL: {reason}"}


def _db(value):
    return math.inf if value is None else value


def _text(db):
    return "inf" if db is None else f"{db:.1f}"


def check_artifact(generator, inputs, reference, precision, value_range=None):
    """Run a loaded artifact (see ganzoo.export.runtime) on `inputs` and compare."""
    try:
        outputs = generator(inputs)
    except Exception as error:  # a runtime that cannot run the file is a failure too
        return _refused(f"the runtime could not run it: {error}")
    return compare(outputs, reference, precision, value_range)


class GeneratorCheck:
    """How the export pipeline checks a generator's artifacts: fixed inputs from its own
    distribution (`PARITY_SEED`), compared with `compare`; for quantized flavours of a
    trained digits generator, also the digits classifier (`digits_agreement`).

    Called with a loaded artifact and its precision, returns the artifact's parity
    record; `manifest_facts` describes the inputs for the manifest.
    """

    def __init__(self, source, pairs, tflite_batch, parity_samples=32, quality_samples=256):
        parity_samples = at_least_every_class(source, parity_samples)
        if tflite_batch:  # whole batches for fixed-batch TFLite files
            parity_samples = -(-parity_samples // tflite_batch) * tflite_batch
            quality_samples = -(-quality_samples // tflite_batch) * tflite_batch
        self.inputs = source.inputs(parity_samples, PARITY_SEED)
        self.reference = source.predict(self.inputs)
        self.value_range = source.output_range()
        self.manifest_facts = {"parity_inputs": {"samples": parity_samples, "seed": PARITY_SEED,
                                                 **drawn_from(source)}}
        self.quality = None
        # The digits classifier says something only about generators trained on digits.
        if (quality_samples and source.origin.get("trained")
                and source.origin.get("data") == "digits"
                and any(q in ("dynamic", "int8") for _, q in pairs)):
            quality_inputs = source.inputs(quality_samples, QUALITY_SEED)
            self.quality = (quality_inputs, source.predict(quality_inputs))
            self.manifest_facts["quality_inputs"] = {"samples": quality_samples,
                                                     "seed": QUALITY_SEED}

    def __call__(self, generator, precision):
        checked = check_artifact(generator, self.inputs, self.reference, precision,
                                 self.value_range)
        if self.quality is None or precision in MAX_ABS or not checked["passed"]:
            return checked
        agreement = digits_agreement(generator, *self.quality)
        if agreement is not None:
            checked["digits"] = agreement
            if "passed" in agreement:
                checked["passed"] = agreement["passed"]
                checked["summary"] = (("pass: " if agreement["passed"] else "FAIL: ")
                                      + checked["summary"].removeprefix("pass: ")
                                      + f"; digits classifier agreement "
                                      f"{agreement['classifier_agreement']:.3f}, digits-FID vs "
                                      f"float32 {agreement['digits_fid_vs_float32']:.3g} "
                                      f"({agreement['rule']})")
        return checked
