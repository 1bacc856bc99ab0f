"""The `ganzoo` command line: list, train, sample, translate and evaluate zoo entries and
run folders."""

# Only the standard library at the top: `ganzoo --help`, `--version` and `list` never
# import TensorFlow; each command that needs it imports it itself.
import argparse
import datetime
import functools
import shlex
import sys
from pathlib import Path

import ganzoo
from ganzoo.startup import import_tensorflow


def main(argv=None):
    from ganzoo.errors import GanzooError, TrainingInterrupted

    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv)
    if args.needs_tensorflow:
        import_tensorflow(args.verbose)
    try:
        return args.command(args) or 0
    except TrainingInterrupted as interrupt:
        print(f"ganzoo {args.command_name}: {interrupt}. Resume with: "
              f"{_resume_command(argv, args)}", file=sys.stderr)
        return interrupt.exit_code
    except (ValueError, FileExistsError, FileNotFoundError, GanzooError) as error:
        # Bad input is reported in one line, not as a TensorFlow traceback.
        print(f"ganzoo {args.command_name}: error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 2)
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside training
        print(f"ganzoo {args.command_name}: interrupted.", file=sys.stderr)
        return 130


def _parser():
    parser = argparse.ArgumentParser(prog="ganzoo", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ganzoo {ganzoo.__version__}")
    # Each command says whether it needs TensorFlow (imported before it runs, quietly).
    parser.set_defaults(needs_tensorflow=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines")
    commands = parser.add_subparsers(dest="command_name", required=True)
    add_command = functools.partial(commands.add_parser, parents=[common])

    listing = add_command("list", help="list the zoo entries")
    listing.set_defaults(command=_list, needs_tensorflow=False)

    train = add_command(
        "train", help="train a zoo entry into a run folder (again into the same folder: resume)")
    train.add_argument("entry", nargs="?", help="zoo entry name (see `ganzoo list`)")
    train.add_argument("--config", type=Path,
                       help="an entry-shaped YAML file to train instead of a zoo entry")
    train.add_argument("--epochs", type=int, help="override the entry's number of epochs")
    train.add_argument("--seed", type=int, help="override the entry's seed")
    train.add_argument("--run-dir", type=Path,
                       help="run folder (default runs/ENTRY: the same command resumes it)")
    fresh = train.add_mutually_exclusive_group()
    fresh.add_argument("--overwrite", action="store_true",
                       help="replace the files of an existing run folder")
    fresh.add_argument("--new", action="store_true",
                       help="start afresh in a new folder runs/ENTRY-TIMESTAMP")
    train.add_argument("--checkpoint-every", type=int, default=200, metavar="STEPS",
                       help="generator steps between checkpoints (default 200); also at "
                            "each epoch end, on Ctrl-C, and by wall time")
    train.add_argument("--checkpoint-minutes", type=float, default=5.0, metavar="MIN",
                       help="wall-time minutes between checkpoints (default 5)")
    train.add_argument("--deterministic", action="store_true",
                       help="TensorFlow op determinism: a resumed run ends bit-identical")
    train.add_argument("--no-guard", action="store_true",
                       help="no divergence guard (NaN / collapse detection and retries)")
    train.add_argument("--guard-retries", type=int, default=2, metavar="N",
                       help="retries from the last good checkpoint at half the learning rate "
                            "before stopping (default 2)")
    train.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                       default="default",
                       help="tf.distribute strategy: one device (default), all local GPUs "
                            "(mirrored), or the machines in TF_CONFIG (multiworker; run the "
                            "same command on each); the entry's batch size is the global batch")
    train.add_argument("--mixed-precision", choices=("float16", "bfloat16"),
                       help="mixed-precision policy (float16 adds loss scaling)")
    train.set_defaults(command=_train)

    sample = add_command(
        "sample", help="write samples: a grid (or 2D scatter) PNG, one PNG each, a .npy, "
                       "or an interpolation strip")
    sample.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    sample.add_argument("--num", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", type=Path, default=Path("grid.png"),
                        help="a .png file (one grid; default grid.png), a .npy file (the "
                             "samples as an array, in the generator's range) or a folder "
                             "(one PNG per sample)")
    sample.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    sample.add_argument("--interpolate", metavar="SEED_A,SEED_B",
                        help="instead: a strip of --num images from seed A's latent to seed "
                             "B's (spherical interpolation)")
    sample.set_defaults(command=_sample)
    _add_raw_generator(sample)
    _add_unsafe(sample)

    translate = add_command(
        "translate", help="translate image files with a CycleGAN (A to B or B to A)")
    translate.add_argument("source", help="a CycleGAN run folder, or a zoo entry with "
                                          "pretrained weights")
    translate.add_argument("--input", type=Path, required=True,
                           help="an image file, or a folder of them (searched recursively)")
    translate.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                           help="a2b (default) or b2a")
    translate.add_argument("--out", type=Path, required=True,
                           help="folder for the translations, one PNG per input")
    translate.set_defaults(command=_translate)
    _add_unsafe(translate)

    evaluate = add_command(
        "eval", help="measure a GAN (FID, KID, IS, precision/recall, mode coverage; "
                     "translation errors and class kept for a CycleGAN)")
    evaluate.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    evaluate.add_argument("--num", type=int,
                          help="samples per row (default: the size of the real train split)")
    evaluate.add_argument("--seed", type=int, default=0, help="latent and subset seed (default 0)")
    evaluate.add_argument("--data", help="the real data (default: the run's training data)")
    evaluate.add_argument("--extractor", default="digits",
                          help="feature extractor: digits (default: the shipped digits "
                               "classifier, for digits only), inception, or your own "
                               "model, a .keras file")
    evaluate.add_argument("--layer",
                          help="with a .keras --extractor: the layer whose output is the "
                               "feature")
    evaluate.add_argument("--inception-weights", type=Path,
                          help="local InceptionV3 notop weights file (offline use)")
    evaluate.add_argument("--json", type=Path, help="also write the table and protocol as JSON")
    evaluate.set_defaults(command=_eval)
    _add_raw_generator(evaluate)
    _add_unsafe(evaluate)
    return parser


def _add_raw_generator(command):
    command.add_argument("--raw-generator", action="store_true",
                         help="a GAN trained with a generator EMA (ema_decay) samples from "
                              "the averaged weights; this takes the raw generator's instead")


def _add_unsafe(command):
    command.add_argument("--unsafe", action="store_true",
                         help="load run folders whose networks hold Python code (Lambda "
                              "layers); only for run folders from a source you trust")


def _list(args):
    from ganzoo.zoo import catalog as zoo

    rows = []
    for name in zoo.list_entries():
        entry = zoo.read_entry(name)
        shape = zoo.image_shape_of(entry)
        pretrained = entry.get("pretrained")
        rows.append((name, entry["variant"], entry["data"]["source"],
                     f"{shape[0]}x{shape[1]}" if shape else "2D", "yes" if pretrained else "no",
                     zoo.key_metrics(entry)))
    _print_table(("entry", "variant", "data", "size", "pretrained", "key metrics"), rows)


def _train(args):
    from ganzoo.training import train

    if (args.entry is None) == (args.config is None):
        raise ValueError("give a zoo entry name or --config FILE (one of them).")
    if args.new and args.run_dir:
        raise ValueError("--new makes a new folder runs/ENTRY-TIMESTAMP; give --run-dir or "
                         "--new, not both.")
    if args.checkpoint_minutes <= 0:
        raise ValueError(f"--checkpoint-minutes must be positive; got {args.checkpoint_minutes}.")
    config = args.entry if args.config is None else _read_config_file(args.config)
    name = args.entry or config["name"]
    args.run_dir = args.run_dir or _default_run_dir(name, args.new)
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


def _default_run_dir(name, new):
    if not new:
        return Path("runs") / name
    return Path("runs") / f"{name}-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}"


def _resume_command(argv, args):
    """The command that resumes an interrupted `ganzoo train`: the same one, without the
    options that would start afresh, and naming the run folder if --new chose it."""
    kept = [arg for arg in argv if arg not in ("--overwrite", "--new")]
    if args.new:
        kept += ["--run-dir", str(args.run_dir)]
    return shlex.join(["ganzoo", *kept])


def _read_config_file(path):
    import yaml

    from ganzoo import zoo

    try:
        config = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise FileNotFoundError(f"Cannot read --config {path}: {error.strerror}.") from error
    except yaml.YAMLError as error:
        raise ValueError(f"--config {path} is not valid YAML: {' '.join(str(error).split())}"
                         ) from error
    return zoo.validate(config, source=str(path), base_dir=Path(path).parent)


def _load(source, unsafe=False):
    """(model, training config or None) of a run folder or a zoo entry."""
    from ganzoo import zoo
    from ganzoo.runs import load_run, read_config

    if Path(source).is_dir():
        return load_run(source, safe_mode=not unsafe), read_config(source)
    return zoo.load(source), zoo.get_entry(source)


def _sample(args):
    import numpy as np

    from ganzoo.data.mixtures import centers_of
    from ganzoo.images import save_grid, save_image, save_samples

    gan, config = _load(args.source, args.unsafe)
    if not hasattr(gan, "generate"):
        raise ValueError(f"{args.source} is a {type(gan).__name__}, which translates images "
                         "instead of sampling them: use `ganzoo translate`.")
    if args.num < 1 or (args.interpolate and args.num < 2):
        raise ValueError(f"--num must be at least {2 if args.interpolate else 1}; got "
                         f"{args.num}.")
    is_image = len(gan.data_shape) == 3
    if args.interpolate:
        samples = gan.interpolate(*_seed_pair(args.interpolate), steps=args.num,
                                  use_ema=not args.raw_generator)
    else:
        samples = gan.generate(args.num, seed=args.seed, use_ema=not args.raw_generator)
    out = args.out
    if out.suffix == ".npy":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, samples)
    elif out.suffix != ".png":  # a folder: one PNG per sample
        if not is_image:
            raise ValueError(f"{args.source} makes {gan.data_shape[0]}D points, not images: "
                             "write them as a .png scatter plot or a .npy file.")
        width = len(str(args.num - 1))
        for index, image in enumerate(samples):
            save_image(image, out / f"sample_{index:0{width}d}.png")
    elif args.interpolate and is_image:
        save_grid(samples, out, columns=args.num, scale=4)  # one row: a strip
    else:
        reference = centers_of(config["data"]["source"]) if config else None
        save_samples(samples, out, reference)
    what = f"an interpolation {args.interpolate}" if args.interpolate else "samples"
    averaged = gan.inference_generator(not args.raw_generator) is not gan.generator
    print(f"Wrote {args.num} {what} from {args.source}{' (generator EMA)' if averaged else ''} "
          f"to {out}")


