"""ONNX static int8 (QDQ): `--formats onnx --quantize int8` writes `generator_int8.onnx`,
quantized per output channel, calibrated as TFLite's int8 is, held to the int8 parity
rules, run by the TF-free runtime, and recommended only where it beats float32 ONNX."""

import json

import keras
import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import ganzoo
from ganzoo.export import export_generator, latency, parity, runtime
from ganzoo.export.cli import main
from ganzoo.export.pipeline import plan
from export_cases import FAMILIES, exported, real_images, spread, tiny_dcgan_run
from test_conditional_export import K, LATENT, at_trained_scale

QDQ_FILE = "generator_int8.onnx"


@pytest.fixture(scope="module")
def dcgan_export(tmp_path_factory):
    """(generator, export folder, manifest) of a tiny 16x16 DCGAN (two transposed
    convolutions, 8 and 1 output channels) spread like a trained one, ONNX float32 and
    int8 (the int8 file quantized from the float32 one)."""
    folder = tmp_path_factory.mktemp("qdq") / "dcgan"
    keras.utils.set_random_seed(0)
    generator = spread(ganzoo.nets.dcgan_generator(8, (16, 16, 1), base_filters=8))
    manifest = export_generator(generator, folder, formats="onnx", quantize="none,int8",
                                calibration_samples=32)
    return generator, folder, manifest


def _record(manifest, name=QDQ_FILE):
    return next(a for a in manifest["artifacts"] if a["file"] == name)


def test_onnx_int8_is_a_qdq_file_recorded_as_int8_and_in_parity(dcgan_export):
    _, folder, manifest = dcgan_export
    assert [a["file"] for a in manifest["artifacts"]] == ["generator.onnx", QDQ_FILE]
    record = _record(manifest)
    assert record["format"] == "onnx" and record["runtime"] == "onnxruntime"
    assert record["quantization"] == "static-int8-qdq" and record["precision"] == "int8"
    assert record["batch"] is None
    # calibrated as TFLite's int8: the latent prior, the samples asked for, its seed
    assert record["calibration"] == {"type": "normal", "mean": 0.0, "std": 1.0, "samples": 32,
                                     "seed": 1, "method": "minmax"}
    assert record["parity"]["passed"], record["parity"]["summary"]
    assert record["parity"]["rule"] == "MAE <= 0.1 std and SNR >= 16 dB"  # TFLite int8's
    # Really quantized, not the float32 file again: int8 weights behind DequantizeLinear.
    model = onnx.load(folder / QDQ_FILE)
    ops = {node.op_type for node in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert [i.name for i in model.graph.input] == ["z"]
    assert [o.name for o in model.graph.output] == ["output"]


def test_conv_transpose_weights_are_quantized_per_output_channel(dcgan_export):
    # ONNX ConvTranspose weights are (in, out / groups, kH, kW): per output channel is axis 1.
    _, folder, _ = dcgan_export
    model = onnx.load(folder / QDQ_FILE)
    constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    made_by = {output: node for node in model.graph.node for output in node.output}
    transposed = [node for node in model.graph.node if node.op_type == "ConvTranspose"]
    assert len(transposed) == 2  # the tiny DCGAN's upsampling layers
    for node in transposed:
        dequantize = made_by[node.input[1]]
        assert dequantize.op_type == "DequantizeLinear"
        weight, scale = constants[dequantize.input[0]], constants[dequantize.input[1]]
        axis = next(a.i for a in dequantize.attribute if a.name == "axis")
        assert weight.dtype == np.int8
        assert axis == 1 and scale.shape == (weight.shape[1],)
    # one layer's in and out channels differ (16 -> 8), so axis 0 could not pass
    assert any(made_by[node.input[1]].op_type == "DequantizeLinear" for node in transposed)
    shapes = [constants[made_by[node.input[1]].input[0]].shape for node in transposed]
    assert any(shape[0] != shape[1] > 1 for shape in shapes)


def test_zeroed_qdq_weights_fail_the_int8_parity_rules(dcgan_export, tmp_path):
    generator, folder, _ = dcgan_export
    model = onnx.load(folder / QDQ_FILE)
    for tensor in model.graph.initializer:
        if tensor.data_type == onnx.TensorProto.INT8 and len(tensor.dims) > 1:  # the weights
            tensor.CopyFrom(numpy_helper.from_array(
                np.zeros(tuple(tensor.dims), np.int8), tensor.name))
    onnx.save(model, tmp_path / "zeroed.onnx")
    inputs = np.random.default_rng(5).standard_normal((32, 8)).astype("float32")
    reference = np.asarray(generator(inputs, training=False))
    good = runtime.load(folder / QDQ_FILE)
    assert parity.check_artifact(good, inputs, reference, "int8")["passed"]
    zeroed = runtime.load(tmp_path / "zeroed.onnx")
    assert not parity.check_artifact(zeroed, inputs, reference, "int8")["passed"]
    assert not parity.compare(np.zeros_like(reference), reference, "int8")["passed"]


def test_fused_int8_kernels_compute_what_the_qdq_graph_says():
    # ONNX Runtime fuses QDQ around MatMul/Gemm/Conv into int8 kernels; on x86 without
    # VNNI they sum pairs of products in saturating 16 bits, which 8-bit weights
    # overflowed (vanilla-ring8 at SNR 6 dB). With 7-bit weights the fused file computes
    # what the unfused QDQ graph says, on every CPU.
    import onnxruntime as ort

    _, folder, _ = exported("vanilla-ring8")  # the shipped, trained weights
    model = onnx.load(folder / QDQ_FILE)
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer
               if t.data_type == onnx.TensorProto.INT8 and len(t.dims) > 1]
    assert weights and max(int(np.abs(w).max()) for w in weights) <= 64

    z = np.random.default_rng(5).standard_normal((256, 2)).astype("float32")
    outputs = {}
    for level in ("ORT_DISABLE_ALL", "ORT_ENABLE_ALL"):
        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
        session = ort.InferenceSession(str(folder / QDQ_FILE), options,
                                       providers=["CPUExecutionProvider"])
        outputs[level] = session.run(None, {"z": z})[0]
    # within one step of the output's quantization (rounding may differ by one)
    constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    last = model.graph.node[-1]
    assert last.op_type == "DequantizeLinear" and last.output[0] == "output"
    step = float(constants[last.input[1]])
    np.testing.assert_allclose(outputs["ORT_ENABLE_ALL"], outputs["ORT_DISABLE_ALL"],
                               rtol=0, atol=1.01 * step)


