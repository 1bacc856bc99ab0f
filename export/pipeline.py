"""The export stage end to end: resolve, convert, check parity, write the manifest, time.

A generator and an anomaly detector's scorer go through the same steps; they differ in
what they are checked on (`parity.GeneratorCheck`, `score_parity.ScoreCheck`) and in
how the manifest describes them (their source's `manifest_facts`).
"""

from pathlib import Path

from ganzoo.export import manifest as manifest_lib
from ganzoo.export import fully_convolutional, parity, runtime, score_parity
from ganzoo.export.onnx_format import DEFAULT_OPSET, check_opset, export_onnx
from ganzoo.export.onnx_int8 import export_onnx_int8
from ganzoo.export.scorers import ScorerSource
from ganzoo.export.sources import Source, resolve
from ganzoo.export.tflite_format import (DEFAULT_BATCH, QUANTIZATIONS, check_batch,
                                         export_tflite, saved_model)

FORMATS = ("onnx", "tflite")
FORMAT_ALIASES = {"litert": "tflite"}
QUANTIZE_ALIASES = {"float32": "none", "fp32": "none", "fp16": "float16",
                    "dynamic-int8": "dynamic", "full-int8": "int8"}
# Which quantizations each format offers: ONNX float32 and static int8 (QDQ, see
# onnx_int8.py); TFLite all four.
SUPPORTED = {"onnx": ("none", "int8"), "tflite": QUANTIZATIONS}
# Beyond TensorFlow, each format needs its converter's packages and the runtime its
# parity check runs in: the `export` extra (checked before anything is converted).
PACKAGES = {"onnx": ("onnx", "tf2onnx", "onnxruntime"), "tflite": ("ai_edge_litert",)}
PURPOSES = {"onnx": "exporting to ONNX", "tflite": "exporting to TFLite"}
# An artifact's file: what it is ("generator", or an anomaly detector's "scorer"), then
# its flavour.
SUFFIXES = {("onnx", "none"): ".onnx",
            ("onnx", "int8"): "_int8.onnx",
            ("tflite", "none"): "_float32.tflite",
            ("tflite", "float16"): "_float16.tflite",
            ("tflite", "dynamic"): "_dynamic_int8.tflite",
            ("tflite", "int8"): "_int8.tflite"}
STEMS = (Source.artifact_stem, ScorerSource.artifact_stem)
FILE_NAMES = {pair: Source.artifact_stem + suffix for pair, suffix in SUFFIXES.items()}


