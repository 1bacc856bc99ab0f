"""The `ganzoo` command line, end to end on the real digits entry."""

import json
import os
import re
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


NO_TENSORFLOW = """
import contextlib, io, sys
from ganzoo.cli import main
for argv in {commands!r}:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(argv)
print(sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras")))
"""


@pytest.mark.parametrize("commands", [[["--help"]], [["--version"]], [["train", "--help"]],
                                      [["list"]]])
def test_help_version_and_list_import_no_tensorflow(commands):
    result = subprocess.run([sys.executable, "-c", NO_TENSORFLOW.format(commands=commands)],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_python_m_ganzoo_is_the_command_line():
    import ganzoo

    result = subprocess.run([sys.executable, "-m", "ganzoo", "--version"], capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == f"ganzoo {ganzoo.__version__}"


TF_LOG_LINE = re.compile(r"^[IWEF]\d{4} |absl::InitializeLog", re.MULTILINE)


def test_tensorflow_start_up_lines_show_only_with_verbose(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    command = [sys.executable, "-m", "ganzoo", "sample", "dcgan-digits", "--num", "4",
               "--out", str(tmp_path / "x.png")]
    quiet = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert not TF_LOG_LINE.search(quiet.stderr), quiet.stderr
    verbose = subprocess.run([*command, "--verbose"], env=env, capture_output=True, text=True,
                             check=True)
    assert TF_LOG_LINE.search(verbose.stderr)


def test_sample_writes_an_array_single_pngs_or_an_interpolation_strip(tmp_path):
    from ganzoo import zoo

    gan = zoo.load("dcgan-digits")
    assert main(["sample", "dcgan-digits", "--num", "5", "--seed", "3",
                 "--out", str(tmp_path / "samples.npy")]) == 0
    array = np.load(tmp_path / "samples.npy")
    np.testing.assert_allclose(array, gan.generate(5, seed=3), atol=1e-6)

    assert main(["sample", "dcgan-digits", "--num", "12", "--seed", "3",
                 "--out", str(tmp_path / "singles")]) == 0
    names = sorted(path.name for path in (tmp_path / "singles").iterdir())
    assert names == [f"sample_{i:02d}.png" for i in range(12)]
    with Image.open(tmp_path / "singles" / "sample_04.png") as picture:
        pixels = np.asarray(picture)
    assert pixels.shape == (32, 32)
    np.testing.assert_array_equal(pixels, ganzoo_uint8(gan.generate(12, seed=3)[4, ..., 0]))

    assert main(["sample", "dcgan-digits", "--interpolate", "3,7", "--num", "6",
                 "--out", str(tmp_path / "strip.png")]) == 0
    with Image.open(tmp_path / "strip.png") as picture:
        strip = np.asarray(picture)
    assert strip.shape == (4 * (32 + 2), 4 * (6 * 33 + 1))  # one row of 6 cells, x4
    ends = gan.interpolate(3, 7, steps=6)
    first_cell = strip[4:4 + 4 * 32:4, 4:4 + 4 * 32:4]
    np.testing.assert_array_equal(first_cell, ganzoo_uint8(gan.generate(1, seed=3)[0, ..., 0]))
    assert ends.shape == (6, 32, 32, 1)


def ganzoo_uint8(image):
    from ganzoo.images import to_uint8

    return to_uint8(image)


def test_sample_refuses_a_bad_interpolation_pair(capsys):
    assert main(["sample", "dcgan-digits", "--interpolate", "3", "--out", "x.png"]) == 2
    assert "two seeds, like 3,7" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ema_run(tmp_path_factory):
    """(run folder, GAN) of a tiny DCGAN with a generator EMA, a few steps on digits."""
    import keras

    import ganzoo

    keras.utils.set_random_seed(0)
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, ema_decay=0.9,
                       ema_warmup=0.5, seed=0)
    gan.compile()
    images, _ = ganzoo.data.load_arrays("digits", 8, split="train")
    gan.fit(images[:64], batch_size=8, epochs=1, verbose=0)
    run_dir = tmp_path_factory.mktemp("runs") / "ema"
    ganzoo.runs.save_run(gan, run_dir, config={"name": "tiny-ema", "data": {"source": "digits"}})
    return run_dir, gan


def test_sample_takes_the_generator_average_unless_told_raw(ema_run, tmp_path, capsys):
    run_dir, gan = ema_run
    assert main(["sample", str(run_dir), "--num", "5", "--seed", "3",
                 "--out", str(tmp_path / "ema.npy")]) == 0
    assert "(generator EMA)" in capsys.readouterr().out
    assert main(["sample", str(run_dir), "--num", "5", "--seed", "3", "--raw-generator",
                 "--out", str(tmp_path / "raw.npy")]) == 0
    assert "(generator EMA)" not in capsys.readouterr().out
    averaged, raw = np.load(tmp_path / "ema.npy"), np.load(tmp_path / "raw.npy")
    np.testing.assert_allclose(averaged, gan.generate(5, seed=3), atol=1e-6)
    np.testing.assert_allclose(raw, gan.generate(5, seed=3, use_ema=False), atol=1e-6)
    assert np.abs(averaged - raw).max() > 1e-3


def test_eval_measures_the_generator_average_unless_told_raw(ema_run, monkeypatch):
    from ganzoo.metrics import evaluate

    run_dir, gan = ema_run
    sampled, original = [], evaluate.gan_batches

    def recording(model, *args, **kwargs):
        for batch in original(model, *args, **kwargs):
            sampled.append(batch)
            yield batch

    monkeypatch.setattr(evaluate, "gan_batches", recording)
    latents = np.random.default_rng(0).standard_normal((20, 8)).astype("float32")  # seed 0
    for flags, network in (([], gan.generator_ema), (["--raw-generator"], gan.generator)):
        sampled.clear()
        assert main(["eval", str(run_dir), "--num", "20", *flags]) == 0
        np.testing.assert_allclose(np.concatenate(sampled), network(latents, training=False),
                                   atol=1e-5)
