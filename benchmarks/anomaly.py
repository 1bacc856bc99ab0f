"""One-class anomaly detection on the digits: GAN detectors against the baselines.

The protocol of the GANomaly paper (Akcay et al. 2018) on the embedded digits
(`ganzoo.anomaly.protocol.digits_task`): for each held-out class c, every method
trains on the other nine classes of the training split and scores the 360 held-out
test digits, c being the anomaly; AUROC and average precision per class, per seed.
The table gives the median and range over the seeds of every (method, class) cell and
of the mean over the classes; one PNG per method shows its score histograms for one
class (`--histogram-class`).

    python benchmarks/anomaly.py                          # 5 methods x 10 classes x 3 seeds
    python benchmarks/anomaly.py --methods ganomaly pca --classes 1 --seeds 0
    python benchmarks/anomaly.py --dry-run --classes 0 --seeds 0 --epochs 1   # smoke test

Every finished cell is appended to results/anomaly/cells.jsonl; `--resume` reuses the
cells there whose settings are identical, so an interrupted table continues. The whole
table at 32x32 takes about 2 hours on 2 idle CPUs (3-4 hours when other jobs share
them): per held-out class and seed, measured with one thread, f-AnoGAN ~290 s (20 WGAN-GP
epochs at ~10 s, 60 encoder epochs at ~1.3 s), GANomaly ~60 s, the discriminator logit
~32 s, the autoencoder ~12 s, PCA ~1 s.
"""

import argparse
import os
import statistics
import sys
import time

from report import RESULTS, machine, markdown_table, publish, run_cells

NAME = "anomaly"
# method -> (ganzoo.anomaly class, constructor arguments, default epochs). Networks at
# base width 32 (the dcgan-digits entries' width; the papers use 64) so that the whole
# table fits in a few hours on 2 CPUs; every other setting is the paper's.
METHODS = {
    "ganomaly": ("GANomaly", {"latent_dim": 100, "base_filters": 32}, 15),
    "fanogan": ("FAnoGAN", {"latent_dim": 128, "base_filters": 32, "encoder_epochs": 60}, 20),
    "pca": ("PCA", {"components": 0.9}, None),
    "autoencoder": ("ConvAutoencoder", {"latent_dim": 100, "base_filters": 32}, 15),
    "dlogit": ("DiscriminatorLogit", {"latent_dim": 100, "base_filters": 32}, 15),
}
GAN_METHODS = ("ganomaly", "fanogan")
CLASSES = list(range(10))
# Published: GANomaly's per-digit MNIST AUROC is a plot (Akcay et al. 2018, Fig. 4a, means
# over 3 seeds per the authors, github.com/samet-akcay/ganomaly/issues/44), not a table;
# no exact per-class numbers are printed in the paper or its repository. Fill these in
# only from a printed source.
PAPER_GANOMALY_MNIST = {}
PAPER_NOTE = (
    "GANomaly paper (Akcay et al. 2018, ACCV, arXiv:1805.06725), MNIST, one digit held out as "
    "the anomaly: per-digit AUROC is plotted in Fig. 4(a) (means over 3 seeds, "
    "github.com/samet-akcay/ganomaly/issues/44), not printed as numbers, so no exact "
    "per-class figure is quoted here. The paper's text: every method (GANomaly, EGBAD, "
    "AnoGAN, VAE) does worst with digit 1 as the anomaly. Its protocol differs: MNIST 28x28 "
    "resized to 32, 60,000 training images, and the anomalous class's training images "
    "moved into the test set.")


