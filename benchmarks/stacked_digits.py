"""Stacked digits: the 1000-mode benchmark (Metz et al. 2017; PacGAN, Lin et al. 2018)
on the scikit-learn digits.

Three digits stacked as RGB channels make 1000 modes. DCGAN and PacDCGAN2 (the same
networks, D judging pairs) train for the same number of generator steps per seed;
26,000 samples are then classified channel by channel with the shipped digits
classifier (`ganzoo.metrics.stacked_modes`): modes covered and the reverse KL of the
mode histogram to uniform. The floor row is real stacked test digits.

    python benchmarks/stacked_digits.py
    python benchmarks/stacked_digits.py --variants pacdcgan2 --seeds 0 --steps 2000 --dry-run

Every finished cell is appended to results/stacked_digits/cells.jsonl; `--resume`
reuses the cells there whose settings are identical.
"""

import argparse
import os
import statistics
import sys
import time

from report import machine, markdown_table, publish, run_cells

NAME = "stacked_digits"
VARIANTS = {"dcgan": {}, "pacdcgan2": {"pack": 2}}
NETWORKS = {"image_shape": (32, 32, 3), "latent_dim": 100, "base_filters": 32}
# PacGAN (Lin et al. 2018), Table 2, VEEGAN's stacked-MNIST setting.
PUBLISHED = [("DCGAN", "99", "3.4"), ("PacDCGAN2", "1000", "0.06")]
TARGET_MODES, TARGET_KL = 1000, 0.06


def run_cell(job):
    """Train one (variant, seed) cell in this process and count its modes."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    import ganzoo
    from ganzoo.metrics import stacked_modes
    from ganzoo.metrics.stacked import NUM_SAMPLES

    tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(job["threads"])
    keras.utils.set_random_seed(job["seed"])
    gan = ganzoo.DCGAN(**NETWORKS, **VARIANTS[job["variant"]], seed=job["seed"])
    gan.compile(steps_per_execution=job["steps_per_execution"])
    dataset = ganzoo.data.load("stacked_digits", image_size=32, batch_size=job["batch_size"],
                               seed=job["seed"]).repeat()
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=job["steps"], verbose=0)
    wall_time = time.perf_counter() - start
    found = stacked_modes(gan.generate(NUM_SAMPLES, seed=10_000 + job["seed"]))
    return {**job, "modes": found["modes"], "reverse_kl": found["reverse_kl"],
            "confident_fraction": found["confident_fraction"], "wall_time_s": wall_time}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=6000, help="generator steps per cell")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps-per-execution", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2, help="cells trained in parallel")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the table; write no results and no cell cache")
    parser.add_argument("--resume", action="store_true",
                        help="reuse finished cells with identical settings from "
                             f"results/{NAME}/cells.jsonl")
    args = parser.parse_args()

    jobs = [{"variant": v, "seed": s, "steps": args.steps, "batch_size": args.batch_size,
             "steps_per_execution": args.steps_per_execution,
             "threads": 1 if args.jobs > 1 else 0}
            for v in args.variants for s in args.seeds]
    cells, reused, total_s = run_cells(
        NAME, jobs, run_cell, processes=args.jobs, resume=args.resume, dry_run=args.dry_run,
        shown=("variant", "seed", "modes", "reverse_kl", "confident_fraction", "wall_time_s"))
    from ganzoo.metrics.stacked_table import real_floor

    publish_table(cells, real_floor(NETWORKS["image_shape"][0]), args, total_s, reused)


def publish_table(cells, floor, args, total_s, reused):
    rows, verdicts = [], []
    for variant in args.variants:
        group = [c for c in cells if c["variant"] == variant]
        modes = [c["modes"] for c in group]
        kls = [c["reverse_kl"] for c in group]
        rows.append((variant, f"{statistics.median(modes):.0f} ({min(modes)}-{max(modes)})",
                     f"{statistics.median(kls):.3f} ({min(kls):.3f}-{max(kls):.3f})",
                     f"{statistics.median(c['confident_fraction'] for c in group):.3f}",
                     f"{statistics.median(c['wall_time_s'] for c in group):.0f}"))
        met = all(m >= TARGET_MODES for m in modes) and all(k <= TARGET_KL for k in kls)
        verdicts.append(f"{variant}: {'met' if met else 'not met'} ({TARGET_MODES} modes and "
                        f"KL <= {TARGET_KL} in every seed: {sum(m >= TARGET_MODES for m in modes)}"
                        f"/{len(modes)} seeds with all modes, worst KL {max(kls):.3f})")
    rows.append(("floor: real stacked test digits", str(floor["modes"]),
                 f"{floor['reverse_kl']:.3f}", f"{floor['confident_fraction']:.3f}", "-"))
    table = markdown_table(("model", "modes median (range)", "reverse KL median (range)",
                            "confident channels", "median wall s"), rows)
    published = markdown_table(("PacGAN Table 2 (stacked MNIST)", "modes", "KL"), PUBLISHED)
    command = " ".join(["python benchmarks/stacked_digits.py", *sys.argv[1:]])
    setup = (f"DCGAN {NETWORKS}, batch {args.batch_size}, {args.steps} generator steps per "
             f"seed, Adam 2e-4 / 0.5, seeds {args.seeds}, 26,000 samples counted; "
             f"{args.jobs} cells in parallel on {machine()['cpus']} CPUs, total "
             f"{total_s / 60:.0f} min" + (f", {reused} cells reused (`--resume`)" if reused else ""))
    print(table)
    print("\n".join(verdicts))
    if args.dry_run:
        return
    publish(NAME, {"setup": vars(args), "cells": cells, "floor": floor, "verdicts": verdicts},
            f"## Stacked digits (1000 modes)\n\n`{command}`\n\n{setup}.\n\n{table}\n\n"
            + "\n".join(f"- {v}" for v in verdicts) + f"\n\n{published}")


if __name__ == "__main__":
    main()
