"""Data augmentation with GAN samples: does a class-conditional GAN trained on a few
real digits of each class help a classifier trained on those same digits?

For each seed and each size (real images per class), the seed draws a class-balanced
subset of the digits train split (`ganzoo.data.load_arrays(..., num_examples, seed)`,
the sample `ganzoo.data.load` gives for the same arguments). A class-conditional DCGAN
of the cdcgan-digits entry (projection discriminator, generator EMA; ADA by default)
trains on that subset alone; then three classifiers of the shipped digits classifier's
architecture train with CAS's schedule (`ganzoo.metrics.conditional.train_classifier`)
and are tested on the 360 held-out test digits:

- real: the subset alone, repeated to the size of the next arm's set;
- real + GAN: the subset once plus `--synthetic-per-class` samples of each class;
- GAN only: the samples alone (CAS, Ravuri & Vinyals 2019), to read the samples by.

The first two sets have the same length, so both classifiers take the same optimizer
steps with the same learning-rate schedule, initial weights and seed: only the data
differ. The steps are epochs over that set: fewer samples mean fewer steps, so compare
runs of different `--synthetic-per-class` at the same steps (`--classifier-epochs`).

    python benchmarks/augmentation.py         # 2 sizes x 3 seeds, 45 min on 2 shared CPUs
    python benchmarks/augmentation.py --quick # a smoke test; writes nothing
    # as many samples as real images, at the default run's 360 classifier steps
    python benchmarks/augmentation.py --sizes 10 --synthetic-per-class 10 \
        --classifier-epochs 90 --name augmentation_equal_parts

Every finished cell is appended to results/NAME/cells.jsonl; `--resume` reuses
the cells there whose settings are identical, so an interrupted table continues.
"""

import argparse
import os
import statistics
import sys
import time

from few_shot import spread
from report import machine, markdown_table, publish, run_cells

NAME = "augmentation"
ENTRY = "cdcgan-digits"  # the GAN's networks, conditioning, EMA and batch size
ARMS = ("real", "real + GAN", "GAN only")
AUGMENTS = {"ada": "ada", "diffaugment": "diffaugment", "none": None}
# Latent seeds of the samples: apart from the training seeds
SAMPLE_SEED_OFFSET = 10_000
QUICK = {"steps": 20, "synthetic_per_class": 5, "classifier_epochs": 1}


def training_sets(real, synthetic, seed):
    """`{arm: (images, labels)}` of the classifiers' training sets.

    "real" repeats the real subset to the length of "real + GAN" (whole copies, then a
    seeded pick of the rest, so each image appears as often as any other, +-1);
    "real + GAN" is the subset once plus the samples; "GAN only" the samples.
    """
    import numpy as np

    real_images, real_labels = np.asarray(real[0]), np.asarray(real[1])
    fake_images, fake_labels = np.asarray(synthetic[0]), np.asarray(synthetic[1])
    length = len(real_labels) + len(fake_labels)
    rng = np.random.default_rng(seed)
    copies = -(-length // len(real_labels))
    repeat = np.concatenate([rng.permutation(len(real_labels)) for _ in range(copies)])[:length]
    return {"real": (real_images[repeat], real_labels[repeat]),
            "real + GAN": (np.concatenate([real_images, fake_images]),
                           np.concatenate([real_labels, fake_labels])),
            "GAN only": (fake_images, fake_labels)}


def train_gan(real, job):
    """The cdcgan-digits GAN, with `job`'s augmentation, trained on `real` for
    `job["steps"]` generator steps; returns (gan, wall seconds)."""
    import tensorflow as tf

    from ganzoo import zoo

    config = zoo.get_entry(ENTRY)
    if job["augment"] is not None:
        config["model"]["augment"] = job["augment"]
    gan = zoo.build_gan(config, seed=job["seed"])
    gan.compile()
    images, labels = real
    dataset = (tf.data.Dataset.from_tensor_slices((images, labels))
               .shuffle(len(labels), seed=job["seed"], reshuffle_each_iteration=True)
               .repeat().batch(config["data"]["batch_size"], drop_remainder=True).prefetch(2))
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=job["steps"], verbose=0)
    return gan, time.perf_counter() - start


