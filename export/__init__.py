"""ganzoo's export stage: generators, and anomaly detectors' scorers, to ONNX and TFLite
(LiteRT), with parity and latency.

    from ganzoo.export import export_generator, export_detector
    manifest = export_generator("runs/demo", "runs/demo/export",
                                formats="onnx,tflite", quantize="none,float16,int8", bench=True)
    manifest = export_detector("runs/ganomaly", "runs/ganomaly/export")   # images -> scores

    ganzoo-export runs/demo --formats onnx,tflite --quantize none,float16,int8 --out DIR --bench
    ganzoo-export runs/ganomaly            # a detector's run folder (it holds detector.json)

Importing this package imports no TensorFlow, so `ganzoo.export.runtime` (ONNX Runtime and
LiteRT with NumPy only; `runtime.Generator` for latent generators, class-conditional ones
included, `runtime.Scorer` for scorers) works on machines without it; the converters
import TensorFlow when they run.
"""


def export_generator(source, out_dir, *args, **kwargs):
    """Export a generator; see `ganzoo.export.pipeline.export_generator`."""
    from ganzoo.export.pipeline import export_generator as run

    return run(source, out_dir, *args, **kwargs)


def export_detector(source, out_dir, *args, **kwargs):
    """Export an anomaly detector's scorer; see `ganzoo.export.pipeline.export_detector`."""
    from ganzoo.export.pipeline import export_detector as run

    return run(source, out_dir, *args, **kwargs)


__all__ = ["export_detector", "export_generator"]
