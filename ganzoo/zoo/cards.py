"""Model cards of zoo entries, rendered from their YAML: one Markdown page per entry
(docs/zoo/ENTRY.md, next to its picture ENTRY.png: samples of a GAN, score histograms
of an anomaly detector) and the README's zoo table.

Everything on a card comes from the entry's YAML (`pretrained` holds what the weights
were measured at and how they were made; its `export` what `ganzoo-export` measured on
them: `python scripts/zoo_pretrained.py export ENTRY`), so a card cannot drift from its
entry: `python scripts/zoo_pretrained.py cards` writes them again.
"""

import yaml

from ganzoo.zoo.catalog import DISTILL_DEFAULTS, image_shape_of, is_detector, model_name
from ganzoo.zoo.recipes import card_lines, is_recipe


CARDS_DIR = "docs/zoo"
# Pictures a GAN's card shows below its samples when they exist beside it
# (docs/zoo/ENTRY-KIND.png; scripts/zoo_pretrained.py makes them for the models that
# have the mechanism): {kind: (heading, what the picture shows)}.
EXTRA_PICTURES = {
    "truncation": ("Truncation", "The same ten latents (columns) at each truncation psi "
                   "of the table (rows, top to bottom), `ganzoo sample ENTRY --truncation PSI`."),
    "mixing": ("Style mixing", "Top row: source seeds 1-5; left column: destination seeds "
               "6-9; each cell is the destination with the coarse styles 0-3 (4x4 and 8x8) "
               "of the source above it, `ganzoo sample ENTRY --mix 1,2,3,4,5:6,7,8,9 "
               "--mix-layers 0-3`."),
    "interpolation": ("Interpolation", "From seed 0 to seed 1 in twelve steps, "
                      "`ganzoo sample ENTRY --interpolate 0,1 --num 12` (a StyleGAN2 walks "
                      "W in a straight line, other GANs Z along the sphere)."),
}


# What a card needs of `pretrained: export:` and of each of its artifacts, as
# `scripts/zoo_pretrained.py export` writes them.
EXPORT_FIELDS = ("command", "measured", "cpu", "cpus", "threads", "versions", "recommended",
                 "artifacts")
EXPORTED_ARTIFACT_FIELDS = ("file", "runtime", "precision", "batch", "size_bytes", "p50_ms",
                            "parity", "max_abs_diff")


def _schedule(config):
    training = config["training"]
    epochs = (f"{training['epochs']} epochs" if "epochs" in training
              else "the detector's default epochs")
    batch = (f", batch {config['data']['batch_size']}" if "batch_size" in config["data"]
             else "")
    steps = (f" of {training['steps_per_epoch']} steps" if "steps_per_epoch" in training
             else "")
    parts = [f"{epochs}{steps}{batch}, seed {training['seed']}"]
    if "distill" in config:  # a student: its steps match the teacher, no GAN training
        distill = {**DISTILL_DEFAULTS, **config["distill"]}
        losses = [f"{distill['pixel_loss'].upper()} pixel loss"]
        if distill["feature_weight"]:
            losses.append(f"{distill['feature_weight']:g} x digits-classifier feature loss")
        if distill["adversarial_weight"]:
            losses.append(f"{distill['adversarial_weight']:g} x adversarial loss")
        parts.insert(0, f"distilled from {distill['teacher']}'s generator "
                        f"({' + '.join(losses)} on the same latents)")
    if "generator_from" in training:
        parts.insert(0, f"from {training['generator_from']}'s trained generator")
    if "learning_rate" in training:
        parts.append(f"learning rate {training['learning_rate']:g}")
    hold = training.get("lr_hold_epochs", 0)
    if training.get("lr_schedule") == "linear_decay":
        parts.append(f"held {hold} epochs, then decayed linearly to 0" if hold
                     else "decayed linearly to 0")
    elif training.get("lr_schedule") == "step_decay":  # STEP_DECAY_FACTOR, 0.1
        parts.append(f"held {hold} epochs, then dropped tenfold" if hold
                     else "dropped tenfold after half the epochs")
    return ", ".join(parts)


