"""TFLite (LiteRT) export in four flavours, from one SavedModel of the generator.

    none      float32
    float16   float16 weights (computed in float32 on CPU)
    dynamic   dynamic-range int8: int8 weights, activations quantized on the fly
    int8      full-integer int8: weights and activations, calibrated on a
              representative set drawn from the generator's own inputs (latents from
              its prior; real images for translators; a detector's scorer, the
              normal images it learnt from); float32 input and output
              (a conditional generator's latents come with labels in which every
              class is equally frequent; its label input stays int32)

The batch size is fixed in the file (1 by default): with a dynamic batch the converter
computes every Conv2DTranspose output shape at run time, so the XNNPACK delegate cannot
take those layers and they fall back to the builtin kernels (measured on dcgan-digits:
float32 3x slower at batch 8, full-integer int8 2x slower at batch 1, and int8 20-50x
slower with 2 threads on a busy CPU). `ganzoo.export.runtime` runs larger batches through a
fixed-batch file as repeated calls; `batch=None` keeps the batch dynamic. A generator of
any image size (Pix2Pix, SRResNet) keeps its height and width dynamic in every flavour
(shape signature -1; the interpreter is resized to each image size): converted and
checked at two sizes for all four, int8 included.

The converter goes through a SavedModel (Keras' ExportArchive), the path TensorFlow
documents for Keras 3; `from_concrete_functions` keeps resource variables that the
interpreter then reads uninitialised.
"""

import contextlib
import os
import tempfile

from ganzoo.export.sources import at_least_every_class, count, drawn_from, input_specs, rows

QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
PRECISION = {"none": "float32", "float16": "float16", "dynamic": "dynamic-int8",
             "int8": "int8"}
OUTPUT_NAME = "output"


DEFAULT_BATCH = 1


def check_batch(batch):
    if batch is not None and (not isinstance(batch, int) or batch < 1):
        raise ValueError(f"The TFLite batch size must be a positive integer or None (dynamic); "
                         f"got {batch!r}.")
    return batch


@contextlib.contextmanager
def saved_model(source, batch=DEFAULT_BATCH):
    """A temporary SavedModel of the generator in inference mode; yields its folder.

    Args:
        batch: the batch size fixed in the signature, or None for a dynamic one.
    """
    import keras

    model = source.model
    specs = input_specs(source, check_batch(batch))
    if len(specs) > 1:  # a conditional generator: named inputs z and label, one call
        def serve(latents, labels):
            return {OUTPUT_NAME: model([latents, labels], training=False)}
    else:
        def serve(inputs):
            return {OUTPUT_NAME: model(inputs, training=False)}
    with tempfile.TemporaryDirectory(prefix="ganzoo-export-") as folder:
        archive = keras.export.ExportArchive()
        archive.track(model)
        # A dict names the signature's output, as the ONNX output is named; the specs
        # name its inputs.
        archive.add_endpoint("serve", serve, input_signature=specs)
        archive.write_out(folder, verbose=False)
        yield folder


def export_tflite(saved_model_dir, path, quantization, source, calibration_samples=200,
                  calibration_seed=1, batch=DEFAULT_BATCH):
    """Convert the SavedModel (of batch size `batch`) to one TFLite flavour at `path`;
    returns the facts for the manifest."""
    import tensorflow as tf

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"Unknown TFLite quantization {quantization!r}; expected one of "
                         f"{', '.join(QUANTIZATIONS)}.")
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model_dir)
    facts = {"format": "tflite", "runtime": "litert", "quantization": quantization,
             "precision": PRECISION[quantization], "batch": batch}
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        step = batch or 1
        samples = at_least_every_class(source, calibration_samples)
        calibration = source.inputs(max(samples // step, 1) * step, calibration_seed)
        names = [spec.name for spec in input_specs(source)]

        def representative_dataset():
            for start in range(0, count(calibration), step):
                chunk = rows(calibration, start, start + step)
                # by name: the signature's inputs come in no promised order
                yield dict(zip(names, chunk)) if len(names) > 1 else [chunk]

        converter.representative_dataset = representative_dataset
        # Builtin int8 kernels only: an op that cannot be quantized is an error, not a
        # silent float fallback.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        facts["calibration"] = {**drawn_from(source), "samples": samples,
                                "seed": calibration_seed}
    with _quiet_native_logs():
        flatbuffer = converter.convert()
    with open(path, "wb") as handle:
        handle.write(flatbuffer)
    return facts


@contextlib.contextmanager
def _quiet_native_logs():
    # The calibrator prints "fully_quantize: 0, inference_type: 6 ..." straight to
    # file descriptor 2, below Python's reach; silence it for the conversion only.
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
