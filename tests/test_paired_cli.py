"""Pix2Pix, SRResNet and SRGAN from the command line: train (--config), resume, the
divergence guard, progress pictures, translate, upscale, eval and wrong-kind errors."""

import json

import keras
import numpy as np
import pytest
import yaml
from PIL import Image

import ganzoo
from ganzoo import training, zoo
from ganzoo.cli import main
from ganzoo.commands.common import read_config_file
from ganzoo.data.patches import bicubic_upscale, load_sr_images, modcrop, sklearn_photo
from ganzoo.images import read_images, save_image
from ganzoo.metrics.super_resolution import psnr, sharpness
from ganzoo.runs import load_run, save_run
from ganzoo.training.callbacks import PairedTranslationGrid
from ganzoo.training.checkpoints import nonfinite_variables
from helpers import Crash, assert_same_weights

# Two epochs of two steps each: the whole training is 4 generator steps.
STEPS = 4
PIX2PIX = {"name": "tiny-pix2pix", "variant": "Pix2Pix",
           "model": {"image_shape": [16, 16, 1], "base_filters": 4},
           "data": {"source": "digits_edges", "batch_size": 8},
           "training": {"epochs": 2, "seed": 0, "steps_per_epoch": 2}}
SRRESNET = {"name": "tiny-srresnet", "variant": "SRResNet",
            "model": {"residual_blocks": 1, "filters": 4},
            "data": {"source": "sklearn_photos", "scale": 4, "patch_size": 16,
                     "patches_per_image": 16, "batch_size": 4},
            "training": {"epochs": 2, "seed": 0, "steps_per_epoch": 2,
                         "lr_schedule": "step_decay"}}
FLAGS = ["--deterministic", "--checkpoint-every", "1"]


def _train_from_yaml(folder, config):
    path = folder / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config))
    run_dir = folder / config["name"]
    assert main(["train", "--config", str(path), "--run-dir", str(run_dir), *FLAGS]) == 0
    return path, run_dir


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
    return _train_from_yaml(tmp_path_factory.mktemp("p2p"), PIX2PIX)


@pytest.fixture(scope="module")
def srresnet_run(tmp_path_factory):
    return _train_from_yaml(tmp_path_factory.mktemp("sr"), SRRESNET)


def _pixels(path):
    with Image.open(path) as picture:
        return np.asarray(picture, np.float32) / 127.5 - 1


def _cell(grid, row, column, size, scale):
    """Cell (row, column) of a `save_columns` grid of `size`-pixel images, 1 px padding,
    enlarged `scale` times (nearest): back at its own size."""
    step = size + 1
    top, left = (row * step + 1) * scale, (column * step + 1) * scale
    return grid[top:top + size * scale:scale, left:left + size * scale:scale]


# ----------------------------------------------------------------------- training


@pytest.mark.parametrize("fixture", ["pix2pix_run", "srresnet_run"])
def test_a_config_trains_into_a_complete_run_folder(fixture, request):
    _, run_dir = request.getfixturevalue(fixture)
    for name in ("config.yaml", "metadata.json", "gan.json", "gan.weights.h5", "generator.keras",
                 "samples/epoch_001.png", "samples/epoch_002.png", "samples/latest.png"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "metadata.json").read_text())["generator_steps"] == STEPS
    assert (run_dir / "checkpoints").is_dir()


def test_pix2pix_pictures_translate_eight_held_out_edge_maps(pix2pix_run):
    _, run_dir = pix2pix_run
    p2p = load_run(run_dir)
    edges, digits, _ = ganzoo.data.digits_edges.digits_edges_arrays("test", 16)
    grid = _pixels(run_dir / "samples" / "latest.png")
    assert grid.shape == ((8 * 17 + 1) * 4, (3 * 17 + 1) * 4)  # input | translation | target
    translated = p2p.translate(edges[:8])
    for row in (0, 7):
        for column, expected in enumerate((edges[row], translated[row], digits[row])):
            np.testing.assert_allclose(_cell(grid, row, column, 16, 4), expected[..., 0],
                                       atol=1 / 127.5 + 1e-6)