def file_name(stem, fmt, quantization):
    """The file of one artifact, e.g. `file_name("scorer", "tflite", "int8")`."""
    return stem + SUFFIXES[fmt, quantization]


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
                         f"{', '.join(quantize)}; ONNX offers none (float32) and int8 only.")
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
                     quality_samples=256, overwrite=False, latency=True, bench=False,
                     batch_sizes=(1, 8), threads=None, runs=100, warmup=10, use_ema=True,
                     truncation=None, sizes=None, bench_size=None):
    """Export a generator to ONNX and/or TFLite, check parity, write manifest.json.

    Returns the manifest (a dict); `manifest["passed"]` is False when any artifact
    failed parity or conversion. Failing artifacts stay on disk, marked as failing,
    so they can be inspected; `ganzoo.export.runtime.load` refuses them. Given an
    anomaly detector (its object, run folder or zoo entry), it exports the detector's
    scorer instead, as `export_detector` does.

    Args:
        source: a `keras.Model` generator, a run folder or a zoo entry name. A
            class-conditional generator (`[z, label]`) exports with both inputs, `z`
            and `label` (int32), checked on latents and labels of every class (see
            `export.conditional`).
        out_dir: folder for the artifacts and manifest.json.
        formats: "onnx", "tflite" (a list or a comma-separated string).
        quantize: "none" (float32), "float16", "dynamic", "int8". ONNX offers "none" and
            "int8" (static int8 in the QDQ format, `generator_int8.onnx`: see
            `export.onnx_int8`); TFLite all four.
        opset: ONNX opset, 13 to 18.
        tflite_batch: batch size fixed in TFLite files (1; None keeps it dynamic, which
            is slower: see tflite_format.py). ONNX files always have a dynamic batch.
        untrained: allow a zoo entry's untrained generator (see `sources.resolve`).
        images: real images for a translator's calibration and parity (for a detector,
            see `export_detector`).
        calibration_samples: representative inputs for int8 (TFLite full-integer and
            ONNX static QDQ alike, drawn the same way with the same seed).
        parity_samples: fixed inputs every artifact is compared on.
        quality_samples: inputs for the digits classifier check of int8 flavours.
        latency: time every artifact in its runtime at `batch_sizes` with `threads`
            (default: all cores), about a second each: its manifest record gets
            `latency` (p50 / p90 per batch size), the manifest the `latency` report
            with the recommended artifact (see `export.latency`). False skips it.
        bench: also time the Keras generator (`predict`, a call, a `tf.function`)
            beside the artifacts, longer (see `export.latency`); implies `latency`.
        use_ema: for a GAN with a generator EMA, export the average (default) or,
            False, the raw generator; the manifest's source records which.
        truncation: a StyleGAN2's truncation psi, fixed in the exported graph
            (default None: psi 1, none); the manifest's source records it.
        sizes: for a generator of any image size (Pix2Pix's U-Net, SRResNet's; see
            `export.fully_convolutional`), the input sizes parity is checked at, sides
            or (height, width) pairs; default its training size and twice it. Its
            artifacts keep height and width dynamic; each artifact's `spatial_sizes`
            in the manifest says what it takes.
        bench_size: for such a generator, the input side `bench` times it at (default
            its training size).

    Example:
        >>> export_generator("runs/demo", "runs/demo/export", quantize="none,int8")
        >>> export_generator("runs/sr", "runs/sr/export", sizes=[16, 32], bench_size=128)
    """
    pairs, skipped = _checked_plan(formats, quantize, opset, tflite_batch)
    out_dir = Path(out_dir)
    _check_out(out_dir, overwrite)
    src = resolve(source, untrained=untrained, images=images, use_ema=use_ema,
                  truncation=truncation, sizes=sizes)
    any_size = isinstance(src, fully_convolutional.AnySizeSource)
    if bench_size is not None and not any_size:
        raise ValueError("bench_size applies to generators of images of any size (Pix2Pix, "
                         f"SRResNet); {src.model.name} takes one input shape.")
    if src.kind == ScorerSource.kind:
        check = score_parity.ScoreCheck(src)
    elif any_size:
        bench_size = fully_convolutional.check_size(
            (bench_size, bench_size) if bench_size else src.sizes[0], src.size_multiple,
            "the benchmark size")
        check = fully_convolutional.AnySizeCheck(src, pairs, tflite_batch, parity_samples,
                                                 quality_samples)
    else:
        check = parity.GeneratorCheck(src, pairs, tflite_batch, parity_samples, quality_samples)
    return _export(src, check, out_dir, pairs, skipped, opset, tflite_batch,
                   calibration_samples, _timing(latency, bench), batch_sizes, threads, runs,
                   warmup, bench_size)


def export_detector(source, out_dir, formats=FORMATS, quantize=QUANTIZATIONS,
                    opset=DEFAULT_OPSET, *, images=None, tflite_batch=DEFAULT_BATCH,
                    calibration_samples=200, overwrite=False, latency=True, bench=False,
                    batch_sizes=(1, 8), threads=None, runs=100, warmup=10):
    """Export an anomaly detector's scorer (images -> scores) to ONNX and/or TFLite.

    One network from images in [-1, 1] to the detector's scores
    (`ganzoo.anomaly.scoring.scoring_model`), checked against `detector.score` on the
    task's test images and on the task's AUROC (`export.score_parity`); full-integer
    int8 calibrates on the normal images. The manifest describes a `scorer`, which
    `ganzoo.export.runtime.Scorer` loads. Returns the manifest, as `export_generator`.

    Args:
        source: a fitted `ganzoo.anomaly` detector, a detector's run folder (with
            detector.json) or an anomaly detector's zoo entry.
        images: what to calibrate and check on when the source brings no task (a run
            folder without config.yaml, a detector object): a
            `ganzoo.anomaly.protocol.Task`, or an array of images in [-1, 1] (then
            parity has no AUROC). Given with a task, it replaces it.
        formats, quantize, opset, tflite_batch, calibration_samples, overwrite, latency,
        bench, batch_sizes, threads, runs, warmup: as for `export_generator`.

    Example:
        >>> task = ganzoo.anomaly.protocol.digits_task(1, image_size=32)
        >>> export_detector(detector, "export/ganomaly", images=task, quantize="none,float16")
    """
    pairs, skipped = _checked_plan(formats, quantize, opset, tflite_batch)
    out_dir = Path(out_dir)
    _check_out(out_dir, overwrite)
    src = resolve(source, images=images)
    if src.kind != ScorerSource.kind:
        raise ValueError(f"{source!r} is not an anomaly detector (a fitted ganzoo.anomaly "
                         "detector, a run folder with detector.json, or a detector's zoo "
                         "entry); export generators with export_generator.")
    return _export(src, score_parity.ScoreCheck(src), out_dir, pairs, skipped, opset,
                   tflite_batch, calibration_samples, _timing(latency, bench), batch_sizes,
                   threads, runs, warmup)