def _data(config):
    data, shape = config["data"], image_shape_of(config)
    split = f", {data['split']} split" if "split" in data else ""
    task = f", anomaly {data['anomaly_class']}" if "anomaly_class" in data else ""
    return (f"{data['source']}{task}{split}, "
            + (f"{shape[0]}x{shape[1]}" if shape else "2D points"))


def _header(config, model):
    """A card's first lines: name, description, paper, the model with its arguments
    (`model` names it: "Variant: `DCGAN`"), data and schedule."""
    return [f"# {config['name']}", "", config.get("description", ""), "",
            f"- Paper: {config.get('paper', 'n/a')}",
            f"- {model} with `{yaml.safe_dump(config['model'], default_flow_style=True).strip()}`",
            f"- Data: {_data(config)}",
            f"- Schedule: {_schedule(config)}"]


def _without_weights(lines):
    return "\n".join([*lines, "", "No pretrained weights are shipped yet."]) + "\n"


def render_card(config, picture=None, extras=()):
    """The Markdown model card of an entry (a validated config dict); `picture` is the
    samples' file name, `extras` the EXTRA_PICTURES kinds that exist for it."""
    if is_detector(config):
        return _detector_card(config, picture)
    record = config.get("pretrained")
    lines = _header(config, f"Variant: `{config['variant']}`")
    if is_recipe(config):
        return "\n".join([*lines, *card_lines(config)]) + "\n"
    if record is None:
        return _without_weights(lines)
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
    lines += _gan_baselines(config["name"], record)
    lines += _truncation_curve(config, record.get("truncation_curve"))
    lines += _export_lines(config["name"], record.get("export"))
    if picture:
        lines += ["", f"![samples of {config['name']}]({picture})"]
    for kind in extras:
        heading, caption = EXTRA_PICTURES[kind]
        lines += ["", f"## {heading}", "", caption.replace("ENTRY", config["name"]), "",
                  f"![{kind} of {config['name']}]({config['name']}-{kind}.png)"]
    return "\n".join(lines) + "\n"


def _truncation_curve(config, curve):
    """The card's table of metrics against the truncation: StyleGAN2's psi (1: none),
    the other latent GANs' threshold on |z| (BigGAN's trick; the card's metrics: none)."""
    if not curve:
        return []
    keys = [key for key in curve[0] if key != "truncation"]
    name, styles = config["name"], config["variant"] == "StyleGAN2"
    column, value = ("psi", "PSI") if styles else ("threshold on \\|z\\|", "T")
    return ["", f"## Truncation curve (`ganzoo eval {name} --truncation {value}`)", "",
            f"| {column} | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys),
            *(f"| {point['truncation']} | " + " | ".join(str(point[key]) for key in keys) + " |"
              for point in curve)]


