"""Super-resolution x4 on a held-out photo: bicubic, SRResNet and SRGAN.

Per seed, SRResNet (Ledig et al. 2017; B residual blocks, sub-pixel upsampling) trains
by default as EDSR (Lim et al. 2017) does, which learns far faster on this budget: no
batch norm, L1 loss, the residual over a bilinear upsampling of its input (VDSR), Adam
5e-4 dropped tenfold for the last third (`--batch-norm --upsampled-skip none
--content-loss mse --learning-rate 0.0001 --decay-at 1` is the paper's network and
rate). It trains on random patches of scikit-learn's china.jpg (`ganzoo.data.load_patches(
"sklearn_photos", split="train")`); SRGAN then starts from the trained SRResNet, as the
paper does, and trains against its discriminator with the content loss plus 1e-3 times
the adversarial loss, the rate dropping tenfold halfway (`step_decay_optimizers`). All
three (bicubic included) upscale the held-out flower.jpg, bicubically downscaled x4
with antialiasing, and are measured against it (`ganzoo.metrics.super_resolution`):
PSNR and SSIM on luminance (BT.601 Y) with 4 border pixels cropped, as the SR
literature measures, and sharpness (mean gradient magnitude / the truth's), which shows
the perception-distortion trade-off. The SRResNet is also measured with EDSR+'s x8
self-ensemble (`upscale(..., self_ensemble=True)`: the mean over the eight flips and
rotations of the input, transformed back). Targets (issue #21): SRResNet at least 1.0 dB above
bicubic; SRGAN sharper than SRResNet at a PSNR loss of at most 2 dB. Writes side-by-side
crops (truth | bicubic | SRResNet | SRGAN) of the first seed as a PNG.

    python benchmarks/super_resolution.py                      # seed 0, ~27 min on 2 CPUs
    python benchmarks/super_resolution.py --seeds 0 1 2 --residual-blocks 16 --filters 64 \
        --patch-size 96 --discriminator-filters 64             # the paper's networks (~3.4 s
                                                               # and ~10 s a step here)
    python benchmarks/super_resolution.py --dry-run --seeds 0 --steps 3 --gan-steps 2 \\
        --residual-blocks 1 --filters 8                         # smoke test: writes nothing

Every finished seed is appended to results/super_resolution/cells.jsonl; `--resume`
reuses the seeds there whose settings are identical.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from report import RESULTS, machine, markdown_table, publish, run_cells

NAME = "super_resolution"
SCALE = 4
# Targets: SRResNet PSNR gain over bicubic; SRGAN's PSNR loss against SRResNet at most.
MIN_SRRESNET_GAIN_DB, MAX_SRGAN_LOSS_DB = 1.0, 2.0
ENSEMBLE = "SRResNet x8 self-ensemble"
METHODS = ("bicubic", "SRResNet", ENSEMBLE, "SRGAN")
# (top, left) of the crops in the held-out photo's high-resolution pixels
CROPS, CROP_SIZE = ((150, 250), (40, 420)), 96


def _name(job):
    """The results' name of a job (stated in the job only when not the default)."""
    return job.get("name", NAME)


def _runs_dir(job):
    return Path(job["runs"]) / f"bench-{_name(job)}-seed{job['seed']}"


