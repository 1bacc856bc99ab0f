"""Students for distillation: the entry-shaped config of a smaller generator of a
teacher's family, and the teacher itself, from a zoo entry or a run folder.

A distilled entry states its student in `model:` like any entry (so `ganzoo.load`
builds it) and its teacher and losses in `distill:`; `student_config` writes such a
config from a teacher and a width, as `ganzoo distill` does.
"""

import copy
from pathlib import Path

# The model argument a width scales, for every family ganzoo distils.
WIDTH_ARGUMENT = "base_filters"
# Teacher options a student does not inherit: a generator EMA and augmentations are
# adversarial-training devices; a student regresses onto the teacher's (averaged) samples.
NOT_INHERITED = ("ema_decay", "ema_warmup", "augment", "augment_options")
# Why `depth` cannot change for the families that scale by width: {variant: why}.
FIXED_DEPTH = {
    "DCGAN": "its generator has one upsampling block per doubling from 4x4 to the image "
             "size, so its depth follows the image size",
    "WGANGP": "its image generator is DCGAN's, one upsampling block per doubling from 4x4 "
              "to the image size",
    "BigGAN": "its generator has one residual block per doubling from 4x4 to the image size",
}
# What `--width` may be: a fraction of the teacher's width, the teacher's included.
MAX_WIDTH = 1.0


def check_width(width):
    """Refuse a width outside (0, 1]: a student is no wider than its teacher."""
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= MAX_WIDTH:
        raise ValueError(f"width must be a number in (0, 1], the fraction of the teacher's "
                         f"{WIDTH_ARGUMENT} the student keeps (0.5: half, about a quarter of "
                         f"the FLOPs); got {width!r}. A wider student is no distillation: "
                         f"train it with `ganzoo train --config` and a larger {WIDTH_ARGUMENT}.")
    return float(width)


def check_depth(depth, variant):
    """Refuse a depth other than 1 (the teacher's): no family here can change it."""
    if depth in (None, 1, 1.0):
        return
    why = FIXED_DEPTH.get(variant, "it has no depth setting ganzoo can scale")
    raise ValueError(f"depth={depth!r}: a {variant} student keeps its teacher's depth, since "
                     f"{why}; scale the width instead (--width 0.5 or 0.25).")


def scaled_width(teacher_model, width, source):
    """The student's `base_filters`: the teacher's times `width`, rounded, at least 1."""
    if WIDTH_ARGUMENT not in teacher_model:
        raise ValueError(f"{source}: its model: section states no {WIDTH_ARGUMENT}, the width "
                         "a student scales (ganzoo distils DCGAN, WGANGP and BigGAN image "
                         "generators).")
    filters = round(teacher_model[WIDTH_ARGUMENT] * width)
    if filters < 1:
        raise ValueError(f"width {width:g} leaves {teacher_model[WIDTH_ARGUMENT] * width:g} of "
                         f"{source}'s {teacher_model[WIDTH_ARGUMENT]} {WIDTH_ARGUMENT}: fewer "
                         "than one filter; choose a larger width.")
    return filters


def teacher_config(teacher):
    """The validated training config of `teacher`: a zoo entry name or a run folder
    (its config.yaml)."""
    from ganzoo import zoo
    from ganzoo.runs import is_run_dir, read_config

    if not Path(teacher).is_dir() and len(Path(teacher).parts) > 1:
        raise FileNotFoundError(f"teacher {teacher} does not exist: give a run folder or a zoo "
                                "entry name (see `ganzoo list`).")
    if Path(teacher).is_dir():
        if not is_run_dir(teacher):
            raise FileNotFoundError(f"teacher {teacher} is a folder but not a ganzoo run folder "
                                    "(it has no gan.json and gan.weights.h5).")
        config = read_config(teacher)
        if config is None:
            raise ValueError(f"teacher {teacher} records no config.yaml: its student's model and "
                             "data cannot be derived.")
        return zoo.validate(config, source=f"{teacher}/config.yaml")
    return zoo.get_entry(str(teacher))


