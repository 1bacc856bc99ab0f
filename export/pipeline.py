"""The export stage end to end: resolve, convert, check parity, write the manifest, time."""

from pathlib import Path

from ganzoo.export import manifest as manifest_lib
from ganzoo.export import parity, runtime
from ganzoo.export.onnx_format import DEFAULT_OPSET, check_opset, export_onnx
from ganzoo.export.sources import resolve
from ganzoo.export.tflite_format import (DEFAULT_BATCH, QUANTIZATIONS, check_batch,
                                         export_tflite, saved_model)

FORMATS = ("onnx", "tflite")
FORMAT_ALIASES = {"litert": "tflite"}
QUANTIZE_ALIASES = {"float32": "none", "fp32": "none", "fp16": "float16",
                    "dynamic-int8": "dynamic", "full-int8": "int8"}
# Which quantizations each format offers; ONNX artifacts are float32.
SUPPORTED = {"onnx": ("none",), "tflite": QUANTIZATIONS}
# Beyond TensorFlow, each format needs its converter's packages and the runtime its
# parity check runs in: the `export` extra (checked before anything is converted).
PACKAGES = {"onnx": ("onnx", "tf2onnx", "onnxruntime"), "tflite": ("ai_edge_litert",)}
PURPOSES = {"onnx": "exporting to ONNX", "tflite": "exporting to TFLite"}
FILE_NAMES = {("onnx", "none"): "generator.onnx",
              ("tflite", "none"): "generator_float32.tflite",
              ("tflite", "float16"): "generator_float16.tflite",
              ("tflite", "dynamic"): "generator_dynamic_int8.tflite",
              ("tflite", "int8"): "generator_int8.tflite"}


def plan(formats, quantize):
    """The (format, quantization) pairs to write and the notes on skipped pairs."""
    formats = _names(formats, FORMATS, FORMAT_ALIASES, "format")
    quantize = _names(quantize, QUANTIZATIONS, QUANTIZE_ALIASES, "quantization")
    pairs = [(f, q) for f in formats for q in quantize if q in SUPPORTED[f]]
    skipped = [f"{f}: {', '.join(q for q in quantize if q not in SUPPORTED[f])} not offered "
               f"({f} artifacts are {'/'.join(SUPPORTED[f])} only)"
               for f in formats if any(q not in SUPPORTED[f] for q in quantize)]
    if not pairs:
        raise ValueError(f"Nothing to export: {', '.join(formats)} with quantization "
                         f"{', '.join(quantize)}; ONNX artifacts are float32 ('none').")
    return pairs, skipped


def check_packages(pairs):
    """Raise `runtime.MissingDependencyError` (an ImportError naming the package and
    `pip install 'ganzoo[export]'`) if a package the `pairs` of `plan` need is missing."""
    for fmt in dict.fromkeys(f for f, _ in pairs):
        runtime.require(PACKAGES[fmt], PURPOSES[fmt])


def _names(values, known, aliases, what):
    if isinstance(values, str):
        values = values.split(",")
    names = []
    for value in values:
        name = aliases.get(value.strip().lower(), value.strip().lower())
        if name not in known:
            raise ValueError(f"Unsupported {what} {value!r}; expected one of {', '.join(known)}.")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError(f"No {what} given; expected one or more of {', '.join(known)}.")
    return names


