"""Model cards are rendered from the entries' YAML and kept in step with it."""

from pathlib import Path

import pytest

from ganzoo import zoo
from ganzoo.zoo.cards import render_card, render_table

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "docs" / "zoo"


@pytest.mark.parametrize("name", zoo.list_entries())
def test_each_card_is_the_rendering_of_its_yaml_with_its_picture(name):
    config = zoo.get_entry(name)
    picture = f"{name}.png" if "pretrained" in config else None
    if picture:
        assert (CARDS / picture).is_file()
    card = (CARDS / f"{name}.md").read_text()
    assert card == render_card(config, picture), (
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
    assert "- Schedule: 40 epochs, batch 16, seed 0, held 30 epochs, then dropped tenfold\n" in (
        render_card(config))
    config["training"].pop("lr_hold_epochs")
    assert "seed 0, dropped tenfold after half the epochs\n" in render_card(config)
