"""The `ganzoo` command line: list, train and sample zoo entries and run folders."""

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

    sample = commands.add_parser("sample", help="write a PNG grid of generated samples")
    sample.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    sample.add_argument("--num", type=int, default=64, help="number of samples (default 64)")
    sample.add_argument("--out", type=Path, default=Path("grid.png"), help="PNG to write")
    sample.add_argument("--seed", type=int, default=0, help="latent seed (default 0)")
    sample.set_defaults(command=_sample)
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
    from ganzoo.images import save_grid
    from ganzoo.runs import load_run

    if Path(args.source).is_dir():
        gan = load_run(args.source)
    else:
        gan = zoo.load(args.source)
    if args.num < 1:
        raise ValueError(f"--num must be at least 1; got {args.num}.")
    path = save_grid(gan.generate(args.num, seed=args.seed), args.out, scale=4)
    print(f"Wrote {args.num} samples from {args.source} to {path}")


if __name__ == "__main__":
    sys.exit(main())
