"""manifest.json describes the export, and its sha256 values catch tampering."""

import json
import shutil

import pytest

from ganzoo.export import runtime
from export_cases import exported


def test_manifest_describes_source_input_output_and_artifacts():
    generator, folder, manifest = exported("dcgan")
    on_disk = json.loads((folder / "manifest.json").read_text())
    assert on_disk == json.loads(json.dumps(manifest))
    assert manifest["source"]["type"] == "keras"
    assert manifest["input"] == {"name": "z", "shape": [None, 8], "dtype": "float32",
                                 "distribution": {"type": "normal", "mean": 0.0, "std": 1.0}}
    assert manifest["output"]["shape"] == [None, 8, 8, 1]
    assert manifest["output"]["range"] == [-1.0, 1.0]
    assert manifest["generator"]["parameters"] == generator.count_params()
    for name in ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert"):
        assert manifest["versions"][name]
    quantizations = {a["file"]: a["quantization"] for a in manifest["artifacts"]}
    assert quantizations == {"generator.onnx": "none", "generator_int8.onnx": "static-int8-qdq",
                             "generator_float32.tflite": "none",
                             "generator_float16.tflite": "float16",
                             "generator_dynamic_int8.tflite": "dynamic",
                             "generator_int8.tflite": "int8"}
    int8 = next(a for a in manifest["artifacts"] if a["quantization"] == "int8")
    assert int8["calibration"]["type"] == "normal" and int8["calibration"]["samples"] > 0


def test_unbounded_outputs_have_no_declared_range():
    _, _, manifest = exported("mlp")
    assert manifest["output"]["range"] is None


def test_an_entry_export_records_its_trained_source():
    _, _, manifest = exported("dcgan-digits")
    assert manifest["source"] == {"type": "entry", "entry": "dcgan-digits", "trained": True,
                                  "data": "digits", "generator_weights": "raw"}


def test_translator_manifest_records_real_images_as_inputs():
    _, _, manifest = exported("cyclegan-digits")
    assert manifest["source"]["trained"] is True
    assert manifest["input"]["name"] == "image"
    assert manifest["input"]["distribution"]["type"] == "images"


def test_sha256_values_match_the_files():
    _, folder, manifest = exported("dcgan")
    for artifact in manifest["artifacts"]:
        path = folder / artifact["file"]
        assert runtime.sha256_of(path) == artifact["sha256"]
        assert path.stat().st_size == artifact["size_bytes"]
    assert runtime.verify(folder)["artifacts"] == manifest["artifacts"]


@pytest.mark.parametrize("file", ["generator.onnx", "generator_int8.tflite"])
def test_a_tampered_artifact_is_detected(tmp_path, file):
    _, folder, _ = exported("dcgan")
    copy = tmp_path / "export"
    shutil.copytree(folder, copy)
    data = bytearray((copy / file).read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit, same size
    (copy / file).write_bytes(bytes(data))
    with pytest.raises(runtime.IntegrityError, match=file):
        runtime.verify(copy)
    with pytest.raises(runtime.IntegrityError, match="sha256"):
        runtime.load(copy / file)


def test_a_missing_artifact_is_detected(tmp_path):
    _, folder, _ = exported("dcgan")
    copy = tmp_path / "export"
    shutil.copytree(folder, copy)
    (copy / "generator_float16.tflite").unlink()
    with pytest.raises(runtime.IntegrityError, match="generator_float16.tflite is missing"):
        runtime.verify(copy)
