"""int8 flavours of digits generators are also judged by the digits classifier's agreement
with the float32 images: the shipped classifier on a trained entry, and a stand-in for
the rule's edges."""

import numpy as np
import pytest

from ganzoo.export import export_generator, parity, runtime
from export_cases import WRONG, exported, latent_or_images, tiny_dcgan_run


def test_the_shipped_classifier_agrees_with_a_trained_int8_export():
    _, _, manifest = exported("dcgan-digits")
    for artifact in manifest["artifacts"]:
        if artifact["precision"] in parity.QUANTIZED:
            digits = artifact["parity"]["digits"]
            assert "unavailable" not in digits  # the real classifier ran
            assert digits["samples"] == 256 and digits["passed"]
            assert digits["classifier_agreement"] >= 0.95, artifact["file"]


# The digits-FID of a shuffled batch equals the right one's (it compares distributions);
# agreement compares image by image, so a wrong input-to-image map cannot pass.
@pytest.mark.parametrize("how", ["right", *WRONG])
def test_classifier_agreement_tells_a_right_artifact_from_a_wrong_one(how):
    generator, folder, _ = exported("dcgan-digits")
    inputs = latent_or_images(generator, 128, seed=7)
    reference = np.asarray(generator(inputs, training=False))
    artifact = runtime.load(folder / "generator_int8.tflite")
    wrong = WRONG.get(how, lambda images: images)
    digits = parity.digits_agreement(lambda z: wrong(artifact(z)), inputs, reference)
    assert "unavailable" not in digits
    if how == "right":
        assert digits["passed"] and digits["classifier_agreement"] >= 0.95
    else:
        assert not digits["passed"] and digits["classifier_agreement"] <= 0.3


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
    return tiny_dcgan_run(tmp_path_factory.mktemp("runs") / "digits",
                          {"name": "tiny", "data": {"source": "digits"}})


@pytest.mark.parametrize("later_class, passed", [(0, True), (3, False)])
def test_int8_of_a_digits_generator_is_judged_by_classifier_agreement(
        digits_run, tmp_path, monkeypatch, later_class, passed):
    _fake_metrics(monkeypatch, later_class)
    manifest = export_generator(digits_run, tmp_path, formats="tflite", quantize="none,int8",
                                calibration_samples=8, quality_samples=16)
    float32, int8 = manifest["artifacts"]
    assert "digits" not in float32["parity"]  # float32 is held to a max abs diff instead
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
