"""The `ganzoo` command line, end to end on the real digits entry."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from ganzoo.cli import main


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "dcgan"
    assert main(["train", "dcgan-digits", "--epochs", "1", "--run-dir", str(run_dir)]) == 0
    return run_dir


def test_train_writes_a_complete_run_folder(trained_run):
    for name in ("config.yaml", "metadata.json", "gan.json", "gan.weights.h5", "generator.keras",
                 "samples/epoch_001.png", "samples/latest.png"):
        assert (trained_run / name).is_file(), name
    metadata = json.loads((trained_run / "metadata.json").read_text())
    steps_per_epoch = 1437 // 64  # digits train split, drop_remainder
    assert metadata["epochs"] == 1 and metadata["seed"] == 0
    assert metadata["generator_steps"] == steps_per_epoch
    assert metadata["images_seen"] == steps_per_epoch * 64
    event_files = list((trained_run / "logs").rglob("events.out.tfevents.*"))
    assert {path.parent.name for path in event_files} >= {"train", "samples"}


def test_sample_writes_the_requested_grid(trained_run, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["sample", str(trained_run), "--num", "16", "--out", str(out)]) == 0
    with Image.open(out) as picture:
        assert picture.size == (4 * (4 * 33 + 1),) * 2  # 4x4 cells of 32 px + padding, x4
    assert str(out) in capsys.readouterr().out


def test_train_refuses_to_overwrite_a_finished_run(trained_run, capsys):
    before = (trained_run / "gan.weights.h5").read_bytes()
    assert main(["train", "dcgan-digits", "--epochs", "1", "--run-dir", str(trained_run)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (trained_run / "gan.weights.h5").read_bytes() == before


def test_unknown_entry_suggests_close_names(capsys):
    assert main(["train", "dcgan-digit"]) == 2
    assert "Did you mean dcgan-digits" in capsys.readouterr().err


def test_sample_from_a_pretrained_entry_works_offline(capsys, tmp_path):
    out = tmp_path / "x.png"
    assert main(["sample", "dcgan-digits", "--num", "4", "--out", str(out)]) == 0
    assert out.is_file() and "from dcgan-digits" in capsys.readouterr().out


def test_an_entry_without_pretrained_weights_says_what_to_do(monkeypatch):
    from ganzoo import zoo

    config = zoo.get_entry("vanilla-digits")
    config.pop("pretrained", None)
    monkeypatch.setattr("ganzoo.zoo.entries.get_entry", lambda name: config)
    with pytest.raises(ValueError, match="ganzoo train vanilla-digits --run-dir DIR"):
        zoo.load("vanilla-digits")


def test_console_script_lists_the_entries():
    result = subprocess.run([sys.executable, "-m", "ganzoo.cli", "list"], capture_output=True,
                            text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["entry", "variant", "data", "size", "pretrained", "key", "metrics"]
    assert any(line.startswith("dcgan-digits") and "DCGAN" in line and " yes " in line
               and "digits-FID" in line for line in lines)
    assert any(line.startswith("vanilla-digits") and "VanillaGAN" in line for line in lines)


def test_a_2d_entry_trains_and_samples_as_scatter_plots(tmp_path):
    run_dir = tmp_path / "ring"
    stale = run_dir / "samples" / "epoch_040.png"  # left by an earlier, longer run
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert main(["train", "vanilla-ring8", "--epochs", "1", "--run-dir", str(run_dir),
                 "--overwrite"]) == 0
    assert (run_dir / "samples" / "epoch_001.png").is_file() and not stale.exists()
    out = tmp_path / "points.png"
    assert main(["sample", str(run_dir), "--num", "500", "--out", str(out)]) == 0
    with Image.open(out) as picture:
        pixels = np.array(picture)
    assert pixels.shape == (400, 400, 3)
    assert (pixels == [255, 64, 64]).all(axis=-1).sum() >= 8 * 9  # the ring's mode centres