def test_pictures_of_a_pix2pix_from_gray_to_colour_show_its_inputs_in_gray(tmp_path):
    p2p = ganzoo.Pix2Pix(image_shape=(16, 16, 1), output_channels=3, base_filters=4)
    edges = ganzoo.data.digits_edges.digits_edges_arrays("test", 16)[0][:2]
    photos = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    pictures = PairedTranslationGrid(tmp_path, edges, photos, scale=1)
    pictures.set_model(p2p)
    grid = _pixels(pictures.draw(tmp_path / "grid.png"))
    assert grid.shape == (2 * 17 + 1, 3 * 17 + 1, 3)
    for column, expected in enumerate((np.repeat(edges, 3, axis=-1), p2p.translate(edges),
                                       photos)):
        np.testing.assert_allclose(_cell(grid, 1, column, 16, 1), expected[1],
                                   atol=1 / 127.5 + 1e-6)


def test_srresnet_pictures_upscale_crops_of_the_held_out_photo(srresnet_run):
    path, run_dir = srresnet_run
    config = read_config_file(path)
    low, high = zoo.held_out_examples(config)
    assert low.shape == (8, 4, 4, 3) and high.shape == (8, 16, 16, 3)
    flower = modcrop(sklearn_photo("test"), 4).astype(np.float32) / 127.5 - 1
    windows = np.lib.stride_tricks.sliding_window_view(flower, (16, 16, 3))[..., 0, :, :, :]
    for crop in high[:2]:  # crops of flower.jpg, the photo training never sees
        assert np.any(np.all(np.abs(windows - crop) < 1e-5, axis=(-3, -2, -1)))
    grid = _pixels(run_dir / "samples" / "latest.png")
    upscaled = load_run(run_dir).upscale(low)
    for column, expected in enumerate((bicubic_upscale(low, 4), upscaled, high)):
        np.testing.assert_allclose(_cell(grid, 5, column, 16, 2), expected[5],
                                   atol=1 / 127.5 + 1e-6)


def test_step_decay_from_the_config_drops_the_rate_halfway(srresnet_run):
    _, run_dir = srresnet_run
    sr = load_run(run_dir)
    assert sr.generator_steps == STEPS
    assert float(sr.g_optimizer.learning_rate) == pytest.approx(1e-5)  # after step 2 of 4
    sr.g_optimizer.iterations.assign(1)
    assert float(sr.g_optimizer.learning_rate) == pytest.approx(1e-4)


def test_pix2pix_crashed_mid_epoch_resumes_bit_identically(pix2pix_run, tmp_path, capsys):
    path, finished = pix2pix_run
    run_dir = tmp_path / "crashed"
    with pytest.raises(KeyboardInterrupt):
        training.train(read_config_file(path), run_dir, verbose=0, checkpoint_every=1,
                       deterministic=True, callbacks=[Crash(3)])
    assert not (run_dir / "metadata.json").exists()
    assert main(["train", "--config", str(path), "--run-dir", str(run_dir), *FLAGS]) == 0
    assert "from checkpoint step 3 (epoch 2, batch 1)" in capsys.readouterr().out
    assert_same_weights(run_dir, finished)


class PoisonGenerator(keras.callbacks.Callback):
    """Sets the generator's last bias to NaN once, after generator step `step`."""

    def __init__(self, step):
        super().__init__()
        self.step, self.done = step, False

    def on_train_batch_end(self, batch, logs=None):
        if not self.done and int(self.model.g_optimizer.iterations) == self.step:
            self.done = True
            bias = self.model.generator.weights[-1]
            bias.assign(np.full(bias.shape, np.nan, "float32"))


def test_the_divergence_guard_restores_an_upscaler_and_retries(srresnet_run, tmp_path):
    path, _ = srresnet_run
    sr = training.train(read_config_file(path), tmp_path / "run", verbose=0, checkpoint_every=1,
                        callbacks=[PoisonGenerator(3)])
    metadata = json.loads((tmp_path / "run" / "metadata.json").read_text())
    [event] = metadata["divergence_events"]
    assert event["action"] == "retry" and event["step"] == 4 and "is nan" in event["problem"]
    assert event["checkpoint"].endswith("step-000000003")
    assert metadata["lr_scale"] == 0.5 and metadata["generator_steps"] == STEPS
    assert not nonfinite_variables(sr)


