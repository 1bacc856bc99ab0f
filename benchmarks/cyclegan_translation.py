"""CycleGAN on digits2negative: is the learned A -> B map the true one?

Trains the `cyclegan-digits` zoo entry with its own schedule (or measures a run
folder given with --run-dir and --no-train), then scores translations of the 360
held-out digits against the known mapping (`negative_bold`): mean absolute error
against the ground truth next to the untranslated input's and inversion alone's,
cycle reconstruction errors, and the fraction of translations the shipped digits
classifier still gives the true class. Writes an input | translation | ground truth
PNG of 16 held-out digits.

    python benchmarks/cyclegan_translation.py                   # train, then measure
    python benchmarks/cyclegan_translation.py --run-dir runs/cyc --no-train
"""

import argparse
import os
import sys
import time
from pathlib import Path

from report import RESULTS, machine, markdown_table, publish

NAME = "cyclegan_translation"
ENTRY = "cyclegan-digits"
# Targets of issue #5.
MAX_ERROR_RATIO, MIN_CLASS_KEPT = 0.5, 0.9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", type=Path, default=Path("runs") / f"bench-{ENTRY}",
                        help="run folder to train into (replaced) or to measure")
    parser.add_argument("--no-train", action="store_true", help="measure --run-dir as it is")
    parser.add_argument("--epochs", type=int, help="override the entry's epochs (a quick try)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from ganzoo.data.digits_pair import digits_pair_arrays
    from ganzoo.images import save_columns
    from ganzoo.metrics.translation import COLUMNS, digits2negative_report, format_row
    from ganzoo.runs import load_run, read_metadata
    from ganzoo.training import train

    if not args.no_train:
        start = time.perf_counter()
        train(ENTRY, args.run_dir, epochs=args.epochs, overwrite=True, verbose=2)
        print(f"trained {ENTRY} in {time.perf_counter() - start:.0f} s")
    cyc = load_run(args.run_dir)
    metadata = read_metadata(args.run_dir)
    report = digits2negative_report(cyc, name=ENTRY)
    rows = {row["name"]: row["metrics"] for row in report["rows"]}
    model = rows[ENTRY]
    ratio = model["a2b MAE"] / rows["untranslated input"]["a2b MAE"]

    size, _, channels = cyc.image_shape
    images_a, _, truth_b, _ = digits_pair_arrays("test", size, channels)
    picture = save_columns([images_a[:16], cyc.translate(images_a[:16]), truth_b[:16]],
                           RESULTS / f"{NAME}.png")

    table = markdown_table(["", *COLUMNS], [(row["name"], *format_row(row["metrics"]))
                                            for row in report["rows"]])
    checks = [f"a2b error / untranslated input's error: {ratio:.3f} (target <= "
              f"{MAX_ERROR_RATIO}: {'met' if ratio <= MAX_ERROR_RATIO else 'NOT met'})",
              f"a2b class kept: {100 * model['a2b class kept']:.1f}% (target >= "
              f"{100 * MIN_CLASS_KEPT:.0f}%: "
              f"{'met' if model['a2b class kept'] >= MIN_CLASS_KEPT else 'NOT met'})",
              f"b2a class kept: {100 * model['b2a class kept']:.1f}%"]
    training = (f"{metadata.get('epochs')} epochs, {metadata.get('generator_steps')} steps, "
                f"{metadata.get('wall_time_s')} s wall on {machine()['cpus']} CPUs")
    section = "\n".join([
        f"### CycleGAN translation ({ENTRY}, digits2negative)", "",
        f"Command: `python benchmarks/cyclegan_translation.py`. Training: {training}.", "",
        table, "", *[f"- {line}" for line in checks], "",
        "Protocol: " + "; ".join(f"{k}: {v}" for k, v in report["protocol"].items()
                                 if k != "classifier_sha256") + ".", "",
        f"Held-out digits, input | translation | ground truth: `results/{picture.name}`."])
    publish(NAME, {"entry": ENTRY, "run_metadata": metadata, "report": report,
                   "error_ratio": ratio, "machine": machine()}, section)
    print(section)


if __name__ == "__main__":
    sys.exit(main())