def test_runtime_generator_runs_the_qdq_file_alone(tmp_path):
    # Only the int8 flavour asked for: no float32 file beside it (converted on the side).
    manifest = export_generator(FAMILIES["dcgan"](), tmp_path, formats="onnx", quantize="int8",
                                calibration_samples=16)
    assert [a["file"] for a in manifest["artifacts"]] == [QDQ_FILE] and manifest["passed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [QDQ_FILE, "manifest.json"]
    generator = runtime.Generator(tmp_path)  # manifest-driven: its first runnable artifact
    assert generator.artifact.path.name == QDQ_FILE
    images = generator.generate(4, seed=0)
    assert images.shape == (4, 8, 8, 1) and np.all(np.abs(images) <= 1.0)
    np.testing.assert_array_equal(images, generator.generate(4, seed=0))


def test_cli_onnx_int8_is_asked_for_as_tflite_flavours_are(tmp_path, capsys):
    run = tiny_dcgan_run(tmp_path / "run", {"name": "tiny-dcgan"})
    out = tmp_path / "export"
    assert main([str(run), "--formats", "onnx", "--quantize", "int8", "--out", str(out),
                 "--calibration-samples", "8"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [a["file"] for a in manifest["artifacts"]] == [QDQ_FILE]
    assert manifest["skipped"] == [] and _record(manifest)["calibration"]["samples"] == 8
    assert QDQ_FILE in capsys.readouterr().out


def test_plan_offers_onnx_none_and_int8_only():
    pairs, skipped = plan("onnx,tflite", "none,float16,int8")
    assert ("onnx", "int8") in pairs and ("onnx", "float16") not in pairs
    assert skipped == ["onnx: float16 not offered (onnx artifacts are none/int8 only)"]
    with pytest.raises(ValueError, match="ONNX offers none .float32. and int8 only"):
        plan("onnx", "float16,dynamic")


def test_a_translator_calibrates_on_real_images(tmp_path):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    hidden = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(hidden)
    outputs = keras.layers.Conv2D(1, 3, strides=2, padding="same", activation="tanh")(hidden)
    translator = keras.Model(inputs, outputs, name="tiny_translator")
    images = real_images(64, (8, 8, 1))
    manifest = export_generator(translator, tmp_path, formats="onnx", quantize="int8",
                                images=images, calibration_samples=32)
    record = _record(manifest)
    assert record["calibration"]["type"] == "images" and record["calibration"]["samples"] == 32
    assert record["parity"]["passed"], record["parity"]["summary"]


def test_a_conditional_generator_calibrates_on_every_class(tmp_path):
    keras.utils.set_random_seed(0)
    generator = at_trained_scale(ganzoo.nets.dcgan_generator(LATENT, (8, 8, 1), base_filters=8,
                                                             num_classes=K))
    manifest = export_generator(generator, tmp_path, formats="onnx", quantize="int8",
                                calibration_samples=4)
    record = _record(manifest)
    # raised to one sample per class, labels balanced, as TFLite's int8 calibration
    assert record["calibration"]["samples"] == K
    assert record["calibration"]["labels"] == {"type": "balanced", "num_classes": K}
    assert record["parity"]["passed"], record["parity"]["summary"]
    sevens = runtime.Generator(tmp_path).generate(2, labels=7, seed=0)
    assert sevens.shape == (2, 8, 8, 1)


def _row(name, runtime_name, precision, p50, passed=True, batch=1):
    return {"name": name, "runtime": runtime_name, "precision": precision, "batch": batch,
            "p50_ms": p50, "parity_passed": passed}


ONNX, LITERT = "onnxruntime", "litert"


def test_onnx_int8_slower_than_onnx_float32_is_flagged_and_never_recommended():
    rows = [_row("tf.function", "tensorflow", "float32", 3.0, passed=None),
            _row("generator.onnx", ONNX, "float32", 1.0),
            _row(QDQ_FILE, ONNX, "int8", 1.6),
            _row("generator_float32.tflite", LITERT, "float32", 2.0)]
    assert latency.recommend(rows)["1"]["file"] == "generator.onnx"
    flags = latency.slow_quantized(rows)
    assert len(flags) == 1 and flags[0].startswith(f"{QDQ_FILE} (int8) is 1.6x slower than "
                                                   "generator.onnx (float32)")
    # float32 ONNX outside parity: the slower int8 file is still not recommended
    rows[1]["parity_passed"] = False
    assert latency.recommend(rows)["1"]["file"] == "generator_float32.tflite"


def test_onnx_int8_is_recommended_where_it_beats_every_other_artifact():
    rows = [_row("generator.onnx", ONNX, "float32", 1.0, batch=8),
            _row(QDQ_FILE, ONNX, "int8", 0.7, batch=8),
            _row("generator_int8.tflite", LITERT, "int8", 0.9, batch=8),
            _row("generator_float32.tflite", LITERT, "float32", 1.2, batch=8)]
    assert latency.recommend(rows)["8"]["file"] == QDQ_FILE
    assert latency.slow_quantized(rows) == []
    # judged against its own runtime's float32, not against the fastest LiteRT file
    rows[0]["p50_ms"], rows[3]["p50_ms"] = 2.0, 0.5
    assert not any(flag.startswith(QDQ_FILE) for flag in latency.slow_quantized(rows))
    assert latency.recommend(rows)["8"]["file"] == "generator_float32.tflite"
    # outside parity: never recommended, however fast
    rows[1]["p50_ms"], rows[1]["parity_passed"] = 0.1, False
    assert latency.recommend(rows)["8"]["file"] == "generator_float32.tflite"
