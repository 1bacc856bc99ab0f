"""Distillation for the edge: students of dcgan-digits at widths 1, 0.5 and 0.25 against
their teacher: size, FLOPs, quality and batch-1 latency in ONNX Runtime and LiteRT.

Each student is `ganzoo distill TEACHER --width W` (the same training as the zoo entry
dcgan-digits-tiny at 0.5), trained into WORK/student-wW; the teacher is the zoo
entry's shipped weights. Every model is measured as `ganzoo eval` measures a digits
entry (FID and confident fraction in the shipped digits classifier's space, against
the held-out test split, the entry's evaluation seed) and exported by `ganzoo-export`
(ONNX float32, LiteRT float32 and full-integer int8, parity-checked). The latencies are
then timed in this one process, every model's artifacts alternating (export.runtime),
so that machine load hits them alike. Targets (issue 22): at width 0.5, FID within 20%
of the teacher's and ONNX Runtime batch-1 latency at most 0.5x the teacher's.

    python benchmarks/distillation.py                          # the whole table
    python benchmarks/distillation.py --widths 0.5             # one width (its cell)
    python benchmarks/distillation.py --resume                 # reuse finished cells

Each finished cell (one model: trained, measured, exported) is appended to
results/distillation/cells.jsonl; `--resume` reuses those with the same settings, and
a student's run folder in WORK resumes (or is reused) as `ganzoo distill` would.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from report import machine, markdown_table, publish, run_cells  # noqa: E402

NAME = "distillation"
TEACHER = "dcgan-digits"
FID_TARGET = 1.2      # at width 0.5: FID <= 1.2x the teacher's
LATENCY_TARGET = 0.5  # at width 0.5: ONNX Runtime batch-1 p50 <= 0.5x the teacher's
TARGET_WIDTH = 0.5
# artifact -> its table column (the first is the ratio's)
ARTIFACTS = {"generator.onnx": "ONNX Runtime f32",
             "generator_int8.onnx": "ONNX Runtime int8 (QDQ)",
             "generator_float32.tflite": "LiteRT f32",
             "generator_int8.tflite": "LiteRT int8"}


def run_cell(job):
    """Train (or reuse) one model, measure it, export it; in a process of its own."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import json
    import time

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ganzoo import runs, zoo
    from ganzoo.export import export_generator
    from ganzoo.metrics.model_report import data_options, evaluate_model, headline_metrics
    from ganzoo.nets.flops import forward_flops
    from ganzoo.training.distillation import distill
    from ganzoo.zoo.students import student_config

    work = Path(job["work_dir"])
    start = time.perf_counter()
    if job["model"] == "teacher":
        source, config, gan = job["teacher"], zoo.get_entry(job["teacher"]), zoo.load(job["teacher"])
        trained_s = config["pretrained"]["wall_time_s"]
    else:
        source = work / f"student-w{job['width']:g}"
        config = student_config(job["teacher"], job["width"], steps=job["steps"],
                                steps_per_epoch=job["steps_per_epoch"])
        if not runs.is_finished(source) or runs.read_config(source) != json.loads(
                json.dumps(config)):  # compared as YAML reads it back
            distill(config, source, verbose=2, overwrite=runs.is_finished(source))
        gan = runs.load_run(source)
        trained_s = runs.read_metadata(source)["wall_time_s"]
    evaluation = config.get("evaluation") or {}
    _, report = evaluate_model(gan, config["data"]["source"], name=str(source),
                               num=evaluation.get("num"), seed=evaluation.get("seed", 0),
                               **data_options(config))
    metrics = headline_metrics(report)
    out = work / "exports" / (job["model"] if job["model"] == "teacher"
                              else f"student-w{job['width']:g}")
    manifest = export_generator(str(source), out, formats=["onnx", "tflite"],
                                quantize=["none", "int8"], overwrite=True)
    generator = gan.inference_generator()
    return {**job, "base_filters": gan.base_filters, "parameters": generator.count_params(),
            "flops": forward_flops(generator, batch_size=1), "fid": metrics["fid"],
            "confident_fraction": metrics["confident_fraction"],
            "modes_covered": metrics["modes_covered"], "train_wall_time_s": trained_s,
            "export_dir": str(out), "parity_passed": manifest["passed"],
            "artifact_sizes": {a["file"]: a["size_bytes"] for a in manifest["artifacts"]},
            "cell_wall_time_s": round(time.perf_counter() - start, 1)}


def time_artifacts(cells, threads, runs):
    """Batch-1 p50 latency (ms) of every cell's artifacts, timed together: {(model, artifact): row}."""
    from ganzoo.export import runtime

    generators, shape = {}, None
    for cell in cells:
        folder = Path(cell["export_dir"])
        manifest = runtime.read_manifest(folder)
        shape = runtime.example_shape(manifest)
        for artifact in ARTIFACTS:
            if (folder / artifact).is_file():
                # timed even if it failed parity (the table's parity column says so)
                generators[f"{label(cell)}|{artifact}"] = runtime.load(
                    folder / artifact, threads, allow_failing=True)
    rows = runtime.benchmark(generators, shape, batch_sizes=(1,), runs=runs)
    return {tuple(row["name"].split("|")): row for row in rows}