def load_teacher(teacher, adversarial=False):
    """The trained teacher GAN of a zoo entry name or run folder.

    With `adversarial`, its discriminator must be trained too: a run folder holds it,
    a zoo entry's weights hold the generator(s) only (`ganzoo.zoo.pretrained`).
    """
    from ganzoo import zoo
    from ganzoo.gans import SAMPLER
    from ganzoo.runs import load_run

    if Path(teacher).is_dir():
        gan = load_run(teacher)
    else:
        if adversarial:
            raise ValueError(f"the adversarial term needs the teacher's trained discriminator, "
                             f"and zoo entry {teacher!r} ships its generator only; distil from "
                             f"a run folder of it instead (ganzoo train {teacher} --run-dir "
                             "DIR, then ganzoo distill DIR), or leave --adversarial out.")
        gan = zoo.load(teacher)
    if gan.kind != SAMPLER:
        raise ValueError(f"teacher {teacher} is a {type(gan).__name__}, which does not sample "
                         "from noise: ganzoo distils generators of latent vectors.")
    return gan


def student_config(teacher, width=0.5, depth=None, *, steps=2000, steps_per_epoch=200,
                   batch_size=None, learning_rate=None, seed=None, pixel_loss=None,
                   feature_weight=None, adversarial_weight=None, name=None):
    """The entry-shaped config of a student of `teacher` (a zoo entry name or a run
    folder) at `width`, trained for `steps` by distillation (`ganzoo distill`).

    The student is the teacher's model: section with `base_filters` times `width`
    (without its generator EMA and augmentations: see `NOT_INHERITED`), on the teacher's
    data (which chooses the feature loss and the evaluation); `depth` must stay 1.

    Example:
        >>> config = student_config("dcgan-digits", width=0.5, steps=3000)
        >>> config["model"]["base_filters"], config["distill"]["teacher"]
        (16, 'dcgan-digits')
    """
    from ganzoo import zoo

    width = check_width(width)
    source = teacher_config(teacher)
    check_depth(depth, source["variant"])
    if steps < 1 or steps_per_epoch < 1:
        raise ValueError(f"steps and steps_per_epoch must be at least 1; got {steps} and "
                         f"{steps_per_epoch}.")
    model = {key: value for key, value in copy.deepcopy(source["model"]).items()
             if key not in NOT_INHERITED}
    model[WIDTH_ARGUMENT] = scaled_width(model, width, teacher)
    steps_per_epoch = min(steps_per_epoch, steps)
    training = {"epochs": -(-steps // steps_per_epoch), "seed": source["training"]["seed"],
                "steps_per_epoch": steps_per_epoch, "lr_schedule": "linear_decay"}
    if seed is not None:
        training["seed"] = seed
    if learning_rate is not None:
        training["learning_rate"] = float(learning_rate)
    data = dict(source["data"])
    if batch_size is not None:
        data["batch_size"] = batch_size
    distill = {"teacher": str(teacher)}
    for key, value in (("pixel_loss", pixel_loss), ("feature_weight", feature_weight),
                       ("adversarial_weight", adversarial_weight)):
        if value is not None:
            distill[key] = value
    name = name or f"{Path(str(teacher)).name}-w{width:g}"
    config = {"name": name,
              "description": f"{source['name']} distilled at width {width:g} "
                             f"({model[WIDTH_ARGUMENT]} {WIDTH_ARGUMENT} instead of "
                             f"{source['model'][WIDTH_ARGUMENT]}).",
              "variant": source["variant"], "model": model, "data": data, "training": training,
              "distill": distill}
    for section in ("evaluation", "export"):
        if section in source:
            config[section] = {key: value for key, value in source[section].items()
                               if key != "tolerance"}  # tolerances belong to a card
    return zoo.validate(config, source=f"{name} (student of {teacher})")
