"""Zoo configs and pretrained weights work after a plain install, outside the source tree."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import json, ganzoo
entries = ganzoo.list_entries()
loaded = [name for name in entries if "pretrained" in ganzoo.zoo.get_entry(name)]

def shape(model):  # a detector: the images it scores (its weights loaded: it is fitted)
    if model.kind == "detector":
        return list(model.image_shape) if model.fitted else None
    return list(model.generator.output_shape[1:])

shapes = {name: shape(ganzoo.load(name)) for name in loaded}
print(json.dumps({"file": ganzoo.__file__, "entries": entries, "shapes": shapes}))
"""


def test_the_wheel_ships_configs_and_weights_that_load_from_an_installed_copy(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "wheel"), str(ROOT)], check=True,
                   capture_output=True)
    wheel = next((tmp_path / "wheel").glob("ganzoo-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    # the export stage ships inside ganzoo, and nothing but ganzoo at the top level
    assert "ganzoo/export/runtime.py" in names
    # every package of the source tree ships: a new folder must be listed in pyproject.toml
    packages = {init.parent.relative_to(ROOT).as_posix()
                for init in (ROOT / "ganzoo").rglob("__init__.py")}
    assert "ganzoo/commands" in packages
    assert {f"{package}/__init__.py" for package in packages} <= set(names)
    assert {name.split("/")[0] for name in names if "/" in name} == {
        "ganzoo", *(name.split("/")[0] for name in names if ".dist-info/" in name)}
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    # run from an empty folder, with only the unpacked wheel in front of sys.path
    env = {**os.environ, "PYTHONPATH": str(installed), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(report["file"]).is_relative_to(installed)
    from ganzoo import zoo

    assert report["entries"] == zoo.list_entries()
    assert report["shapes"] and set(report["shapes"]) == {
        name for name in zoo.list_entries() if "pretrained" in zoo.get_entry(name)}
    assert all(report["shapes"].values())
