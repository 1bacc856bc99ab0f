"""Model cards of zoo entries, rendered from their YAML: one Markdown page per entry
(docs/zoo/ENTRY.md, next to its sample picture ENTRY.png) and the README's zoo table.

Everything on a card comes from the entry's YAML (`pretrained` holds what the weights
were measured at and how they were made), so a card cannot drift from its entry:
`python scripts/zoo_pretrained.py cards` writes them again.
"""

import yaml

from ganzoo.zoo.catalog import image_shape_of

CARDS_DIR = "docs/zoo"


def _schedule(config):
    training = config["training"]
    parts = [f"{training['epochs']} epochs, batch {config['data']['batch_size']}, seed "
             f"{training['seed']}"]
    if "learning_rate" in training:
        parts.append(f"learning rate {training['learning_rate']:g}")
    if training.get("lr_schedule") == "linear_decay":
        hold = training.get("lr_hold_epochs", 0)
        parts.append(f"held {hold} epochs, then decayed linearly to 0" if hold
                     else "decayed linearly to 0")
    return ", ".join(parts)


def _data(config):
    data, shape = config["data"], image_shape_of(config)
    split = f", {data['split']} split" if "split" in data else ""
    return f"{data['source']}{split}, " + (f"{shape[0]}x{shape[1]}" if shape else "2D points")


def render_card(config, picture=None):
    """The Markdown model card of an entry (a validated config dict)."""
    record = config.get("pretrained")
    lines = [f"# {config['name']}", "", config.get("description", ""), "",
             f"- Paper: {config.get('paper', 'n/a')}",
             f"- Variant: `{config['variant']}` with "
             f"`{yaml.safe_dump(config['model'], default_flow_style=True).strip()}`",
             f"- Data: {_data(config)}",
             f"- Schedule: {_schedule(config)}"]
    if record is None:
        lines += ["", "No pretrained weights are shipped yet."]
        return "\n".join(lines) + "\n"
    lines += [f"- Trained: {record.get('trained', '?')}, {record.get('generator_steps', '?')} "
              f"generator steps in {record['wall_time_s']:.0f} s on {record.get('machine', '?')}",
              f"- Weights: `{record.get('file', record.get('url'))}`, sha256 "
              f"`{record['sha256']}`",
              f"- Reproduce: `{record['command']}`", "",
              "## Metrics (`ganzoo eval`)", "",
              "| metric | value | a retrained run lands within |", "|---|---|---|"]
    tolerance = config["evaluation"]["tolerance"]  # one per metric (schema)
    lines += [f"| {key} | {value} | +-{tolerance[key]} |"
              for key, value in record["metrics"].items()]
    if picture:
        lines += ["", f"![samples of {config['name']}]({picture})"]
    return "\n".join(lines) + "\n"


def render_table(configs, key_metrics):
    """The README's zoo table: one row per entry, linking its card."""
    lines = ["| entry | variant | data | schedule | pretrained | key metrics |",
             "|---|---|---|---|---|---|"]
    for config in configs:
        record = config.get("pretrained")
        trained = (f"yes, {record['wall_time_s'] / 60:.1f} min on {record.get('machine', '?')}"
                   if record else "no")
        lines.append(f"| [`{config['name']}`]({CARDS_DIR}/{config['name']}.md) | "
                     f"{config['variant']} | {_data(config)} | {_schedule(config)} | {trained} | "
                     f"{key_metrics(config)} |")
    return "\n".join(lines)
