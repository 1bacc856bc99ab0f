"""A file with a fixed batch size takes a batch of any size in the TF-free runtime, and
the manifest says which batch each file takes."""

import numpy as np
import pytest

from ganzoo.export import parity, runtime
from export_cases import exported


def _rows_alone(artifact, inputs):
    return np.concatenate([artifact(inputs[i:i + 1]) for i in range(len(inputs))])


@pytest.mark.parametrize("file", ["generator_float32.tflite", "generator_int8.tflite"])
def test_a_batch_1_tflite_file_runs_a_batch_of_8(file):
    # The default export: TFLite files fixed at batch 1, where resizing the input to 8
    # fails in XNNPACK ("failed to reshape runtime").
    generator, folder, manifest = exported("dcgan")
    record = next(a for a in manifest["artifacts"] if a["file"] == file)
    artifact = runtime.load(folder / file)
    assert record["batch"] == artifact.batch == 1
    z = np.random.default_rng(5).standard_normal((8, 8)).astype("float32")
    outputs = artifact(z)
    assert outputs.shape == (8, 8, 8, 1)
    np.testing.assert_array_equal(outputs, _rows_alone(artifact, z))
    checked = parity.compare(outputs, np.asarray(generator(z, training=False)),
                             record["precision"])
    assert checked["passed"], checked["summary"]


def test_the_manifest_says_which_batch_each_file_takes():
    _, folder, manifest = exported("dcgan")
    for record in manifest["artifacts"]:
        expected = None if record["format"] == "onnx" else 1  # ONNX stays dynamic
        assert record["batch"] == expected, record["file"]
        assert runtime.load(folder / record["file"]).batch == expected, record["file"]


@pytest.mark.parametrize("fixed", [1, 3])
def test_a_fixed_batch_onnx_file_takes_any_batch(tmp_path, fixed):
    # ganzoo writes dynamic-batch ONNX files; one from elsewhere may fix the batch, and
    # ONNX Runtime refuses any other ("Got invalid dimensions for input").
    import onnx

    _, folder, _ = exported("dcgan")
    model = onnx.load(str(folder / "generator.onnx"))
    for value in (model.graph.input[0], model.graph.output[0]):
        value.type.tensor_type.shape.dim[0].dim_value = fixed
    onnx.save(model, str(tmp_path / "fixed.onnx"))
    artifact = runtime.load(tmp_path / "fixed.onnx")
    dynamic = runtime.load(folder / "generator.onnx")
    assert (artifact.batch, dynamic.batch) == (fixed, None)
    z = np.random.default_rng(6).standard_normal((8, 8)).astype("float32")
    for num in (1, 2, fixed, 8):  # fewer, more and not a multiple: the last call is padded
        np.testing.assert_allclose(artifact(z[:num]), dynamic(z[:num]), atol=1e-6)
    np.testing.assert_allclose(artifact(z), _rows_alone(artifact, z), atol=1e-6)


def test_a_fixed_batch_file_names_the_row_shape_it_takes():
    _, folder, _ = exported("dcgan")
    artifact = runtime.load(folder / "generator_float32.tflite")
    with pytest.raises(ValueError, match=r"takes inputs of shape \(8,\) per row; got \(4,\)"):
        artifact(np.zeros((2, 4), "float32"))
