"""Mode coverage on 2D mixtures: which variant covers the distribution?

Variants x {ring8, grid25} x seeds, each cell trained for the same number of
generator steps with identical MLPs, batch size and data, then judged on 2,500
samples with the VEEGAN/PacGAN metrics (ganzoo.metrics.mixture_mode_metrics).
Cells run in parallel worker processes (one TensorFlow thread each).

    python benchmarks/mode_coverage.py                       # the whole table
    python benchmarks/mode_coverage.py --variants wgan-gp --datasets grid25 --seeds 0

Every finished cell is appended to results/NAME/cells.jsonl; `--resume` reuses the
cells there whose settings are identical, so an interrupted table (the whole one
takes about an hour on 2 CPUs) continues where it stopped.
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

from report import RESULTS, machine, markdown_table, publish, run_cells

# name -> (ganzoo class name, variant arguments beyond the shared MLP settings)
VARIANTS = {
    "vanilla": ("VanillaGAN", {}),
    "spectral-norm": ("VanillaGAN", {"spectral_norm": True}),
    "packing": ("VanillaGAN", {"pack": 4}),
    "lsgan": ("VanillaGAN", {"loss": "least_squares"}),
    "hinge": ("VanillaGAN", {"loss": "hinge"}),
    "wgan-gp": ("WGANGP", {}),
    # the penalty weight of the WGAN-GP authors' toy-data code (0.1, not the images' 10)
    "wgan-gp-0.1": ("WGANGP", {"gp_weight": 0.1}),
}
# Published context: PacGAN (Lin et al. 2018), Table 1, 10 trials, 2,500 samples.
PUBLISHED = [
    ("PacGAN paper: GAN", "grid25", "17.3", "94.8"),
    ("PacGAN paper: PacGAN4 (best)", "grid25", "24.8", "93.6"),
    ("PacGAN paper: best", "ring8", "7.9", "95.6"),
]


def run_cell(job):
    """Train one (variant, dataset, seed) cell in this process and measure it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    import ganzoo
    from ganzoo.data.mixtures import mixture
    from ganzoo.gans.optimizers import make_optimizers
    from ganzoo.images import save_scatter
    from ganzoo.metrics.mixture_modes import mixture_mode_metrics

    tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(job["threads"])
    keras.utils.set_random_seed(job["seed"])
    class_name, extra = VARIANTS[job["variant"]]
    gan = getattr(ganzoo, class_name)(data_shape=(2,), latent_dim=job["latent_dim"],
                                      hidden_units=job["hidden_units"], **extra)
    g_optimizer, d_optimizer = make_optimizers(
        gan, job["learning_rate"] or None, "linear_decay" if job["decay"] else "constant",
        generator_steps=job["steps"])
    gan.compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer,
                steps_per_execution=job["steps_per_execution"])
    dataset = ganzoo.data.load(job["dataset"], batch_size=job["batch_size"],
                               seed=job["seed"]).repeat()
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=job["steps"], verbose=0)
    wall_time = time.perf_counter() - start

    centers, std = mixture(job["dataset"])
    samples = gan.generate(2500, seed=10_000 + job["seed"])
    plot = save_scatter(samples, RESULTS / job["name"] / f"{job['variant']}-{job['dataset']}"
                        f"-seed{job['seed']}.png", reference=centers)
    return {**job, **mixture_mode_metrics(samples, centers, std), "wall_time_s": wall_time,
            "plot": str(plot.relative_to(RESULTS.parent))}


