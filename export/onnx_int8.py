"""ONNX static int8 in the QDQ format: onnxruntime.quantization over the float32 ONNX file.

Weights are int8, symmetric, per output channel where ONNX Runtime's quantizer allows
it (Conv, and ConvTranspose on axis 1, whose weight is (in, out, kH, kW); MatMul on its
output features); activations int8 per tensor, from MinMax ranges calibrated on the
same representative inputs as TFLite's full-integer int8 (`tflite_format.py`): latents
from the prior (with labels of every class, equally often, for a conditional
generator), real images for translators, upscalers and detectors' scorers. The file
keeps float32 inputs and outputs and the names of the float32 file (`z`, `label`,
`image`, `output`), and a dynamic batch.

int8 weights and activations on both kinds of CPU target: ARM kernels prefer signed
int8 activations, and x86 with VNNI runs signed int8 as well (onnxruntime's own guidance
for `quantize_static`). Weights keep 7 bits (`reduce_range`): on x86 CPUs with AVX2 or
AVX-512 but no VNNI, ONNX Runtime's fused int8 kernels add pairs of 8-bit products in
saturating 16-bit sums, which full 8-bit weights overflow (vanilla-ring8's file fell to
SNR 6 dB on such a CPU, against 30 dB with 7-bit weights; unfused, both are right).

QDQ, not QOperator: the only format in which ONNX Runtime quantizes ConvTranspose. ONNX
Runtime does not fuse an int8 ConvTranspose on CPU (it dequantizes around a float
kernel), so a transposed-convolution generator's QDQ file can be slower than its float32
one: `export.latency` measures it and never recommends it then.
"""

import contextlib
import logging
import tempfile
from pathlib import Path

from ganzoo.export.onnx_format import DEFAULT_OPSET, export_onnx
from ganzoo.export.runtime import optional_import
from ganzoo.export.sources import at_least_every_class, count, drawn_from, input_specs, rows

SCHEME = "static-int8-qdq"
# As TFLite's full-integer int8: both flavours calibrate on the same inputs.
CALIBRATION_SEED = 1
# Inputs per calibration run; MinMax keeps only each run's per-tensor min and max, so
# the chunk size changes speed, never the ranges.
CHUNK = 16


def export_onnx_int8(source, path, opset=DEFAULT_OPSET, calibration_samples=200,
                     calibration_seed=CALIBRATION_SEED, float_model=None):
    """Write `source`'s generator to `path` as static int8 QDQ ONNX; returns the
    manifest facts.

    Args:
        float_model: the float32 ONNX file of the same source (`export_onnx`'s), if one
            was written already; else one is converted in a temporary folder.
    """
    quantization = optional_import("onnxruntime.quantization", "quantizing ONNX to int8")
    samples = max(at_least_every_class(source, calibration_samples), 1)  # as TFLite's
    calibration = source.inputs(samples, calibration_seed)
    names = [spec.name for spec in input_specs(source)]
    with tempfile.TemporaryDirectory(prefix="ganzoo-onnx-int8-") as scratch:
        scratch = Path(scratch)
        if float_model is None:
            float_model = scratch / "float32.onnx"
            export_onnx(source, float_model, opset)
        prepared = scratch / "prepared.onnx"
        with _quiet():
            # Shape inference (and ORT's constant folding) first, as onnxruntime asks.
            # ONNX's own shape inference suffices for these graphs (every zoo entry,
            # any-size ones included); the symbolic one would need sympy.
            quantization.quant_pre_process(str(float_model), str(prepared),
                                           skip_symbolic_shape=True)
            quantization.quantize_static(
                str(prepared), str(path), _Reader(calibration, names),
                quant_format=quantization.QuantFormat.QDQ, per_channel=True,
                activation_type=quantization.QuantType.QInt8,
                weight_type=quantization.QuantType.QInt8,
                calibrate_method=quantization.CalibrationMethod.MinMax,
                reduce_range=True)
    optional_import("onnx", "exporting to ONNX").checker.check_model(str(path))
    return {"format": "onnx", "runtime": "onnxruntime", "quantization": SCHEME,
            "precision": "int8", "batch": None, "opset": opset,
            "calibration": {**drawn_from(source), "samples": samples, "seed": calibration_seed,
                            "method": "minmax"}}


class _Reader:
    """The calibration inputs in chunks, as onnxruntime's CalibrationDataReader yields
    them: one {input name: array} per call, then None."""

    def __init__(self, inputs, names):
        self._chunks = iter([
            dict(zip(names, chunk if isinstance(chunk, list) else [chunk]))
            for chunk in (rows(inputs, start, start + CHUNK)
                          for start in range(0, count(inputs), CHUNK))])

    def get_next(self):
        return next(self._chunks, None)


@contextlib.contextmanager
def _quiet():
    # The quantizer logs its pre-processing advice and per-tensor notes on the root logger.
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
