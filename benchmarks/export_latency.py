"""Export latency: every zoo generator as ONNX and TFLite (4 flavours), timed side by side.

For each zoo entry, the generator (from a trained run folder when given, else the
entry's shipped pretrained weights, else its untrained generator, marked so) is
exported to ONNX float32 / static int8 (QDQ) and TFLite float32 / float16 /
dynamic-range int8 / full-integer int8, checked for parity, and
timed at each batch size against Keras `predict`, a direct Keras call and a
`tf.function` of the same generator, in one process with the same thread count
(see export.latency). Targets: ONNX Runtime float32 at batch 1 <= 0.6x the
tf.function latency; full-integer int8 in LiteRT faster than LiteRT float32 for the
DCGAN generators; every recommendation within parity.

    python benchmarks/export_latency.py [--run ENTRY=RUN ...] [--threads 1,2,4]
        [--batch-sizes 1,8] [--runs 200]
    python benchmarks/export_latency.py --entries srresnet-x4 srgan-x4 \
        --name export_latency_upscalers          # some entries, in their own results file

`--threads 1,2,4`: the side-by-side table runs at the largest count (TensorFlow's
threads are set once per process); then the runtimes alone are timed at every count,
each reaching ONNX Runtime's `intra_op_num_threads` and LiteRT's `num_threads`: the
thread-scaling table. 1 thread is what a phone app usually gives a model.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from report import machine, markdown_table, publish  # noqa: E402

ONNX_RATIO_TARGET = 0.6
# Every flavour: ONNX float32 and static int8 (QDQ); TFLite's four.
EXPORT_FORMATS, EXPORT_QUANTIZE = "onnx,tflite", "none,float16,dynamic,int8"
# Upscalers (SRResNet, SRGAN) take any size: timed on 128x128 inputs (512x512 outputs).
UPSCALER_BENCH_SIDE = 128


def main():
    args = arguments()
    runs_of = dict(item.split("=", 1) for item in args.run)
    batch_sizes, thread_counts = args.batch_sizes, args.thread_counts
    threads = thread_counts[-1]

    # Before TensorFlow's first op: the references use the runtimes' thread count.
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import ganzoo
    from ganzoo.export import export_generator

    load_before = os.getloadavg()[0]
    record = {"machine": machine(), "threads": threads, "thread_counts": thread_counts,
              "batch_sizes": batch_sizes,
              "max_runs": args.runs, "versions": None, "generators": {}}
    sections = []
    for entry in args.entries or ganzoo.list_entries(kind="gan"):
        source = runs_of.get(entry, entry)
        untrained = entry not in runs_of and "pretrained" not in ganzoo.zoo.get_entry(entry)
        side = UPSCALER_BENCH_SIDE if _is_upscaler(entry) else None
        with tempfile.TemporaryDirectory() as out:
            manifest = export_generator(source, Path(out) / entry, untrained=untrained,
                                        formats=EXPORT_FORMATS, quantize=EXPORT_QUANTIZE,
                                        bench=True, batch_sizes=batch_sizes,
                                        threads=threads, runs=args.runs, bench_size=side)
            sweep = _thread_sweep(Path(out) / entry, manifest, batch_sizes, args.runs,
                                  thread_counts, side)
        record["versions"] = manifest["versions"]
        record["generators"][entry] = {key: manifest[key] for key in
                                       ("source", "generator", "input", "output", "artifacts",
                                        "latency", "passed")}
        record["generators"][entry]["thread_sweep"] = sweep
        sections.append(_section(entry, manifest, sweep))
        print(sections[-1], flush=True)

    versions = record["versions"]
    record["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
    what = "The listed entries' generators" if args.entries else "Every zoo generator"
    header = (
        "## Export latency\n\n"
        f"`{' '.join(['python benchmarks/export_latency.py', *sys.argv[1:]])}` (each entry's "
        "shipped pretrained weights; "
        "`--run ENTRY=RUN` exports a run folder instead)\n\n"
        f"{what} exported by `ganzoo-export` and timed in one process: warm-up, "
        f"then up to {args.runs} timed calls per candidate (fewer for slow ones, at least 20; "
        f"about 5 s each), candidates alternating; {threads} threads for ONNX Runtime, "
        f"LiteRT and TensorFlow alike, then the runtimes alone at "
        f"{', '.join(map(str, thread_counts))} threads (1 is what a phone app usually uses); "
        f"{machine()['cpus']} CPUs ({machine()['processor']}); "
        f"TensorFlow {versions['tensorflow']}, Keras {versions['keras']}, ONNX Runtime "
        f"{versions['onnxruntime']}, LiteRT (ai-edge-litert) {versions['ai-edge-litert']}, "
        f"tf2onnx {versions['tf2onnx']}. Inputs and outputs are NumPy for every candidate. "
        "ONNX files have a dynamic batch; TFLite files a fixed batch of 1 (the XNNPACK delegate "
        "then takes every layer), so their batch-8 rows are 8 calls. 1-minute load average "
        f"{load_before:.1f} at the start and {record['load_average_1min']['end']:.1f} at the end "
        "(other work shared the CPUs): compare rows within a table, not across runs.\n")
    publish(args.name, record, header + "\n" + "\n\n".join(sections))


def arguments(argv=None):
    """The command line, with `batch_sizes` and `thread_counts` (sorted) as lists."""
    from ganzoo.export.cli import positive_ints

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", action="append", default=[], metavar="ENTRY=RUN_DIR",
                        help="a trained run folder for a zoo entry (repeatable)")
    parser.add_argument("--threads", default=f"1,{os.cpu_count() or 1}",
                        help="comma-separated thread counts of the scaling table; the largest "
                             "also times the side-by-side table (default 1 and all cores)")
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per candidate")
    parser.add_argument("--entries", nargs="+", metavar="ENTRY",
                        help="only these zoo entries (default: every generator)")
    parser.add_argument("--name", default="export_latency",
                        help="results file name (give another with --entries, so the full "
                             "table is not replaced by part of it)")
    args = parser.parse_args(argv)
    try:
        args.batch_sizes = positive_ints(args.batch_sizes, "--batch-sizes", "1,8")
        args.thread_counts = sorted(set(positive_ints(args.threads, "--threads", "1,2,4")))
    except ValueError as error:
        parser.error(str(error))
    return args


def _is_upscaler(entry):
    import ganzoo
    from ganzoo.gans import UPSCALER, get_variant

    return get_variant(ganzoo.zoo.get_entry(entry)["variant"]).kind == UPSCALER


def _thread_sweep(folder, manifest, batch_sizes, runs, thread_counts, side=None):
    """The runtimes alone (no TensorFlow) at each thread count: where does int8 pay off?"""
    from ganzoo.export import runtime

    rows = []
    for threads in thread_counts:
        generators = {a["file"]: runtime.load(folder / a["file"], threads)
                      for a in manifest["artifacts"]
                      if a["precision"] in ("float32", "int8") and a["parity"]["passed"]}
        for row in runtime.benchmark(generators, runtime.example_shape(manifest, side),
                                     batch_sizes, runs=runs, budget_s=3.0,
                                     num_classes=runtime.class_count(manifest)):
            rows.append({**row, "threads": threads})
    return rows


def _digits(parity):
    digits = parity.get("digits")
    if not digits:
        return "-"
    if "unavailable" in digits:
        return "unavailable"
    return f"{digits['classifier_agreement']:.3f} / {digits['digits_fid_vs_float32']:.3g}"


def _section(entry, manifest, sweep):
    from ganzoo.export.latency import speed_ratio, table_rows, TABLE_HEADER

    source = manifest["source"]
    if not source.get("trained"):
        trained = "UNTRAINED weights (no run given, no shipped weights)"
    elif source.get("type") == "entry":
        trained = "the entry's shipped pretrained weights"
    else:
        trained = f"trained run ({source.get('generator_steps')} generator steps)"
    report = manifest["latency"]
    timed = (f" (timed on {report['input_size']} inputs, {report['output_size']} outputs)"
             if "input_size" in report else "")
    lines = [f"### {entry}",
             f"{manifest['generator']['parameters']:,} parameters, input `{manifest['input']['name']}` "
             f"{manifest['input']['shape'][1:]}, output {manifest['output']['shape'][1:]}{timed}; "
             f"{trained}.",
             "", "Parity (32 fixed inputs against the Keras generator; int8 flavours of "
                 "generators trained on digits also on 256 inputs through ganzoo.metrics' "
                 "digits classifier):", "",
             markdown_table(["artifact", "precision", "size", "max abs diff", "MAE", "PSNR dB",
                             "digits classifier agreement / FID vs float32", "rule", "result"],
                            [[a["file"], a["precision"], f"{a['size_bytes'] / 1024:.0f} KiB",
                              f"{a['parity']['max_abs_diff']:.1e}",
                              f"{a['parity']['mean_abs_error']:.1e}",
                              "inf" if a["parity"]["psnr_db"] is None
                              else f"{a['parity']['psnr_db']:.1f}",
                              _digits(a["parity"]), a["parity"]["rule"],
                              "pass" if a["parity"]["passed"] else "FAIL"]
                             for a in manifest["artifacts"]]),
             "", "Latency:", "",
             markdown_table(TABLE_HEADER, table_rows(report)), ""]
    for batch, pick in report["recommended"].items():
        lines.append(f"- Recommended at batch {batch}: `{pick['file']}` ({pick['runtime']}, "
                     f"{pick['precision']}, p50 {pick['p50_ms']:.3f} ms), within parity.")
    ratio = speed_ratio(report, "generator.onnx", "tf.function", 1)
    lines.append(f"- Target ONNX Runtime float32 / tf.function at batch 1 <= {ONNX_RATIO_TARGET}: "
                 f"measured {ratio:.2f}x ({'met' if ratio <= ONNX_RATIO_TARGET else 'MISSED'}).")
    if manifest["generator"]["name"].startswith("dcgan"):
        for batch in sorted({row["batch"] for row in report["rows"]}):
            int8 = speed_ratio(report, "generator_int8.tflite", "generator_float32.tflite", batch)
            lines.append(f"- Target full-integer int8 faster than float32 in LiteRT, batch {batch}: "
                         f"int8 at {int8:.2f}x the float32 latency "
                         f"({'met' if int8 < 1 else 'MISSED'}).")
    measured = {(row["name"], row["batch"]) for row in report["rows"]}
    for batch in sorted({batch for name, batch in measured if name == "generator_int8.onnx"}):
        qdq = speed_ratio(report, "generator_int8.onnx", "generator.onnx", batch)
        lines.append(f"- ONNX Runtime static int8 (QDQ) at {qdq:.2f}x the float32 ONNX latency, "
                     f"batch {batch} (recommended only where not slower).")
    lines += [f"- Flag: {flag}" for flag in report["flags"]]
    lines += ["", "The runtimes alone at each thread count (float32 and full-integer int8):", "",
              _scaling_table(sweep)]
    return "\n".join(lines)


def _scaling_table(sweep):
    """p50 of each artifact and batch size (rows) at each thread count (columns), and
    the speed-up from the fewest threads to the most."""
    counts = sorted({row["threads"] for row in sweep})
    p50 = {(row["name"], row["batch"], row["threads"]): row["p50_ms"] for row in sweep}
    header = ["artifact", "batch", *(f"p50 ms, {n} thread{'s' if n > 1 else ''}" for n in counts)]
    if len(counts) > 1:
        header.append(f"speed-up {counts[0]} -> {counts[-1]} threads")
    rows = []
    for name, batch in sorted({(row["name"], row["batch"]) for row in sweep}):
        row = [name, batch, *(f"{p50[name, batch, n]:.3f}" for n in counts)]
        if len(counts) > 1:
            row.append(f"{p50[name, batch, counts[0]] / p50[name, batch, counts[-1]]:.2f}x")
        rows.append(row)
    return markdown_table(header, rows)


if __name__ == "__main__":
    main()