def run_cell(job):
    """Train SRResNet, then SRGAN from it, for one seed; measure all three methods."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    import ganzoo
    from ganzoo.data.patches import bicubic_upscale, load_sr_images
    from ganzoo.gans.srgan import step_decay_optimizers
    from ganzoo.metrics.super_resolution import sr_report
    from ganzoo.runs import save_run

    tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(job["threads"])
    networks = {"scale": SCALE, "residual_blocks": job["residual_blocks"],
                "filters": job["filters"], "batch_norm": job["batch_norm"],
                "upsampled_skip": job["upsampled_skip"]}
    patches = ganzoo.data.load_patches("sklearn_photos", job["patch_size"], SCALE,
                                       job["batch_size"], seed=job["seed"],
                                       rotations=job.get("rotations", False),
                                       rescale_range=job.get("rescale_range")).repeat()
    (low, high), = load_sr_images("sklearn_photos", SCALE, split="test")
    runs = _runs_dir(job)

    keras.utils.set_random_seed(job["seed"])
    srresnet = ganzoo.SRResNet(**networks, content_loss=job["content_loss"],
                               ema_decay=job.get("ema_decay"), seed=job["seed"])
    if job["decay_at"] < 1:
        srresnet.compile(*step_decay_optimizers(srresnet, job["steps"], job["decay_at"],
                                                learning_rate=job["learning_rate"]))
    else:
        srresnet.compile(g_optimizer=keras.optimizers.Adam(job["learning_rate"], beta_1=0.9))
    start = time.perf_counter()
    srresnet.fit(patches, epochs=1, steps_per_epoch=job["steps"], verbose=0)
    srresnet_s = time.perf_counter() - start
    save_run(srresnet, runs / "srresnet", metadata={"wall_time_s": srresnet_s,
                                                    "benchmark": _name(job)})

    srgan = ganzoo.SRGAN(**networks, content_loss=job["content_loss"],
                         patch_size=job["patch_size"],
                         discriminator_filters=job["discriminator_filters"],
                         generator=keras.models.clone_model(srresnet.generator),
                         seed=job["seed"])
    # from the network SRResNet upscales with: its generator EMA, if it keeps one
    srgan.generator.set_weights(srresnet.inference_generator().get_weights())
    srgan.compile(*step_decay_optimizers(srgan, max(2, job["gan_steps"])))
    start = time.perf_counter()
    srgan.fit(patches, epochs=1, steps_per_epoch=job["gan_steps"], verbose=0)
    srgan_s = time.perf_counter() - start
    save_run(srgan, runs / "srgan", metadata={"wall_time_s": srgan_s,
                                              "benchmark": _name(job),
                                              "initialised_from": str(runs / "srresnet")})

    upscaled = {"bicubic": bicubic_upscale(low, SCALE), "SRResNet": srresnet.upscale(low),
                ENSEMBLE: srresnet.upscale(low, self_ensemble=True), "SRGAN": srgan.upscale(low)}
    metrics = {method: sr_report(images, high, border=SCALE)
               for method, images in upscaled.items()}
    return {**job, "metrics": metrics, "wall_time_s": {"SRResNet": srresnet_s, "SRGAN": srgan_s},
            "run_dirs": {"SRResNet": str(runs / "srresnet"), "SRGAN": str(runs / "srgan")}}


def measure_self_ensemble(cell):
    """Add the self-ensemble's metrics to a cell that lacks them (finished before the
    method was measured), from its saved SRResNet run folder; True if it did."""
    if ENSEMBLE in cell["metrics"]:
        return False
    from ganzoo.data.patches import load_sr_images
    from ganzoo.metrics.super_resolution import sr_report
    from ganzoo.runs import load_run

    (low, high), = load_sr_images("sklearn_photos", SCALE, split="test")
    srresnet = load_run(cell["run_dirs"]["SRResNet"])
    cell["metrics"][ENSEMBLE] = sr_report(srresnet.upscale(low, self_ensemble=True), high,
                                          border=SCALE)
    return True


def save_crops(cell, path):
    """truth | bicubic | SRResNet | SRGAN crops of the held-out photo, from a cell's runs."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    from ganzoo.data.patches import bicubic_upscale, load_sr_images
    from ganzoo.images import save_columns
    from ganzoo.runs import load_run

    (low, high), = load_sr_images("sklearn_photos", SCALE, split="test")
    images = [high, bicubic_upscale(low, SCALE)] + [
        load_run(cell["run_dirs"][method]).upscale(low) for method in ("SRResNet", "SRGAN")]
    columns = [np.stack([image[top:top + CROP_SIZE, left:left + CROP_SIZE]
                         for top, left in CROPS]) for image in images]
    return save_columns(columns, path, scale=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--steps", type=int, default=3000, help="SRResNet generator steps")
    parser.add_argument("--gan-steps", type=int, default=1000,
                        help="SRGAN steps, from the trained SRResNet")
    parser.add_argument("--batch-size", type=int, default=16, help="16 in the paper")
    parser.add_argument("--learning-rate", type=float, default=5e-4,
                        help="SRResNet's Adam rate (the paper's 1e-4; SRGAN keeps 1e-4)")
    parser.add_argument("--decay-at", type=float, default=2 / 3,
                        help="fraction of SRResNet's steps after which its rate drops tenfold "
                             "(1: never, as the paper's SRResNet)")
    parser.add_argument("--content-loss", choices=("l1", "mse"), default="l1",
                        help="pixel loss of both (the paper's mse; EDSR's l1)")
    # Smaller than the paper's networks by default: a seed trains in ~27 min on 2 CPUs
    # (results/super_resolution.md: SRResNet 987 s and SRGAN 629 s, medians, shared CPUs).
    parser.add_argument("--patch-size", type=int, default=64,
                        help="high-resolution patch side (96 in the paper)")
    parser.add_argument("--residual-blocks", type=int, default=8, help="B (16 in the paper)")
    parser.add_argument("--filters", type=int, default=32, help="64 in the paper")
    parser.add_argument("--batch-norm", action="store_true",
                        help="the paper's batch norms in the generator (default: none, as EDSR)")
    parser.add_argument("--upsampled-skip", choices=("bilinear", "nearest", "none"),
                        default="bilinear",
                        help="add the input, upsampled so, to the output (VDSR); none: the "
                             "paper's tanh output")
    parser.add_argument("--rotations", action="store_true",
                        help="random quarter turns of the patches besides the flips (EDSR)")
    parser.add_argument("--ema", type=float, default=None, metavar="DECAY",
                        help="SRResNet keeps a generator EMA of this decay and upscales "
                             "with it; SRGAN starts from it")
    parser.add_argument("--rescale", type=float, default=None, metavar="LOW",
                        help="cut each patch from the photo shrunk by a random factor in "
                             "[LOW, 1] (LapSRN: 0.5)")
    parser.add_argument("--discriminator-filters", type=int, default=32,
                        help="SRGAN discriminator's first filters (64 in the paper)")
    parser.add_argument("--runs", type=Path, default=Path("runs"),
                        help="where the run folders bench-NAME-seedS/ go")
    parser.add_argument("--name", default=NAME,
                        help="results/NAME.json, .md, .png and cells (another name keeps "
                             "the default's results)")
    parser.add_argument("--jobs", type=int, default=1, help="seeds trained in parallel")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the table; write no results, no cell cache, run folders "
                             "in a temporary folder")
    parser.add_argument("--resume", action="store_true",
                        help="reuse finished seeds with identical settings from "
                             "results/NAME/cells.jsonl")
    args = parser.parse_args(argv)
    command_args = sys.argv[1:] if argv is None else argv
    scratch = tempfile.TemporaryDirectory(prefix="ganzoo-sr-") if args.dry_run else None
    runs = Path(scratch.name) if scratch else args.runs

    jobs = [{"seed": seed, "steps": args.steps, "gan_steps": args.gan_steps,
             "batch_size": args.batch_size, "patch_size": args.patch_size,
             "residual_blocks": args.residual_blocks, "filters": args.filters,
             "batch_norm": args.batch_norm, "learning_rate": args.learning_rate,
             "decay_at": args.decay_at, "content_loss": args.content_loss,
             "upsampled_skip": None if args.upsampled_skip == "none" else args.upsampled_skip,
             "discriminator_filters": args.discriminator_filters, "runs": str(runs.resolve()),
             # stated only when set, so that cells finished before these options match
             **({"name": args.name} if args.name != NAME else {}),
             **({"rotations": True} if args.rotations else {}),
             **({"rescale_range": [args.rescale, 1.0]} if args.rescale else {}),
             **({"ema_decay": args.ema} if args.ema else {}),
             "threads": 1 if args.jobs > 1 else 0}
            for seed in args.seeds]
    cells, reused, total_s = run_cells(args.name, jobs, run_cell, processes=args.jobs,
                                       resume=args.resume, dry_run=args.dry_run,
                                       shown=("seed", "metrics", "wall_time_s"))
    cells.sort(key=lambda cell: cell["seed"])
    completed = sum(measure_self_ensemble(cell) for cell in cells)
    picture = save_crops(cells[0], (Path(scratch.name) if scratch else RESULTS)
                         / f"{args.name}.png")
    publish_table(cells, args, command_args, total_s, reused, picture, completed)
    if scratch:
        scratch.cleanup()


