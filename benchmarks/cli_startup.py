"""Start-up time of the `ganzoo` command line, now and at earlier revisions.

Each command runs in a fresh Python process (as a user's shell runs it), the
revisions alternating within each repetition so that machine load falls on all of
them alike. An earlier revision runs from a `git worktree` of it, put first on
PYTHONPATH; its `ganzoo` package is the one imported.

    python benchmarks/cli_startup.py --baseline 1013185 --baseline 4e3c0a2
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import markdown_table, publish

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (["--help"], ["--version"], ["list"], ["train", "--help"])
# As the console script runs it: the package's `main` in a new interpreter.
LAUNCH = "import sys; from ganzoo.cli import main; sys.argv[0] = 'ganzoo'; sys.exit(main())"
TARGET_S = 1.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", action="append", default=[], metavar="REV",
                        help="an earlier git revision to time beside the working tree")
    parser.add_argument("--repeats", type=int, default=7)
    return parser.parse_args()


def run_once(argv, pythonpath):
    env = {**os.environ}
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LAUNCH, *argv], env=env, cwd=tempfile.gettempdir(),
                            capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    # --version did not exist before: argparse refuses it with status 2
    return elapsed if result.returncode == 0 else None


@contextlib.contextmanager
def worktrees(revisions):
    made = {}
    try:
        for revision in revisions:
            path = Path(tempfile.mkdtemp(prefix=f"ganzoo-{revision}-"))
            subprocess.run(["git", "worktree", "add", "--detach", str(path), revision], cwd=ROOT,
                           check=True, capture_output=True)
            made[revision] = path
        yield made
    finally:
        for path in made.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT,
                           capture_output=True)


def main():
    args = parse_args()
    with worktrees(args.baseline) as trees:
        versions = {**{f"rev {revision}": path for revision, path in trees.items()},
                    "working tree": None}
        times = {(version, " ".join(argv)): [] for version in versions for argv in COMMANDS}
        for repeat in range(args.repeats):
            order = list(versions) if repeat % 2 == 0 else list(reversed(versions))
            for argv in COMMANDS:
                for version in order:
                    times[version, " ".join(argv)].append(run_once(argv, versions[version]))
            print(f"repetition {repeat + 1}/{args.repeats} done", flush=True)

    rows, record = [], {"repeats": args.repeats, "target_s": TARGET_S, "results": []}
    for (version, command), samples in times.items():
        ok = [s for s in samples if s is not None]
        entry = {"version": version, "command": f"ganzoo {command}", "seconds": samples}
        if ok:
            entry.update(median_s=statistics.median(ok), min_s=min(ok), max_s=max(ok))
        record["results"].append(entry)
        if version == "working tree" and command != "train --help":
            verdict = "met" if ok and entry["median_s"] < TARGET_S else "not met"
        else:
            verdict = "-"
        rows.append((version, f"`ganzoo {command}`",
                     f"{entry['median_s']:.2f}" if ok else "not a command",
                     f"{entry['min_s']:.2f}-{entry['max_s']:.2f}" if ok else "-", verdict))
    command = " ".join(["python benchmarks/cli_startup.py",
                        *[f"--baseline {revision}" for revision in args.baseline]])
    section = "\n\n".join([
        "## Command-line start-up", f"`{command}`",
        f"Each command in a fresh Python process, {args.repeats} repetitions, the revisions "
        "alternating; earlier revisions run from a git worktree. Target: `--help`, "
        f"`--version` and `list` under {TARGET_S:.0f} s.",
        markdown_table(("code", "command", "median s", "range s", f"target < {TARGET_S:.0f} s"),
                       rows)])
    publish("cli_startup", record, section)
    print(section)


if __name__ == "__main__":
    main()