def _seed_pair(text):
    try:
        seed_a, seed_b = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--interpolate takes two seeds, like 3,7; got {text!r}.") from None
    return seed_a, seed_b


def _translate(args):
    from ganzoo.data.folder import list_images
    from ganzoo.gans import TRANSLATOR
    from ganzoo.images import read_images, save_image

    if not args.input.exists():
        raise FileNotFoundError(f"--input {args.input} does not exist.")
    paths = list_images(args.input)[0] if args.input.is_dir() else [args.input]
    translator, _ = _load(args.source, args.unsafe)
    if translator.kind != TRANSLATOR:
        raise ValueError(f"{args.source} is a {type(translator).__name__}, which samples from "
                         "noise instead of translating images: use `ganzoo sample`.")
    size, _, channels = translator.image_shape
    translated = translator.translate(read_images(paths, size, channels), args.direction)
    root = args.input if args.input.is_dir() else args.input.parent
    for path, image in zip(paths, translated):
        # keep the inputs' subfolders, so equal names in two subfolders stay apart
        save_image(image, (args.out / Path(path).relative_to(root)).with_suffix(".png"))
    print(f"Translated {len(paths)} image(s) {args.direction} with {args.source} into {args.out}")


def _eval(args):
    import json

    from ganzoo.metrics import get_extractor
    from ganzoo.metrics.model_report import evaluate_model

    if args.num is not None and args.num < 2:
        raise ValueError(f"--num must be at least 2; got {args.num}.")
    gan, config = _load(args.source, args.unsafe)
    data = args.data or ((config or {}).get("data") or {}).get("source")
    if data is None:
        raise ValueError(f"{args.source} does not record its training data (no config.yaml); "
                         "pass --data, e.g. --data digits.")
    options = {"layer": args.layer} if args.layer else {}
    if args.extractor == "inception":
        options["weights"] = str(args.inception_weights) if args.inception_weights else "imagenet"
    table, report = evaluate_model(gan, data, name=Path(args.source).name, num=args.num,
                                   seed=args.seed, use_ema=not args.raw_generator,
                                   extractor=get_extractor(args.extractor, **options),
                                   resize=((config or {}).get("data") or {}).get("resize", "crop"))
    _print_table(["", *table.COLUMNS], [(row["name"], *table.format_row(row["metrics"]))
                                        for row in report["rows"]])
    print()
    for line in table.protocol_lines(report):
        print(f"  {line}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Wrote {args.json}")


def _print_table(header, rows):
    """Left-aligned columns, two spaces apart."""
    rows = [header, *rows]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
