"""`ganzoo sample --truncation` and `--mix` on a StyleGAN2 run folder, and their errors
on a model without styles."""

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo import runs
from ganzoo.cli import main
from ganzoo.images import make_grid

SIZE = 8


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    gan = ganzoo.StyleGAN2(image_shape=(SIZE, SIZE, 1), latent_dim=8, channel_base=64,
                           channel_max=8, mapping_layers=1, seed=0)
    gan.compile()
    real = np.random.default_rng(0).uniform(-1, 1, (8, SIZE, SIZE, 1)).astype("float32")
    gan.fit(real, batch_size=4, epochs=1, verbose=0)  # w_avg moves off zero
    path = tmp_path_factory.mktemp("sg2") / "run"
    runs.save_run(gan, path)
    return path


def test_truncation_reaches_the_samples(run_dir, tmp_path, capsys):
    gan = runs.load_run(run_dir)
    assert main(["sample", str(run_dir), "--num", "4", "--truncation", "0",
                 "--out", str(tmp_path / "t0.npy")]) in (0, None)
    average = np.load(tmp_path / "t0.npy")
    # psi 0: every seed gives the average w's image
    np.testing.assert_allclose(average, np.repeat(average[:1], 4, axis=0), atol=1e-5)
    assert main(["sample", str(run_dir), "--num", "4", "--truncation", "0.5",
                 "--out", str(tmp_path / "t5.npy")]) in (0, None)
    np.testing.assert_allclose(np.load(tmp_path / "t5.npy"),
                               gan.generate(4, seed=0, truncation=0.5), atol=1e-5)
    assert not np.allclose(np.load(tmp_path / "t5.npy"), average, atol=1e-3)


def test_mix_writes_the_grid_of_mix_styles(run_dir, tmp_path, capsys):
    gan = runs.load_run(run_dir)
    out = tmp_path / "mix.npy"
    assert main(["sample", str(run_dir), "--mix", "1,2,3:4,5", "--mix-layers", "0-1",
                 "--out", str(out)]) in (0, None)
    np.testing.assert_allclose(np.load(out), gan.mix_styles([1, 2, 3], [4, 5], [0, 1]),
                               atol=1e-5)
    assert main(["sample", str(run_dir), "--mix", "1,2,3:4,5", "--truncation", "0.7",
                 "--out", str(tmp_path / "mix.png")]) in (0, None)
    grid = np.asarray(Image.open(tmp_path / "mix.png"))
    assert "style mixing of seeds [1, 2, 3] into [4, 5]" in capsys.readouterr().out
    # row 0: a blank corner and the sources; each next row: its destination, then mixes
    plain = {seed: gan.generate(1, seed=seed, truncation=0.7)[0] for seed in range(1, 6)}
    mixed = gan.mix_styles([1, 2, 3], [4, 5], range(0, 4), truncation=0.7)
    cells = [np.full_like(plain[1], -1.0), plain[1], plain[2], plain[3],
             plain[4], *mixed[0], plain[5], *mixed[1]]
    expected = make_grid(np.stack(cells), columns=4)[..., 0]
    expected = expected.repeat(4, axis=0).repeat(4, axis=1)
    assert grid.shape == expected.shape
    assert np.abs(grid.astype(int) - expected.astype(int)).max() <= 2


@pytest.mark.parametrize("argv, message", [
    (["--truncation", "1.5"], "--truncation must be in \\[0, 1\\]"),
    (["--mix", "1,2"], "--mix takes source and destination seeds"),
    (["--mix", "1:2", "--mix-layers", "x"], "--mix-layers a range"),
])
def test_bad_style_flags_are_one_line_errors(run_dir, argv, message, capsys):
    assert main(["sample", str(run_dir), *argv, "--out", "unused.png"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_model_without_styles_refuses_mixing_and_takes_a_threshold(tmp_path, capsys):
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), base_filters=4, latent_dim=4)
    gan.compile()
    runs.save_run(gan, tmp_path / "dcgan")
    run = str(tmp_path / "dcgan")
    assert main(["sample", run, "--mix", "1:2", "--out", str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err
    assert "--mix applies to models with styles (StyleGAN2)" in error and "DCGAN" in error
    # its truncation is BigGAN's threshold on |z|: positive, and not along a path
    assert main(["sample", run, "--truncation", "0", "--out", str(tmp_path / "x.png")]) == 2
    assert "--truncation must be a positive threshold on |z|" in capsys.readouterr().err
    assert main(["sample", run, "--interpolate", "1,2", "--truncation", "0.5",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "along an --interpolate path applies to models with styles" in (
        capsys.readouterr().err)
    out = tmp_path / "t.npy"
    assert main(["sample", run, "--num", "4", "--truncation", "0.5", "--out", str(out)]) == 0
    np.testing.assert_allclose(np.load(out), gan.generate(4, seed=0, truncation=0.5), atol=1e-5)
