"""`ganzoo distill`: a smaller student generator trained to reproduce a teacher's samples
(a zoo entry or run folder), into a run folder, then exported for the edge.

`ganzoo train ENTRY` of an entry with a `distill:` section (dcgan-digits-tiny) runs the
same training (`train_distilled`).
"""

import subprocess
import sys
from pathlib import Path

from ganzoo.commands.common import refuse_options

# The options of `ganzoo train` a distillation does not take: (attribute, flag).
TRAIN_ONLY = [("strategy", "--strategy"), ("mixed_precision", "--mixed-precision"),
              ("no_guard", "--no-guard"), ("guard_retries", "--guard-retries"),
              ("deterministic", "--deterministic")]
TRAIN_ONLY_WHY = ("a distillation trains on one device in float32, with no divergence "
                  "guard (a regression onto fixed targets does not diverge like a GAN)")


def add_to(add_command):
    command = add_command(
        "distill", help="train a smaller generator to reproduce a GAN's samples (knowledge "
                        "distillation), then export it")
    command.add_argument("teacher", help="the GAN to imitate: a zoo entry with pretrained "
                                         "weights, or a run folder")
    command.add_argument("--width", type=float, default=0.5,
                         help="the student's width as a fraction of the teacher's base_filters, "
                              "in (0, 1] (default 0.5: about a quarter of the FLOPs)")
    command.add_argument("--depth", type=float,
                         help="the student's depth relative to the teacher's; only 1: the "
                              "families distilled here (DCGAN, WGANGP, BigGAN) have one block "
                              "per doubling of the image size")
    command.add_argument("--steps", type=int, default=2000,
                         help="training steps, each on a fresh batch of latents (default 2000)")
    command.add_argument("--steps-per-epoch", type=int, default=200,
                         help="steps between sample pictures and epoch checkpoints (default 200)")
    command.add_argument("--batch-size", type=int,
                         help="latents per step (default: the teacher's batch size)")
    command.add_argument("--learning-rate", type=float,
                         help="Adam's learning rate, decayed linearly to 0 (default 1e-3)")
    command.add_argument("--seed", type=int, help="seed of the student's weights and latents "
                                                  "(default: the teacher's training seed)")
    command.add_argument("--pixel-loss", choices=("l1", "l2"),
                         help="distance between student and teacher images (default l1: "
                              "sharp strokes; l2 blurs where the student cannot match)")
    command.add_argument("--feature-weight", type=float,
                         help="weight of the digits classifier's feature distance (default 1; "
                              "0: none; skipped for data that is not digits)")
    command.add_argument("--adversarial", type=float, metavar="WEIGHT",
                         help="add the teacher discriminator's generator loss with this weight "
                              "(needs a run folder teacher: zoo weights hold no discriminator)")
    command.add_argument("--run-dir", type=Path,
                         help="run folder (default runs/TEACHER-wWIDTH; the same command resumes)")
    fresh = command.add_mutually_exclusive_group()
    fresh.add_argument("--overwrite", action="store_true",
                       help="replace the files of an existing run folder")
    fresh.add_argument("--new", action="store_true",
                       help="start afresh in a new folder runs/NAME-TIMESTAMP")
    command.add_argument("--checkpoint-every", type=int, default=200, metavar="STEPS",
                         help="steps between checkpoints (default 200); also on Ctrl-C")
    command.add_argument("--no-export", action="store_true",
                         help="skip the export (default: ganzoo-export RUN into RUN/export)")
    command.add_argument("--formats", help="export formats (default: the teacher entry's)")
    command.add_argument("--quantize", help="export quantizations (default: the teacher entry's)")
    command.set_defaults(command=run)


def run(args):
    from ganzoo.commands.training import default_run_dir
    from ganzoo.zoo.students import student_config

    if args.new and args.run_dir:
        raise ValueError("--new makes a new folder runs/NAME-TIMESTAMP; give --run-dir or "
                         "--new, not both.")
    if args.no_export and (args.formats or args.quantize):
        raise ValueError("--formats and --quantize choose what to export; they do not go with "
                         "--no-export.")
    config = student_config(args.teacher, args.width, args.depth, steps=args.steps,
                            steps_per_epoch=args.steps_per_epoch, batch_size=args.batch_size,
                            learning_rate=args.learning_rate, seed=args.seed,
                            pixel_loss=args.pixel_loss, feature_weight=args.feature_weight,
                            adversarial_weight=args.adversarial)
    args.run_dir = args.run_dir or default_run_dir(config["name"], args.new)
    distill_into(config, args.run_dir, args.overwrite, args.checkpoint_every)
    if args.no_export:
        return 0
    return export_run(args.run_dir, config, args.formats, args.quantize)


def train_distilled(args, config, name):
    """`ganzoo train` of an entry with a `distill:` section."""
    from ganzoo import zoo

    refuse_options(args, TRAIN_ONLY, f"GAN training, and {name} is trained by distillation",
                   TRAIN_ONLY_WHY)
    overrides = {key: value for key, value in (("epochs", args.epochs), ("seed", args.seed))
                 if value is not None}
    if overrides:
        config = zoo.validate({**config, "training": {**config["training"], **overrides}},
                              source=f"{name} with {overrides}")
    distill_into(config, args.run_dir, args.overwrite,
                 args.checkpoint_every if args.checkpoint_every is not None else 200,
                 60 * args.checkpoint_minutes if args.checkpoint_minutes else 300)
    print(f"Export it: ganzoo-export {args.run_dir}")


def distill_into(config, run_dir, overwrite, checkpoint_every, checkpoint_seconds=300):
    from ganzoo.training.distillation import distill

    if checkpoint_every < 1:
        raise ValueError(f"--checkpoint-every must be at least 1 step; got {checkpoint_every}.")
    teacher = config["distill"]["teacher"]
    print(f"Run folder: {run_dir} (the same command resumes it; Ctrl-C saves a checkpoint)",
          flush=True)
    print(f"Distilling {teacher} into {config['variant']} with base_filters "
          f"{config['model'].get('base_filters')}: {config['training']['epochs']} x "
          f"{config['training']['steps_per_epoch']} steps of {config['data']['batch_size']} "
          "latents", flush=True)
    student = distill(config, run_dir, overwrite=overwrite, verbose=2,
                      checkpoint_every=checkpoint_every, checkpoint_seconds=checkpoint_seconds)
    print(f"Distilled {teacher} into {config['name']}: {student.generator_steps} steps, "
          f"{student.generator.count_params():,} generator parameters.")
    print(f"Run folder: {run_dir}")
    print(f"Sample grids: {Path(run_dir) / 'samples'}; measure it: ganzoo eval {run_dir}")


def export_run(run_dir, config, formats=None, quantize=None):
    """Export the run as `ganzoo-export RUN --out RUN/export` does, in a process of its own
    (ganzoo does not import the export stage); returns its exit status."""
    export = config.get("export") or {}
    formats = formats or ",".join(export.get("formats", [])) or None
    quantize = quantize or ",".join(export.get("quantize", [])) or None
    command = [sys.executable, "-m", "ganzoo.export.cli", str(run_dir),
               "--out", str(Path(run_dir) / "export"), "--overwrite"]
    command += ["--formats", formats] if formats else []
    command += ["--quantize", quantize] if quantize else []
    print(f"Exporting: ganzoo-export {' '.join(command[3:])}", flush=True)
    return subprocess.run(command, check=False).returncode