def _export_lines(name, record):
    """The card's section on the exported artifacts: the recommended one (the fastest
    that passed parity at the smallest timed batch) with its size, latency and parity,
    then every artifact, all as `ganzoo-export` measured them."""
    if record is None:
        return []
    _check_export_record(name, record)
    artifacts = {artifact["file"]: artifact for artifact in record["artifacts"]}
    batches = list(record["artifacts"][0]["p50_ms"])  # batch_1, batch_8
    sizes = [key.removeprefix("batch_") for key in batches]
    where = (f"Timed on {record['cpu']} ({record['cpus']} CPUs), {record['threads']} "
             f"thread{'s' if record['threads'] > 1 else ''}, "
             + ", ".join(f"{package} {version}" for package, version in record["versions"].items())
             + f", on {record['measured']} by `python scripts/zoo_pretrained.py export {name}`.")
    lines = ["", f"## Exported (`{record['command']}`)", ""]
    picks = record["recommended"]
    if not picks:
        lines.append("No artifact passed parity: none is recommended.")
    else:
        first = artifacts[picks.get(batches[0], next(iter(picks.values())))]
        latency = " and ".join(f"{_ms(first, key, calls=False)} ms at batch {size}"
                               f"{_calls(first, key)}" for key, size in zip(batches, sizes))
        lines.append(f"Recommended: `{first['file']}` ({first['runtime']}, "
                     f"{first['precision']}), {_kib(first['size_bytes'])}, p50 {latency}; "
                     f"parity {_parity(first)}.")
        others = [f"`{file}` at batch {key.removeprefix('batch_')}"
                  for key, file in picks.items() if file != first["file"]]
        if others:
            lines[-1] += f" Fastest otherwise: {', '.join(others)}."
    lines += ["", "| artifact | runtime | precision | size | "
              + " | ".join(f"p50 ms, batch {size}" for size in sizes) + " | parity |",
              "|---|---|---|---|" + "---|" * len(sizes) + "---|"]
    for artifact in record["artifacts"]:
        recommended = artifact["file"] in picks.values()
        file = f"**`{artifact['file']}`**" if recommended else f"`{artifact['file']}`"
        lines.append(f"| {file} | {artifact['runtime']} | {artifact['precision']} | "
                     f"{_kib(artifact['size_bytes'])} | "
                     + " | ".join(_ms(artifact, key) for key in batches)
                     + f" | {_parity(artifact)} |")
    lines += ["", where + " A file of a fixed batch runs a larger one in calls of its own "
              "batch (shown). A phone's CPU is slower, and the ranking can change there: "
              "time the files on the device."]
    return lines


def _check_export_record(name, record):
    """A clear error for a `pretrained: export:` record the card cannot show."""
    again = f"write it again with `python scripts/zoo_pretrained.py export {name}`"
    if not isinstance(record, dict):
        raise ValueError(f"{name}: pretrained: export must be a mapping; {again}.")
    missing = [key for key in EXPORT_FIELDS if key not in record]
    if missing:
        raise ValueError(f"{name}: pretrained: export: missing {missing}; {again}.")
    if not record["artifacts"]:
        raise ValueError(f"{name}: pretrained: export: artifacts is empty; {again}.")
    files = set()
    for artifact in record["artifacts"]:
        missing = [key for key in EXPORTED_ARTIFACT_FIELDS if key not in artifact]
        if missing:
            raise ValueError(f"{name}: pretrained: export: artifact "
                             f"{artifact.get('file', '?')!r} misses {missing}; {again}.")
        files.add(artifact["file"])
    unknown = [file for file in record["recommended"].values() if file not in files]
    if unknown:
        raise ValueError(f"{name}: pretrained: export: recommended {unknown} not among its "
                         f"artifacts; {again}.")


def _ms(artifact, key, calls=True):
    """An artifact's p50 at one batch (`batch_8`), with the calls a fixed batch takes."""
    value = artifact["p50_ms"].get(key)
    if value is None:
        return "-"
    return f"{value:.3f}" + (_calls(artifact, key) if calls else "")