def test_an_epochs_override_must_leave_the_schedule_room_to_change_the_rate(tmp_path, capsys):
    config = {**SRRESNET, "training": {**SRRESNET["training"], "epochs": 4, "lr_hold_epochs": 3}}
    path = tmp_path / "held.yaml"
    path.write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "run"
    assert main(["train", "--config", str(path), "--run-dir", str(run_dir), "--epochs", "2"]) == 2
    assert ("tiny-srresnet with epochs=2: training: lr_hold_epochs (3) must be fewer than "
            "epochs (2).") in capsys.readouterr().err
    with pytest.raises(ValueError, match="with epochs=0: training: epochs must be at least 1"):
        training.train(read_config_file(path), run_dir, epochs=0)
    assert not run_dir.exists()


def test_data_that_does_not_fit_an_upscaler_is_refused_before_training(tmp_path, capsys):
    config = {**SRRESNET, "model": {**SRRESNET["model"], "channels": 1}}
    path = tmp_path / "gray.yaml"
    path.write_text(yaml.safe_dump(config))
    # the data follows the model's channels: it fits; a dataset that does not is refused
    from ganzoo.errors import DataError
    from ganzoo.training.trainer import check_data_fits

    dataset = ganzoo.data.load_patches("sklearn_photos", 16, 4, batch_size=4,
                                       patches_per_image=4)
    with pytest.raises(DataError, match="tiny: the training data does not fit the model: "
                                        "SRResNet's inputs .*channels"):
        check_data_fits(dataset, zoo.build_gan(read_config_file(path)), "tiny")
    check_data_fits(dataset, ganzoo.SRResNet(scale=4, residual_blocks=1, filters=4), "tiny")
    with pytest.raises(DataError, match="must be 2x the inputs"):
        check_data_fits(dataset, ganzoo.SRResNet(scale=2, residual_blocks=1, filters=4), "tiny")


# ------------------------------------------------------ translate, upscale, eval


def test_translate_writes_pix2pix_translations_of_each_input(pix2pix_run, tmp_path, capsys):
    _, run_dir = pix2pix_run
    edges = ganzoo.data.digits_edges.digits_edges_arrays("test", 16)[0][:2]
    paths = [save_image(image, tmp_path / "in" / f"edge{i}.png") for i, image in enumerate(edges)]
    assert main(["translate", str(run_dir), "--input", str(tmp_path / "in"),
                 "--out", str(tmp_path / "out")]) == 0
    assert "Translated 2 image(s) a2b" in capsys.readouterr().out
    expected = load_run(run_dir).translate(read_images(paths, 16, 1))
    np.testing.assert_allclose(_pixels(tmp_path / "out" / "edge1.png"), expected[1, ..., 0],
                               atol=1 / 127.5 + 1e-6)
    assert main(["translate", str(run_dir), "--input", str(paths[0]), "--direction", "b2a",
                 "--out", str(tmp_path / "out")]) == 2
    assert "A Pix2Pix translates A to B only" in capsys.readouterr().err


def test_upscale_keeps_each_images_own_size(srresnet_run, tmp_path, capsys):
    _, run_dir = srresnet_run
    photo = sklearn_photo("train")
    Image.fromarray(photo[:13, :10]).save(tmp_path / "small.png")
    (tmp_path / "more").mkdir()
    Image.fromarray(photo[50:57, 80:89]).save(tmp_path / "more" / "tiny.jpg", quality=95)
    out = tmp_path / "out"
    assert main(["upscale", str(run_dir), "--input", str(tmp_path / "small.png"),
                 "--out", str(out)]) == 0
    assert main(["upscale", str(run_dir), "--input", str(tmp_path / "more"),
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Upscaled 1 image(s) (10x13) x4" in printed and "(9x7) x4" in printed
    with Image.open(out / "small.png") as picture:
        assert picture.size == (40, 52) and picture.mode == "RGB"
    with Image.open(out / "tiny.png") as picture:
        assert picture.size == (36, 28)
    # four training steps leave the outputs nearly flat; a generator that repeats each
    # pixel 4x4 shows what the command fed it and wrote
    low = keras.Input((None, None, 3))
    repeat = keras.Model(low, keras.layers.UpSampling2D(4)(low))
    nearest = ganzoo.SRResNet(scale=4, generator=repeat)
    nearest.compile()
    assert main(["upscale", str(save_run(nearest, tmp_path / "nearest")), "--input",
                 str(tmp_path / "small.png"), "--out", str(tmp_path / "near")]) == 0
    expected = np.repeat(np.repeat(photo[:13, :10], 4, axis=0), 4, axis=1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "near" / "small.png")),
                                  expected)


