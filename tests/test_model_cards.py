"""Model cards are rendered from the entries' YAML and kept in step with it."""

from pathlib import Path

import pytest

from ganzoo import zoo
from ganzoo.zoo.cards import EXTRA_PICTURES, render_card, render_table

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "docs" / "zoo"


@pytest.mark.parametrize("name", zoo.list_entries())
def test_each_card_is_the_rendering_of_its_yaml_with_its_picture(name):
    config = zoo.get_entry(name)
    picture = f"{name}.png" if "pretrained" in config else None
    if picture:
        assert (CARDS / picture).is_file()
    extras = [kind for kind in EXTRA_PICTURES if (CARDS / f"{name}-{kind}.png").is_file()]
    card = (CARDS / f"{name}.md").read_text()
    assert card == render_card(config, picture, extras), (
        f"docs/zoo/{name}.md is out of date: run python scripts/zoo_pretrained.py cards")
    record = config.get("pretrained")
    if record:  # the card states what the issue asks: data, schedule, wall time, metrics, command
        for fact in (record["sha256"], record["command"], config["data"]["source"],
                     f"{record['wall_time_s']:.0f} s", *map(str, record["metrics"])):
            assert fact in card


def test_the_readme_zoo_table_is_the_rendering_of_every_entry():
    table = render_table([zoo.get_entry(name) for name in zoo.list_entries()], zoo.key_metrics)
    assert table in (ROOT / "README.md").read_text()


def test_a_gan_card_puts_the_entry_beside_its_baselines():
    config = zoo.get_entry("dcgan-digits")
    config["pretrained"] = {**config["pretrained"], "baselines": {
        "without ADA": {"model": {"augment": None}, "wall_time_s": 12.0,
                        "metrics": {"fid": 9.87, "confident_fraction": 0.55}}}}
    card = render_card(config)
    header = next(line for line in card.splitlines() if line.startswith("| metric | dcgan-digits"))
    assert header == "| metric | dcgan-digits | without ADA |"
    assert "without ADA: augment removed" in card
    fid = config["pretrained"]["metrics"]["fid"]
    assert f"| fid | {fid} | 9.87 |" in card          # the entry's value, then the baseline's
    assert "| precision |" in card.split("Beside its baselines")[1]  # '-' where unmeasured


def test_a_card_states_a_step_decay_schedule():
    config = zoo.get_entry("srgan-x4")
    assert ("- Schedule: from srresnet-x4's trained generator, 10 epochs, batch 16, seed 0, "
            "held 5 epochs, then dropped tenfold\n") in render_card(config)
    config["training"].pop("lr_hold_epochs")
    assert "seed 0, dropped tenfold after half the epochs\n" in render_card(config)


def test_a_card_shows_the_truncation_curve_and_the_style_pictures():
    config = zoo.get_entry("dcgan-digits")
    config["pretrained"] = {**config["pretrained"], "truncation_curve": [
        {"truncation": 0.5, "fid": 9.5, "confident_fraction": 0.93},
        {"truncation": 1.0, "fid": 7.1, "confident_fraction": 0.81}]}
    card = render_card(config, "dcgan-digits.png", ["mixing", "interpolation"])
    lines = card.splitlines()
    # a latent GAN's truncation is BigGAN's threshold on |z|; a StyleGAN2's is psi
    header = lines.index("| threshold on \\|z\\| | fid | confident_fraction |")
    assert lines[header - 2] == "## Truncation curve (`ganzoo eval dcgan-digits --truncation T`)"
    assert lines[header + 2:header + 4] == ["| 0.5 | 9.5 | 0.93 |", "| 1.0 | 7.1 | 0.81 |"]
    styled = zoo.get_entry("stylegan2-digits")
    assert "| psi | fid |" in render_card(styled) and "--truncation PSI`" in render_card(styled)
    # the extra pictures follow the samples, in EXTRA_PICTURES' order, each with its heading
    assert card.index("(dcgan-digits.png)") < card.index("## Style mixing") < card.index(
        "(dcgan-digits-mixing.png)") < card.index("## Interpolation") < card.index(
        "(dcgan-digits-interpolation.png)")
    assert "ganzoo sample dcgan-digits --interpolate 0,1 --num 12" in card
    assert "## Truncation\n" not in card  # no picture of that kind was given


def test_a_card_counts_steps_per_epoch_when_the_entry_states_them():
    assert "- Schedule: 40 epochs of 100 steps, batch 32, seed 0\n" in render_card(
        zoo.get_entry("stylegan2-digits"))