def _calls(artifact, key):
    """" (8 calls)" when a file of a smaller fixed batch runs batch `key` in parts."""
    calls = -(-int(key.removeprefix("batch_")) // artifact["batch"]) if artifact["batch"] else 1
    return f" ({calls} calls)" if calls > 1 else ""


def _kib(num_bytes):
    return f"{num_bytes / 1024:.0f} KiB"


def _parity(artifact):
    facts = [] if artifact["max_abs_diff"] is None else [
        f"max abs diff {artifact['max_abs_diff']:.1e}"]
    if "classifier_agreement" in artifact:
        facts.append(f"digits classifier agreement {artifact['classifier_agreement']}")
    return artifact["parity"] + (f" ({', '.join(facts)})" if facts else "")


def _gan_baselines(name, record):
    """The card's table of the entry beside its baselines: the same data, schedule and
    seed without what the entry adds (`scripts/zoo_pretrained.py`, GAN_BASELINES)."""
    baselines = record.get("baselines") or {}
    if not baselines:
        return []
    changes = "; ".join(f"{label}: " + ", ".join(
        f"{key} {'removed' if value is None else value}" for key, value in b["model"].items())
        for label, b in baselines.items())
    lines = ["", "## Beside its baselines", "",
             f"Trained on the same data, schedule and seed ({changes}):", "",
             f"| metric | {name} | " + " | ".join(baselines) + " |",
             "|---|---|" + "---|" * len(baselines)]
    for key, value in record["metrics"].items():
        lines.append(f"| {key} | {value} | "
                     + " | ".join(str(b["metrics"].get(key, "-")) for b in baselines.values())
                     + " |")
    return lines


def _detector_card(config, picture):
    record, name = config.get("pretrained"), config["detector"]
    lines = _header(config, f"Detector: `{name}`")
    if record is None:
        return _without_weights(lines)
    tested = record.get("test_images", {})
    lines += [f"- Task: {record.get('task', '?')}: trained on the normal images only, tested "
              f"on {tested.get('normal', '?')} normal and {tested.get('anomalous', '?')} "
              "anomalous held-out images (higher score = more anomalous; the anomalies are "
              "the positive class)",
              f"- Trained: {record.get('trained', '?')}, in {record['wall_time_s']:.0f} s on "
              f"{record.get('machine', '?')}",
              f"- Weights: `{record.get('file', record.get('url'))}`, sha256 "
              f"`{record['sha256']}`",
              f"- Reproduce: `{record['command']}`", "",
              "## Metrics (`ganzoo eval`), against baselines on the same task and seed", "",
              "| method | auroc | average_precision | settings |", "|---|---|---|---|"]
    metrics, baselines = record["metrics"], record.get("baselines") or {}
    lines.append(f"| **{name}** (this entry) | {metrics['auroc']} | "
                 f"{metrics['average_precision']} | as above |")
    for baseline, measured in baselines.items():
        lines.append(f"| {baseline} | {measured['auroc']} | {measured['average_precision']} | "
                     f"{_settings(measured)} |")
    tolerance = config["evaluation"]["tolerance"]  # one per metric (schema)
    lines += ["", "A retrained run lands within "
              + ", ".join(f"+-{value} {key}" for key, value in tolerance.items()) + "."]
    if baselines:
        lines += ["", *_verdicts(name, metrics, baselines)]
    lines += _export_lines(config["name"], record.get("export"))
    if picture:
        lines += ["", f"![test score histograms of {config['name']}]({picture})"]
    return "\n".join(lines) + "\n"


def _settings(measured):
    model = ", ".join(f"{key} {value}" for key, value in (measured.get("model") or {}).items())
    epochs = measured.get("epochs")
    return "; ".join(part for part in (model, f"{epochs} epochs" if epochs else "closed form",
                                       f"{measured['wall_time_s']:.0f} s"
                                       if "wall_time_s" in measured else "") if part)


def _verdicts(name, metrics, baselines):
    """One plain sentence per metric: which baselines beat the entry's detector."""
    lines = []
    for key, label in (("auroc", "AUROC"), ("average_precision", "average precision")):
        better = [baseline for baseline, measured in baselines.items()
                  if measured[key] > metrics[key]]
        if better:
            lines.append(f"- On {label}, {' and '.join(better)} "
                         f"{'beats' if len(better) == 1 else 'beat'} {name}: "
                         + ", ".join(f"{baselines[b][key]}" for b in better)
                         + f" against {metrics[key]}.")
        else:
            lines.append(f"- On {label}, {name} beats every baseline: {metrics[key]} against "
                         f"at most {max(m[key] for m in baselines.values())}.")
    return lines


def render_table(configs, key_metrics):
    """The README's zoo table: one row per entry, linking its card."""
    lines = ["| entry | variant | data | schedule | pretrained | key metrics |",
             "|---|---|---|---|---|---|"]
    for config in configs:
        record = config.get("pretrained")
        trained = (f"yes, {record['wall_time_s'] / 60:.1f} min on {record.get('machine', '?')}"
                   if record else "recipe (not trained here)" if is_recipe(config) else "no")
        lines.append(f"| [`{config['name']}`]({CARDS_DIR}/{config['name']}.md) | "
                     f"{model_name(config)} | {_data(config)} | {_schedule(config)} | {trained} | "
                     f"{key_metrics(config)} |")
    return "\n".join(lines)