def test_eval_pix2pix_on_digits_edges_is_class_agreement_and_l1(pix2pix_run, tmp_path, capsys):
    _, run_dir = pix2pix_run
    assert main(["eval", str(run_dir), "--json", str(tmp_path / "eval.json")]) == 0
    printed = capsys.readouterr().out
    assert "class agreement" in printed and "digits_edges test split (held out)" in printed
    rows = {row["name"]: row["metrics"]
            for row in json.loads((tmp_path / "eval.json").read_text())["rows"]}
    edges, digits, labels = ganzoo.data.digits_edges.digits_edges_arrays("test", 16)
    translated = load_run(run_dir).translate(edges)
    classifier = ganzoo.metrics.get_extractor("digits")
    assert rows[run_dir.name]["class agreement"] == pytest.approx(
        np.mean(classifier.predict(translated) == labels))
    assert rows[run_dir.name]["L1"] == pytest.approx(np.abs(translated - digits).mean(), rel=1e-5)
    assert rows["ground truth digits (ceiling)"]["class agreement"] > 0.9
    assert rows["untranslated input"]["L1"] == pytest.approx(np.abs(edges - digits).mean(),
                                                             rel=1e-5)


def test_eval_srresnet_against_bicubic_on_the_held_out_photo(srresnet_run, tmp_path, capsys):
    _, run_dir = srresnet_run
    assert main(["eval", str(run_dir), "--json", str(tmp_path / "eval.json")]) == 0
    assert "flower.jpg, held out" in capsys.readouterr().out
    rows = {row["name"]: row["metrics"]
            for row in json.loads((tmp_path / "eval.json").read_text())["rows"]}
    (low, high), = load_sr_images("sklearn_photos", 4, split="test")
    upscaled, bicubic = load_run(run_dir).upscale(low), bicubic_upscale(low, 4)
    model = rows[run_dir.name]
    assert model["psnr"] == pytest.approx(psnr(upscaled, high, border=4), rel=1e-6)
    assert model["sharpness"] == pytest.approx(sharpness(upscaled, high, border=4), rel=1e-6)
    assert rows["bicubic"]["psnr"] == pytest.approx(psnr(bicubic, high, border=4), rel=1e-6)
    assert model["psnr_over_bicubic"] == pytest.approx(model["psnr"] - rows["bicubic"]["psnr"])


def test_a_pix2pix_of_digits_to_edges_is_measured_by_l1_by_eval_and_the_cards(tmp_path,
                                                                              capsys):
    from scripts.zoo_pretrained import measure

    config = zoo.validate({**PIX2PIX, "data": {**PIX2PIX["data"], "direction": "b2a"}})
    p2p = zoo.build_gan(config, seed=0)
    p2p.compile()
    digits, edges = ganzoo.data.load_paired_arrays("digits_edges", 16, split="test",
                                                   direction="b2a")
    l1 = np.abs(p2p.translate(digits) - edges).mean()
    # the card's metrics: measured on the held-out pairs in the entry's direction
    assert measure(p2p, config, "b2a") == {"L1": pytest.approx(l1, abs=1e-4)}
    run_dir = save_run(p2p, tmp_path / "b2a", config)
    assert main(["eval", str(run_dir), "--json", str(tmp_path / "eval.json")]) == 0
    assert "data: digits_edges, b2a, test split (held out)" in capsys.readouterr().out
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["rows"][0]["metrics"] == {"L1": pytest.approx(l1, rel=1e-5)}


# ---------------------------------------------------------------- wrong kinds


