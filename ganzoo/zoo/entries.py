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
from ganzoo.data.patches import bicubic_downscale, held_out_split, load_sr_images
from ganzoo.data.pipeline import BatchLargerThanDataError
from ganzoo.gans import UPSCALER, get_variant
from ganzoo.gans.adversarial import AdversarialModel
from ganzoo.zoo import pretrained as pretrained_weights
from ganzoo.zoo import recipes
from ganzoo.zoo.catalog import image_shape_of, is_detector, read_entry
from ganzoo.zoo.schema import STATED_IN_DATA, data_loader_of, validate

# Held-out examples a run's progress pictures show.
PICTURE_EXAMPLES = 8


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
    arguments = model_arguments(config)
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


def model_arguments(config):
    """The keyword arguments of the entry's variant: its `model:` section, and for an
    upscaler what its `data:` section states once for both (`STATED_IN_DATA`: the
    scale, and SRGAN's patch size)."""
    variant = get_variant(config["variant"])
    arguments = dict(config["model"])
    if variant.kind == UPSCALER:
        takes = inspect.signature(variant.__init__).parameters
        arguments.update({key: config["data"][key] for key in STATED_IN_DATA
                          if key in takes and key in config["data"]})
    return arguments


def _default_argument(variant, name):
    return inspect.signature(variant.__init__).parameters[name].default


def data_arguments(config):
    """The keyword arguments of the entry's data loader (`data_loader_of`): its `data:`
    section, with the image size and channels of the model's image shape (an
    upscaler's: the model's channels), and labels for a class-conditional model
    (`num_classes` in `model:`)."""
    variant = get_variant(config["variant"])
    arguments = dict(config["data"])
    if config["model"].get("num_classes") is not None:
        arguments["with_labels"] = True
    if variant.kind == UPSCALER:
        arguments["channels"] = config["model"].get("channels",
                                                    _default_argument(variant, "channels"))
        return arguments
    shape = image_shape_of(config)
    if shape is not None:
        arguments["image_size"], arguments["channels"] = shape[0], shape[2]
        output_channels = config["model"].get("output_channels")
        if output_channels not in (None, shape[2]):
            arguments["channels"] = None  # each side keeps its own (e.g. labels -> photos)
    return arguments


def load_dataset(config, seed):
    """The entry's training data, from the variant's loader (`data_loader_of`): aligned
    `(inputs, targets)` batches for Pix2Pix (`load_paired`), `(low_resolution,
    high_resolution)` patches for SRResNet and SRGAN (`load_patches`), unpaired
    `(images_a, images_b)` for CycleGAN (`load_unpaired`), batches of samples otherwise
    (`load`)."""
    loader = getattr(data, data_loader_of(get_variant(config["variant"])))
    try:
        return loader(**data_arguments(config), seed=seed)
    except BatchLargerThanDataError as error:
        # A config cannot say drop_remainder: the advice is what the config can change.
        raise BatchLargerThanDataError(
            error.name, error.count, error.batch_size,
            advice=f"use a smaller batch_size (data: batch_size in the config of "
                   f"{config['name']}, at most {error.count}) or add images") from None


def held_out_examples(config, num=PICTURE_EXAMPLES):
    """`(inputs, targets)`: `num` fixed examples of the entry's data that it does not
    train on, where the source has them, for progress pictures. NumPy in [-1, 1].

    - translator (CycleGAN): test images of each domain, `(images_a, images_b)`;
    - Pix2Pix: aligned test (else val) pairs `(inputs, targets)`;
    - upscaler: `(low_resolution, high_resolution)` crops of the held-out photos
      (`held_out_split`: "sklearn_photos"' flower.jpg, a TFDS dataset's first
      validation photos), `patch_size` square, at fixed places; a folder of photos has
      no held-out split: crops of its first photos.

    Streamed sources (TFDS) and folders without a test split give the first training
    examples instead (unshuffled).
    """
    variant = get_variant(config["variant"])
    loader = data_loader_of(variant)
    if variant.kind == UPSCALER:
        return _held_out_crops(config, num)
    if loader == "load":
        raise ValueError(f"{config['name']}: a {variant.__name__} samples from noise: it has no "
                         "inputs to show.")
    arguments = data_arguments(config)
    shape = {key: arguments[key]
             for key in ("image_size", "channels", "resize", "direction", "bad_files")
             if key in arguments}
    in_memory = getattr(data, f"{loader}_arrays")
    for split in ("test", "val"):
        try:
            inputs, targets = in_memory(arguments["source"], split=split, **shape)[:2]
            return inputs[:num], targets[:num]
        except ValueError:  # no such split, or a streamed (TFDS) source
            continue
    first = getattr(data, loader)(arguments["source"], batch_size=num, shuffle=False,
                                  drop_remainder=False, **shape)
    inputs, targets = next(iter(first))
    return inputs.numpy(), targets.numpy()


def _held_out_crops(config, num):
    section, channels = config["data"], data_arguments(config)["channels"]
    source, scale, patch = section["source"], section["scale"], section["patch_size"]
    photos = [high for _, high in load_sr_images(source, scale, split=held_out_split(source),
                                                 channels=channels, num_photos=num,
                                                 bad_files=section.get("bad_files", "error"))]
    # crop i from photo i (in turn), at place i of a 2-row grid over the photo
    columns = -(-num // 2)
    crops = []
    for index in range(num):
        photo = photos[index % len(photos)]
        row, column = divmod(index, columns)
        top = (photo.shape[0] - patch) * (row + 1) // 3
        left = (photo.shape[1] - patch) * (column + 1) // (columns + 1)
        crops.append(photo[top:top + patch, left:left + patch])
    high = np.stack(crops)
    return bicubic_downscale(high, scale).numpy(), high


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
    if pretrained and weights is None and recipes.is_recipe(config):
        raise ValueError(recipes.not_trained_message(config))  # before building it at full size
    model = build_model(config)
    if weights is not None:
        return pretrained_weights.load_weights(
            model, pretrained_weights.fetch(weights, sha256, name, cache_dir), sha256)
    if not pretrained:
        return model
    record = config.get("pretrained")
    if record is None:
        use = {"detector": "score with", "translator": "translate with",
               "upscaler": "upscale with"}.get(model.kind, "sample from")
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
