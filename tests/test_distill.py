"""`ganzoo distill` and distilled zoo entries, end to end on tiny schedules."""

import json

import pytest
import yaml

from ganzoo import zoo
from ganzoo.cli import main
from ganzoo.runs import load_run, read_metadata

# A few steps of a few latents: the plumbing, not the quality (tests/gans/test_distill.py).
TINY = ["--steps", "4", "--steps-per-epoch", "2", "--batch-size", "8"]


@pytest.fixture(scope="module")
def distilled_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["distill", "dcgan-digits", "--width", "0.25", *TINY, "--run-dir", str(run_dir),
                 "--no-export"]) == 0
    return run_dir


def test_distill_writes_a_student_run_folder_that_reloads(distilled_run):
    student = load_run(distilled_run)
    assert type(student).__name__ == "DCGAN" and student.base_filters == 8  # 32 x 0.25
    assert student.generator_steps == 4
    assert student.generate(3, seed=0).shape == (3, 32, 32, 1)
    metadata = read_metadata(distilled_run)
    assert metadata["distillation"]["teacher"] == "dcgan-digits"
    assert metadata["distillation"]["feature_loss"] is True  # digits: the classifier fits
    assert set(metadata["final_losses"]) == {"loss", "pixel_loss", "feature_loss"}
    assert (distilled_run / "samples" / "latest.png").is_file()


def test_the_student_run_samples_like_any_run(distilled_run, tmp_path):
    assert main(["sample", str(distilled_run), "--num", "4", "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").is_file()


def test_a_finished_distillation_is_not_overwritten(distilled_run, capsys):
    before = (distilled_run / "gan.weights.h5").read_bytes()
    assert main(["distill", "dcgan-digits", "--width", "0.25", *TINY,
                 "--run-dir", str(distilled_run), "--no-export"]) == 2
    assert "finished run" in capsys.readouterr().err
    assert (distilled_run / "gan.weights.h5").read_bytes() == before


@pytest.mark.parametrize("width", ["0", "-0.5", "1.5"])
def test_a_width_outside_zero_to_one_is_refused(width, capsys, tmp_path):
    assert main(["distill", "dcgan-digits", "--width", width, *TINY,
                 "--run-dir", str(tmp_path / "r"), "--no-export"]) == 2
    assert "width must be a number in (0, 1]" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("argv, message", [
    (["distill", "dcgan-digitz"], "Unknown zoo entry 'dcgan-digitz'. Did you mean dcgan-digits"),
    (["distill", "runs/nowhere"], "teacher runs/nowhere does not exist"),
    (["distill", "dcgan-digits", "--depth", "2"], "keeps its teacher's depth"),
    (["distill", "dcgan-digits", "--adversarial", "0.1"], "ships its generator only"),
    (["distill", "dcgan-digits", "--width", "0.01"], "fewer than one filter"),
])
def test_bad_teachers_and_options_are_one_line_errors(argv, message, capsys, tmp_path):
    assert main([*argv, *TINY, "--run-dir", str(tmp_path / "r"), "--no-export"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_ganzoo_train_distils_an_entry_with_a_distill_section(tmp_path, capsys):
    config = zoo.get_entry("dcgan-digits-tiny")
    config["training"].update(epochs=1, steps_per_epoch=2)
    config["data"]["batch_size"] = 8
    config["distill"]["feature_weight"] = 0  # the pixel loss alone (and no classifier to load)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    run_dir = tmp_path / "run"
    assert main(["train", "--config", str(path), "--run-dir", str(run_dir)]) == 0
    metadata = json.loads((run_dir / "metadata.json").read_text())
    assert metadata["generator_steps"] == 2 and metadata["discriminator_steps"] == 0
    assert metadata["distillation"]["teacher"] == "dcgan-digits"
    assert set(metadata["final_losses"]) == {"loss", "pixel_loss"}
    assert load_run(run_dir).base_filters == 16
    # GAN-training options are refused, not ignored
    assert main(["train", "--config", str(path), "--run-dir", str(tmp_path / "other"),
                 "--strategy", "mirrored"]) == 2
    assert "--strategy applies to GAN training" in capsys.readouterr().err


def test_the_python_trainer_refuses_a_distilled_entry_before_training(tmp_path):
    from ganzoo.training import train

    with pytest.raises(ValueError, match="trained by distilling its teacher .dcgan-digits."):
        train("dcgan-digits-tiny", tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_the_tiny_entry_is_its_teachers_model_at_half_width():
    tiny, teacher = zoo.get_entry("dcgan-digits-tiny"), zoo.get_entry("dcgan-digits")
    assert tiny["distill"]["teacher"] == "dcgan-digits"
    assert tiny["model"] == {**teacher["model"], "base_filters": teacher["model"]["base_filters"] // 2}


@pytest.mark.parametrize("change, message", [
    (lambda c: c["distill"].update(temperature=2), "distill: unknown key 'temperature'"),
    (lambda c: c["distill"].update(pixel_loss="huber"), "pixel_loss must be one of"),
    (lambda c: c["distill"].update(feature_weight=-1), "feature_weight must be >= 0"),
    (lambda c: c["training"].pop("steps_per_epoch"), "states steps_per_epoch"),
    (lambda c: c["distill"].pop("teacher"), "distill: missing required key 'teacher'"),
])
def test_the_schema_checks_the_distill_section(change, message):
    config = zoo.catalog.read_entry("dcgan-digits-tiny")
    change(config)
    with pytest.raises(ValueError, match=message):
        zoo.validate(config, source="dcgan-digits-tiny.yaml")
