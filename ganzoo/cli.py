"""The `ganzoo` command line: list, train, sample and evaluate zoo entries and run folders."""

import argparse
import datetime
import sys
from pathlib import Path


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return args.command(args) or 0
    except (ValueError, FileExistsError, FileNotFoundError) as error:
        # Bad input is reported in one line, not as a TensorFlow traceback.
        print(f"ganzoo {args.command_name}: error: {error}", file=sys.stderr)
        return 2


def _parser():
    parser = argparse.ArgumentParser(prog="ganzoo", description=__doc__)
    commands = parser.add_subparsers(dest="command_name", required=True)

    listing = commands.add_parser("list", help="list the zoo entries")
    listing.set_defaults(command=_list)

    train = commands.add_parser("train", help="train a zoo entry into a run folder")
    train.add_argument("entry", help="zoo entry name (see `ganzoo list`)")
    train.add_argument("--epochs", type=int, help="override the entry's number of epochs")
    train.add_argument("--seed", type=int, help="override the entry's seed")
    train.add_argument("--run-dir", type=Path,
                       help="run folder to create (default runs/ENTRY-TIMESTAMP)")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the files of an existing run folder")
    train.set_defaults(command=_train)

    sample = commands.add_parser("sample", help="write a PNG of samples (grid or 2D scatter)")
    sample.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    sample.add_argument("--num", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", type=Path, default=Path("grid.png"), help="PNG to write")
    sample.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    sample.set_defaults(command=_sample)

    evaluate = commands.add_parser(
        "eval", help="measure a GAN (FID, KID, IS, precision/recall, mode coverage)")
    evaluate.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    evaluate.add_argument("--num", type=int,
                          help="samples per row (default: the size of the real train split)")
    evaluate.add_argument("--seed", type=int, default=0, help="latent and subset seed (default 0)")
    evaluate.add_argument("--data", help="the real data (default: the run's training data)")
    evaluate.add_argument("--extractor", choices=("digits", "inception"), default="digits",
                          help="feature extractor (default: the shipped digits classifier)")
    evaluate.add_argument("--inception-weights", type=Path,
                          help="local InceptionV3 notop weights file (offline use)")
    evaluate.add_argument("--json", type=Path, help="also write the table and protocol as JSON")
    evaluate.set_defaults(command=_eval)
    return parser


def _list(args):
    from ganzoo import zoo

    rows = [("entry", "variant", "data", "size", "description")]
    for name in zoo.list_entries():
        entry = zoo.get_entry(name)
        size = entry["data"].get("image_size", "")
        rows.append((name, entry["variant"], entry["data"]["source"], str(size),
                     entry.get("description", "")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)), row[-1])


def _train(args):
    from ganzoo.training import train

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = args.run_dir or Path("runs") / f"{args.entry}-{stamp}"
    gan = train(args.entry, run_dir, epochs=args.epochs, seed=args.seed,
                overwrite=args.overwrite)
    print(f"Trained {args.entry}: {int(gan.g_optimizer.iterations)} generator steps.")
    print(f"Run folder: {run_dir}")
    print(f"Sample grids: {run_dir / 'samples'} (latest.png is the last epoch)")
    print(f"TensorBoard: tensorboard --logdir {run_dir / 'logs'}")


def _sample(args):
    from ganzoo import zoo
    from ganzoo.data.mixtures import centers_of
    from ganzoo.images import save_samples
    from ganzoo.runs import load_run, read_config

    if Path(args.source).is_dir():
        gan, config = load_run(args.source), read_config(args.source)
    else:
        gan, config = zoo.load(args.source), zoo.get_entry(args.source)
    if args.num < 1:
        raise ValueError(f"--num must be at least 1; got {args.num}.")
    reference = centers_of(config["data"]["source"]) if config else None
    path = save_samples(gan.generate(args.num, seed=args.seed), args.out, reference)
    print(f"Wrote {args.num} samples from {args.source} to {path}")


def _eval(args):
    import json

    from ganzoo import zoo
    from ganzoo.metrics import evaluate, get_extractor
    from ganzoo.runs import load_run, read_config

    if args.num is not None and args.num < 2:
        raise ValueError(f"--num must be at least 2; got {args.num}.")
    if Path(args.source).is_dir():
        gan, config = load_run(args.source), read_config(args.source)
    else:
        gan, config = zoo.load(args.source), zoo.get_entry(args.source)
    data = args.data or ((config or {}).get("data") or {}).get("source")
    if data is None:
        raise ValueError(f"{args.source} does not record its training data (no config.yaml); "
                         "pass --data, e.g. --data digits.")
    options = {}
    if args.extractor == "inception":
        options["weights"] = str(args.inception_weights) if args.inception_weights else "imagenet"
    report = evaluate.evaluate_gan(gan, name=Path(args.source).name, num=args.num,
                                   seed=args.seed, source=data,
                                   extractor=get_extractor(args.extractor, **options))
    rows = [("", *evaluate.COLUMNS)] + [(row["name"], *evaluate.format_row(row["metrics"]))
                                        for row in report["rows"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    print()
    for line in evaluate.protocol_lines(report):
        print(f"  {line}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
