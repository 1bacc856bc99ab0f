"""ONNX export through Keras' `model.export(format="onnx")` (tf2onnx underneath).

The batch dimension stays dynamic (named `batch`), and so do the height and width of
a generator that takes any image size (`height`, `width`; the output's `out_height`,
`out_width`, which an upscaler makes `scale` times larger): one file takes every
size. The input is named `z` (latent generators) or `image` (translators, upscalers,
detectors' scorers), the output `output`; a class-conditional generator has a second
input, `label` (int32, `(batch,)`). This file is float32; the static int8 (QDQ)
flavour is quantized from it by onnx_int8.py, TFLite's flavours by tflite_format.py.
"""

import contextlib
import logging
import warnings

from ganzoo.export.runtime import optional_import
from ganzoo.export.sources import input_specs

MIN_OPSET, MAX_OPSET = 13, 18
DEFAULT_OPSET = 17
OUTPUT_NAME = "output"
# Names of the dynamic dimensions, by position (batch, then an image's height and width).
INPUT_DIMS = ("batch", "height", "width")
OUTPUT_DIMS = ("batch", "out_height", "out_width")


def check_opset(opset):
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"ONNX opset must be an integer from {MIN_OPSET} to {MAX_OPSET} "
                         f"(tf2onnx's and Keras' limit); got {opset!r}.")
    return opset


def export_onnx(source, path, opset=DEFAULT_OPSET):
    """Write `source`'s generator to `path` as ONNX; returns the facts for the manifest."""
    onnx = optional_import("onnx", "exporting to ONNX")
    optional_import("tf2onnx", "exporting to ONNX")  # what Keras' ONNX export runs
    check_opset(opset)
    specs = input_specs(source)
    # One argument, the model's input: a tensor, or a conditional generator's [z, label].
    signature = [specs] if len(specs) > 1 else specs
    with _quiet():
        source.model.export(str(path), format="onnx", input_signature=signature,
                            opset_version=opset, verbose=False)
    model = onnx.load(str(path))
    _name_interface(model.graph)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return {"format": "onnx", "runtime": "onnxruntime", "quantization": "none",
            "precision": "float32", "batch": None, "opset": opset}


def _name_interface(graph):
    """Name the output and the dynamic dimensions, whatever tf2onnx called them."""
    old = graph.output[0].name
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = OUTPUT_NAME
    graph.output[0].name = OUTPUT_NAME
    # Every input's first dimension is the batch (a conditional generator's label too).
    pairs = [(value, INPUT_DIMS) for value in graph.input] + [(graph.output[0], OUTPUT_DIMS)]
    for value, names in pairs:
        for dim, name in zip(value.type.tensor_type.shape.dim, names):
            if not dim.HasField("dim_value"):  # a fixed size keeps its value
                dim.dim_param = name


@contextlib.contextmanager
def _quiet():
    # tf2onnx logs every rewrite at INFO, and Keras' numpy-2 patch warns once.
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        logger.setLevel(level)