def test_each_command_refuses_the_wrong_kind_in_one_line(pix2pix_run, srresnet_run, tmp_path,
                                                         capsys, monkeypatch):
    (_, p2p), (_, sr) = pix2pix_run, srresnet_run
    image = save_image(np.zeros((16, 16, 1), np.float32), tmp_path / "x.png")
    cases = [(["sample", str(sr), "--out", str(tmp_path / "g.png")],
              f"{sr} is an SRResNet, which upscales images instead of sampling them from noise: "
              "use `ganzoo upscale`."),
             (["translate", str(sr), "--input", str(image), "--out", str(tmp_path)],
              "which upscales images instead of translating images: use `ganzoo upscale`."),
             (["upscale", str(p2p), "--input", str(image), "--out", str(tmp_path)],
              f"{p2p} is a Pix2Pix, which translates images instead of upscaling images: use "
              "`ganzoo translate`."),
             (["upscale", "dcgan-digits", "--input", str(image), "--out", str(tmp_path)],
              "which samples from noise instead of upscaling images: use `ganzoo sample`."),
             (["upscale", "ganomaly-digits", "--input", str(image), "--out", str(tmp_path)],
              "it scores images instead of upscaling them"),
             (["upscale", str(sr), "--input", str(tmp_path / "nope"), "--out", str(tmp_path)],
              "does not exist"),
             (["eval", str(sr), "--num", "10", "--extractor", "inception"],
              f"--num, --extractor apply to GANs that sample: {sr} is an SRResNet, measured on "
              "held-out examples"),
             (["eval", str(p2p), "--data", "digits"],
              "is not a paired source")]
    for argv, message in cases:
        assert main(argv) == 2, argv
        error = capsys.readouterr().err
        assert message in error and len(error.strip().splitlines()) == 1, error
    # an upscaler entry that ships no weights (as srresnet-x4 was before it did)
    shipped = zoo.entries.get_entry
    monkeypatch.setattr(zoo.entries, "get_entry", lambda name: {
        key: value for key, value in shipped(name).items() if key != "pretrained"})
    assert main(["upscale", "srresnet-x4", "--input", str(image), "--out", str(tmp_path)]) == 2
    assert ("ships no pretrained weights yet: train it with `ganzoo train srresnet-x4 --run-dir "
            "DIR` and upscale with DIR") in capsys.readouterr().err


def test_bad_inputs_of_the_image_commands_are_one_line_errors(pix2pix_run, srresnet_run,
                                                              tmp_path, capsys):
    (config, p2p), (_, sr) = pix2pix_run, srresnet_run
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    image = save_image(np.zeros((16, 16, 1), np.float32), tmp_path / "x.png")
    (tmp_path / "tiny").mkdir()
    Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(tmp_path / "tiny" / "a.png")
    out, missing = tmp_path / "out", tmp_path / "no-such-run"
    bare = ganzoo.SRResNet(scale=4, residual_blocks=1, filters=4)
    bare.compile()
    bare = save_run(bare, tmp_path / "bare")  # no config.yaml: no record of its data
    cases = [(["upscale", str(sr), "--input", str(broken), "--out", str(out)],
              f"cannot read image {str(broken)!r}: Unknown image file format."),
             (["translate", str(p2p), "--input", str(broken), "--out", str(out)],
              f"cannot read image {str(broken)!r}: Unknown image file format."),
             (["upscale", str(sr), "--input", str(image), "--out", str(image)],
              f"--out {image} is a file; give a folder for the outputs, one PNG per input."),
             (["upscale", str(missing), "--input", str(image), "--out", str(out)],
              f"{missing} does not exist: give a run folder (it holds config.yaml and the "
              "weights) or a zoo entry name"),
             (["eval", str(config)], f"{config} is a file: give a run folder"),
             (["train", str(config)], f"{config} is not a zoo entry name (see `ganzoo list`); "
                                      f"train an entry-shaped YAML file with --config {config}."),
             (["eval", str(sr), "--data", str(tmp_path / "tiny")],
              "a.png is 3x3, smaller than the scale 4: it has no low-resolution version"),
             (["eval", str(sr), "--num", "1"], f"--num applies to GANs that sample: {sr} is an "
                                               "SRResNet"),
             (["eval", str(bare)], "pass --data, e.g. --data sklearn_photos.")]
    for argv, message in cases:
        assert main(argv) == 2, argv
        error = capsys.readouterr().err
        assert message in error and len(error.strip().splitlines()) == 1, error
        assert "function_node" not in error and "[Op:" not in error, error
    assert not out.exists()


# ------------------------------------------------------------------------ the zoo


