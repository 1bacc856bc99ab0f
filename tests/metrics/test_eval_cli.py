"""`ganzoo eval`: the table with its reference rows and protocol, and one-line errors."""

import json
import socket

import pytest

import ganzoo
from ganzoo.cli import main
from ganzoo.runs import save_run


def make_run(path, gan, source="digits"):
    gan.compile()
    config = None if source is None else {"name": "tiny", "data": {"source": source}}
    return save_run(gan, path, config=config)


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, seed=0)
    return make_run(tmp_path_factory.mktemp("runs") / "tiny-dcgan", gan)


def test_eval_prints_the_table_and_protocol(image_run, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["eval", str(image_run), "--num", "200", "--seed", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for text in ("FID", "KID", "IS", "precision", "recall", "modes", "KL", "confident",
                 "tiny-dcgan", "real train (floor)", "uniform noise (ceiling)",
                 "ganzoo-digits-cnn", "weights sha256", "digits test split", "200 samples (seed 1)"):
        assert text in printed, text
    report = json.loads(out.read_text())
    assert [row["protocol"]["num_fake"] for row in report["rows"]] == [200, 200, 200]
    # an unconditional GAN's table has no conditional columns
    assert "class acc." not in printed and "CAS" not in printed
    assert "conditional" not in report["protocol"]
    assert not {"conditional_accuracy", "intra_fid", "cas"} & set(report["rows"][0]["metrics"])


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, num_classes=10,
                       seed=0)
    return make_run(tmp_path_factory.mktemp("runs") / "tiny-cdcgan", gan)


def test_eval_of_a_conditional_gan_adds_its_metrics_at_the_truncation(conditional_run, tmp_path,
                                                                       capsys):
    from ganzoo import zoo
    from ganzoo.metrics import conditional_accuracy, intra_class_fid
    from ganzoo.metrics.model_report import headline_metrics
    from ganzoo.runs import load_run

    out = tmp_path / "eval.json"
    assert main(["eval", str(conditional_run), "--num", "200", "--seed", "1",
                 "--truncation", "0.5", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for text in ("FID", "class acc.", "intra-FID", "CAS", "20 samples of each of the 10 classes",
                 "digits test split", "(the ceiling); CAS / ceiling", "threshold on |z| 0.5"):
        assert text in printed, text
    report = json.loads(out.read_text())
    model, floor, noise = (row["metrics"] for row in report["rows"])
    # the numbers of the Python functions, at the same seed and truncation
    gan = load_run(conditional_run)
    intra = intra_class_fid(gan, 20, seed=1, truncation=0.5)
    untruncated = intra_class_fid(gan, 20, seed=1)
    assert model["intra_fid_per_class"] == pytest.approx(list(intra.per_class), rel=1e-6)
    assert model["intra_fid_per_class"] != pytest.approx(list(untruncated.per_class), rel=1e-6)
    assert model["conditional_accuracy"] == conditional_accuracy(gan, 20, seed=1,
                                                                 truncation=0.5).accuracy
    # real train images: the classifier's own classes, the intra-FID floor, the CAS ceiling
    assert floor["conditional_accuracy"] > 0.95 and floor["intra_fid"] < model["intra_fid"]
    assert floor["cas"] == model["cas_ceiling"] > 0.5
    assert model["cas_ratio"] == pytest.approx(model["cas"] / model["cas_ceiling"])
    assert noise["intra_fid"] > floor["intra_fid"] and noise.get("cas") is None
    assert report["protocol"]["conditional"]["cas"]["num_generated"] == 200
    # what a model card records and `ganzoo list` shows
    headline = headline_metrics(report)
    assert {"fid", "conditional_accuracy", "intra_fid", "cas", "cas_ceiling",
            "cas_ratio"} <= set(headline)
    assert "class accuracy" in zoo.key_metrics({"pretrained": {"metrics": headline}})
    # without CAS (the cards' truncation curves): the same other numbers, CAS said so
    from ganzoo.metrics import conditional_table
    from ganzoo.metrics.model_report import evaluate_model

    _, without = evaluate_model(gan, "digits", num=200, seed=1, truncation=0.5, cas=False)
    cas_keys = {"cas", "cas_ceiling", "cas_ratio"}
    for row, measured in zip(without["rows"], report["rows"]):
        assert set(row["metrics"]) == set(measured["metrics"]) - cas_keys
        for key, value in row["metrics"].items():
            assert value == pytest.approx(measured["metrics"][key], rel=1e-6), key
    assert ("CAS: not measured: not asked for (cas=False)"
            in conditional_table.protocol_lines(without))


def test_conditional_metrics_not_measured_say_why(tmp_path, capsys):
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, num_classes=3)
    run = make_run(tmp_path / "three-classes", gan)
    out = tmp_path / "eval.json"
    assert main(["eval", str(run), "--num", "30", "--json", str(out)]) == 0
    assert ("class acc., intra-FID, CAS: not measured: this GAN makes 3 classes, the digits "
            "(and the shipped classifier) have 10") in capsys.readouterr().out
    assert "conditional_accuracy" not in json.loads(out.read_text())["rows"][0]["metrics"]


def test_too_few_samples_per_class_is_one_line(conditional_run, capsys):
    assert main(["eval", str(conditional_run), "--num", "19"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "num (--num) at least 20; got 19." in err


def test_a_pretrained_2d_entry_is_measured_with_the_mixture_metrics(capsys):
    from ganzoo import zoo

    assert main(["eval", "vanilla-ring8"]) == 0
    out = capsys.readouterr().out
    card = zoo.get_entry("vanilla-ring8")["pretrained"]["metrics"]
    assert "high quality" in out and "ring8 itself (floor)" in out
    assert f"{100 * card['high_quality']:.1f}%" in out  # the card's number, measured again


def test_a_2d_gan_is_a_clear_error(tmp_path, capsys):
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=4, hidden_units=(8,))
    run = make_run(tmp_path / "points", gan)
    assert main(["eval", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "makes samples of shape (2,)" in err


def test_a_run_without_its_data_source_needs_data(tmp_path, capsys):
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
    run = make_run(tmp_path / "bare", gan, source=None)
    assert main(["eval", str(run), "--num", "50"]) == 2
    assert "--data" in capsys.readouterr().err


def test_inception_offline_is_one_line_with_how_to(image_run, tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert main(["eval", str(image_run), "--extractor", "inception"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--inception-weights PATH" in err


def test_a_stacked_digits_gan_is_measured_by_its_1000_modes(tmp_path, capsys):
    from ganzoo.data.stacked import stacked_arrays
    from ganzoo.metrics import stacked_modes

    gan = ganzoo.DCGAN(image_shape=(16, 16, 3), latent_dim=8, base_filters=8, seed=0)
    run = make_run(tmp_path / "stacked", gan, source="stacked_digits")
    out = tmp_path / "eval.json"
    assert main(["eval", str(run), "--num", "300", "--seed", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "real stacked test digits (floor)" in printed and "/ 1000" in printed
    model, floor = (row["metrics"] for row in json.loads(out.read_text())["rows"])
    # the same counts as the metric on the same samples and the same real stacks
    expected = stacked_modes(ganzoo.runs.load_run(run).generate(300, seed=1))
    real = stacked_modes(stacked_arrays("test", 16, num_examples=300, seed=1)[0])
    assert (model["modes"], model["reverse_kl"]) == (expected["modes"], expected["reverse_kl"])
    assert (floor["modes"], floor["reverse_kl"]) == (real["modes"], real["reverse_kl"])
    assert floor["modes"] > 5 * model["modes"]  # 300 real stacks spread; an untrained G does not


def test_a_gray_gan_on_stacked_digits_is_a_clear_error(image_run, capsys):
    assert main(["eval", str(image_run), "--data", "stacked_digits", "--num", "50"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 channels" in err


@pytest.fixture(scope="module")
def style_run(tmp_path_factory):
    import numpy as np

    gan = ganzoo.StyleGAN2(image_shape=(16, 16, 1), latent_dim=8, channel_base=64,
                           channel_max=8, mapping_layers=1, seed=0)
    gan.compile()
    real = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
    gan.fit(real, batch_size=4, epochs=1, verbose=0)  # w_avg moves off zero
    return make_run(tmp_path_factory.mktemp("runs") / "tiny-stylegan2", gan)


def test_eval_samples_with_the_truncation_psi(style_run, tmp_path, capsys):
    import numpy as np

    from ganzoo.metrics.evaluate import gan_batches
    from ganzoo.runs import load_run

    gan = load_run(style_run)
    batches = np.concatenate(list(gan_batches(gan, 10, seed=3, batch_size=4, truncation=0.5)))
    np.testing.assert_allclose(batches, gan.generate(10, seed=3, truncation=0.5), atol=1e-5)
    assert not np.allclose(batches, gan.generate(10, seed=3), atol=1e-3)

    out = tmp_path / "eval.json"
    assert main(["eval", str(style_run), "--num", "60", "--truncation", "0",
                 "--json", str(out)]) == 0
    assert "generated with the truncation trick, psi 0.0" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["protocol"]["truncation"] == 0.0
    assert "truncation psi 0.0" in report["rows"][0]["protocol"]["samples"]
    # psi 0: every latent gives the average w's image, so one class at most
    assert report["rows"][0]["metrics"]["modes_covered"] <= 1


@pytest.mark.parametrize("source, psi, message", [
    ("image_run", "0", "truncation must be a positive threshold on |z| (BigGAN uses 0.04 "
                       "to 2; smaller: less variety), or None for none; got 0.0."),
    ("style_run", "1.5", "truncation must be in [0, 1] (1: none); got 1.5."),
    ("vanilla-ring8", "0.7", "truncation is measured with the image metrics; 'ring8' is "
                             "scored by its modes, without it."),
])
def test_truncation_errors_are_one_line(request, source, psi, message, capsys):
    run = str(request.getfixturevalue(source)) if source.endswith("_run") else source
    assert main(["eval", run, "--num", "20", "--truncation", psi]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
