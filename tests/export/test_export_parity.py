"""Parity rules: relative to the reference's scale, each clause biting, wrong artifacts
failing on every trained entry, and failures reported and refused."""

import json

import numpy as np
import pytest

from ganzoo.export import export_generator, parity, runtime
from export_cases import CASES, ENTRIES, WRONG, exported, reference

PRECISIONS = [*parity.MAX_ABS, *parity.QUANTIZED]


@pytest.mark.parametrize("case", CASES)
def test_each_precision_is_judged_by_its_rule(case):
    _, _, manifest = exported(case)
    for artifact in manifest["artifacts"]:
        facts = artifact["parity"]
        if artifact["precision"] in parity.MAX_ABS:
            assert facts["rule"].startswith("max abs diff")
            assert facts["relative_max_abs_diff"] <= parity.MAX_ABS[artifact["precision"]]
        else:
            max_mae, min_snr = parity.QUANTIZED[artifact["precision"]]
            assert "SNR" in facts["rule"]
            assert facts["snr_db"] is None or facts["snr_db"] >= min_snr  # None: identical
            assert facts["relative_mae"] <= max_mae


# Rows of (precision, error that passes, error that fails), sizes in units of the
# reference's std: an offset moves every value by the size; outliers move every 50th
# value by it (MAE 0.03 std, SNR 13 dB). Each clause of each rule fails on its own.
OFFSET, OUTLIERS = "offset", "outliers"
CLAUSES = [("float32", (OFFSET, 0.5e-4), (OFFSET, 2e-4)),
           ("float16", (OFFSET, 1.5e-2), (OFFSET, 6e-2)),
           ("dynamic-int8", (OFFSET, 0.04), (OFFSET, 0.053)),  # MAE (SNR 25.5 dB passes)
           ("dynamic-int8", (OFFSET, 0.04), (OUTLIERS, 1.5)),  # SNR (MAE passes)
           ("int8", (OFFSET, 0.09), (OFFSET, 0.11)),           # MAE (SNR 19.2 dB passes)
           ("int8", (OFFSET, 0.09), (OUTLIERS, 1.5))]          # SNR (MAE passes)


def _disturbed(reference, how, size):
    std = reference.std()
    if how == OFFSET:
        return reference + size * std
    outputs = reference.copy().reshape(-1)
    outputs[::50] += size * std
    return outputs.reshape(reference.shape)


@pytest.mark.parametrize("precision, good, bad", CLAUSES)
@pytest.mark.parametrize("scale", [1.0, 1e-2, 1e2])  # 1e-2: about an untrained generator's
def test_compare_applies_each_rule_relative_to_the_reference(precision, good, bad, scale):
    reference = scale * np.random.default_rng(0).standard_normal((8, 8, 8, 1))
    assert parity.compare(_disturbed(reference, *good), reference, precision)["passed"]
    facts = parity.compare(_disturbed(reference, *bad), reference, precision)
    assert not facts["passed"] and facts["summary"].startswith("FAIL")


def test_compare_refuses_non_finite_misshapen_and_unjudgeable_outputs():
    reference = np.random.default_rng(0).standard_normal((4, 8, 8, 1))
    nan = reference.copy()
    nan[0, 0, 0, 0] = np.nan
    assert not parity.compare(nan, reference, "float32")["passed"]
    assert "differs" in parity.compare(reference[:2], reference, "float32")["summary"]
    constant = np.full_like(reference, 0.3)
    facts = parity.compare(constant, constant, "int8")
    assert not facts["passed"] and "one constant" in facts["summary"]
    facts = parity.compare(reference, nan, "float32")
    assert not facts["passed"] and "own outputs on the parity inputs are not finite" in (
        facts["summary"])
    with pytest.raises(ValueError, match="No parity rule for precision 'int4'; expected one "
                                         "of float32, float16, dynamic-int8, int8"):
        parity.compare(reference, reference, "int4")


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_zero_constant_or_shuffled_artifact_fails(entry, precision):
    # On the inputs where every real artifact passes
    # (test_export_formats.py::test_every_artifact_stays_in_parity_on_other_inputs),
    # with the trained outputs and with them shrunk to an untrained generator's scale.
    inputs, outputs = reference(entry)
    for scale in (1.0, 1e-2):
        for name, wrong in WRONG.items():
            facts = parity.check_artifact(lambda z: wrong(scale * outputs), inputs,
                                          scale * outputs, precision)
            assert not facts["passed"], (name, scale, facts["summary"])


def test_a_failing_artifact_is_reported_kept_marked_and_refused(tmp_path, monkeypatch):
    import ganzoo

    # An impossible float32 bound makes every float32 artifact fail parity.
    monkeypatch.setitem(parity.MAX_ABS, "float32", 0.0)
    generator = ganzoo.nets.dcgan_generator(8, (8, 8, 1), base_filters=8)
    manifest = export_generator(generator, tmp_path, quantize="none,float16")
    assert not manifest["passed"]
    failing = {a["file"]: a["parity"] for a in manifest["artifacts"] if not a["parity"]["passed"]}
    assert set(failing) == {"generator.onnx", "generator_float32.tflite"}
    assert all(p["summary"].startswith("FAIL") for p in failing.values())
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert not on_disk["passed"]
    with pytest.raises(ValueError, match="failed parity"):
        runtime.load(tmp_path / "generator.onnx")
    assert runtime.load(tmp_path / "generator.onnx", allow_failing=True)(
        np.zeros((1, 8), np.float32)).shape == (1, 8, 8, 1)
    runtime.load(tmp_path / "generator_float16.tflite")  # the passing one loads