def run_cell(job):
    """Train one (method, held-out class, seed) cell in this process and measure it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import contextlib

    import numpy as np
    import tensorflow as tf
    from threadpoolctl import threadpool_limits

    from ganzoo import anomaly

    limits = contextlib.nullcontext()
    if job["threads"]:
        tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
        tf.config.threading.set_inter_op_parallelism_threads(job["threads"])
        # NumPy's BLAS too (PCA): two cells each spinning every core's thread crawl
        limits = threadpool_limits(job["threads"])
    task = anomaly.protocol.digits_task(job["anomaly_class"], job["image_size"])
    class_name = METHODS[job["method"]][0]
    detector = anomaly.get_detector(class_name)(
        image_shape=task.image_shape, seed=job["seed"], **job["arguments"])
    with limits:
        start, cpu_start = time.perf_counter(), time.process_time()
        detector.fit(task.normal, epochs=job["epochs"], batch_size=job["batch_size"])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        result = anomaly.protocol.evaluate(detector, task)
    return {**job, "auroc": result["auroc"], "average_precision": result["average_precision"],
            "wall_time_s": wall, "cpu_time_s": cpu,
            "final_losses": detector.training_record.get("final_losses", {}),
            "scores": np.round(result["scores"], 7).tolist(),
            "is_anomaly": task.is_anomaly.astype(int).tolist()}


def spread(values, digits=3):
    """'median (min-max)' of `values`, or the value alone when there is one."""
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def summary(cells, methods, classes, seeds, key):
    """Rows (method, class cells..., mean over classes) and each method's per-seed means."""
    rows, means = [], {}
    for method in methods:
        row = [method]
        for anomaly_class in classes:
            values = [c[key] for c in cells
                      if c["method"] == method and c["anomaly_class"] == anomaly_class]
            row.append(spread(values) if values else "-")
        per_seed = []
        for seed in seeds:
            values = [c[key] for c in cells if c["method"] == method and c["seed"] == seed]
            if len(values) == len(classes):
                per_seed.append(statistics.mean(values))
        means[method] = per_seed
        row.append(spread(per_seed) if per_seed else "-")
        rows.append(row)
    return rows, means


def save_histograms(cells, anomaly_class, seed):
    """One PNG per method: its min-max normalised test scores, normal against anomalous."""
    import numpy as np

    from ganzoo.anomaly.plots import save_score_histogram
    from ganzoo.anomaly.protocol import minmax_normalise

    paths = {}
    for cell in cells:
        if cell["anomaly_class"] != anomaly_class or cell["seed"] != seed:
            continue
        scores = minmax_normalise(cell["scores"])
        is_anomaly = np.array(cell["is_anomaly"], bool)
        path = RESULTS / NAME / f"histogram-{cell['method']}-class{anomaly_class}.png"
        save_score_histogram(scores[~is_anomaly], scores[is_anomaly], path,
                             title=f"{cell['method']}, digits, anomaly {anomaly_class}, seed "
                                   f"{seed}: AUROC {cell['auroc']:.3f} (scores min-max "
                                   "normalised over the test set)")
        paths[cell["method"]] = str(path.relative_to(RESULTS.parent))
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--classes", nargs="+", type=int, default=CLASSES, choices=CLASSES,
                        help="held-out (anomalous) digits")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of every trained method (f-AnoGAN: both stages); "
                             "default each method's own")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--histogram-class", type=int, default=1, choices=CLASSES)
    parser.add_argument("--jobs", type=int, default=2, help="cells trained in parallel")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the table; write no results, no cell cache, no pictures")
    parser.add_argument("--resume", action="store_true",
                        help="reuse finished cells with identical settings from "
                             f"results/{NAME}/cells.jsonl")
    args = parser.parse_args()

    jobs = []
    for method in args.methods:
        _, arguments, epochs = METHODS[method]
        arguments = dict(arguments)
        if args.epochs is not None and epochs is not None:
            epochs = args.epochs
            if "encoder_epochs" in arguments:
                arguments["encoder_epochs"] = args.epochs
        jobs += [{"method": method, "anomaly_class": c, "seed": s, "epochs": epochs,
                  "arguments": arguments, "image_size": args.image_size,
                  "batch_size": args.batch_size, "threads": 1 if args.jobs > 1 else 0}
                 for c in args.classes for s in args.seeds]
    # f-AnoGAN's cells cost the most: start them first, so the pool ends together.
    jobs.sort(key=lambda job: job["method"] != "fanogan")
    cells, reused, total_s = run_cells(
        NAME, jobs, run_cell, processes=args.jobs, resume=args.resume, dry_run=args.dry_run,
        shown=("method", "anomaly_class", "seed", "auroc", "average_precision", "wall_time_s",
               "cpu_time_s"))
    publish_table(cells, args, total_s, reused=reused)


