"""The `ganzoo` command line: list, train, sample, translate and evaluate zoo entries and
run folders, and score images with anomaly detectors."""

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
    # GAN-only options default to None, so that one given for a detector is noticed
    # (GAN_ONLY); the GAN's defaults are filled in by _gan_defaults.
    train.add_argument("--checkpoint-every", type=int, metavar="STEPS",
                       help="generator steps between checkpoints (default 200); also at "
                            "each epoch end, on Ctrl-C, and by wall time")
    train.add_argument("--checkpoint-minutes", type=float, metavar="MIN",
                       help="wall-time minutes between checkpoints (default 5)")
    train.add_argument("--deterministic", action="store_true",
                       help="TensorFlow op determinism: a resumed run ends bit-identical")
    train.add_argument("--no-guard", action="store_true",
                       help="no divergence guard (NaN / collapse detection and retries)")
    train.add_argument("--guard-retries", type=int, metavar="N",
                       help="retries from the last good checkpoint at half the learning rate "
                            "before stopping (default 2)")
    train.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                       help="tf.distribute strategy: one device (default), all local GPUs "
                            "(mirrored), or the machines in TF_CONFIG (multiworker; run the "
                            "same command on each); the entry's batch size is the global batch")
    train.add_argument("--mixed-precision", choices=("float16", "bfloat16"),
                       help="mixed-precision policy (float16 adds loss scaling)")
    train.set_defaults(command=_train)

    sample = add_command(
        "sample", help="write a GAN's samples: a grid (or 2D scatter) PNG, one PNG each, a "
                       ".npy, or an interpolation strip")
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
                     "translation errors and class kept for a CycleGAN) or an anomaly "
                     "detector (AUROC and average precision on its task)")
    evaluate.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    # The GAN options below do not apply to a detector (GAN_ONLY).
    evaluate.add_argument("--num", type=int,
                          help="samples per row (default: the size of the real train split)")
    evaluate.add_argument("--seed", type=int, help="latent and subset seed (default 0)")
    evaluate.add_argument("--data", help="the real data (default: the run's training data)")
    evaluate.add_argument("--extractor",
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

    score = add_command(
        "score", help="score image files with an anomaly detector (higher = more anomalous)")
    score.add_argument("source", help="a detector's run folder, or a detector zoo entry with "
                                      "pretrained weights (e.g. ganomaly-digits)")
    score.add_argument("--input", type=Path, required=True,
                       help="an image file, or a folder of them (searched recursively)")
    score.add_argument("--out", type=Path,
                       help="write the scores to this CSV file (path,score[,anomalous]); "
                            "default: print them")
    score.add_argument("--threshold", type=float, metavar="T",
                       help="also flag each image: anomalous 1 if its score is above T, else 0")
    score.set_defaults(command=_score)
    return parser


# Options of GAN commands that a detector has no use for, and why: (option, flag) pairs.
GAN_ONLY = {
    "train": ([("checkpoint_every", "--checkpoint-every"),
               ("checkpoint_minutes", "--checkpoint-minutes"),
               ("deterministic", "--deterministic"), ("no_guard", "--no-guard"),
               ("guard_retries", "--guard-retries"), ("strategy", "--strategy"),
               ("mixed_precision", "--mixed-precision")],
              "a detector trains in one go on one device, with no checkpoints or divergence "
              "guard"),
    "eval": ([("num", "--num"), ("seed", "--seed"), ("data", "--data"),
              ("extractor", "--extractor"), ("layer", "--layer"),
              ("inception_weights", "--inception-weights"),
              ("raw_generator", "--raw-generator"), ("unsafe", "--unsafe")],
             "a detector is measured by AUROC and average precision on the task of its entry "
             "(its data: section), with no samples, features or seed"),
}
GAN_DEFAULTS = {"train": {"checkpoint_every": 200, "checkpoint_minutes": 5.0,
                          "guard_retries": 2, "strategy": "default"},
                "eval": {"seed": 0, "extractor": "digits"}}


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
        data = entry["data"]["source"]
        if "anomaly_class" in entry["data"]:
            data += f" (anomaly {entry['data']['anomaly_class']})"
        rows.append((name, zoo.model_name(entry), data,
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
    if args.checkpoint_minutes is not None and args.checkpoint_minutes <= 0:
        raise ValueError(f"--checkpoint-minutes must be positive; got {args.checkpoint_minutes}.")
    config = args.entry if args.config is None else _read_config_file(args.config)
    name = args.entry or config["name"]
    args.run_dir = args.run_dir or _default_run_dir(name, args.new)
    if _detector_of(config) is not None:
        return _train_detector(args, config, name)
    _gan_defaults(args)
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


def _train_detector(args, config, name):
    from ganzoo import zoo
    from ganzoo.anomaly import entries as detectors

    _refuse_gan_options(args, name, _detector_of(config))
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


def _detector_of(source):
    """The detector class name of an anomaly detector's entry, entry dict or run folder;
    None for a GAN's (read from the YAML or detector.json alone, nothing is built)."""
    import json

    from ganzoo.anomaly.base import DETECTOR_FILE
    from ganzoo.zoo import catalog

    if isinstance(source, dict):
        return source.get("detector")
    if Path(source).is_dir():
        path = Path(source) / DETECTOR_FILE
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())["detector"]
        except (OSError, ValueError, KeyError, TypeError):
            return "anomaly detector"  # anomaly.load names the damage
    return catalog.read_entry(source).get("detector")  # an unknown name: suggestions


def _refuse_gan_options(args, source, detector):
    options, why = GAN_ONLY[args.command_name]
    given = [flag for name, flag in options if getattr(args, name) not in (None, False)]
    if given:
        raise ValueError(f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to "
                         f"GANs only, and {source} is a {detector} anomaly detector: {why}.")


def _gan_defaults(args):
    for name, value in GAN_DEFAULTS[args.command_name].items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def _refuse_detector(source, command):
    detector = _detector_of(source)
    if detector is not None:
        raise ValueError(f"{source} is a {detector} anomaly detector: it scores images instead "
                         f"of {command} them. Score images with: ganzoo score {source} "
                         "--input IMAGES")


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
    """(model, training config or None) of a run folder or a zoo entry: a GAN or an
    anomaly detector."""
    from ganzoo import anomaly, zoo
    from ganzoo.runs import load_run, read_config

    if Path(source).is_dir():
        if _detector_of(source) is not None:
            return anomaly.load(source), read_config(source)
        return load_run(source, safe_mode=not unsafe), read_config(source)
    return zoo.load(source), zoo.get_entry(source)


def _sample(args):
    import numpy as np

    from ganzoo.data.mixtures import centers_of
    from ganzoo.gans import TRANSLATOR
    from ganzoo.images import save_grid, save_image, save_samples

    _refuse_detector(args.source, "making")
    gan, config = _load(args.source, args.unsafe)
    if gan.kind == TRANSLATOR:
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
    _refuse_detector(args.source, "translating")
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

    detector = _detector_of(args.source)
    if detector is not None:
        _refuse_gan_options(args, args.source, detector)
        return _eval_detector(args)
    _gan_defaults(args)
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


def _eval_detector(args):
    import json

    from ganzoo import zoo
    from ganzoo.anomaly import entries as detectors

    if Path(args.source).is_dir():
        result = detectors.evaluate(args.source)
    else:
        result = detectors.measure(zoo.load(args.source), zoo.get_entry(args.source),
                                   source=f"{args.source}.yaml")
    normal, anomalous = result["normal"], result["anomalous"]
    _print_table(("", "AUROC", "average precision", "normal", "anomalous"),
                 [(Path(args.source).name, f"{result['auroc']:.4f}",
                   f"{result['average_precision']:.4f}", normal, anomalous)])
    print()
    print(f"  task: {result['task']}: {normal} normal and {anomalous} anomalous test images, "
          "none of them trained on")
    print(f"  detector: {result['detector']}, score = {result['score']} (higher = more "
          "anomalous; the anomalies are the positive class)")
    print(f"  chance level: AUROC 0.5, average precision {anomalous / (normal + anomalous):.4f} "
          "(the share of anomalies)")
    threshold = _threshold_hint(result["scores"], result["is_anomaly"])
    print(f"  threshold: ganzoo score --threshold {threshold['threshold']:.6g} flags "
          f"{threshold['normal_flagged']:.1%} of these normal images and "
          f"{threshold['anomalous_flagged']:.1%} of the anomalous ones")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"source": str(args.source), **result,
                                         "threshold_hint": threshold}, indent=2) + "\n")
        print(f"Wrote {args.json}")