def test_list_shows_the_new_entries_by_what_they_make(capsys):
    assert main(["list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "Pix2Pix" in lines["pix2pix-digits-edges"] and "32x32" in lines["pix2pix-digits-edges"]
    for name, variant in (("srresnet-x4", "SRResNet"), ("srgan-x4", "SRGAN")):
        assert f"{variant} " in lines[name] and "x4, 64px patches" in lines[name]
    metrics = {"pretrained": {"metrics": {"class_agreement": 0.9611, "L1": 0.0812}}}
    assert zoo.key_metrics(metrics) == "class agreement 96.1%, L1 0.081"
    metrics = {"pretrained": {"metrics": {"psnr": 25.1, "ssim": 0.81, "sharpness": 0.74,
                                          "psnr_over_bicubic": 1.26}}}
    assert zoo.key_metrics(metrics) == ("PSNR 25.10 dB (+1.26 over bicubic), SSIM 0.810, "
                                        "sharpness 0.74")


@pytest.mark.parametrize("fixture", ["pix2pix_run", "srresnet_run"])
def test_pretrained_weights_files_hold_the_generator(fixture, request, tmp_path):
    from ganzoo.zoo import pretrained

    path, run_dir = request.getfixturevalue(fixture)
    trained = load_run(run_dir)
    sha256 = pretrained.save_weights(trained, tmp_path / "weights.npz")
    fresh = zoo.build_gan(read_config_file(path))
    pretrained.load_weights(fresh, tmp_path / "weights.npz", sha256)
    inputs = zoo.held_out_examples(read_config_file(path))[0]
    method = "upscale" if trained.kind == ganzoo.gans.UPSCALER else "translate"
    np.testing.assert_array_equal(getattr(fresh, method)(inputs),
                                  getattr(trained, method)(inputs))


def test_eval_self_ensemble_adds_its_row_and_upscale_takes_the_flag(srresnet_run, tmp_path,
                                                                    capsys):
    _, run_dir = srresnet_run
    assert main(["eval", str(run_dir), "--self-ensemble", "--json",
                 str(tmp_path / "eval.json")]) == 0
    rows = {row["name"]: row["metrics"]
            for row in json.loads((tmp_path / "eval.json").read_text())["rows"]}
    (low, high), = load_sr_images("sklearn_photos", 4, split="test")
    model = load_run(run_dir)
    ensembled, upscaled = (rows[f"{run_dir.name} x8 self-ensemble"],
                           model.upscale(low, self_ensemble=True))
    assert ensembled["psnr"] == pytest.approx(psnr(upscaled, high, border=4), rel=1e-6)
    # four steps of training leave the outputs nearly flat: their fine detail differs
    assert ensembled["sharpness"] == pytest.approx(sharpness(upscaled, high, border=4),
                                                   rel=1e-6)
    assert ensembled["sharpness"] != pytest.approx(rows[run_dir.name]["sharpness"], rel=1e-3)
    assert ensembled["psnr_over_bicubic"] == pytest.approx(ensembled["psnr"]
                                                           - rows["bicubic"]["psnr"])
    # a random 3x3 convolution is far from equivariant: its ensemble differs visibly
    inputs = keras.Input((None, None, 3))
    convolution = keras.layers.Conv2D(3, 3, padding="same", activation="tanh",
                                      kernel_initializer=keras.initializers.RandomNormal(
                                          stddev=0.5, seed=0))
    untrained = ganzoo.SRResNet(scale=2, generator=keras.Model(
        inputs, convolution(keras.layers.UpSampling2D(2)(inputs))))
    untrained.compile()
    photo = sklearn_photo("train")[:9, :14]
    Image.fromarray(photo).save(tmp_path / "small.png")
    assert main(["upscale", str(save_run(untrained, tmp_path / "untrained")), "--input",
                 str(tmp_path / "small.png"), "--out", str(tmp_path / "out"),
                 "--self-ensemble"]) == 0
    written = np.asarray(Image.open(tmp_path / "out" / "small.png"), "float32") / 127.5 - 1
    pixels = photo.astype("float32") / 127.5 - 1
    expected = untrained.upscale(pixels, self_ensemble=True)
    assert np.abs(written - expected).max() <= 1.5 / 127.5  # 8-bit rounding
    assert np.abs(written - untrained.upscale(pixels)).max() > 0.1


def test_self_ensemble_is_refused_for_a_gan_that_samples(tmp_path, capsys):
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=4, base_filters=4)
    gan.compile()
    run = save_run(gan, tmp_path / "dcgan")
    assert main(["eval", str(run), "--data", "digits", "--self-ensemble"]) != 0
    assert "--self-ensemble applies to upscalers" in capsys.readouterr().err
