"""The metrics table: every row measured under one protocol, recorded next to the numbers."""

import pytest

import ganzoo
from ganzoo.data import load_arrays
from ganzoo.metrics import compare, evaluate_gan
from ganzoo.metrics.evaluate import format_row, protocol_lines


@pytest.fixture(scope="module")
def report():
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, seed=0)
    return evaluate_gan(gan, name="untrained", num=300, seed=0, kid_subsets=20)


def test_rows_floor_and_ceiling_bracket_an_untrained_gan(report):
    rows = {row["name"]: row["metrics"] for row in report["rows"]}
    assert list(rows) == ["untrained", "real train (floor)", "uniform noise (ceiling)"]
    floor, model, ceiling = rows["real train (floor)"], rows["untrained"], rows["uniform noise (ceiling)"]
    assert floor["fid"] < 0.2 * model["fid"] and floor["fid"] < 0.2 * ceiling["fid"]
    assert floor["kid"] < model["kid"] and floor["kid"] < ceiling["kid"]
    assert floor["is"] > 8 and ceiling["is"] < 3
    assert floor["precision"] > 0.7 and floor["recall"] > 0.7
    assert ceiling["recall"] < 0.05 and ceiling["precision"] < 0.05
    assert floor["modes_covered"] == 10 and floor["class_kl"] < 0.05
    assert floor["confident_fraction"] > 0.9
    assert sum(floor["class_histogram"]) == 300


def test_every_row_records_its_protocol(report):
    for row in report["rows"]:
        protocol = row["protocol"]
        assert protocol["extractor"] == "ganzoo-digits-cnn"
        assert len(protocol["weights_sha256"]) == 64
        assert protocol["num_fake"] == 300 and protocol["num_real"] == 360
        assert protocol["kid"]["subset_size"] == 300
        assert protocol["precision_recall"] == {"k": 3, "num_per_set": 300}
        assert protocol["mode_coverage"]["real_distribution"] == "true labels of the real set"
    shared = report["protocol"]
    assert shared["reference"] == "digits test split" and shared["image_shape"] == [16, 16, 1]
    text = "\n".join(protocol_lines(report))
    assert shared["weights_sha256"][:16] in text and "360 images at 16x16x1" in text


def test_compare_of_a_set_with_itself():
    images, labels = load_arrays("digits", 16, split="test")
    result = compare(images, images, real_labels=labels, metrics=("fid", "pr", "modes"))
    assert result["metrics"]["fid"] == pytest.approx(0.0, abs=1e-6)
    assert (result["metrics"]["precision"], result["metrics"]["recall"]) == (1.0, 1.0)
    assert "kid" not in result["metrics"]
    with pytest.raises(ValueError, match="unknown metrics"):
        compare(images, images, metrics=("fid", "lpips"))


def test_non_image_gans_and_non_digit_data_are_clear_errors():
    points = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=4, hidden_units=(8,))
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        evaluate_gan(points)
    images = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8)
    with pytest.raises(ValueError, match="only measures digit images"):
        evaluate_gan(images, source="cifar10")


def test_table_cells_show_missing_metrics_as_na():
    cells = format_row({"fid": 1.234, "kid": 0.01, "kid_std": 0.002, "is": None})
    assert cells[:3] == ["1.23", "0.0100 ± 0.0020", "n/a"] and cells[5] == "n/a"


def test_streams_larger_than_the_reservoir_say_so_in_the_protocol():
    from ganzoo.metrics import feature_stats

    images, labels = load_arrays("digits", 16, split="test")
    real = feature_stats(images, keep=100)
    result = compare(images[:50], real, real_labels=labels, metrics=("fid", "kid"))
    assert result["protocol"]["num_real"] == 360 and result["protocol"]["num_real_kept"] == 100
    assert "num_fake_kept" not in result["protocol"]
