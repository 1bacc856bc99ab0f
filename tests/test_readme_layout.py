"""The README's layout section names every folder of the library and every module at
its top level, and nothing that is not there."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layout_paths():
    """Paths listed in the code block under "## Layout", nested by indentation."""
    section = ROOT.joinpath("README.md").read_text().split("## Layout\n", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    paths, parent = [], ""
    for line in block.splitlines():
        found = re.match(r"( *)(\S+/|\S+\.py)(\s|$)", line)
        if not found:
            continue
        indent, name = found.group(1), found.group(2)
        path = f"{parent}{name}" if indent else name
        if not indent:
            parent = name
        paths.append(path)
    return paths


def test_every_listed_path_exists():
    paths = layout_paths()
    assert len(paths) > 10
    missing = [path for path in paths if not (ROOT / path).exists()]
    assert not missing, f"README layout lists paths that do not exist: {missing}"


def test_every_folder_and_top_level_module_of_the_library_is_listed():
    listed = set(layout_paths())
    library = ROOT / "ganzoo"
    expected = {f"ganzoo/{path.name}/" for path in library.iterdir()
                if (path / "__init__.py").is_file()}
    expected |= {f"ganzoo/{path.name}" for path in library.glob("*.py")
                 if path.name != "__init__.py"}
    expected |= {f"{name}/" for name in ("zoo_configs", "export", "tests", "benchmarks",
                                         "scripts")}
    assert not expected - listed, f"README layout misses: {sorted(expected - listed)}"
