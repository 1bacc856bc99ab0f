"""`ganzoo train`: a zoo entry or an entry-shaped YAML into a run folder; a GAN's
training resumes when run again into the same folder, a detector's trains in one go; an
entry with a `distill:` section trains by distillation (`ganzoo.commands.distilling`)."""

import datetime
from pathlib import Path

from ganzoo.commands.common import (detector_of, fill_defaults, read_config_file,
                                    refuse_options)

# The options of a GAN's training that a detector has no use for: flag -> (the GAN's
# default, add_argument keywords). The parser's default is None, so that one given for
# a detector is noticed and refused (`GAN_ONLY`); a GAN gets its default after. A help
# text's "{default}" is the GAN's default.
GAN_OPTIONS = {
    "--checkpoint-every": (200, dict(
        type=int, metavar="STEPS", help="generator steps between checkpoints (default "
                                        "{default}); also at each epoch end, on Ctrl-C, and "
                                        "by wall time")),
    "--checkpoint-minutes": (5.0, dict(
        type=float, metavar="MIN", help="wall-time minutes between checkpoints (default "
                                        "{default:g})")),
    "--deterministic": (False, dict(
        action="store_true", help="TensorFlow op determinism: a resumed run ends bit-identical")),
    "--no-guard": (False, dict(
        action="store_true", help="no divergence guard (NaN / collapse detection and retries)")),
    "--guard-retries": (2, dict(
        type=int, metavar="N", help="retries from the last good checkpoint at half the "
                                    "learning rate before stopping (default {default})")),
    "--strategy": ("default", dict(
        choices=("default", "mirrored", "multiworker"),
        help="tf.distribute strategy: one device ({default}), all local GPUs (mirrored), or "
             "the machines in TF_CONFIG (multiworker; run the same command on each); the "
             "entry's batch size is the global batch")),
    "--mixed-precision": (None, dict(
        choices=("float16", "bfloat16"),
        help="mixed-precision policy (float16 adds loss scaling)")),
}
# (attribute, flag) of each, as `refuse_options` takes them.
GAN_ONLY = [(flag[2:].replace("-", "_"), flag) for flag in GAN_OPTIONS]
GAN_ONLY_WHY = ("a detector trains in one go on one device, with no checkpoints or divergence "
                "guard")


def add_to(add_command):
    train = add_command(
        "train", help="train a zoo entry into a run folder (again into the same folder: resume "
                      "a GAN's training)")
    train.add_argument("entry", nargs="?", help="zoo entry name (see `ganzoo list`)")
    train.add_argument("--config", type=Path,
                       help="an entry-shaped YAML file to train instead of a zoo entry")
    train.add_argument("--epochs", type=int, help="override the entry's number of epochs")
    train.add_argument("--seed", type=int, help="override the entry's seed")
    train.add_argument("--run-dir", type=Path,
                       help="run folder (default runs/ENTRY: the same command resumes a GAN's "
                            "run; a detector's training does not resume)")
    fresh = train.add_mutually_exclusive_group()
    fresh.add_argument("--overwrite", action="store_true",
                       help="replace the files of an existing run folder")
    fresh.add_argument("--new", action="store_true",
                       help="start afresh in a new folder runs/ENTRY-TIMESTAMP")
    for flag, (default, options) in GAN_OPTIONS.items():
        train.add_argument(flag, **{**options, "help": options["help"].format(default=default)})
    train.set_defaults(command=run)


def run(args):
    from ganzoo.training import train

    if (args.entry is None) == (args.config is None):
        raise ValueError("give a zoo entry name or --config FILE (one of them).")
    if args.entry is not None and (Path(args.entry).suffix in (".yaml", ".yml")
                                   or Path(args.entry).is_file()):
        raise ValueError(f"{args.entry} is not a zoo entry name (see `ganzoo list`); train an "
                         f"entry-shaped YAML file with --config {args.entry}.")
    if args.new and args.run_dir:
        raise ValueError("--new makes a new folder runs/ENTRY-TIMESTAMP; give --run-dir or "
                         "--new, not both.")
    if args.checkpoint_minutes is not None and args.checkpoint_minutes <= 0:
        raise ValueError(f"--checkpoint-minutes must be positive; got {args.checkpoint_minutes}.")
    config = args.entry if args.config is None else read_config_file(args.config)
    name = args.entry or config["name"]
    args.run_dir = args.run_dir or default_run_dir(name, args.new)
    if detector_of(config) is not None:
        return train_detector(args, config, name)
    if distilled(config):
        from ganzoo import zoo
        from ganzoo.commands.distilling import train_distilled

        return train_distilled(args, zoo.get_entry(config) if isinstance(config, str)
                               else config, name)
    fill_defaults(args, {attribute: GAN_OPTIONS[flag][0] for attribute, flag in GAN_ONLY})
    run_dir = args.run_dir
    print(f"Run folder: {run_dir} (the same command resumes it; Ctrl-C saves a checkpoint)",
          flush=True)
    guard = False if args.no_guard else {"max_retries": args.guard_retries}
    gan = train(config, run_dir, epochs=args.epochs, seed=args.seed, overwrite=args.overwrite,
                checkpoint_every=args.checkpoint_every,
                checkpoint_seconds=60 * args.checkpoint_minutes, guard=guard,
                deterministic=args.deterministic, strategy=args.strategy,
                mixed_precision=args.mixed_precision)
    print(f"Trained {name}: {gan.generator_steps} generator steps.")
    print(f"Run folder: {run_dir}")
    print(f"Sample grids: {run_dir / 'samples'} (latest.png is the last epoch)")
    print(f"TensorBoard: tensorboard --logdir {run_dir / 'logs'}")


def train_detector(args, config, name):
    from ganzoo import zoo
    from ganzoo.anomaly import entries as detectors

    refuse_options(args, GAN_ONLY,
                   f"GANs only, and {name} is a {detector_of(config)} anomaly detector",
                   GAN_ONLY_WHY)
    config = zoo.get_entry(config) if isinstance(config, str) else config
    run_dir = args.run_dir
    detectors.check_run_folder(run_dir, args.overwrite)  # before anything is printed or built
    print(f"Run folder: {run_dir} (a detector trains in one go: Ctrl-C stops it and saves "
          "nothing)", flush=True)
    detector = detectors.train(config, run_dir, verbose=2, epochs=args.epochs, seed=args.seed,
                               overwrite=args.overwrite)
    record = detector.training_record
    epochs = f"{record['epochs']} epochs" if record["epochs"] else "fitted in closed form"
    print(f"Trained {name}: {type(detector).__name__} on {record['normal_images']} normal "
          f"images, {epochs}, in {record['wall_time_s']:.0f} s.")
    print(f"Run folder: {run_dir}")
    print(f"Evaluate it: ganzoo eval {run_dir}")
    print(f"Score images: ganzoo score {run_dir} --input IMAGES [--out scores.csv]")


def distilled(source):
    """True for an entry (name or dict) trained by distillation (a `distill:` section),
    read from its YAML alone."""
    from ganzoo.zoo import catalog

    entry = source if isinstance(source, dict) else catalog.read_entry(source)
    return "distill" in entry


def default_run_dir(name, new):
    if not new:
        return Path("runs") / name
    return Path("runs") / f"{name}-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}"
