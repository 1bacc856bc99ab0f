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