def run_cell(job):
    """Train one (size, seed) cell's GAN and classifiers in this process; their scores."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    import ganzoo
    from ganzoo.metrics.conditional import (checked_classifier, conditional_samples,
                                            held_out_accuracy, label_agreement,
                                            train_classifier)

    if job["threads"]:  # parallel cells (--jobs): one thread each; 0 keeps TF's default
        tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
        tf.config.threading.set_inter_op_parallelism_threads(job["threads"])
    real = ganzoo.data.load_arrays("digits", 32, split="train",
                                   num_examples=10 * job["per_class"], seed=job["seed"])
    test_images, test_labels = ganzoo.data.load_arrays("digits", 32, split="test")

    gan, gan_s = train_gan(real, job)
    synthetic = conditional_samples(gan, job["synthetic_per_class"],
                                     seed=SAMPLE_SEED_OFFSET + job["seed"])
    # how often the shipped classifier (trained on the whole train split) reads a
    # sample as the class it was asked for: the samples' class fidelity
    agreement = label_agreement(checked_classifier("digits", 10), *synthetic).accuracy
    accuracy, classifier_s = {}, {}
    for arm, (images, labels) in training_sets(real, synthetic, job["seed"]).items():
        start = time.perf_counter()
        model = train_classifier(images, labels, job["classifier_epochs"], job["seed"])
        classifier_s[arm] = time.perf_counter() - start
        accuracy[arm] = held_out_accuracy(model, test_images, test_labels)
    return {**job, "accuracy": accuracy, "label_agreement": agreement,
            "gan_wall_time_s": gan_s, "classifier_wall_time_s": classifier_s,
            "num_test": len(test_labels)}


def summary_rows(cells, sizes):
    """Table rows, one per size and arm: accuracy median (range) over the seeds and the
    paired gain over the real-only arm (same seed), in percentage points."""
    rows = []
    for size in sizes:
        group = sorted((c for c in cells if c["per_class"] == size), key=lambda c: c["seed"])
        for arm in ARMS:
            accuracy = [100 * c["accuracy"][arm] for c in group]
            gain = [100 * (c["accuracy"][arm] - c["accuracy"]["real"]) for c in group]
            real, fake = 10 * size, 10 * group[0]["synthetic_per_class"]
            images = {"real": f"{real} real, repeated to {real + fake}",
                      "real + GAN": f"{real} real + {fake} GAN", "GAN only": f"{fake} GAN"}
            rows.append((size, arm, images[arm], spread(accuracy, 1),
                         "-" if arm == "real" else signed_spread(gain),
                         " / ".join(f"{a:.1f}" for a in accuracy)))
    return rows


def signed_spread(values):
    """Median (range) of signed differences: "-12.8 (-14.0 to -9.9)"."""
    return f"{statistics.median(values):+.1f} ({min(values):+.1f} to {max(values):+.1f})"


def gan_rows(cells, sizes):
    """One row per size: the samples' label agreement and the GAN's training time."""
    rows = []
    for size in sizes:
        group = [c for c in cells if c["per_class"] == size]
        classifiers_s = [sum(c["classifier_wall_time_s"].values()) for c in group]
        rows.append((size, spread([100 * c["label_agreement"] for c in group], 1),
                     f"{statistics.median(c['gan_wall_time_s'] for c in group):.0f}",
                     f"{statistics.median(classifiers_s):.0f}"))
    return rows


def verdicts(cells, sizes):
    """A sentence per size: does adding GAN samples help, by the paired gains?"""
    found = []
    for size in sizes:
        gains = [c["accuracy"]["real + GAN"] - c["accuracy"]["real"]
                 for c in cells if c["per_class"] == size]
        better = sum(g > 0 for g in gains)
        worse = sum(g < 0 for g in gains)
        median = 100 * statistics.median(gains)
        word = ("helps" if better == len(gains) else "hurts" if worse == len(gains)
                else "is inconclusive")
        found.append(f"{size} real images per class: adding GAN samples {word} (median "
                     f"paired gain {median:+.1f} points; better in {better}, worse in "
                     f"{worse} of {len(gains)} seeds)")
    return found


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10, 30],
                        help="real images per class (the subset has 10x as many)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2],
                        help="each seed draws its own subset, GAN and classifiers")
    parser.add_argument("--steps", type=int, default=1500,
                        help="GAN generator steps, the same for every size")
    parser.add_argument("--augment", choices=list(AUGMENTS), default="ada",
                        help="the GAN discriminator's augmentation")
    parser.add_argument("--synthetic-per-class", type=int, default=100,
                        help="GAN samples of each class added to the real subset")
    parser.add_argument("--classifier-epochs", type=int, default=None,
                        help="epochs over each classifier's set (default CAS's)")
    parser.add_argument("--jobs", type=int, default=2, help="cells trained in parallel")
    parser.add_argument("--name", default=NAME,
                        help="results/NAME.json, .md and README section (another name keeps "
                             "a variant beside the default table)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke test: {QUICK}, implies --dry-run")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the table; write no results and no cell cache")
    parser.add_argument("--resume", action="store_true",
                        help="reuse finished cells with identical settings from "
                             "results/NAME/cells.jsonl")
    args = parser.parse_args(argv)
    if args.quick:
        vars(args).update(QUICK, dry_run=True)
    if any(size < 1 for size in args.sizes) or args.synthetic_per_class < 1 or args.steps < 1:
        parser.error("--sizes, --synthetic-per-class and --steps must be at least 1")
    return args


def main():
    args = parse_args()
    from ganzoo import zoo
    from ganzoo.metrics.conditional import CAS_BATCH_SIZE, CAS_EPOCHS, CAS_SCHEDULE

    if args.classifier_epochs is None:
        args.classifier_epochs = CAS_EPOCHS
    batch_size = zoo.get_entry(ENTRY)["data"]["batch_size"]
    if min(args.sizes) * 10 < batch_size:
        sys.exit(f"error: each subset (10 x --sizes) must hold at least one GAN batch of "
                 f"{batch_size} ({ENTRY}'s); got --sizes {args.sizes}")
    jobs = [{"per_class": n, "seed": s, "steps": args.steps,
             "augment": AUGMENTS[args.augment], "synthetic_per_class": args.synthetic_per_class,
             "classifier_epochs": args.classifier_epochs,
             "threads": 1 if args.jobs > 1 else 0}
            for n in args.sizes for s in args.seeds]
    cells, reused, total_s = run_cells(
        args.name, jobs, run_cell, processes=args.jobs, resume=args.resume, dry_run=args.dry_run,
        shown=("per_class", "seed", "accuracy", "label_agreement", "gan_wall_time_s"))
    publish_table(cells, args, total_s, reused, CAS_SCHEDULE, CAS_BATCH_SIZE)


def classifier_steps(per_class, synthetic_per_class, epochs, batch_size):
    """Optimizer steps of the real and real + GAN classifiers: epochs over a set of the
    subset plus the samples. A set of fewer samples takes fewer steps: raise the epochs
    to compare it with another at the same steps."""
    return epochs * -(-10 * (per_class + synthetic_per_class) // batch_size)


def publish_table(cells, args, total_s, reused, schedule, batch_size):
    table = markdown_table(("real per class", "classifier trained on", "images",
                            "test accuracy % median (range)",
                            "paired gain over real, points", "per seed"),
                           summary_rows(cells, args.sizes))
    gans = markdown_table(("real per class", "samples read as asked % (shipped classifier)",
                           "median GAN wall s", "median wall s of the 3 classifiers"),
                          gan_rows(cells, args.sizes))
    found = verdicts(cells, args.sizes)
    command = " ".join(["python benchmarks/augmentation.py", *sys.argv[1:]])
    steps = ", ".join(
        f"{classifier_steps(n, args.synthetic_per_class, args.classifier_epochs, batch_size)} "
        f"optimizer steps with {n} per class" for n in args.sizes)
    setup = (
        f"Seeds {args.seeds}: each draws its own class-balanced subset of the digits train "
        f"split, trains its own GAN and classifiers. GAN: the {ENTRY} entry (DCGAN, "
        f"projection discriminator, EMA 0.999 with warm-up 0.05, batch 64) with augment="
        f"{args.augment}, {args.steps} generator steps for every size. Classifiers: the "
        f"shipped digits classifier's architecture with CAS's schedule ({schedule}), "
        f"{args.classifier_epochs} epochs ({steps}); real + GAN adds "
        f"{args.synthetic_per_class} "
        "samples of each class (EMA generator, latent seed 10000 + seed) to the subset; "
        "the real arm repeats the subset to the same length, so both take the same "
        "optimizer steps. Tested on the 360 held-out test digits. "
        f"{args.jobs} cells in parallel on {machine()['cpus']} CPUs, total "
        f"{total_s / 60:.0f} min" + (f", {reused} cells reused (`--resume`)" if reused else ""))
    print(table, gans, *found, sep="\n")
    if args.dry_run:
        return
    publish(args.name, {"setup": vars(args), "cells": cells, "verdicts": found},
            f"## Data augmentation with GAN samples ({args.synthetic_per_class} of each class "
            f"added)\n\n`{command}`\n\n{setup}.\n\n{table}\n\n"
            f"{gans}\n\n" + "\n".join(f"- {v}" for v in found))


if __name__ == "__main__":
    main()
