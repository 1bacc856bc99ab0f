"""A class-conditional GAN in a run folder: it saves and loads with its classes and
conditioning, and `ganzoo sample --labels` draws one row per class."""

import numpy as np
import pytest
from PIL import Image

import ganzoo
from ganzoo import runs
from ganzoo.cli import main

K = 3


@pytest.fixture(scope="module", params=["projection", "auxiliary"])
def run_dir(request, tmp_path_factory):
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, num_classes=K,
                       conditioning=request.param, seed=0, ema_decay=0.9)
    gan.compile()
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    gan.fit(images, rng.integers(0, K, 8).astype("int32"), batch_size=4, epochs=1, verbose=0)
    return runs.save_run(gan, tmp_path_factory.mktemp("conditional") / "run"), gan


def test_a_loaded_run_makes_the_same_images_for_the_same_labels_and_seed(run_dir):
    path, gan = run_dir
    loaded = runs.load_run(path)
    assert (loaded.num_classes, loaded.conditioning) == (gan.num_classes, gan.conditioning)
    assert loaded.get_config()["num_classes"] == K
    for kwargs in (dict(labels=[2, 0, 1, 1]), dict(labels=1, truncation=0.5), {}):
        np.testing.assert_allclose(loaded.generate(4, seed=7, **kwargs),
                                   gan.generate(4, seed=7, **kwargs), rtol=0, atol=1e-6)
    # the config alone rebuilds the same kind of model
    rebuilt = type(gan).from_config(gan.get_config())
    assert (rebuilt.num_classes, rebuilt.conditioning) == (K, gan.conditioning)


def test_sample_labels_draws_one_row_per_class(run_dir, tmp_path, capsys):
    path, _ = run_dir
    gan = runs.load_run(path)
    out = tmp_path / "classes.npy"
    assert main(["sample", str(path), "--labels", "2,0", "--num", "3", "--seed", "5",
                 "--out", str(out)]) == 0
    np.testing.assert_allclose(np.load(out), gan.generate(6, seed=5, labels=[2, 2, 2, 0, 0, 0]),
                               rtol=0, atol=1e-6)
    assert "classes 2,0" in capsys.readouterr().out
    grid = tmp_path / "classes.png"
    assert main(["sample", str(path), "--labels", "0,1,2", "--num", "4",
                 "--out", str(grid)]) == 0
    width, height = Image.open(grid).size
    assert width / height == pytest.approx(4 / 3, rel=0.1)  # 4 columns, 3 rows


@pytest.mark.parametrize("labels, message", [
    ("0,3", r"labels must lie in [0, 3) for this DCGAN (num_classes=3); got [0, 3]."),
    ("a,b", "--labels takes class numbers separated by commas, like 0,1,2; got 'a,b'."),
])
def test_bad_labels_are_one_line_errors(run_dir, labels, message, tmp_path, capsys):
    path, _ = run_dir
    assert main(["sample", str(path), "--labels", labels, "--out",
                 str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error


def test_an_unconditional_run_refuses_labels(tmp_path, capsys):
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=4, base_filters=4)
    gan.compile()
    runs.save_run(gan, tmp_path / "dcgan")
    assert main(["sample", str(tmp_path / "dcgan"), "--labels", "0,1",
                 "--out", str(tmp_path / "x.png")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "labels apply to conditional GANs (built with num_classes); this DCGAN is " \
           "unconditional." in error
