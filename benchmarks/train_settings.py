"""Speed settings of training, measured one by one against each entry as it trains.

For each zoo entry, the entry's GAN as `benchmarks/train_speed.py` builds it (its
own batch size, optimizers, `steps_per_execution` and input pipeline), and one more
GAN per setting, each from the same seed:

- `steps_per_execution=N`: N training steps per call of Keras' compiled function
  (Python and callback work once per N steps), for entries that run 1;
- `jit_compile`: the step compiled by XLA.

Every model is warmed up (traced), then `--rounds` rounds time one fit of `--steps`
steps of each model in turn, the order rotated every round, so that each setting's
steps/s is divided by the baseline's of the same round (a paired ratio: the machine's
load changes between rounds more than within one). Medians and ranges of the ratios.

Whether a setting changes the numbers: from the same seed, one more fresh model per
setting and the baseline each train `--check-steps` steps on the same batches; the
largest difference between their weights, relative to the weights' scale, is listed.

    python benchmarks/train_settings.py [--entries dcgan-digits,...] [--rounds 7]
        [--steps 20] [--check-steps 8] [--dry-run]
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from report import machine, markdown_table, publish  # noqa: E402
from train_speed import build, spread, timed_fit, whole_calls  # noqa: E402

from ganzoo.training.trainer import xla_failure  # noqa: E402

# One entry per kind of training step, as shipped.
ENTRIES = ("vanilla-digits", "dcgan-digits", "cdcgan-digits", "wgangp-digits", "biggan-digits",
           "pix2pix-digits-edges", "srresnet-x4", "cyclegan-digits")
MANY_STEPS = 8  # steps per call of the steps_per_execution setting


def settings_of(entry, seed):
    """`{label: compile overrides}` of the settings worth trying on `entry`. The steps
    per call are the largest divisor of an epoch's steps up to `MANY_STEPS` (as
    `ganzoo.training.train` rounds them), and the label says how many that is."""
    *_, per_call = build(entry, None, seed)
    settings = {"baseline": {}}
    if per_call == 1:
        *_, many = build(entry, None, seed, steps_per_execution=MANY_STEPS)
        if many > 1:  # else an epoch's steps have no divisor up to MANY_STEPS
            settings[f"steps_per_execution={many}"] = {"steps_per_execution": MANY_STEPS}
    settings["jit_compile"] = {"jit_compile": True}
    return settings


def measure_entry(entry, args):
    settings = settings_of(entry, args.seed)
    models = {label: build(entry, None, args.seed, **overrides)
              for label, overrides in settings.items()}
    longest_call = max(per_call for *_, per_call in models.values())
    steps = whole_calls(args.steps, longest_call)
    failed = {}
    for label, (_, gan, dataset, _) in list(models.items()):
        try:
            timed_fit(gan, dataset, steps)  # traces and warms up
        except tf.errors.InvalidArgumentError as error:
            if label == "baseline" or xla_failure(error) is None:
                raise
            failed[label] = xla_failure(error)[:160]  # XLA cannot compile the step
            del models[label], settings[label]
    labels = list(models)
    rates = {label: [] for label in labels}
    for round_index in range(args.rounds):
        shift = round_index % len(labels)
        for label in labels[shift:] + labels[:shift]:
            _, gan, dataset, _ = models[label]
            rates[label].append(steps / timed_fit(gan, dataset, steps))
    ratios = {label: [rate / base for rate, base in zip(rates[label], rates["baseline"])]
              for label in labels}
    return {"entry": entry, "timed_steps": steps, "steps_per_second": rates,
            "ratio_to_baseline": ratios, "failed": failed,
            "weight_difference": weight_differences(
                entry, settings, whole_calls(args.check_steps, longest_call), args.seed)}


def weight_differences(entry, settings, steps, seed):
    """`{label: max |w - w_baseline| / max |w_baseline|}` after `steps` steps from `seed`
    on the same batches."""
    weights = {}
    for label, overrides in settings.items():
        keras.backend.clear_session()
        _, gan, dataset, _ = build(entry, None, seed, **overrides)
        gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0)
        weights[label] = [np.asarray(w) for w in gan.trainable_weights]
    scale = max(float(np.abs(w).max()) for w in weights["baseline"])
    return {label: max(float(np.abs(a - b).max()) for a, b in zip(found, weights["baseline"]))
            / scale for label, found in weights.items()}


def table(rows):
    lines = []
    for row in rows:
        for label, ratios in row["ratio_to_baseline"].items():
            lines.append((row["entry"], label, spread(row["steps_per_second"][label], 2),
                          "1 (reference)" if label == "baseline" else spread(ratios, 2),
                          f"{row['weight_difference'][label]:.1e}"))
        lines += [(row["entry"], label, "fails", reason, "") for label, reason in
                  row.get("failed", {}).items()]
    return markdown_table(("entry", "setting", "steps/s median (range)",
                           "paired ratio to baseline, median (range)",
                           "weights after the check's steps: max difference / scale"), lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default=",".join(ENTRIES))
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=24, help="steps per timed fit")
    parser.add_argument("--check-steps", type=int, default=8,
                        help="steps trained before the weights are compared")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dry-run", action="store_true",
                        help="print the table; write no results and leave README.md alone")
    args = parser.parse_args()
    started, load_start = time.perf_counter(), os.getloadavg()[0]
    rows = []
    for entry in args.entries.split(","):
        keras.backend.clear_session()
        rows.append(measure_entry(entry, args))
        print(entry, {label: spread(ratios, 2) for label, ratios in
                      rows[-1]["ratio_to_baseline"].items()}, flush=True)
    command = " ".join(["python benchmarks/train_settings.py", *sys.argv[1:]])
    section = (
        f"## Training speed settings, one by one\n\n`{command}`\n\n"
        f"Each entry as shipped (its batch size, optimizers, `steps_per_execution` and data "
        f"pipeline) against the same entry with one setting changed: {args.rounds} rounds of "
        f"one timed fit per model, the order rotated each round, each setting's steps/s "
        f"divided by the baseline's of its round. `steps_per_execution`: for entries that "
        f"run 1 step per call, the largest divisor of an epoch's steps up to {MANY_STEPS}. "
        f"The last column: after {args.check_steps} steps (rounded up to whole calls) "
        f"from the same seed, the largest weight difference from the baseline's, relative to "
        f"the largest baseline weight (0: the same numbers). `jit_compile` differs by its "
        f"noise: XLA's stateless random kernels draw other numbers from the same seed; with "
        f"the noise fixed, its step is the graph step (tests/test_xla.py). "
        f"TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, {machine()['cpus']} CPUs; 1-minute load average "
        f"{load_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end; "
        f"{time.perf_counter() - started:.0f} s in all.\n\n{table(rows)}")
    print(section)
    if args.dry_run:
        print("\n(--dry-run: nothing written)")
        return
    publish("train_settings", {"setup": vars(args), "machine": machine(), "rows": rows},
            section)


if __name__ == "__main__":
    main()
