"""CycleGAN from the command line and in callbacks: translate, eval, sample grids."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import ganzoo
from ganzoo.training.callbacks import TranslationGrid
from ganzoo.cli import main
from ganzoo.images import read_images, save_image
from ganzoo.metrics.translation import COLUMNS
from ganzoo.runs import save_run

SHAPE = (16, 16, 1)


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory):
    cyc = ganzoo.CycleGAN(image_shape=SHAPE, base_filters=4, residual_blocks=1, seed=0)
    cyc.compile()
    config = {"name": "tiny-cyclegan", "variant": "CycleGAN", "model": {},
              "data": {"source": "digits2negative", "batch_size": 4},
              "training": {"epochs": 1, "seed": 0}}
    return save_run(cyc, tmp_path_factory.mktemp("runs") / "cyc", config), cyc


def _write_inputs(folder):
    images = ganzoo.data.load_arrays("digits", 16, split="test")[0][:3]
    paths = [save_image(image, folder / sub / f"digit{i}.png")
             for i, (image, sub) in enumerate(zip(images, ("x", "x", "y")))]
    return paths


def test_translate_writes_one_png_per_input_equal_to_translate(cyclegan_run, tmp_path, capsys):
    run_dir, cyc = cyclegan_run
    paths = _write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["translate", str(run_dir), "--input", str(tmp_path / "in"),
                 "--direction", "b2a", "--out", str(out)]) == 0
    assert "Translated 3 image(s) b2a" in capsys.readouterr().out
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["x/digit0.png", "x/digit1.png", "y/digit2.png"]
    expected = cyc.translate(read_images(paths, 16, 1), "b2a")
    with Image.open(out / "y" / "digit2.png") as picture:
        pixels = np.asarray(picture, np.float32)
    assert pixels.shape == (16, 16)
    np.testing.assert_allclose(pixels / 127.5 - 1, expected[2, ..., 0], atol=1 / 127.5 + 1e-6)


def test_translate_a_single_file_and_bad_inputs(cyclegan_run, tmp_path, capsys):
    run_dir, _ = cyclegan_run
    path = _write_inputs(tmp_path / "in")[0]
    assert main(["translate", str(run_dir), "--input", str(path), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "digit0.png").is_file()
    assert main(["translate", str(run_dir), "--input", str(tmp_path / "nope.png"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    assert main(["translate", str(run_dir), "--input", str(broken), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read image" in capsys.readouterr().err


def test_sample_and_translate_refuse_the_wrong_kind_of_model(cyclegan_run, tmp_path, capsys):
    run_dir, _ = cyclegan_run
    assert main(["sample", str(run_dir), "--out", str(tmp_path / "g.png")]) == 2
    assert "use `ganzoo translate`" in capsys.readouterr().err
    dcgan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=4, base_filters=4)
    dcgan.compile()
    dcgan_run = save_run(dcgan, tmp_path / "dcgan")
    path = _write_inputs(tmp_path / "in")[0]
    assert main(["translate", str(dcgan_run), "--input", str(path), "--out", str(tmp_path)]) == 2
    assert "use `ganzoo sample`" in capsys.readouterr().err


def test_eval_measures_a_translator_against_the_known_mapping(cyclegan_run, capsys):
    run_dir, _ = cyclegan_run
    assert main(["eval", str(run_dir)]) == 0
    out = capsys.readouterr().out
    for row in ("cyc", "ground truth (negative_bold)", "untranslated input", "inversion only"):
        assert row in out
    assert "a2b MAE" in out and "digits2negative test split" in out


def test_eval_report_references_are_exact():
    from ganzoo.metrics.translation import digits2negative_report

    identity = ganzoo.CycleGAN(image_shape=SHAPE, base_filters=4, residual_blocks=1)
    report = digits2negative_report(identity)
    rows = {row["name"]: row["metrics"] for row in report["rows"]}
    images_a, _, truth_b, _ = ganzoo.data.digits_pair.digits_pair_arrays("test", 16)
    assert rows["untranslated input"]["a2b MAE"] == pytest.approx(np.abs(images_a - truth_b).mean(), rel=1e-5)
    assert rows["inversion only"]["a2b MAE"] < rows["untranslated input"]["a2b MAE"]
    # bold digits stay legible to the classifier (90% at 16 px, 98.6% at 32 px)
    assert rows["ground truth (negative_bold)"]["a2b class kept"] > 0.85
    assert set(rows["model"]) == set(COLUMNS)


def test_translation_grid_shows_input_translation_and_reconstruction(tmp_path):
    cyc = ganzoo.CycleGAN(image_shape=SHAPE, base_filters=4, residual_blocks=1, seed=0)
    cyc.compile()
    a, b = ganzoo.data.load_unpaired_arrays("digits2negative", 16, split="test")
    dataset = tf.data.Dataset.zip(tuple(tf.data.Dataset.from_tensor_slices(x[:4]).batch(2)
                                        for x in (a, b)))
    cyc.fit(dataset, epochs=2, verbose=0,
            callbacks=[TranslationGrid(tmp_path, a[:3], b[:3], every=2, scale=1)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_002.png", "latest.png"]
    with Image.open(tmp_path / "latest.png") as picture:
        pixels = np.asarray(picture)
    assert pixels.shape == (3 * 17 + 1, 6 * 17 + 1)  # 3 rows of 6 cells, 1 px padding
    first_input = pixels[1:17, 1:17] / 127.5 - 1
    np.testing.assert_allclose(first_input, a[0, ..., 0], atol=1 / 127.5 + 1e-6)
    translated = pixels[1:17, 18:34] / 127.5 - 1
    np.testing.assert_allclose(translated, cyc.translate(a[:1])[0, ..., 0], atol=1 / 127.5 + 1e-6)


def test_a_cyclegan_run_exports_its_a2b_generator_with_digits_as_inputs(cyclegan_run, tmp_path):
    from ganzoo.export import export_generator

    run_dir, _ = cyclegan_run
    manifest = export_generator(run_dir, tmp_path / "export", formats="onnx,tflite",
                                quantize="none", parity_samples=8)
    assert manifest["passed"]
    assert {artifact["file"] for artifact in manifest["artifacts"]} >= {
        "generator.onnx", "generator_float32.tflite"}
