"""Every published benchmark result says how it was made (benchmarks/report.py `header`)."""

import datetime
import json
import re
from pathlib import Path

import pytest

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
RESULT_FILES = sorted(RESULTS.glob("*.json"))
CORE_LIBRARIES = ("tensorflow", "keras", "numpy")


def _utc(text):
    moment = datetime.datetime.fromisoformat(text)
    assert moment.utcoffset() == datetime.timedelta(0), f"{text} is not UTC"
    return moment


def test_there_are_results():
    assert RESULT_FILES, f"no results/*.json under {RESULTS}"


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.name)
def test_results_file_has_a_header(path):
    record = json.loads(path.read_text())
    assert "header" in record, (
        f"{path.name} has no header: write it with benchmarks/report.py `publish`, by "
        "rerunning its script (the command is in benchmarks/README.md)")
    header = record["header"]

    command = header["command"]
    assert isinstance(command, list) and command[0] == "python"
    assert command[1].endswith(".py") and "benchmarks" in command[1], command

    assert re.fullmatch(r"[0-9a-f]{40}", header["git_commit"] or ""), header["git_commit"]
    assert isinstance(header["git_dirty"], bool)
    assert isinstance(header["git_changed_paths"], list)
    assert header["git_dirty"] == bool(header["git_changed_paths"])

    versions = header["versions"]
    for library in CORE_LIBRARIES:
        assert versions.get(library), f"{path.name}: no {library} version"

    machine = header["machine"]
    assert isinstance(machine["cpus"], int) and machine["cpus"] > 0
    assert machine["processor"] and machine["platform"] and machine["python"]

    assert _utc(header["started_utc"]) <= _utc(header["date_utc"])


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.name)
def test_results_section_names_its_command(path):
    section = path.with_suffix(".md").read_text()
    assert "`python benchmarks/" in section, (
        f"{path.with_suffix('.md').name} does not name the command that made it")