def _checked_plan(formats, quantize, opset, tflite_batch):
    pairs, skipped = plan(formats, quantize)
    check_packages(pairs)
    check_opset(opset)
    check_batch(tflite_batch)
    return pairs, skipped


def _timing(latency, bench):
    """What to time: None, "artifacts" (the default) or "bench" (Keras beside them)."""
    return "bench" if bench else "artifacts" if latency else None


def _export(src, check, out_dir, pairs, skipped, opset, tflite_batch, calibration_samples,
            timing, batch_sizes, threads, runs, warmup, bench_size=None):
    """Convert `src` to every (format, quantization) of `pairs`, check each artifact with
    `check` (a `parity.GeneratorCheck` or `score_parity.ScoreCheck`), write the manifest."""
    _prepare(out_dir)
    records, failures = [], []
    tflite_pairs = [q for f, q in pairs if f == "tflite"]
    onnx_float = out_dir / file_name(src.artifact_stem, "onnx", "none")
    if ("onnx", "none") in pairs:
        _convert(onnx_float, lambda p: export_onnx(src, p, opset), check, records, failures)
    if ("onnx", "int8") in pairs:
        # Quantized from the float32 file when there is one, rather than converted again.
        _convert(out_dir / file_name(src.artifact_stem, "onnx", "int8"),
                 lambda p: export_onnx_int8(src, p, opset, calibration_samples,
                                            float_model=onnx_float if onnx_float.is_file()
                                            else None),
                 check, records, failures)
    if tflite_pairs:
        with saved_model(src, tflite_batch) as folder:
            for q in tflite_pairs:
                _convert(out_dir / file_name(src.artifact_stem, "tflite", q),
                         lambda p, q=q: export_tflite(folder, p, q, src, calibration_samples,
                                                      batch=tflite_batch),
                         check, records, failures)

    manifest = manifest_lib.build(src, records)
    manifest.update(check.manifest_facts)
    manifest["failed_conversions"] = failures
    manifest["skipped"] = skipped
    manifest["passed"] = not failures and all(r["parity"]["passed"] for r in records)
    manifest_lib.write(out_dir, manifest)
    if timing and records:
        from ganzoo.export import latency

        references = timing == "bench"
        budget_s, min_runs = ((latency.BENCH_BUDGET_S, latency.BENCH_MIN_RUNS) if references
                              else (latency.QUICK_BUDGET_S, latency.QUICK_MIN_RUNS))
        report = latency.benchmark(src, out_dir, records, batch_sizes, threads, warmup=warmup,
                                   runs=runs, budget_s=budget_s, min_runs=min_runs,
                                   size=bench_size, references=references)
        for record in records:
            record["latency"] = latency.artifact_latency(report, record)
        manifest["latency"] = report
        manifest_lib.write(out_dir, manifest)
    return manifest


def _convert(path, convert, check, records, failures):
    try:
        facts = convert(path)
    except Exception as error:  # a converter failure is reported, not raised mid-export
        failures.append({"file": path.name, "error": f"{type(error).__name__}: {error}"})
        path.unlink(missing_ok=True)
        return
    artifact = runtime.load(path, check=False)
    if artifact.spatial_sizes is not None:  # read from the file: what it really takes
        facts = {**facts, "spatial_sizes": artifact.spatial_sizes}
    records.append(manifest_lib.artifact_record(path, facts, check(artifact, facts["precision"])))


def _check_out(out_dir, overwrite):
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"Output {out_dir} exists and is not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(f"Output folder {out_dir} exists and is not empty; choose "
                              "another --out or pass --overwrite to replace its artifacts.")


def _prepare(out_dir):
    # Only what an earlier export wrote goes; anything else in the folder stays.
    names = [file_name(stem, *pair) for stem in STEMS for pair in SUFFIXES]
    for name in [*names, runtime.MANIFEST_FILE]:
        (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)


__all__ = ["export_detector", "export_generator", "file_name", "plan", "check_packages",
           "FORMATS", "QUANTIZATIONS", "FILE_NAMES"]
