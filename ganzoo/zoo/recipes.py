"""Paper recipes: zoo entries that give a paper's dataset, sizes and settings, with no
weights trained here (they need GPUs and the real datasets).

A recipe is an ordinary GAN entry whose `recipe:` section replaces `pretrained:`: the
reference implementation it follows, the parameter counts of that reference's networks
beside ours, the metric the paper (or the most cited later measurement) reports, the
hardware it needs, and what a training step costs, from which its card estimates the
wall time. Read without TensorFlow, like the rest of the catalog.
"""

NUMBER = (int, float)
# Sustained float32 throughput the wall-time estimate assumes: about a third of a V100's
# 15.7 TFLOP/s peak, what GAN training at these batch sizes keeps busy.
SUSTAINED_TFLOPS = 5.0
KEYS = {"reference": str, "train_examples": int, "parameters": dict, "parameters_source": str,
        "reported": dict, "hardware": str, "train_step_tflop": NUMBER, "published_time": str}
REQUIRED = ("reference", "train_examples", "parameters", "parameters_source", "reported",
            "hardware")
REPORTED_KEYS = {"metric": str, "value": NUMBER + (type(None),), "source": str}
PARAMETER_KEYS = {"reference": int, "ours": int, "why": str}


def is_recipe(config):
    """True for a paper recipe's entry (`recipe:`, no weights trained here)."""
    return "recipe" in config


def validate(recipe, config, source):
    """Check an entry's `recipe:` section; raise ValueError naming the file and key."""
    where = f"{source}: recipe"
    if not isinstance(recipe, dict):
        raise ValueError(f"{where}: must be a mapping with keys {sorted(KEYS)}.")
    _check_mapping(recipe, KEYS, REQUIRED, where)
    _check_mapping(recipe["reported"], REPORTED_KEYS, tuple(REPORTED_KEYS), f"{where}: reported")
    for network, counts in recipe["parameters"].items():
        _check_mapping(counts, PARAMETER_KEYS, ("reference", "ours"),
                       f"{where}: parameters: {network}")
        if counts["reference"] != counts["ours"] and not counts.get("why"):
            raise ValueError(f"{where}: parameters: {network}: ours ({counts['ours']}) differs "
                             f"from the reference ({counts['reference']}): say why.")
    if "patch_size" in config["data"] and "patches_per_image" not in config["data"]:
        raise ValueError(f"{where}: a super-resolution recipe states data: patches_per_image, "
                         "the patches cut from each of its train_examples photos per epoch.")
    if recipe["train_examples"] < config["data"]["batch_size"]:
        raise ValueError(f"{where}: train_examples ({recipe['train_examples']}) is less than "
                         f"one batch ({config['data']['batch_size']}).")


def _check_mapping(mapping, keys, required, where):
    if not isinstance(mapping, dict):
        raise ValueError(f"{where}: must be a mapping with keys {sorted(keys)}.")
    for key, value in mapping.items():
        if key not in keys:
            raise ValueError(f"{where}: unknown key {key!r}; expected one of {sorted(keys)}.")
        if not isinstance(value, keys[key]) or isinstance(value, bool):
            raise ValueError(f"{where}: {key!r} has the wrong type: {value!r}.")
    missing = [key for key in required if key not in mapping]
    if missing:
        raise ValueError(f"{where}: missing required keys {missing}.")


def epoch_examples(config):
    """Examples in one epoch: the training split's, times the patches cut from each
    photo for a super-resolution recipe (`load_patches`)."""
    return config["recipe"]["train_examples"] * config["data"].get("patches_per_image", 1)


def generator_steps(config):
    """Generator steps of the recipe's schedule: epochs of its training split, in whole
    batches (a CycleGAN's epoch is its domain A's batches; a super-resolution recipe's
    is `patches_per_image` patches of each photo)."""
    batches = epoch_examples(config) // config["data"]["batch_size"]
    return config["training"]["epochs"] * config["training"].get("steps_per_epoch", batches)


def estimated_hours(config):
    """The wall time its training takes at `SUSTAINED_TFLOPS`, or None when the recipe
    records no cost per step."""
    tflop = config["recipe"].get("train_step_tflop")
    if tflop is None:
        return None
    return generator_steps(config) * tflop / SUSTAINED_TFLOPS / 3600


def gpu_time(hours):
    """'40 GPU-minutes' or '7.5 GPU-hours'."""
    return f"{hours * 60:.0f} GPU-minutes" if hours < 2 else f"{hours:,.1f} GPU-hours"


def train_command(config):
    """The one command that trains the recipe on all the GPUs of a machine."""
    return f"ganzoo train {config['name']} --strategy mirrored"


def not_trained_message(config):
    """What `ganzoo.load` says of a recipe asked for its weights."""
    hours = estimated_hours(config)
    cost = f", about {gpu_time(hours)}" if hours is not None else ""
    return (f"Zoo entry {config['name']!r} is a paper recipe: no weights are trained here "
            f"({config['recipe']['hardware']}{cost}). Train it with `{train_command(config)}` "
            "(or --run-dir DIR) and load the run folder with ganzoo.runs.load_run(DIR), or "
            "pass pretrained=False for an untrained model of the recipe's size.")


def _epoch_text(config):
    examples = config["recipe"]["train_examples"]
    if "patches_per_image" in config["data"]:
        return (f"{config['data']['patches_per_image']:,} patches from each of {examples:,} "
                "training photos")
    return f"{examples:,} training examples"


def card_lines(config):
    """The recipe part of a card: what to reproduce, with what, and how long it takes."""
    recipe = config["recipe"]
    reported = recipe["reported"]
    value = (f"{reported['metric']} {reported['value']:g}" if reported["value"] is not None
             else f"no {reported['metric']} published")
    lines = ["", "Paper recipe: no weights are trained here (`ganzoo list --all` lists it).", "",
             f"- Follows: {recipe['reference']}",
             f"- Reported: {value} ({reported['source']})",
             f"- Hardware: {recipe['hardware']}",
             f"- Length: {generator_steps(config):,} generator steps "
             f"({config['training']['epochs']} epochs of {_epoch_text(config)} in batches of "
             f"{config['data']['batch_size']})"]
    hours = estimated_hours(config)
    if hours is not None:
        lines.append(f"- Estimated wall time: {gpu_time(hours)} "
                     f"({recipe['train_step_tflop']:g} TFLOP per training step, counted by "
                     f"`ganzoo.nets.flops.train_step_flops`, at {SUSTAINED_TFLOPS:g} TFLOP/s "
                     "sustained, about a third of a V100's float32 peak)")
    if "published_time" in recipe:
        lines.append(f"- Published time: {recipe['published_time']}")
    lines += [f"- Train: `{train_command(config)}`", "",
              "| network | parameters (ours) | reference | why they differ |", "|---|---|---|---|"]
    lines += [f"| {network} | {counts['ours']:,} | {counts['reference']:,} | "
              f"{counts.get('why', '') or 'same'} |"
              for network, counts in recipe["parameters"].items()]
    lines.append(f"\nReference counts: {recipe['parameters_source']}.")
    return lines
