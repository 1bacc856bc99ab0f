"""Latency of every artifact beside the Keras generator it came from, in one process.

A TFLite file with a fixed batch of 1 serves a batch of 8 as 8 invocations (a file
of batch 4 serves 6 as 2, the last padded); the table says so ("8 (8 calls)"), and
that time is what a device would spend.

References: Keras `predict`, a direct Keras call and a `tf.function` of the same
generator. All candidates take the same NumPy batch (a conditional generator's:
latents and labels) and return NumPy (the Keras
ones convert their tensor), are warmed up, then timed one call at a time, alternating
(see `ganzoo.export.runtime.measure`). The report recommends the fastest artifact that
passed parity and is not slower than float32 in its runtime, and flags quantized
artifacts slower than float32 in their runtime (ONNX int8 against ONNX float32,
LiteRT's flavours against LiteRT float32).

`ganzoo-export` times the artifacts alone by default (`references=False`: no Keras
calls, a few seconds) and records each one's figures in its manifest record
(`artifact_latency`); `--bench` adds the Keras references and prints the full table.
"""

import os

from ganzoo.export import runtime
from ganzoo.export.sources import input_specs

SLOWER_MARGIN = 1.05
# Seconds of timed calls per candidate and batch size, and the fewest runs a slow
# candidate still gets: `--bench`'s, and the shorter timing `ganzoo-export` does by
# default, which keeps an export's timing to seconds.
BENCH_BUDGET_S, BENCH_MIN_RUNS = 5.0, 20
QUICK_BUDGET_S, QUICK_MIN_RUNS = 0.5, 10


def default_threads():
    return os.cpu_count() or 1


def benchmark(source, folder, artifacts, batch_sizes=(1, 8), threads=None, warmup=10,
              runs=100, budget_s=BENCH_BUDGET_S, min_runs=BENCH_MIN_RUNS, seed=0, size=None,
              references=True):
    """Latency rows for `artifacts` (manifest records in `folder`) and, with
    `references`, for the Keras generator they came from.

    `size`: the input (height, width) for a generator of any image size (an
    `AnySizeSource`); None for other generators, which take one shape.
    """
    import tensorflow as tf

    threads = threads or default_threads()
    graph = _graph(source) if references else None
    loaded = {record["file"]: runtime.load(os.path.join(folder, record["file"]), threads,
                                           check=False)
              for record in artifacts}
    by_file = {record["file"]: record for record in artifacts}
    rows = []
    for batch in batch_sizes:
        x = source.inputs(batch, seed) if size is None else source.inputs_at(size, batch, seed)
        calls = _reference_calls(source.model, graph, x, batch) if references else {}
        calls.update({name: (lambda g=g: g(x)) for name, g in loaded.items()})
        timings = runtime.measure(calls, warmup=warmup, runs=runs, budget_s=budget_s,
                                  min_runs=min_runs)
        for name, seconds in timings.items():
            stats = runtime.latency_stats(seconds, batch)
            if name in by_file:
                record = by_file[name]
                row = {"name": name, "runtime": record["runtime"],
                       "precision": record["precision"], "file_batch": record.get("batch"),
                       "size_bytes": record["size_bytes"],
                       "parity_passed": record["parity"]["passed"]}
            else:
                row = {"name": name, "runtime": "tensorflow", "precision": "float32",
                       "file_batch": None, "size_bytes": None, "parity_passed": None}
            rows.append({**row, "batch": batch, **stats})
    facts = {} if size is None else {"input_size": list(size),
                                     "output_size": [source.scale * side for side in size]}
    return {**facts, "threads": threads,
            "tensorflow_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "warmup": warmup, "max_runs": runs, "budget_s": budget_s,
            "references": references, "rows": rows,
            "recommended": recommend(rows), "flags": slow_quantized(rows)}


def _graph(source):
    """A `tf.function` of `source`'s model, traced for its input specs."""
    import tensorflow as tf

    model = source.model
    # A conditional generator's graph takes z and label apart; Keras and the runtimes
    # take them as one [z, labels] argument.
    return tf.function(lambda *x: model(list(x) if len(x) > 1 else x[0], training=False),
                       input_signature=input_specs(source))


def _reference_calls(model, graph, x, batch):
    """Keras `predict`, a direct call and `graph` (a `tf.function` of `model`) on `x`."""
    import keras

    parts = x if isinstance(x, list) else [x]
    return {"keras predict": lambda: model.predict(x, batch_size=batch, verbose=0),
            "keras call": lambda: keras.ops.convert_to_numpy(model(x, training=False)),
            "tf.function": lambda: graph(*parts).numpy()}


def artifact_latency(report, record):
    """What `record`'s manifest entry says of its own latency in `report` (from
    `benchmark`): the threads, and per batch size `batch_N` its p50 / p90 in ms, the
    timed runs and, for a file of a smaller fixed batch, the calls one batch took."""
    figures = {"threads": report["threads"]}
    for row in report["rows"]:
        if row["name"] != record["file"]:
            continue
        timed = {"p50_ms": row["p50_ms"], "p90_ms": row["p90_ms"], "runs": row["runs"]}
        calls = _calls(row)
        figures[f"batch_{row['batch']}"] = {**timed, **({"calls": calls} if calls > 1 else {})}
    return figures


