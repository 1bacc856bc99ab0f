"""The shipped pretrained entries are as good as their model cards say.

Each entry's card records the metrics `ganzoo eval` measured on its weights, and
`evaluation: tolerance` how far a fresh measurement may land from them (a retrained
run too). Measuring the shipped weights again here, offline, must land within it:
a wrong or damaged weights file, or a change that breaks generation, fails.
"""

import pytest

from ganzoo import zoo
from ganzoo.metrics.model_report import evaluate_model, headline_metrics

PRETRAINED = [name for name in zoo.list_entries() if "pretrained" in zoo.get_entry(name)]


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_weights_reach_the_metrics_on_their_card(name):
    config = zoo.get_entry(name)
    evaluation = config.get("evaluation") or {}
    tolerance = evaluation.get("tolerance")
    assert tolerance, f"{name}: the card states no tolerance for its metrics"
    _, report = evaluate_model(zoo.load(name), config["data"]["source"], name=name,
                               num=evaluation.get("num"), seed=evaluation.get("seed", 0))
    measured, card = headline_metrics(report), config["pretrained"]["metrics"]
    for key, allowed in tolerance.items():
        assert abs(measured[key] - card[key]) <= allowed, (key, measured[key], card[key])
