"""Parity: every artifact against the Keras generator on the same fixed inputs.

float32 artifacts must match within 1e-4 (max abs difference) and float16 within
1e-2. Quantized int8 artifacts cannot match element-wise; they are judged as images:
mean abs error and PSNR over the output's value range must stay within the bounds
below, and for grey images the digits classifier of ganzoo.metrics must agree with
the float32 generator's classes (digits-FID against float32 is recorded). A failing artifact is recorded as failing (and refused by `export.runtime`).
"""

import math

import numpy as np

MAX_ABS = {"float32": 1e-4, "float16": 1e-2}
# Image bounds for int8 flavours, on outputs in [-1, 1] (range 2): a mean abs error
# of 0.05 is 2.5% of the range, about 3 grey levels of 255.
INT8_MAX_MAE = 0.05
INT8_MIN_PSNR_DB = 25.0
# Where ganzoo.metrics is installed: share of images the digits classifier puts in the
# same class as the float32 generator's image of the same input.
MIN_AGREEMENT = 0.9
PARITY_SEED = 0
QUALITY_SEED = 2


def compare(outputs, reference, precision, value_range=None):
    """Parity facts of `outputs` against `reference`; `passed` applies the rule."""
    outputs = np.asarray(outputs, np.float64)
    reference = np.asarray(reference, np.float64)
    if outputs.shape != reference.shape:
        return {"passed": False, "summary": f"output shape {outputs.shape} differs from the "
                f"Keras generator's {reference.shape}"}
    error = outputs - reference
    span = (value_range[1] - value_range[0]) if value_range else float(np.ptp(reference)) or 1.0
    mse = float(np.mean(error ** 2))
    facts = {"max_abs_diff": float(np.max(np.abs(error))),
             "mean_abs_error": float(np.mean(np.abs(error))),
             # None for identical outputs: JSON has no infinity.
             "psnr_db": None if mse == 0 else 10 * math.log10(span ** 2 / mse),
             "finite": bool(np.all(np.isfinite(outputs)))}
    if precision in MAX_ABS:
        bound = MAX_ABS[precision]
        facts["rule"] = f"max abs diff <= {bound:g}"
        facts["passed"] = facts["finite"] and facts["max_abs_diff"] <= bound
    else:
        mae_bound = INT8_MAX_MAE * span / 2
        facts["rule"] = f"mean abs error <= {mae_bound:g} and PSNR >= {INT8_MIN_PSNR_DB:g} dB"
        facts["passed"] = (facts["finite"] and facts["mean_abs_error"] <= mae_bound
                           and _psnr(facts) >= INT8_MIN_PSNR_DB)
    psnr = "inf" if facts["psnr_db"] is None else f"{facts['psnr_db']:.1f}"
    facts["summary"] = (f"{'pass' if facts['passed'] else 'FAIL'}: max abs diff "
                        f"{facts['max_abs_diff']:.2e}, MAE {facts['mean_abs_error']:.2e}, "
                        f"PSNR {psnr} dB ({facts['rule']})")
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
    return {"samples": int(len(inputs)), "classifier_agreement": agreement,
            "digits_fid_vs_float32": float(frechet_distance(ref_features, features)),
            "rule": f"classifier agreement >= {MIN_AGREEMENT:g}",
            "passed": agreement >= MIN_AGREEMENT}


def _psnr(facts):
    return math.inf if facts["psnr_db"] is None else facts["psnr_db"]


def check_artifact(generator, inputs, reference, precision, value_range=None):
    """Run a loaded artifact (see export.runtime) on `inputs` and compare."""
    try:
        outputs = generator(inputs)
    except Exception as error:  # a runtime that cannot run the file is a failure too
        return {"passed": False, "summary": f"FAIL: the runtime could not run it: {error}"}
    return compare(outputs, reference, precision, value_range)