def _calls(row):
    """Runtime calls one batch of `row` took: a file of a smaller fixed batch runs it in parts."""
    return -(-row["batch"] // row["file_batch"]) if row.get("file_batch") else 1


def recommend(rows):
    """Per batch size: the fastest artifact (p50) that passed parity and is not slower
    than the float32 artifact of its own runtime (a quantized file slower than float32,
    as ONNX Runtime's int8 ConvTranspose can be, is flagged, never recommended), or None."""
    float32 = _float32_rows(rows)
    best = {}
    for row in rows:
        base = float32.get((row["runtime"], row["batch"]))
        if not row["parity_passed"] or (base is not None and row["p50_ms"] > base["p50_ms"]):
            continue
        current = best.get(row["batch"])
        if current is None or row["p50_ms"] < current["p50_ms"]:
            best[row["batch"]] = row
    return {str(batch): {"file": row["name"], "runtime": row["runtime"],
                         "precision": row["precision"], "p50_ms": row["p50_ms"]}
            for batch, row in sorted(best.items())}


def slow_quantized(rows):
    """Warnings for quantized artifacts slower than float32 in their own runtime (ONNX
    int8 against the float32 ONNX file, LiteRT's flavours against LiteRT float32)."""
    float32 = _float32_rows(rows)
    flags = []
    for row in rows:
        base = float32.get((row["runtime"], row["batch"]))
        if row["parity_passed"] is None or row["precision"] == "float32" or base is None:
            continue
        # 5% margin: timing noise alone should not raise a flag.
        if row["p50_ms"] > SLOWER_MARGIN * base["p50_ms"]:
            flags.append(f"{row['name']} ({row['precision']}) is {row['p50_ms'] / base['p50_ms']:.1f}x "
                         f"slower than {base['name']} (float32) at batch {row['batch']}: "
                         f"{row['p50_ms']:.3f} ms vs {base['p50_ms']:.3f} ms")
    return flags


def _float32_rows(rows):
    """(runtime, batch) -> the float32 artifact's row (not the TensorFlow references')."""
    return {(r["runtime"], r["batch"]): r for r in rows
            if r["parity_passed"] is not None and r["precision"] == "float32"}


def table_rows(report):
    """Rows for a Markdown or console table, references first, fastest first."""
    out = []
    for row in sorted(report["rows"], key=lambda r: (r["batch"], r["runtime"] != "tensorflow",
                                                     r["p50_ms"])):
        size = "-" if row["size_bytes"] is None else _size(row["size_bytes"])
        parity = {None: "reference", True: "pass", False: "FAIL"}[row["parity_passed"]]
        calls = _calls(row)
        batch = f"{row['batch']} ({calls} calls)" if calls > 1 else str(row["batch"])
        out.append([row["name"], row["runtime"], row["precision"], batch,
                    f"{row['p50_ms']:.3f}", f"{row['p90_ms']:.3f}", f"{row['p99_ms']:.3f}",
                    f"{row['samples_per_s']:.0f}", size, parity])
    return out


TABLE_HEADER = ["artifact", "runtime", "precision", "batch", "p50 ms", "p90 ms", "p99 ms",
                "samples/s", "size", "parity"]


def format_console(report, table=True):
    """The report for a terminal: with `table`, every row (`table_rows`), then the
    threads, the recommendation per batch size and the flags."""
    lines = []
    if table:
        rows = [TABLE_HEADER] + [[str(c) for c in row] for row in table_rows(report)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADER))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    if "input_size" in report:
        (h, w), (out_h, out_w) = report["input_size"], report["output_size"]
        lines.append(f"input {h}x{w} -> output {out_h}x{out_w}")
    tensorflow = (f"; TensorFlow intra-op "
                  f"{report['tensorflow_intra_op_threads'] or 'default (all cores)'}"
                  if report.get("references", True) else "")
    lines.append(f"threads: {report['threads']} (runtimes){tensorflow}")
    for batch, pick in report["recommended"].items():
        lines.append(f"recommended at batch {batch}: {pick['file']} ({pick['runtime']}, "
                     f"{pick['precision']}, p50 {pick['p50_ms']:.3f} ms)")
    lines += [f"warning: {flag}" for flag in report["flags"]]
    return "\n".join(lines)


def _size(num_bytes):
    return f"{num_bytes / 1024:.0f} KiB" if num_bytes < 1 << 20 else f"{num_bytes / 2**20:.2f} MiB"


def speed_ratio(report, name, reference, batch):
    """p50 of `name` over p50 of `reference` at `batch` (e.g. ONNX over tf.function)."""
    p50 = {(r["name"], r["batch"]): r["p50_ms"] for r in report["rows"]}
    return p50[(name, batch)] / p50[(reference, batch)]