def _threshold_hint(scores, is_anomaly, quantile=0.95):
    """A threshold for `ganzoo score`: the `quantile` of the normal test images' scores,
    and the shares of normal and anomalous test images scoring above it."""
    import numpy as np

    scores, is_anomaly = np.asarray(scores), np.asarray(is_anomaly, bool)
    threshold = float(np.quantile(scores[~is_anomaly], quantile))
    return {"threshold": threshold, "normal_quantile": quantile,
            "normal_flagged": float(np.mean(scores[~is_anomaly] > threshold)),
            "anomalous_flagged": float(np.mean(scores[is_anomaly] > threshold))}


def _score(args):
    import csv

    from ganzoo.anomaly import entries as detectors

    if not args.input.exists():
        raise FileNotFoundError(f"--input {args.input} does not exist.")
    if _detector_of(args.source) is None:
        raise ValueError(f"{args.source} is a GAN, not an anomaly detector: `ganzoo score` takes "
                         "a detector's run folder or entry (see `ganzoo list`, e.g. "
                         "ganomaly-digits); use `ganzoo sample` or `ganzoo translate` for a GAN.")
    detector, config = _load(args.source)
    resize = ((config or {}).get("data") or {}).get("resize", "crop")
    paths, images = detectors.read_inputs(args.input, detector.image_shape, resize)
    scores = detector.score(images)
    header = ["path", "score"] + (["anomalous"] if args.threshold is not None else [])
    rows = [[path, f"{score:.8g}"] + ([int(score > args.threshold)]
                                      if args.threshold is not None else [])
            for path, score in zip(paths, scores)]
    summary = (f"Scored {len(paths)} image(s) with {args.source} ({type(detector).__name__}, "
               f"score = {detector.score_name}; higher = more anomalous)")
    if args.threshold is not None:
        summary += (f"; {sum(row[2] for row in rows)} above --threshold {args.threshold:g} "
                    "flagged anomalous")
    if args.out is None:  # the CSV on stdout, for pipes; the summary on stderr
        csv.writer(sys.stdout, lineterminator="\n").writerows([header, *rows])
        print(summary + ".", file=sys.stderr)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows([header, *rows])
    print(f"{summary}: wrote {args.out}")


def _print_table(header, rows):
    """Left-aligned columns, two spaces apart."""
    rows = [header, *rows]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