def summarize(cells, variant, dataset):
    rows = [c for c in cells if c["variant"] == variant and c["dataset"] == dataset]

    def spread(key, scale=1.0, digits=1):
        values = [c[key] * scale for c in rows]
        finite = [v for v in values if math.isfinite(v)]
        if not finite:
            return "inf"
        text = f"{statistics.mean(finite):.{digits}f} ± {statistics.pstdev(finite):.{digits}f}"
        # a diverged seed (no high-quality sample: KL inf) is counted, not averaged
        return text + (f" ({len(values) - len(finite)} inf)" if len(finite) < len(values) else "")

    return (variant, dataset, spread("modes"), str(min(c["modes"] for c in rows)),
            spread("modes_strict"), spread("high_quality", 100), spread("reverse_kl", digits=3),
            f"{statistics.median(c['wall_time_s'] for c in rows):.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--datasets", nargs="+", default=["ring8", "grid25"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=20_000, help="generator steps per cell")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--hidden-units", nargs="+", type=int, default=[128, 128, 128])
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="for every variant (0 keeps each variant's default)")
    parser.add_argument("--decay", action=argparse.BooleanOptionalAction, default=True,
                        help="decay the learning rate linearly to zero over the budget")
    parser.add_argument("--steps-per-execution", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2, help="cells trained in parallel")
    parser.add_argument("--name", default="mode_coverage", help="results name")
    parser.add_argument("--resume", action="store_true",
                        help="reuse finished cells with identical settings from "
                             "results/NAME/cells.jsonl")
    args = parser.parse_args()

    jobs = [{"variant": v, "dataset": d, "seed": s, "steps": args.steps,
             "batch_size": args.batch_size, "latent_dim": args.latent_dim,
             "hidden_units": args.hidden_units, "steps_per_execution": args.steps_per_execution,
             "learning_rate": args.learning_rate, "decay": args.decay, "name": args.name,
             "threads": 1 if args.jobs > 1 else 0}
            for d in args.datasets for v in args.variants for s in args.seeds]
    # WGAN-GP's cells cost n_critic times more: start them first, so the pool ends together.
    jobs.sort(key=lambda job: VARIANTS[job["variant"]][0] != "WGANGP")
    cells, reused, total = run_cells(
        args.name, jobs, run_cell, processes=args.jobs, resume=args.resume,
        shown=("variant", "dataset", "seed", "modes", "modes_strict", "high_quality",
               "reverse_kl", "wall_time_s"))
    publish_table(cells, args, total, reused=reused)


def publish_table(cells, args, total_s, reused=0):
    """Print the table of `cells` and publish it under `args.name`."""
    header = ("variant", "data", "modes (mean ± std)", "min modes", ">= 20/2500 modes",
              "% high quality", "reverse KL", "median wall s")
    rows = [summarize(cells, v, d) for d in args.datasets for v in args.variants]
    table = markdown_table(header, rows)
    published = markdown_table(("published row", "data", "modes", "% high quality"), PUBLISHED)
    setup = (f"{args.steps} generator steps per cell, batch {args.batch_size}, latent "
             f"{args.latent_dim}, MLPs {args.hidden_units} for G and D (ReLU / LeakyReLU 0.2), "
             f"each variant's default Adam betas with learning rate {args.learning_rate or 'default'}"
             f"{' decayed linearly to 0' if args.decay else ''}, seeds {args.seeds}, "
             f"2,500 samples judged, "
             f"{args.jobs} cells in parallel on {machine()['cpus']} CPUs; total {total_s / 60:.0f} min"
             + (f" for {len(cells) - reused} cells, {reused} more reused from an interrupted "
                f"run of the same settings (`--resume`)" if reused else ""))
    print(table)
    command = " ".join(["python benchmarks/mode_coverage.py", *sys.argv[1:]])
    publish(args.name, {"setup": vars(args), "machine": machine(), "cells": cells},
            f"## Mode coverage on 2D mixtures, {args.steps:,} generator steps per cell\n\n"
            f"`{command}`\n\n"
            f"{setup}. A sample is high quality within 3 std of its nearest mode (a perfect "
            f"sampler scores 98.9%); a mode is covered with >= 1 high-quality sample. "
            f"Scatter plots: `benchmarks/results/{args.name}/`.\n\n{table}\n\n{published}")


if __name__ == "__main__":
    main()
