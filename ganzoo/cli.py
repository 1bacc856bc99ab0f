"""The `ganzoo` command line: list, train, distil, sample, translate, upscale and evaluate
zoo entries and run folders, and score images with anomaly detectors.

This module parses the command line and reports errors; each subcommand lives in a
module of its own in `ganzoo.commands`.
"""

# Only the standard library at the top: `ganzoo --help`, `--version` and `list` never
# import TensorFlow; each command that needs it imports it itself.
import argparse
import functools
import shlex
import sys

import ganzoo
from ganzoo.commands import (distilling, evaluation, listing, sampling, scoring, training,
                             translation, upscaling)
from ganzoo.startup import import_tensorflow

# In the order `ganzoo --help` lists them.
COMMANDS = (listing, training, distilling, sampling, translation, upscaling, evaluation,
            scoring)


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
    parser = argparse.ArgumentParser(prog="ganzoo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"ganzoo {ganzoo.__version__}")
    # Each command says whether it needs TensorFlow (imported before it runs, quietly).
    parser.set_defaults(needs_tensorflow=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up and C++ log lines")
    commands = parser.add_subparsers(dest="command_name", required=True)
    add_command = functools.partial(commands.add_parser, parents=[common])
    for command in COMMANDS:
        command.add_to(add_command)
    return parser


def _resume_command(argv, args):
    """The command that resumes an interrupted `ganzoo train`: the same one, without the
    options that would start afresh, and naming the run folder if --new chose it."""
    kept = [arg for arg in argv if arg not in ("--overwrite", "--new")]
    if args.new:
        kept += ["--run-dir", str(args.run_dir)]
    return shlex.join(["ganzoo", *kept])


if __name__ == "__main__":
    sys.exit(main())