def export_generator(source, out_dir, formats=FORMATS, quantize=QUANTIZATIONS,
                     opset=DEFAULT_OPSET, *, tflite_batch=DEFAULT_BATCH, untrained=False,
                     images=None, calibration_samples=200, parity_samples=32,
                     quality_samples=256, overwrite=False, bench=False, batch_sizes=(1, 8),
                     threads=None, runs=100, warmup=10, use_ema=True):
    """Export a generator to ONNX and/or TFLite, check parity, write manifest.json.

    Returns the manifest (a dict); `manifest["passed"]` is False when any artifact
    failed parity or conversion. Failing artifacts stay on disk, marked as failing,
    so they can be inspected; `ganzoo.export.runtime.load` refuses them.

    Args:
        source: a `keras.Model` generator, a run folder or a zoo entry name.
        out_dir: folder for the artifacts and manifest.json.
        formats: "onnx", "tflite" (a list or a comma-separated string).
        quantize: "none" (float32), "float16", "dynamic", "int8" (TFLite only but none).
        opset: ONNX opset, 13 to 18.
        tflite_batch: batch size fixed in TFLite files (1; None keeps it dynamic, which
            is slower: see tflite_format.py). ONNX files always have a dynamic batch.
        untrained: allow a zoo entry's untrained generator (see `sources.resolve`).
        images: real images for a translator's calibration and parity.
        calibration_samples: representative inputs for full-integer int8.
        parity_samples: fixed inputs every artifact is compared on.
        quality_samples: inputs for the digits classifier check of int8 flavours.
        bench: also time every artifact (see `export.latency`).
        use_ema: for a GAN with a generator EMA, export the average (default) or,
            False, the raw generator; the manifest's source records which.

    Example:
        >>> export_generator("runs/demo", "runs/demo/export", quantize="none,int8")
    """
    pairs, skipped = plan(formats, quantize)
    check_packages(pairs)
    check_opset(opset)
    check_batch(tflite_batch)
    out_dir = Path(out_dir)
    _check_out(out_dir, overwrite)
    src = resolve(source, untrained=untrained, images=images, use_ema=use_ema)
    _prepare(out_dir)
    if tflite_batch:  # whole batches for fixed-batch TFLite files
        parity_samples = -(-parity_samples // tflite_batch) * tflite_batch
        quality_samples = -(-quality_samples // tflite_batch) * tflite_batch
    inputs = src.inputs(parity_samples, parity.PARITY_SEED)
    reference = src.predict(inputs)
    value_range = src.output_range()

    quality = None
    # The digits classifier says something only about generators trained on digits.
    if (quality_samples and src.origin.get("trained") and src.origin.get("data") == "digits"
            and any(q in ("dynamic", "int8") for _, q in pairs)):
        quality_inputs = src.inputs(quality_samples, parity.QUALITY_SEED)
        quality = (quality_inputs, src.predict(quality_inputs))
    records, failures = [], []
    tflite_pairs = [q for f, q in pairs if f == "tflite"]
    if ("onnx", "none") in pairs:
        _convert(out_dir / FILE_NAMES["onnx", "none"], lambda p: export_onnx(src, p, opset),
                 inputs, reference, value_range, records, failures)
    if tflite_pairs:
        with saved_model(src, tflite_batch) as folder:
            for q in tflite_pairs:
                _convert(out_dir / FILE_NAMES["tflite", q],
                         lambda p, q=q: export_tflite(folder, p, q, src, calibration_samples,
                                                      batch=tflite_batch),
                         inputs, reference, value_range, records, failures, quality)

    manifest = manifest_lib.build(src, records)
    manifest["parity_inputs"] = {"samples": parity_samples, "seed": parity.PARITY_SEED,
                                 **src.distribution}
    if quality is not None:
        manifest["quality_inputs"] = {"samples": quality_samples, "seed": parity.QUALITY_SEED}
    manifest["failed_conversions"] = failures
    manifest["skipped"] = skipped
    manifest["passed"] = not failures and all(r["parity"]["passed"] for r in records)
    manifest_lib.write(out_dir, manifest)
    if bench and records:
        from ganzoo.export import latency

        manifest["latency"] = latency.benchmark(src, out_dir, records, batch_sizes, threads,
                                                warmup=warmup, runs=runs)
        manifest_lib.write(out_dir, manifest)
    return manifest


def _convert(path, convert, inputs, reference, value_range, records, failures, quality=None):
    try:
        facts = convert(path)
    except Exception as error:  # a converter failure is reported, not raised mid-export
        failures.append({"file": path.name, "error": f"{type(error).__name__}: {error}"})
        path.unlink(missing_ok=True)
        return
    generator = runtime.load(path, check=False)
    checked = parity.check_artifact(generator, inputs, reference, facts["precision"], value_range)
    if quality is not None and facts["precision"] not in parity.MAX_ABS and checked["passed"]:
        agreement = parity.digits_agreement(generator, *quality)
        if agreement is not None:
            checked["digits"] = agreement
            if "passed" in agreement:
                checked["passed"] = agreement["passed"]
                checked["summary"] = (("pass: " if agreement["passed"] else "FAIL: ")
                                      + checked["summary"].removeprefix("pass: ")
                                      + f"; digits classifier agreement "
                                      f"{agreement['classifier_agreement']:.3f}, digits-FID vs "
                                      f"float32 {agreement['digits_fid_vs_float32']:.3g} "
                                      f"({agreement['rule']})")
    records.append(manifest_lib.artifact_record(path, facts, checked))


def _check_out(out_dir, overwrite):
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"Output {out_dir} exists and is not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"Output folder {out_dir} exists and is not empty; choose "
                              "another --out or pass --overwrite to replace its artifacts.")


def _prepare(out_dir):
    # Only what an earlier export wrote goes; anything else in the folder stays.
    for name in [*FILE_NAMES.values(), runtime.MANIFEST_FILE]:
        (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)


__all__ = ["export_generator", "plan", "check_packages", "FORMATS", "QUANTIZATIONS", "FILE_NAMES"]
