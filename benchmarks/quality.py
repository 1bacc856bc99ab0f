"""Sample quality of the zoo's digit entries: the `ganzoo eval` table with its floor and ceiling.

Each entry is trained with its zoo schedule (`ganzoo.training.train`, as `ganzoo train`
does), or an existing run folder is measured, then evaluated exactly as `ganzoo eval
RUN` does: the GAN, real train (the floor) and uniform noise (the ceiling), each
against the held-out digits test split, through the shipped digits classifier.

    python benchmarks/quality.py                      # train both entries into runs/bench-quality/
    python benchmarks/quality.py --reuse              # measure runs/bench-quality/* if present
    python benchmarks/quality.py --runs RUN [RUN ...] # measure existing run folders
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import ganzoo  # noqa: E402
from ganzoo.metrics import evaluate  # noqa: E402
from ganzoo.runs import is_run_dir, load_run, read_config, read_metadata  # noqa: E402
from ganzoo.training import train  # noqa: E402
from report import machine, markdown_table, publish  # noqa: E402

ENTRIES = ("dcgan-digits", "vanilla-digits")


def measure(run_dir, name, num, seed):
    config = read_config(run_dir)
    start = time.perf_counter()
    report = evaluate.evaluate_gan(load_run(run_dir), name=name, num=num, seed=seed,
                                   source=config["data"]["source"])
    return report, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", nargs="+", default=list(ENTRIES))
    parser.add_argument("--runs", nargs="+", type=Path, help="measure these run folders instead")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/bench-quality"))
    parser.add_argument("--reuse", action="store_true",
                        help="measure existing runs in --runs-dir instead of retraining them")
    parser.add_argument("--num", type=int, help="samples per row (default: the train split size)")
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed")
    args = parser.parse_args(argv)

    load_at_start = os.getloadavg()[0]
    targets = ([(path.name, path, False) for path in args.runs] if args.runs else
               [(entry, args.runs_dir / entry, True) for entry in args.entries])
    results, table, protocol = [], [], None
    for name, run_dir, trainable in targets:
        trained_now = trainable and not (args.reuse and is_run_dir(run_dir))
        if trained_now:
            print(f"training {name} into {run_dir} (zoo schedule)", flush=True)
            train(name, run_dir, overwrite=True, verbose=2)
        metadata = read_metadata(run_dir)
        report, eval_time = measure(run_dir, name, args.num, args.seed)
        protocol = protocol or report["protocol"]
        results.append({"name": name, "run_dir": str(run_dir), "trained_by_this_run": trained_now,
                        "train_wall_time_s": metadata.get("wall_time_s"),
                        "epochs": metadata.get("epochs"),
                        "generator_steps": metadata.get("generator_steps"),
                        "eval_wall_time_s": round(eval_time, 1), "report": report})
        size = "x".join(str(s) for s in report["protocol"]["image_shape"])
        for row in report["rows"]:
            label = name if row["name"] == name else f"{row['name']}"
            table.append((f"**{label}**" if row["name"] == name else label, size,
                          *evaluate.format_row(row["metrics"])))
        for line in [""] + [f"  {r[0]:<28}{'  '.join(r[2:])}" for r in table[-3:]]:
            print(line)

    argv = sys.argv[1:] if argv is None else list(argv)
    command = " ".join(["python benchmarks/quality.py", *(a for a in argv if a != "--reuse")])
    how = " (these numbers: the runs it trained, measured again with `--reuse`)" if args.reuse else ""
    # Entries differ in image size; each row's size is in the table.
    lines = evaluate.protocol_lines({"rows": results[0]["report"]["rows"],
                                     "protocol": {**protocol, "image_shape": None}})
    load = (load_at_start, os.getloadavg()[0])
    runs = "; ".join(
        f"`{r['name']}`: {r['epochs']} epochs, {r['generator_steps']} generator steps, "
        f"trained in {r['train_wall_time_s']:.0f} s, evaluated in {r['eval_wall_time_s']:.0f} s"
        for r in results)
    markdown = "\n".join([
        "## Sample quality",
        "",
        f"`{command}`{how}",
        "",
        "Each entry trained with its zoo schedule (seed 0), then measured as `ganzoo eval RUN` "
        "measures: the GAN, real train images (floor) and uniform noise (ceiling), each against "
        f"the held-out digits test split, at the entry's image size. {runs}. "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs "
        f"(1-min load average {load[0]:.1f} at the start, {load[1]:.1f} at the end: other "
        "jobs on the machine slow the wall times, not the metrics).",
        "",
        markdown_table(["samples", "images", *evaluate.COLUMNS], table),
        "",
        *[f"- {line}" for line in lines],
        "",
        "Lower is better for FID, KID and KL; higher for IS (at most 10), precision, recall, "
        "modes and confident. The floor is what a perfect generator would score with these "
        "sample counts (FID and KID of two finite real samples are not 0), the ceiling what "
        "noise scores. Compare each entry with its own floor and ceiling: entries at different "
        "image sizes are resized differently on the way into the classifier.",
    ])
    publish("quality", {"command": command, "reused_runs": bool(args.reuse), "machine": machine(), "load_average_1min": load,
                        "versions": ganzoo.runs.library_versions(), "entries": results},
            markdown)
    print(f"\nwrote benchmarks/results/quality.json and the 'quality' section of benchmarks/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
