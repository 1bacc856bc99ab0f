"""Every generator family and zoo entry exports to ONNX and each TFLite flavour, in parity."""

import numpy as np
import pytest

import ganzoo
from ganzoo.export import parity, runtime
from ganzoo.export.pipeline import FILE_NAMES
from export_cases import CASES, exported, latent_or_images, reference, spread


@pytest.mark.parametrize("case", CASES)
def test_every_format_and_flavour_is_written_and_passes(case):
    _, folder, manifest = exported(case)
    assert manifest["passed"], [a["parity"]["summary"] for a in manifest["artifacts"]]
    assert not manifest["failed_conversions"]
    assert sorted(a["file"] for a in manifest["artifacts"]) == sorted(FILE_NAMES.values())
    for artifact in manifest["artifacts"]:
        assert (folder / artifact["file"]).is_file()


@pytest.mark.parametrize("case", CASES)
def test_every_artifact_stays_in_parity_on_other_inputs(case):
    _, folder, manifest = exported(case)
    inputs, outputs = reference(case)  # not the export's parity inputs
    for artifact in manifest["artifacts"]:
        generator = runtime.load(folder / artifact["file"])
        facts = parity.check_artifact(generator, inputs, outputs, artifact["precision"])
        assert facts["passed"], (artifact["file"], facts["summary"])


@pytest.mark.parametrize("case", CASES)
def test_input_is_named_for_its_kind(case):
    generator, folder, manifest = exported(case)
    expected = "z" if len(generator.input_shape) == 2 else "image"
    assert manifest["input"]["name"] == expected
    for artifact in manifest["artifacts"]:
        assert runtime.load(folder / artifact["file"]).input_name == expected


@pytest.mark.parametrize("case", ["dcgan", "dcgan-resize", "cyclegan-digits"])
@pytest.mark.parametrize("file", ["generator.onnx", "generator_int8.tflite"])
def test_batch_1_and_8_run_from_one_file(case, file):
    generator, folder, _ = exported(case)
    artifact = runtime.load(folder / file)
    inputs = latent_or_images(generator, 8)
    both = [artifact(inputs[:1]), artifact(inputs), artifact(inputs[:1])]
    assert [b.shape for b in both] == [(1, *generator.output_shape[1:]),
                                       (8, *generator.output_shape[1:]),
                                       (1, *generator.output_shape[1:])]
    np.testing.assert_allclose(both[0], both[1][:1], atol=1e-5)
    np.testing.assert_array_equal(both[0], both[2])


def test_onnx_batch_dimension_is_dynamic_and_opset_recorded():
    import onnx

    _, folder, manifest = exported("dcgan")
    model = onnx.load(str(folder / "generator.onnx"))
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert model.graph.output[0].name == "output"
    opsets = {o.domain: o.version for o in model.opset_import}
    record = next(a for a in manifest["artifacts"] if a["format"] == "onnx")
    assert opsets[""] == record["opset"] == 17


def test_tflite_files_have_a_fixed_batch_of_1_and_onnx_a_dynamic_one():
    _, folder, manifest = exported("dcgan")
    batches = {a["file"]: a["batch"] for a in manifest["artifacts"]}
    assert batches.pop("generator.onnx") is None and batches.pop("generator_int8.onnx") is None
    assert set(batches.values()) == {1}
    assert runtime.load(folder / "generator_float32.tflite").batch == 1


# A file of batch 4 takes any batch: 2 and 6 run with the last call padded.
@pytest.mark.parametrize("tflite_batch, runs", [(None, [1, 3, 8]), (4, [1, 2, 4, 6, 8])])
def test_tflite_batch_option(tmp_path, tflite_batch, runs):
    from ganzoo.export import export_generator

    generator = spread(ganzoo.nets.dcgan_generator(8, (8, 8, 1), base_filters=8))
    manifest = export_generator(generator, tmp_path, formats="tflite", quantize="none,int8",
                                tflite_batch=tflite_batch, calibration_samples=8)
    assert manifest["passed"]
    assert {a["batch"] for a in manifest["artifacts"]} == {tflite_batch}
    artifact = runtime.load(tmp_path / "generator_float32.tflite")
    assert artifact.batch == tflite_batch
    z = np.random.default_rng(0).standard_normal((8, 8)).astype("float32")
    reference = np.asarray(generator(z, training=False))
    for num in runs:
        np.testing.assert_allclose(artifact(z[:num]), reference[:num], atol=1e-4)


TRANSPOSED_CONVOLUTIONS = {"ConvTranspose", "TRANSPOSE_CONV"}  # ONNX's and TFLite's


def _operators(path):
    """The operator types in an ONNX or TFLite file."""
    if path.suffix == ".onnx":
        import onnx

        return {node.op_type for node in onnx.load(str(path)).graph.node}
    from ai_edge_litert.interpreter import Interpreter

    return {op["op_name"] for op in Interpreter(model_path=str(path))._get_ops_details()}


@pytest.mark.parametrize("file", ["generator.onnx", "generator_float32.tflite",
                                  "generator_int8.tflite"])
def test_resize_upsampling_exports_without_transposed_convolutions(file):
    _, transpose, _ = exported("dcgan")
    _, resize, _ = exported("dcgan-resize")
    assert TRANSPOSED_CONVOLUTIONS & _operators(transpose / file)
    operators = _operators(resize / file)
    assert not TRANSPOSED_CONVOLUTIONS & operators
    assert {"Conv", "CONV_2D"} & operators


def test_bilinear_resize_upsampling_exports_native_resizes_in_parity(tmp_path):
    from ganzoo.export import export_generator

    generator = spread(ganzoo.nets.dcgan_generator(8, (16, 16, 1), base_filters=8,
                                                   upsampling="resize",
                                                   resize_interpolation="bilinear"))
    manifest = export_generator(generator, tmp_path)  # every format and flavour
    assert manifest["passed"], [a["parity"]["summary"] for a in manifest["artifacts"]]
    assert "Resize" in _operators(tmp_path / "generator.onnx")
    assert "RESIZE_BILINEAR" in _operators(tmp_path / "generator_int8.tflite")
    z = latent_or_images(generator, 8, seed=5)  # not the export's parity inputs
    reference = np.asarray(generator(z, training=False))
    for artifact in manifest["artifacts"]:
        facts = parity.check_artifact(runtime.load(tmp_path / artifact["file"]), z, reference,
                                      artifact["precision"])
        assert facts["passed"], (artifact["file"], facts["summary"])