def publish_table(cells, args, total_s, reused):
    header = ("method", *(f"digit {c}" for c in args.classes), "mean")
    auroc_rows, auroc_means = summary(cells, args.methods, args.classes, args.seeds, "auroc")
    ap_rows, _ = summary(cells, args.methods, args.classes, args.seeds, "average_precision")
    paper_row = ["GANomaly paper, MNIST (Fig. 4a)",
                 *(f"{PAPER_GANOMALY_MNIST[c]:.3f}" if c in PAPER_GANOMALY_MNIST else "plotted only"
                   for c in args.classes), "-"]
    auroc_table = markdown_table(header, auroc_rows + [paper_row])
    ap_table = markdown_table(header, ap_rows)
    verdicts = []
    medians = {m: statistics.median(v) for m, v in auroc_means.items() if v}
    gans = [m for m in GAN_METHODS if m in medians]
    if gans and "pca" in medians:
        best = max(gans, key=medians.get)
        verdicts.append(
            f"better GAN detector: {best}, mean AUROC {medians[best]:.3f} against PCA's "
            f"{medians['pca']:.3f}: target (beat PCA) "
            f"{'met' if medians[best] > medians['pca'] else 'NOT met'}")
    for method, values in sorted(medians.items(), key=lambda item: -item[1]):
        worst = min(args.classes, key=lambda c: statistics.median(
            [x["auroc"] for x in cells if x["method"] == method and x["anomaly_class"] == c]))
        verdicts.append(f"{method}: mean AUROC {values:.3f}, hardest anomaly digit {worst}")
    wall = {m: statistics.median([c["wall_time_s"] for c in cells if c["method"] == m])
            for m in args.methods}
    print("AUROC, median (range) over seeds\n" + auroc_table)
    print("\nAverage precision\n" + ap_table)
    print("\n" + "\n".join(verdicts))
    print("\nmedian wall s per cell: " + ", ".join(f"{m} {s:.0f}" for m, s in wall.items()))
    print("\n" + PAPER_NOTE)
    if args.dry_run:
        return
    histograms = save_histograms(cells, args.histogram_class, args.seeds[0])
    command = " ".join(["python benchmarks/anomaly.py", *sys.argv[1:]])
    epochs = {m: (args.epochs if args.epochs is not None and METHODS[m][2] is not None
                  else METHODS[m][2]) for m in args.methods}
    setup = (f"digits at {args.image_size}x{args.image_size}, batch {args.batch_size}, seeds "
             f"{args.seeds}; per method (arguments, epochs): "
             + "; ".join(f"{m} {METHODS[m][0]}{METHODS[m][1]} x {epochs[m]}" for m in args.methods)
             + f". {args.jobs} cells in parallel on {machine()['cpus']} CPUs, total "
             f"{total_s / 60:.0f} min"
             + (f", {reused} cells reused (`--resume`)" if reused else ""))
    pictures = ", ".join(f"[{m}]({path})" for m, path in histograms.items())
    publish(NAME, {"setup": vars(args), "cells": cells, "verdicts": verdicts,
                   "paper_note": PAPER_NOTE},
            f"## Anomaly detection: digits, one class held out\n\n`{command}`\n\n{setup}. "
            "Normal: the other nine classes of the 1,437-image training split; test: the 360 "
            "held-out digits. Each cell: median (range) over the seeds.\n\n"
            f"AUROC\n\n{auroc_table}\n\nAverage precision\n\n{ap_table}\n\n"
            + "\n".join(f"- {v}" for v in verdicts)
            + f"\n\nScore histograms, digit {args.histogram_class} held out: {pictures}\n\n"
            + PAPER_NOTE)


if __name__ == "__main__":
    main()
