"""Parity rules: float bounds, int8 judged as images, failures reported and refused."""

import json

import numpy as np
import pytest

from export import export_generator, parity, runtime
from export_cases import exported


def test_int8_flavours_are_judged_as_images():
    _, _, manifest = exported("dcgan")
    for artifact in manifest["artifacts"]:
        facts = artifact["parity"]
        if artifact["precision"] in ("int8", "dynamic-int8"):
            assert "PSNR" in facts["rule"] and facts["psnr_db"] >= parity.INT8_MIN_PSNR_DB
            assert facts["mean_abs_error"] <= parity.INT8_MAX_MAE
        else:
            assert facts["rule"].startswith("max abs diff")


def test_compare_applies_each_rule():
    reference = np.zeros((4, 8, 8, 1), np.float32)
    assert parity.compare(reference + 5e-5, reference, "float32", [-1, 1])["passed"]
    assert not parity.compare(reference + 2e-4, reference, "float32", [-1, 1])["passed"]
    assert parity.compare(reference + 5e-3, reference, "float16", [-1, 1])["passed"]
    assert not parity.compare(reference + 2e-2, reference, "float16", [-1, 1])["passed"]
    assert parity.compare(reference + 0.02, reference, "int8", [-1, 1])["passed"]
    assert not parity.compare(reference + 0.2, reference, "int8", [-1, 1])["passed"]
    nan = reference.copy()
    nan[0, 0, 0, 0] = np.nan
    assert not parity.compare(nan, reference, "float32", [-1, 1])["passed"]
    assert not parity.compare(reference[:2], reference, "float32", [-1, 1])["passed"]


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


class _FakeDigits:
    """Stands in for ganzoo.metrics' digits classifier: class 0 for the first (float32)
    batch, then `later_class` for the artifact's batch."""

    def __init__(self, later_class):
        self.calls, self.later_class = 0, later_class

    def extract(self, images):
        label = 0 if self.calls == 0 else self.later_class
        self.calls += 1
        probs = np.zeros((len(images), 10), np.float32)
        probs[:, label] = 1.0
        return images.reshape(len(images), -1)[:, :4], probs


def _fake_metrics(monkeypatch, later_class):
    import sys
    import types

    module = types.ModuleType("ganzoo.metrics")
    module.get_extractor = lambda name: _FakeDigits(later_class)
    module.frechet_distance = lambda a, b: 0.5
    monkeypatch.setitem(sys.modules, "ganzoo.metrics", module)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    import ganzoo

    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0)
    gan.compile()
    return ganzoo.runs.save_run(gan, tmp_path_factory.mktemp("runs") / "digits",
                                config={"name": "tiny", "data": {"source": "digits"}})


@pytest.mark.parametrize("later_class, passed", [(0, True), (3, False)])
def test_int8_of_a_digits_generator_is_judged_by_classifier_agreement(
        digits_run, tmp_path, monkeypatch, later_class, passed):
    _fake_metrics(monkeypatch, later_class)
    manifest = export_generator(digits_run, tmp_path, formats="tflite", quantize="none,int8",
                                calibration_samples=8, quality_samples=16)
    float32, int8 = manifest["artifacts"]
    assert "digits" not in float32["parity"]  # float32 is held to 1e-4 instead
    digits = int8["parity"]["digits"]
    assert digits["classifier_agreement"] == float(passed) and digits["samples"] == 16
    assert digits["digits_fid_vs_float32"] == 0.5
    assert int8["parity"]["passed"] is passed and manifest["passed"] is passed
    assert "classifier agreement" in int8["parity"]["summary"]


def test_without_the_evaluation_stage_int8_is_judged_on_images_alone(digits_run, tmp_path,
                                                                     monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ganzoo.metrics", None)  # import fails
    manifest = export_generator(digits_run, tmp_path, formats="tflite", quantize="int8",
                                calibration_samples=8, quality_samples=16)
    assert manifest["passed"]
    assert "unavailable" in manifest["artifacts"][0]["parity"]["digits"]
