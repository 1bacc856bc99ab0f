"""The `ganzoo-export` console script: a run folder or zoo entry to ONNX / TFLite.

    ganzoo-export ENTRY|RUN --formats onnx,tflite --quantize none,float16,dynamic,int8
                  --out DIR [--bench | --no-bench] [--batch-sizes 1,8] [--threads N]
                  [--opset 17] [--tflite-batch 1|N|dynamic] [--raw-generator]
                  [--truncation PSI] [--sizes 32,64] [--bench-size 128]

Every artifact is timed in its runtime (ONNX Runtime, LiteRT) at each of --batch-sizes,
with --threads: p50 and p90 land in its manifest record, the CPU and runtime versions
at the manifest's top, the recommended artifact on the console. --bench also times the
Keras generator beside them and prints the full table; --no-bench skips timing.

A Pix2Pix or SRResNet / SRGAN generator takes images of any height and width (Pix2Pix:
multiples of its U-Net's 2**depth): its artifacts keep them dynamic, and parity is
checked at each of `--sizes` (default the training size and twice it).

A class-conditional GAN's generator exports with two inputs, `z` and `label` (int32).

`--formats onnx --quantize int8` writes `generator_int8.onnx`: static int8 in the QDQ
format, calibrated on `--calibration-samples` inputs as TFLite's int8 is.

A GAN's run or entry exports its generator; an anomaly detector's (a run folder with
detector.json, or a detector's zoo entry) its scorer, images -> scores, checked on
its task's test images and AUROC.

Exit status: 0 when every artifact passed parity, 1 when any failed (it stays on
disk, marked failing in manifest.json), 2 on bad input or a missing package of the
`export` extra (one line on stderr).
"""

import argparse
import sys
from pathlib import Path

from ganzoo.export.runtime import MissingDependencyError
from ganzoo.startup import import_tensorflow


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        batch_sizes = _batch_sizes(args.batch_sizes)
        tflite_batch = _tflite_batch(args.tflite_batch)
        sizes = _sizes(args.sizes)
        if args.threads is not None and args.threads < 1:
            raise ValueError(f"--threads must be at least 1; got {args.threads}.")
        from ganzoo.export.pipeline import check_packages, plan

        _entry_defaults(args)
        # Bad names and a missing package of the export extra fail before TensorFlow starts.
        check_packages(plan(args.formats, args.quantize)[0])
        import_tensorflow(args.verbose)
        _set_tensorflow_threads(args.threads)
        from ganzoo.export.pipeline import export_generator

        out = args.out or _default_out(args.source)
        manifest = export_generator(
            args.source, out, args.formats, args.quantize, args.opset, tflite_batch=tflite_batch,
            untrained=args.untrained,
            calibration_samples=args.calibration_samples, overwrite=args.overwrite,
            latency=not args.no_bench, bench=args.bench, batch_sizes=batch_sizes,
            threads=args.threads, runs=args.runs,
            warmup=args.warmup, use_ema=not args.raw_generator, truncation=args.truncation,
            sizes=sizes, bench_size=args.bench_size)
    except (ValueError, FileExistsError, FileNotFoundError, MissingDependencyError) as error:
        print(f"ganzoo-export: error: {error}", file=sys.stderr)
        return 2
    _print_report(manifest, out)
    return 0 if manifest["passed"] else 1


DEFAULT_FORMATS, DEFAULT_QUANTIZE = "onnx,tflite", "none,float16,dynamic,int8"


def _entry_defaults(args):
    # A zoo entry may say what it exports to (its `export:` section); flags win.
    entry = {}
    if not Path(args.source).exists():
        from ganzoo.zoo import catalog

        if args.source in catalog.list_entries():
            entry = catalog.read_entry(args.source).get("export", {})
    args.formats = args.formats or ",".join(entry.get("formats", [])) or DEFAULT_FORMATS
    args.quantize = args.quantize or ",".join(entry.get("quantize", [])) or DEFAULT_QUANTIZE