def _exported(**changes):
    """A `pretrained: export:` record as `scripts/zoo_pretrained.py export` writes it."""
    artifact = {"runtime": "litert", "batch": 1, "parity": "pass"}
    record = {
        "command": "ganzoo-export dcgan-digits --threads 1", "measured": "2026-11-28",
        "cpu": "AMD EPYC", "cpus": 2, "threads": 1,
        "versions": {"onnxruntime": "1.32.0", "ai-edge-litert": "2.3.0"},
        "recommended": {"batch_1": "generator_int8.tflite", "batch_8": "generator.onnx"},
        "artifacts": [
            {**artifact, "file": "generator.onnx", "runtime": "onnxruntime", "batch": None,
             "precision": "float32", "size_bytes": 1498492,
             "p50_ms": {"batch_1": 0.1442, "batch_8": 0.5503}, "max_abs_diff": 4.17e-07},
            {**artifact, "file": "generator_float32.tflite", "precision": "float32",
             "size_bytes": 1490132, "p50_ms": {"batch_1": 0.2772, "batch_8": 6.602},
             "max_abs_diff": 8.64e-07},
            {**artifact, "file": "generator_int8.tflite", "precision": "int8",
             "size_bytes": 434840, "p50_ms": {"batch_1": 0.071, "batch_8": 0.6363},
             "max_abs_diff": 0.0607, "classifier_agreement": 0.977}]}
    return {**record, **changes}


def test_a_card_shows_the_recommended_artifact_with_its_size_latency_and_parity():
    config = zoo.get_entry("dcgan-digits")
    config["pretrained"] = {**config["pretrained"], "export": _exported()}
    assert zoo.validate(config, "dcgan-digits.yaml") is config  # the schema takes the record
    card = render_card(config, "dcgan-digits.png")
    lines = card.splitlines()
    section = lines.index("## Exported (`ganzoo-export dcgan-digits --threads 1`)")
    assert lines[section + 2] == (
        "Recommended: `generator_int8.tflite` (litert, int8), 425 KiB, p50 0.071 ms at batch 1 "
        "and 0.636 ms at batch 8 (8 calls); parity pass (max abs diff 6.1e-02, digits "
        "classifier agreement 0.977). Fastest otherwise: `generator.onnx` at batch 8.")
    assert ("| **`generator_int8.tflite`** | litert | int8 | 425 KiB | 0.071 | 0.636 (8 calls) "
            "| pass (max abs diff 6.1e-02, digits classifier agreement 0.977) |") in lines
    assert ("| `generator_float32.tflite` | litert | float32 | 1455 KiB | 0.277 | 6.602 (8 calls) "
            "| pass (max abs diff 8.6e-07) |") in lines
    assert "Timed on AMD EPYC (2 CPUs), 1 thread, onnxruntime 1.32.0, ai-edge-litert 2.3.0" in card
    assert card.index("## Exported") < card.index("(dcgan-digits.png)")
    # a detector's card shows its scorer's export the same way
    detector = zoo.get_entry("ganomaly-digits")
    detector["pretrained"] = {**detector["pretrained"], "export": _exported(
        command="ganzoo-export ganomaly-digits --threads 1")}
    assert "## Exported (`ganzoo-export ganomaly-digits --threads 1`)" in render_card(detector)


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("threads"), r"export: missing \['threads'\]"),
    (lambda r: r["artifacts"][1].pop("p50_ms"), "'generator_float32.tflite' misses"),
    (lambda r: r.update(artifacts=[]), "artifacts is empty"),
    (lambda r: r["recommended"].update(batch_1="gone.tflite"), r"recommended \['gone.tflite'\]"),
])
def test_an_incomplete_export_record_is_a_clear_error(change, message):
    config = zoo.get_entry("dcgan-digits")
    record = _exported()
    change(record)
    config["pretrained"] = {**config["pretrained"], "export": record}
    with pytest.raises(ValueError, match=message) as error:
        render_card(config)
    assert "python scripts/zoo_pretrained.py export dcgan-digits" in str(error.value)


def test_a_record_with_nothing_recommended_says_so():
    config = zoo.get_entry("dcgan-digits")
    config["pretrained"] = {**config["pretrained"], "export": _exported(recommended={})}
    card = render_card(config)
    assert "No artifact passed parity: none is recommended." in card and "**`" not in card


def test_a_distilled_entry_names_its_teacher_and_losses_on_its_card():
    config = zoo.get_entry("dcgan-digits-tiny")
    card = render_card(config)
    assert ("- Schedule: distilled from dcgan-digits's generator (L1 pixel loss + 1 x "
            "digits-classifier feature loss on the same latents)") in card
    config = {**config, "distill": {"teacher": "runs/big", "pixel_loss": "l2",
                                    "feature_weight": 0, "adversarial_weight": 0.1}}
    assert ("distilled from runs/big's generator (L2 pixel loss + 0.1 x adversarial loss "
            "on the same latents)") in render_card(config)
