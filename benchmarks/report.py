"""Shared output of the benchmark scripts: a JSON record and a README section."""

import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE / "README.md"
# Every header carries these; the others only when the script loaded them.
CORE_PACKAGES = ("tensorflow", "keras", "numpy")
OPTIONAL_PACKAGES = {"onnxruntime": "onnxruntime", "tf2onnx": "tf2onnx", "onnx": "onnx",
                     "ai_edge_litert": "ai-edge-litert", "scipy": "scipy"}


def machine():
    return {"platform": platform.platform(), "processor": platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version()}


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _git(*args):
    result = subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True)
    # rstrip only: porcelain lines start with a status column that may be a space
    return result.stdout.rstrip() if result.returncode == 0 else None


def _git_state():
    # Taken when the script starts: a long run should name the code it ran, not what
    # the tree holds by the time it publishes.
    changed = _git("status", "--porcelain")
    return {"git_commit": _git("rev-parse", "HEAD"),
            "git_dirty": bool(changed) if changed is not None else None,
            "git_changed_paths": sorted(line[3:] for line in changed.splitlines())
            if changed else []}


_STARTED = {"started_utc": _utc_now(), **_git_state()}


def versions():
    """Installed versions of the core libraries and of the optional ones this run loaded."""
    names = list(CORE_PACKAGES) + [dist for module, dist in OPTIONAL_PACKAGES.items()
                                   if module in sys.modules]
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def header():
    """How a results file was made: command, code, libraries, machine and date."""
    return {"command": ["python", *sys.argv], **_STARTED, "versions": versions(),
            "machine": machine(), "date_utc": _utc_now()}


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(name, record, section_markdown):
    """Write results/NAME.json (with its header) and replace NAME's README section."""
    RESULTS.mkdir(exist_ok=True)
    record = {"header": header(), **record}
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(section_markdown + "\n")
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{section_markdown}\n{end}"
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else f"{text}\n{block}\n"
    README.write_text(text)


def reused_cells(cache, jobs):
    """The cached cells of `cache` whose settings equal one of `jobs` (the last of each)."""
    if not cache.exists():
        return []
    found = {}
    for line in cache.read_text().splitlines():
        cell = json.loads(line)
        job = {key: cell[key] for key in jobs[0]} if jobs and set(jobs[0]) <= set(cell) else None
        if job in jobs:
            found[json.dumps(job, sort_keys=True)] = {**cell, "job": job, "reused": True}
    return list(found.values())


def run_cells(name, jobs, run_cell, *, processes, resume=False, dry_run=False, shown=()):
    """Run `run_cell(job)` for every job in `processes` spawned worker processes.

    Each finished cell is printed (its `shown` keys) and appended to
    results/NAME/cells.jsonl, unless `dry_run`; with `resume`, the cells there whose
    settings equal a job's are reused instead of run again. Returns (cells, number
    reused, seconds taken).
    """
    import multiprocessing
    import time

    cache = RESULTS / name / "cells.jsonl"
    cells = reused_cells(cache, jobs) if resume else []
    done = [cell["job"] for cell in cells]
    jobs = [job for job in jobs if job not in done]
    print(f"{len(cells)} cells reused from {cache}, {len(jobs)} to run", flush=True)
    start = time.perf_counter()
    if not dry_run:
        cache.parent.mkdir(parents=True, exist_ok=True)
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for cell in pool.imap_unordered(run_cell, jobs):
            cells.append(cell)
            print(json.dumps({key: cell[key] for key in shown}), flush=True)
            if not dry_run:
                with cache.open("a") as stream:
                    stream.write(json.dumps({**cell, "git_commit": _STARTED["git_commit"]}) + "\n")
    return cells, len(done), time.perf_counter() - start
