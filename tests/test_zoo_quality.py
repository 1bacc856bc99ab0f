"""The shipped pretrained entries measure what their model cards say.

Each card (`pretrained: metrics:`) records every number `headline_metrics` takes from
`ganzoo eval` on the shipped weights. Measuring the same weights again is deterministic
up to float summation order, so it must land on the card: within REMEASURE_RELATIVE of
each value (REMEASURE_ABSOLUTE near 0), counts exactly. A damaged weights file, or a
change to generation or to a metric, fails. `evaluation: tolerance` is another bound,
how far a retrained run may land (`scripts/zoo_pretrained.py reproduce`), and far too
wide here: noise of 25% of each kernel's std on dcgan-digits' generator stays within it.

Measured, every entry, every metric: with other batch sizes for generation, features and
translation (97, 61, 37, 7 instead of 1000, 256, 256, 64), one TensorFlow thread instead
of two, or oneDNN off, values moved by at most 4e-8 relative and no sample changed class,
mode or neighbourhood. The card rounds to 4 decimals, which alone is up to 1.25% of
reverse_kl 0.004. 1% leaves another machine room to flip a sample or two of a fraction
(one of 360 is 0.3%); 2e-4, two steps of the card's last digit, covers the rounding.
"""

import pytest

from ganzoo import zoo
from ganzoo.metrics.model_report import data_options, evaluate_model, headline_metrics

PRETRAINED = [name for name in zoo.list_entries(kind="gan") if "pretrained" in zoo.get_entry(name)]
# Entries whose card has a truncation curve; one of its points is measured again.
CURVES = [name for name in PRETRAINED if "truncation_curve" in zoo.get_entry(name)["pretrained"]]
DETECTORS = [name for name in zoo.list_entries(kind="detector")
             if "pretrained" in zoo.get_entry(name)]
REMEASURE_RELATIVE = 0.01
REMEASURE_ABSOLUTE = 2e-4


def remeasure_allowance(card_value):
    """How far measuring the shipped weights again may land from a value on their card."""
    if isinstance(card_value, int):  # modes, classes covered: counts
        return 0
    return max(REMEASURE_RELATIVE * abs(card_value), REMEASURE_ABSOLUTE)


def off_card(config, measured):
    """The card's metrics that `measured` misses or lands too far from:
    {metric: (measured, card, allowed)}."""
    card = config["pretrained"]["metrics"]
    return {key: (measured.get(key), value, remeasure_allowance(value))
            for key, value in card.items()
            if key not in measured or abs(measured[key] - value) > remeasure_allowance(value)}


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_weights_measure_what_their_card_records(name):
    config = zoo.get_entry(name)
    evaluation = config.get("evaluation") or {}
    _, report = evaluate_model(zoo.load(name), config["data"]["source"], name=name,
                               num=evaluation.get("num"), seed=evaluation.get("seed", 0),
                               **data_options(config))
    measured = headline_metrics(report)
    unrecorded = sorted(set(measured) - set(config["pretrained"]["metrics"]))
    assert not unrecorded, (f"{name}: the card does not record {unrecorded}; add them, "
                            f"measured on the shipped weights: {measured}")
    assert not off_card(config, measured)


@pytest.mark.parametrize("name", CURVES)
def test_the_truncation_curve_measures_what_its_card_records(name):
    config = zoo.get_entry(name)
    curve = {point["truncation"]: point for point in config["pretrained"]["truncation_curve"]}
    psi = 0.7 if 0.7 in curve else min(curve)  # the paper's usual psi
    evaluation = config.get("evaluation") or {}
    _, report = evaluate_model(zoo.load(name), config["data"]["source"], name=name,
                               num=evaluation.get("num"), seed=evaluation.get("seed", 0),
                               truncation=psi, cas=False, **data_options(config))
    measured = headline_metrics(report)
    card = {key: value for key, value in curve[psi].items() if key != "truncation"}
    assert not off_card({"pretrained": {"metrics": card}}, measured)


@pytest.mark.parametrize("name", DETECTORS)
def test_shipped_detectors_measure_what_their_card_records(name):
    # what `ganzoo eval ENTRY` measures; the test images are counted exactly
    from ganzoo.anomaly.entries import measure

    config = zoo.get_entry(name)
    result = measure(zoo.load(name), config)
    assert not off_card(config, result)
    record = config["pretrained"]
    assert record["test_images"] == {"normal": result["normal"], "anomalous": result["anomalous"]}
    assert record["task"] == result["task"]


@pytest.mark.parametrize("name", PRETRAINED + DETECTORS)
def test_a_measurement_just_off_the_card_is_caught(name):
    config = zoo.get_entry(name)
    card = config["pretrained"]["metrics"]
    assert not off_card(config, dict(card))
    for key, value in card.items():
        if isinstance(value, int):
            assert list(off_card(config, {**card, key: value - 1})) == [key]
            continue
        # the card's last digit passes; 2% (or 4e-4 near 0) does not
        assert not off_card(config, {**card, key: value + 1e-4})
        nudged = value + max(0.02 * abs(value), 4e-4)
        assert list(off_card(config, {**card, key: nudged})) == [key]
    missing = dict(card)
    missing.pop(next(iter(card)))
    assert list(off_card(config, missing)) == [next(iter(card))]