def _parser():
    parser = argparse.ArgumentParser(prog="ganzoo-export", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="a run folder (a GAN's, or an anomaly detector's), or "
                                       "a zoo entry name")
    parser.add_argument("--formats",
                        help="comma-separated: onnx, tflite (default: the zoo entry's export "
                             "formats, else both)")
    parser.add_argument("--quantize",
                        help="comma-separated: none (float32), float16, dynamic (dynamic-range "
                             "int8), int8 (full-integer; for ONNX, static int8 in the QDQ "
                             "format); TFLite offers all, ONNX none and int8 (default: the "
                             "zoo entry's, else all)")
    parser.add_argument("--out", type=Path, help="output folder (default RUN/export)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset, 13-18 (default 17)")
    parser.add_argument("--tflite-batch", default="1",
                        help="batch size fixed in TFLite files, or 'dynamic' (default 1: "
                             "fastest; larger batches run as repeated calls)")
    timing = parser.add_mutually_exclusive_group()
    timing.add_argument("--bench", action="store_true",
                        help="also time the Keras generator (predict, call, tf.function) "
                             "beside the artifacts and print the full latency table")
    timing.add_argument("--no-bench", action="store_true",
                        help="skip timing the artifacts (by default each is timed for a "
                             "second or so and its latency recorded in the manifest)")
    parser.add_argument("--batch-sizes", default="1,8", help="batch sizes to time (default 1,8)")
    parser.add_argument("--threads", type=int, help="threads for every runtime and TensorFlow "
                                                    "(default: all cores)")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per candidate "
                                                              "(default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls before timing "
                                                              "(default 10)")
    parser.add_argument("--calibration-samples", type=int, default=200,
                        help="representative inputs for int8, TFLite's and ONNX's "
                             "(default 200)")
    parser.add_argument("--raw-generator", action="store_true",
                        help="a GAN trained with a generator EMA (ema_decay) exports the "
                             "averaged generator; this exports the raw one instead")
    parser.add_argument("--truncation", type=float, metavar="PSI",
                        help="a StyleGAN2's truncation psi, fixed in the exported generator "
                             "(default: none)")
    parser.add_argument("--sizes", help="for a generator of any image size (Pix2Pix, "
                                        "SRResNet): comma-separated input sides, or HxW, to "
                                        "check parity at (default: the training size and "
                                        "twice it)")
    parser.add_argument("--bench-size", type=int, metavar="SIDE",
                        help="for such a generator: the input side --bench times it at "
                             "(default: its training size)")
    parser.add_argument("--untrained", action="store_true",
                        help="export a zoo entry's untrained generator, to try the pipeline")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the artifacts of an existing output folder")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines")
    return parser


def _timed_batches(manifest):
    """The batch sizes the artifacts were timed at (none without timing)."""
    return sorted({row["batch"] for row in manifest.get("latency", {}).get("rows", [])})


def _batch_sizes(text):
    return positive_ints(text, "--batch-sizes", "1,8")


def positive_ints(text, flag, example):
    """`[1, 8]` of "1,8", or a ValueError naming `flag` and giving `example`."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise ValueError(f"{flag} must be positive integers like {example}; got {text!r}.")
    return values


def _sizes(text):
    if text is None:
        return None
    try:
        sizes = [tuple(int(side) for side in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(len(size) not in (1, 2) for size in sizes):
        raise ValueError(f"--sizes must be sides or HxW sizes like 32,64 or 32x48; got {text!r}.")
    return [size * 2 if len(size) == 1 else size for size in sizes]


def _tflite_batch(text):
    if text == "dynamic":
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"--tflite-batch must be a positive integer or 'dynamic'; got {text!r}.")
    return int(text)


def _default_out(source):
    path = Path(source)
    return path / "export" if path.is_dir() else Path("exports") / source


def _set_tensorflow_threads(threads):
    # Only possible before TensorFlow runs its first op; the references then use the
    # same thread count as the runtimes.
    if threads is None:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # TensorFlow already running (main() called in-process): the report says so


def _print_report(manifest, out):
    source = manifest["source"]
    what = source.get("run") or source.get("entry") or source.get("name")
    trained = {True: "trained", False: "UNTRAINED weights", None: "weights as given"}[
        source.get("trained")]
    if source.get("generator_weights") == "ema":
        trained += ", generator EMA"
    if "scorer" in manifest:
        scorer = manifest["scorer"]
        trained = f"{scorer['detector']} scorer: images -> {scorer['score']}, {trained}"
    print(f"Exported {what} ({trained}) to {out}")
    if "label_input" in manifest:
        latent, label = manifest["input"], manifest["label_input"]
        print(f"Inputs: {latent['name']} float32 {latent['shape'][1:]} and {label['name']} "
              f"int32, one class index in [0, {label['num_classes']}) per sample")
    if "scorer" in manifest:
        checked = manifest["parity_inputs"]
        task = f" of the task {checked['task']!r}" if checked.get("task") else ""
        print(f"Parity: scores of {checked['images']} test images{task} against the Keras "
              "detector's")
    timed = _timed_batches(manifest)
    rows = [("artifact", "precision", "batch", "size",
             *(f"p50 ms, batch {batch}" for batch in timed), "parity")]
    rows += [(r["file"], r["precision"], "dynamic" if r["batch"] is None else str(r["batch"]),
              f"{r['size_bytes'] / 1024:.0f} KiB",
              *(f"{r['latency'][f'batch_{batch}']['p50_ms']:.3f}" for batch in timed),
              r["parity"]["summary"])
             for r in manifest["artifacts"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)), row[-1])
    for failure in manifest["failed_conversions"]:
        print(f"FAIL {failure['file']}: conversion failed: {failure['error']}")
    for note in manifest["skipped"]:
        print(f"skipped {note}")
    print(f"Manifest: {Path(out) / 'manifest.json'}")
    if "latency" in manifest:
        from ganzoo.export.latency import format_console

        report, machine = manifest["latency"], manifest["machine"]
        print()
        print(format_console(report, table=report["references"]))
        print(f"timed on {machine['cpu']} ({machine['cpus']} CPUs), onnxruntime "
              f"{manifest['versions']['onnxruntime']}, ai-edge-litert "
              f"{manifest['versions']['ai-edge-litert']}")
    if not manifest["passed"]:
        print("Some artifacts FAILED parity or conversion; they are marked failing in the "
              "manifest and ganzoo.export.runtime refuses them.")


if __name__ == "__main__":
    sys.exit(main())