def publish_table(cells, args, command_args, total_s, reused, picture, completed=0):
    def median(method, metric):
        return statistics.median(cell["metrics"][method][metric] for cell in cells)

    rows = [(method, *(f"{median(method, metric):.{digits}f} "
                       f"({min(c['metrics'][method][metric] for c in cells):.{digits}f}-"
                       f"{max(c['metrics'][method][metric] for c in cells):.{digits}f})"
                       for metric, digits in (("psnr", 2), ("ssim", 4), ("sharpness", 3))))
            for method in METHODS]
    table = markdown_table(("x4, held-out flower.jpg", "PSNR dB (Y, median, range)", "SSIM (Y)",
                            "sharpness (1 = truth's)"), rows)
    gains = {method: median(method, "psnr") - median("bicubic", "psnr")
             for method in ("SRResNet", ENSEMBLE)}
    loss = median("SRResNet", "psnr") - median("SRGAN", "psnr")
    sharper = median("SRGAN", "sharpness") > median("SRResNet", "sharpness")
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    checks = [f"{method} - bicubic: {gain:+.2f} dB (target >= +{MIN_SRRESNET_GAIN_DB} dB: "
              f"{verdict(gain >= MIN_SRRESNET_GAIN_DB)})" for method, gain in gains.items()]
    checks += [
              f"SRGAN sharpness {median('SRGAN', 'sharpness'):.3f} vs SRResNet's "
              f"{median('SRResNet', 'sharpness'):.3f} at a PSNR loss of {loss:.2f} dB (target: "
              f"sharper at <= {MAX_SRGAN_LOSS_DB} dB: "
              f"{verdict(sharper and loss <= MAX_SRGAN_LOSS_DB)})"]
    generator = ("batch norm" if args.batch_norm else "no batch norm") + (
        "" if args.upsampled_skip == "none" else
        f", residual over {args.upsampled_skip} upsampling of the input")
    augmentation = "flips and quarter turns" if args.rotations else "flips"
    if args.rescale:
        augmentation += f", the photo shrunk by a random factor in [{args.rescale:g}, 1] first"
    decay = ("" if args.decay_at >= 1 else
             f", dropped tenfold after {args.decay_at:.0%} of them")
    if args.ema:
        decay += f"; measured on its generator EMA, decay {args.ema:g}"
    setup = (f"SRResNet B={args.residual_blocks}, {args.filters} filters (the paper: 16, 64), "
             f"{generator}, {args.content_loss.upper()} loss, {args.steps} steps "
             f"(Adam {args.learning_rate:g}, beta_1 0.9{decay}), then SRGAN from it for "
             f"{args.gan_steps} steps (rate 1e-4, 1e-5 after half; adversarial weight 1e-3; "
             f"discriminator {args.discriminator_filters} first filters); batches of {args.batch_size} "
             f"random {args.patch_size}px patches ({augmentation}) of china.jpg; "
             f"seeds {args.seeds}; "
             f"{args.jobs} seed(s) in parallel on {machine()['cpus']} CPUs, total "
             f"{total_s / 60:.0f} min"
             + (f", {reused} seeds reused (`--resume`)" if reused else "")
             + (f", the self-ensemble of {completed} of them measured from their saved "
                "SRResNet run folders" if completed else "")
             + "; training wall time per seed (median, range): " + ", ".join(
                 f"{method} {statistics.median(times):.0f} s ({min(times):.0f}-{max(times):.0f})"
                 for method in ("SRResNet", "SRGAN")
                 for times in [[cell["wall_time_s"][method] for cell in cells]]))
    print(table)
    print("\n".join(checks))
    if args.dry_run:
        print(f"\n(--dry-run: nothing written; crops at {picture}, removed on exit)")
        return
    command = " ".join(["python benchmarks/super_resolution.py", *command_args])
    title_suffix = "" if args.name == NAME else f": {args.name}"
    publish(args.name, {"setup": {key: (str(value) if isinstance(value, Path) else value)
                             for key, value in vars(args).items()},
                   "cells": cells, "checks": checks,
                   "targets": {"min_srresnet_gain_db": MIN_SRRESNET_GAIN_DB,
                               "max_srgan_loss_db": MAX_SRGAN_LOSS_DB}},
            f"## Super-resolution x4 (held-out photo){title_suffix}\n\n`{command}`\n\n{setup}."
            f"\n\n{table}\n\n"
            + "\n".join(f"- {check}" for check in checks)
            + "\n\nProtocol: the held-out flower.jpg cropped to 424x640 (a multiple of 4), "
              "bicubic x4 downscaling with antialiasing (`tf.image.resize`), metrics on "
              "BT.601 luminance with 4 border pixels cropped; SSIM with an 11x11 Gaussian "
              "window (sigma 1.5); sharpness = mean Sobel gradient magnitude / the truth's. "
              f"{ENSEMBLE}: the same SRResNet, its upscalings of the photo's eight flips "
              "and rotations transformed back and averaged (EDSR+, Lim et al. 2017)."
              f"\n\nCrops (truth | bicubic | SRResNet | SRGAN), seed {args.seeds[0]}: "
              f"`results/{picture.name}`.")


if __name__ == "__main__":
    sys.exit(main())
