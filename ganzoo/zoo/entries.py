"""The zoo: entries described by YAML files in zoo_configs/, shipped with the package.

An entry is data, not code: which variant (or anomaly detector) with which arguments,
on which data, for how long. Unknown keys are errors that name the key and the file.
"""

import inspect
from importlib import resources
from pathlib import Path

import keras
import numpy as np

from ganzoo import data
from ganzoo.data.pipeline import BatchLargerThanDataError
from ganzoo.gans import TRANSLATOR, get_variant
from ganzoo.gans.adversarial import AdversarialModel
from ganzoo.zoo import pretrained as pretrained_weights
from ganzoo.zoo.catalog import image_shape_of, is_detector, read_entry
from ganzoo.zoo.schema import validate


def get_entry(name):
    """The validated configuration of entry `name` (a fresh dict each call)."""
    return validate(read_entry(name), source=f"{name}.yaml")


def build_gan(config, seed=None):
    """An untrained GAN of the entry's variant and model arguments.

    Args:
        config: a validated entry.
        seed: the training seed. It seeds the networks' initial weights and gives the
            training noise its seed (`noise_seed_of`); None leaves both to Keras' and
            NumPy's global state.
    """
    if is_detector(config):
        raise ValueError(f"{config['name']} is an anomaly detector's entry, not a GAN's: build "
                         "it with ganzoo.zoo.build_model.")
    variant = get_variant(config["variant"])
    accepted = yaml_arguments(variant)
    for key in config["model"]:
        if key not in accepted:
            raise ValueError(f"{config['name']}: model argument {key!r} is not an argument of "
                             f"{variant.__name__} that a zoo entry can give; it takes "
                             f"{sorted(accepted)}.")
    arguments = dict(config["model"])
    if seed is not None:
        keras.utils.set_random_seed(seed)  # the initial weights
        arguments.setdefault("seed", noise_seed_of(seed))
    try:
        return variant(**arguments)
    except (ValueError, TypeError) as error:  # e.g. an image size the networks cannot make
        raise ValueError(f"{config['name']}: model: {error}") from None


def build_model(config):
    """The untrained model of an entry: its GAN, or its (unfitted) anomaly detector."""
    if is_detector(config):
        from ganzoo.anomaly.entries import build_detector

        return build_detector(config)
    return build_gan(config)


def noise_seed_of(seed):
    """The training-noise seed that a training seed gives.

    The first draw of NumPy's legacy generator seeded with `seed`: what a GAN built
    right after `keras.utils.set_random_seed(seed)` drew for itself, so the shipped
    weights, trained that way, are reproduced exactly.
    """
    return int(np.random.RandomState(seed).randint(0, 2**31 - 1))


def yaml_arguments(variant):
    """The constructor arguments of `variant` that a zoo entry may give: all of its own
    and its bases' (a variant forwards **kwargs to them: seed, loss ...) except the
    ones that take Keras models (`network_arguments`)."""
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return {p.name for cls in variant.__mro__ if issubclass(cls, AdversarialModel)
            for p in inspect.signature(cls.__init__).parameters.values()
            if p.kind in named and p.name != "self"} - set(variant.network_arguments)


def data_arguments(config):
    """The keyword arguments of the entry's data loader: its `data:` section, with the
    image size and channels of the model's image shape."""
    arguments = dict(config["data"])
    shape = image_shape_of(config)
    if shape is not None:
        arguments["image_size"], arguments["channels"] = shape[0], shape[2]
    return arguments


def load_dataset(config, seed):
    """The entry's training data: unpaired `(images_a, images_b)` batches for a
    translator (CycleGAN), batches of samples otherwise."""
    translator = get_variant(config["variant"]).kind == TRANSLATOR
    try:
        return (data.load_unpaired if translator else data.load)(**data_arguments(config),
                                                                 seed=seed)
    except BatchLargerThanDataError as error:
        # A config cannot say drop_remainder: the advice is what the config can change.
        raise BatchLargerThanDataError(
            error.name, error.count, error.batch_size,
            advice=f"use a smaller batch_size (data: batch_size in the config of "
                   f"{config['name']}, at most {error.count}) or add images") from None


def load(name, pretrained=True, weights=None, sha256=None, cache_dir=None):
    """The model of zoo entry `name`, ready to generate, translate or score, offline.

    A GAN entry gives its GAN; an anomaly detector's entry (`detector:`) its fitted
    detector, whose `score(images)` is higher for more anomalous images.

    Args:
        name: a zoo entry, see `list_entries()`.
        pretrained: load the entry's weights (shipped with the package, or fetched
            from its recorded URL and cached); False gives a fresh, untrained GAN (an
            unfitted detector).
        weights: instead of the entry's own, weights from a local path or an http(s)
            or file URL (cached like `keras.utils.get_file`), written by
            `ganzoo.zoo.pretrained.save_weights` for this entry's architecture.
        sha256: the expected SHA-256 of `weights` (required for a URL); a mismatch
            is an error that says so.
        cache_dir: where downloads are cached (default `~/.keras`, in `ganzoo/`).

    Example:
        >>> gan = ganzoo.load("dcgan-digits")
        >>> images = gan.generate(16, seed=0)
        >>> scores = ganzoo.load("ganomaly-digits").score(images)
    """
    config = get_entry(name)
    model = build_model(config)
    if weights is not None:
        return pretrained_weights.load_weights(
            model, pretrained_weights.fetch(weights, sha256, name, cache_dir), sha256)
    if not pretrained:
        return model
    record = config.get("pretrained")
    if record is None:
        use = "score with" if is_detector(config) else "sample from"
        raise ValueError(f"Zoo entry {name!r} ships no pretrained weights yet: train it with "
                         f"`ganzoo train {name} --run-dir DIR` and {use} DIR, or pass "
                         f"pretrained=False for an untrained {type(model).__name__}.")
    path = _weights_path(name, record, cache_dir)
    return pretrained_weights.load_weights(model, path, record["sha256"])


def _weights_path(name, record, cache_dir):
    # shipped with the package when it is there; otherwise the recorded URL
    if "file" in record:
        shipped = resources.files("ganzoo.zoo_configs") / record["file"]
        if shipped.is_file():
            return Path(str(shipped))
    if "url" in record:
        return pretrained_weights.fetch(record["url"], record["sha256"], name, cache_dir)
    raise FileNotFoundError(f"Zoo entry {name!r}: its weights file {record['file']} is missing "
                            "from the installed package; reinstall ganzoo.")