def label(cell):
    return "teacher" if cell["model"] == "teacher" else f"student w{cell['width']:g}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default=TEACHER)
    parser.add_argument("--widths", type=float, nargs="+", default=[1.0, 0.5, 0.25])
    parser.add_argument("--steps", type=int, default=2000,
                        help="distillation steps per student (dcgan-digits-tiny's 2000)")
    parser.add_argument("--steps-per-epoch", type=int, default=200)
    parser.add_argument("--no-teacher", action="store_true", help="students only")
    parser.add_argument("--work-dir", type=Path, default=Path("runs") / "bench_distillation",
                        help="student run folders and exports (default runs/bench_distillation)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=200, help="timed runs per artifact")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the table; write no results and no cell cache")
    parser.add_argument("--resume", action="store_true",
                        help=f"reuse finished cells with identical settings from "
                             f"results/{NAME}/cells.jsonl")
    args = parser.parse_args()
    common = {"teacher": args.teacher, "threads": args.threads,
              "work_dir": str(args.work_dir.resolve())}
    jobs = [] if args.no_teacher else [{"model": "teacher", **common}]
    jobs += [{"model": "student", "width": width, "steps": args.steps,
              "steps_per_epoch": args.steps_per_epoch, **common} for width in args.widths]
    # one cell at a time: each trains on every core, and timing needs them quiet
    cells, reused, total_s = run_cells(NAME, jobs, run_cell, processes=1, resume=args.resume,
                                       dry_run=args.dry_run,
                                       shown=("model", "fid", "parameters", "cell_wall_time_s"))
    cells = [c for c in cells if Path(c["export_dir"]).is_dir()]
    cells.sort(key=lambda c: (c["model"] != "teacher", -c.get("width", 1)))
    latency = time_artifacts(cells, args.threads, args.runs)
    publish_table(cells, latency, args, total_s, reused)


def publish_table(cells, latency, args, total_s, reused):
    teacher = next((c for c in cells if c["model"] == "teacher"), None)
    onnx = "generator.onnx"
    rows, verdicts = [], []
    for cell in cells:
        times = [latency.get((label(cell), artifact)) for artifact in ARTIFACTS]
        ratio = (f"{times[0]['p50_ms'] / latency[('teacher', onnx)]['p50_ms']:.2f}x"
                 if teacher and times[0] else "-")
        rows.append((label(cell), cell["base_filters"], f"{cell['parameters']:,}",
                     f"{cell['flops'] / 1e6:.1f} M", f"{cell['fid']:.2f}",
                     f"{cell['confident_fraction']:.3f}",
                     *[f"{t['p50_ms']:.3f}" if t else "-" for t in times], ratio,
                     "pass" if cell["parity_passed"] else "FAIL",
                     f"{cell['train_wall_time_s']:.0f}"))
    target = next((c for c in cells if c.get("width") == TARGET_WIDTH), None)
    if teacher and target:
        fid_ratio = target["fid"] / teacher["fid"]
        time_ratio = (latency[(label(target), onnx)]["p50_ms"]
                      / latency[("teacher", onnx)]["p50_ms"])
        verdicts = [f"width {TARGET_WIDTH:g}: FID {target['fid']:.2f} = {fid_ratio:.2f}x the "
                    f"teacher's {teacher['fid']:.2f} (target <= {FID_TARGET}x: "
                    f"{'met' if fid_ratio <= FID_TARGET else 'MISSED'})",
                    f"width {TARGET_WIDTH:g}: ONNX Runtime batch-1 p50 {time_ratio:.2f}x the "
                    f"teacher's (target <= {LATENCY_TARGET}x: "
                    f"{'met' if time_ratio <= LATENCY_TARGET else 'MISSED'})"]
    table = markdown_table(("model", "base filters", "parameters", "FLOPs (batch 1)", "FID",
                            "confident", *[f"{name} p50 ms" for name in ARTIFACTS.values()],
                            "ONNX vs teacher", "parity", "train s"), rows)
    print(table)
    print("\n".join(verdicts))
    if args.dry_run:
        return
    command = " ".join(["python benchmarks/distillation.py", *sys.argv[1:]])
    setup = (f"Teacher: {args.teacher}'s shipped weights. Students: `ganzoo distill "
             f"{args.teacher} --width W`, {args.steps} steps of 64 fresh prior latents, L1 "
             "pixel loss plus the digits classifier's penultimate features, Adam 1e-3 decayed "
             "linearly. FID and confident fraction as `ganzoo eval` measures the entry (1,437 "
             "samples against the 360 held-out test digits, seed 0). Latency: batch 1, "
             f"{args.threads} threads, every artifact in one process, alternating, up to "
             f"{args.runs} timed runs each; {machine()['cpus']} CPUs ({machine()['processor']}). "
             f"Total {total_s / 60:.0f} min"
             + (f", {reused} cells reused (`--resume`)" if reused else ""))
    publish(NAME, {"setup": {**vars(args), "work_dir": str(args.work_dir)}, "cells": cells,
                   "latency": [{"model": m, "artifact": a, **row}
                               for (m, a), row in latency.items()],
                   "verdicts": verdicts},
            f"## Distillation for the edge\n\n`{command}`\n\n{setup}.\n\n{table}\n\n"
            + "\n".join(f"- {v}" for v in verdicts))


if __name__ == "__main__":
    main()
