"""ganzoo's export stage: generators to ONNX and TFLite (LiteRT), with parity and latency.

    from ganzoo.export import export_generator
    manifest = export_generator("runs/demo", "runs/demo/export",
                                formats="onnx,tflite", quantize="none,float16,int8", bench=True)

    ganzoo-export runs/demo --formats onnx,tflite --quantize none,float16,int8 --out DIR --bench

Importing this package imports no TensorFlow, so `ganzoo.export.runtime` (ONNX Runtime and
LiteRT with NumPy only) works on machines without it; the converters import
TensorFlow when they run.
"""


def export_generator(source, out_dir, *args, **kwargs):
    """Export a generator; see `ganzoo.export.pipeline.export_generator`."""
    from ganzoo.export.pipeline import export_generator as run

    return run(source, out_dir, *args, **kwargs)


__all__ = ["export_generator"]
