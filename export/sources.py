"""What to export: a Keras generator, a run folder or a zoo entry, with its input described.

A latent generator maps `(batch, latent_dim)` vectors drawn from the GAN's prior,
N(0, 1), to samples; its input is named `z`. A class-conditional one (`num_classes=K`)
takes `[z, label]`: its artifacts have a second input, `label`, int32 `(batch,)` in
[0, K), and its calibration and parity inputs pair latents with labels in which every
class comes equally often. A translator (CycleGAN's generators)
maps images to images; its input is named `image` and its inputs for calibration and
parity are real images. A generator that takes images of any height and width
(Pix2Pix's U-Net, SRResNet's: input `(None, None, None, C)`) is a
`fully_convolutional.AnySizeSource`, with real images at each size parity checks.
An anomaly detector (its object, run folder or zoo entry) exports its scoring
network instead: see `export.scorers`.
"""

import dataclasses
from pathlib import Path
from typing import ClassVar

import numpy as np

# The prior every ganzoo variant samples its training noise from (GAN.sample_latent).
LATENT_PRIOR = {"type": "normal", "mean": 0.0, "std": 1.0}
# The value range of every image ganzoo takes and makes.
INPUT_RANGE = (-1.0, 1.0)
# A conditional generator's second input, in every artifact (see ganzoo.nets.conditioning).
LABEL_NAME = "label"


@dataclasses.dataclass
class Source:
    """A generator ready to export, with where it came from and what it takes."""

    model: object                 # keras.Model
    kind: str                     # "latent" or "translator"
    origin: dict                  # recorded in the manifest: type, run / entry, trained
    images: np.ndarray = None     # real images in the input range (translators)
    num_classes: int = None       # K of a class-conditional latent generator, [z, label]

    artifact_stem: ClassVar[str] = "generator"

    @property
    def input_name(self):
        return "z" if self.kind == "latent" else "image"

    @property
    def input_shape(self):
        """The shape of one input row (a conditional generator's: its latent's)."""
        shape = self.model.input_shape[0] if self.num_classes else self.model.input_shape
        return tuple(int(d) for d in shape[1:])

    @property
    def output_shape(self):
        return tuple(int(d) for d in self.model.output_shape[1:])

    @property
    def distribution(self):
        if self.kind == "latent":
            return dict(LATENT_PRIOR)
        return {"type": "images", "range": list(INPUT_RANGE), "count": int(len(self.images))}

    def inputs(self, num, seed):
        """`num` inputs from the generator's own input distribution, fixed by `seed`."""
        rng = np.random.default_rng(seed)
        if self.kind == "latent":
            latents = rng.standard_normal((num, *self.input_shape)).astype(np.float32)
            if not self.num_classes:
                return latents
            # [z, labels], as the Keras generator and the artifacts take them
            return [latents, balanced_labels(rng, num, self.num_classes)]
        picks = rng.choice(len(self.images), size=num, replace=num > len(self.images))
        return self.images[picks].astype(np.float32)

    def predict(self, inputs, batch_size=64):
        """The Keras generator's outputs in inference mode, as NumPy."""
        import keras

        chunks = [self.model(rows(inputs, i, i + batch_size), training=False)
                  for i in range(0, count(inputs), batch_size)]
        return np.concatenate([keras.ops.convert_to_numpy(c) for c in chunks], axis=0)

    def output_range(self):
        """Declared value range of the output ([-1, 1] after tanh), or None if unbounded."""
        return _declared_range(self.model)

    def manifest_facts(self):
        """The manifest's description of the generator, its input and its output."""
        batch = None  # the generator's batch; each artifact records its own ("batch")
        facts = {"generator": {"name": self.model.name, "kind": self.kind,
                               "parameters": int(self.model.count_params())},
                 "input": {"name": self.input_name, "shape": [batch, *self.input_shape],
                           "dtype": "float32", "distribution": self.distribution},
                 "output": {"shape": [batch, *self.output_shape], "dtype": "float32",
                            "range": self.output_range()}}
        if self.num_classes:
            facts["label_input"] = {"name": LABEL_NAME, "shape": [batch], "dtype": "int32",
                                    "num_classes": self.num_classes}
        return facts


def input_specs(source, batch=None):
    """The TensorSpecs an exported signature of `source` (a `Source` or a
    `scorers.ScorerSource`) takes, named as in the artifacts: `[z]` or `[image]`, and
    `[z, label]` for a conditional generator."""
    import tensorflow as tf

    specs = [tf.TensorSpec((batch, *source.input_shape), tf.float32, name=source.input_name)]
    if source.num_classes:
        specs.append(tf.TensorSpec((batch,), tf.int32, name=LABEL_NAME))
    return specs


def balanced_labels(rng, num, num_classes):
    """`num` int32 labels, every class equally often (give or take one), in an order
    drawn from `rng`."""
    return rng.permutation(np.arange(num) % num_classes).astype(np.int32)


def drawn_from(source):
    """What `source.inputs` draws from, for the manifest: the input's distribution, and
    a conditional generator's labels (every class equally often, give or take one, in a
    seeded random order)."""
    facts = dict(source.distribution)
    if source.num_classes:
        facts["labels"] = {"type": "balanced", "num_classes": source.num_classes}
    return facts


def at_least_every_class(source, num):
    """`num`, raised to a conditional generator's `num_classes`, so that its
    calibration and parity inputs hold every class."""
    return max(num, source.num_classes or 0)


def count(inputs):
    """How many samples `inputs` holds: an array, or a conditional generator's
    `[latents, labels]`."""
    return len(inputs[0]) if isinstance(inputs, (list, tuple)) else len(inputs)


def rows(inputs, start, stop):
    """Samples `start:stop` of `inputs` (an array, or `[latents, labels]`)."""
    if isinstance(inputs, (list, tuple)):
        return [part[start:stop] for part in inputs]
    return inputs[start:stop]


def resolve(source, untrained=False, images=None, use_ema=True, truncation=None, sizes=None):
    """A `Source` from a keras.Model, a run folder or a zoo entry name; for an anomaly
    detector (object, run folder or entry), a `scorers.ScorerSource`.

    Args:
        source: a `keras.Model`, a fitted `ganzoo.anomaly` detector, a run folder path
            (a GAN's or a detector's), or a zoo entry name.
        untrained: for a zoo entry without shipped weights, export its freshly
            initialised generator (to try the pipeline); recorded as untrained.
        images: real images in [-1, 1] for a translator's calibration and parity; for a
            detector, see `scorers.from_detector`.
        use_ema: for a GAN trained with a generator EMA (`ema_decay`), export the
            averaged generator (default) or, False, the raw one. The origin records
            which: `"generator_weights": "ema"` or `"raw"`.
        truncation: for a generator with styles (StyleGAN2), the truncation psi baked
            into the exported graph (None: none, psi 1); recorded in the origin.
        sizes: for a generator of any image size (Pix2Pix, SRResNet; see
            `export.fully_convolutional`), the sizes parity is checked at (default the
            training size and twice it).
    """
    import keras

    from ganzoo.export import scorers

    if isinstance(source, keras.Model):
        return describe(source, {"type": "keras", "name": source.name, "trained": None}, images,
                        truncation, sizes)
    if scorers.is_detector(source):
        return scorers.from_detector(source, {"type": "detector", "trained": source.fitted},
                                     images)
    if not isinstance(source, (str, Path)):
        raise ValueError("The source must be a keras.Model, a run folder or a zoo entry name "
                         f"(or a fitted anomaly detector); got {type(source).__name__}.")
    path = Path(source)
    if path.is_dir() and scorers.is_detector_run(path):
        return scorers.from_run(path, images)
    if path.is_dir():
        return _from_run(path, images, use_ema, truncation, sizes)
    if path.exists() or len(path.parts) > 1 or str(source).startswith("."):
        raise ValueError(f"Run folder {source} does not exist (or is not a folder).")
    return _from_entry(str(source), untrained, images, use_ema, truncation, sizes)


def _from_run(run_dir, images, use_ema=True, truncation=None, sizes=None):
    from ganzoo import runs

    generator_file = run_dir / runs.GENERATOR_FILE
    if not generator_file.is_file():
        raise ValueError(f"{run_dir} is not a ganzoo run folder: it has neither "
                         f"{runs.GENERATOR_FILE} (a GAN's run) nor detector.json (an anomaly "
                         "detector's run).")
    # generator.keras is the generator to use (the EMA, if the GAN kept one); the raw
    # generator comes from the whole run.
    model = runs.load_generator(run_dir, use_ema=use_ema)
    config = runs.read_config(run_dir) or {}
    metadata = runs.read_metadata(run_dir) if (run_dir / runs.METADATA_FILE).is_file() else {}
    origin = {"type": "run", "run": str(run_dir), "entry": config.get("name"), "trained": True,
              "data": (config.get("data") or {}).get("source"),
              "generator_steps": metadata.get("generator_steps"),
              "epochs": metadata.get("epochs"),
              "generator_weights": (metadata.get("generator_keras", "raw") if use_ema
                                    else "raw")}
    return _described(model, origin, config, images, truncation, sizes)


def _described(generator, origin, config, images, truncation, sizes):
    """`describe`, with a translator's real images from its config's training data."""
    load = None
    if images is None and config.get("data") and takes_any_size(generator):
        from ganzoo.export import fully_convolutional

        load = fully_convolutional.loader_of(config, generator)
    elif images is None and _is_translator(generator) and config.get("data"):
        images = _images_of(config["data"]["source"], generator)
    return describe(generator, origin, images, truncation, sizes, load,
                    (config.get("model") or {}).get("num_classes"))


def _from_entry(name, untrained, images, use_ema=True, truncation=None, sizes=None):
    from ganzoo import zoo
    from ganzoo.export import scorers

    config = zoo.get_entry(name)  # unknown names fail here, with suggestions
    if "detector" in config:  # an anomaly detector's entry (ganzoo.zoo.catalog.is_detector)
        if untrained:
            raise ValueError(f"Zoo entry {name!r} is an anomaly detector: an unfitted detector "
                             "has no score to export, so --untrained does not apply. Export "
                             f"its shipped weights, or train it (`ganzoo train {name} --run-dir "
                             "DIR`) and export DIR.")
        return scorers.from_entry(name, zoo.load(name, pretrained=True), config, images)
    if untrained:
        gan = zoo.load(name, pretrained=False)
        origin = {"type": "entry", "entry": name, "trained": False,
                  "data": config["data"]["source"]}
    else:
        try:
            gan = zoo.load(name, pretrained=True)
        except ValueError:
            raise ValueError(
                f"Zoo entry {name!r} ships no pretrained weights to export yet: train it with "
                f"`ganzoo train {name} --run-dir DIR` and export DIR, or pass --untrained "
                "(untrained=True) to try the pipeline on random weights.") from None
        origin = {"type": "entry", "entry": name, "trained": True,
                  "data": config["data"]["source"]}
    generator = gan.inference_generator(use_ema)
    origin["generator_weights"] = "raw" if generator is gan.generator else "ema"
    return _described(generator, origin, config, images, truncation, sizes)


def convertible(generator, truncation=None):
    """`generator` as it is exported: for a ProGAN generator, which branches over its
    levels (`tf.switch_case`, which ONNX cannot hold), the same generator fixed at its
    current stage; for a StyleGAN2 generator given `truncation`, with that psi baked in.
    The same weights throughout."""
    from ganzoo.nets import progan, stylegan2

    if truncation is not None:
        return stylegan2.generator_with_truncation(generator, truncation)
    if any(isinstance(layer, progan.GrowingGenerator) for layer in generator.layers):
        return progan.generator_at_stage(generator)
    return generator


def _images_of(source, translator):
    # A translator's export is its A -> B generator: it takes domain A images, at the
    # size and channels of its input.
    from ganzoo.data import load_unpaired_arrays

    size, _, channels = translator.input_shape[1:]
    images, _ = load_unpaired_arrays(source, size, split="train", channels=channels)
    return images


def describe(model, origin, images=None, truncation=None, sizes=None, load=None,
             num_classes=None):
    """Check that `model` is a latent or image-to-image generator; returns a `Source`
    (an `AnySizeSource` for one that takes images of any height and width, whose
    images come from `images` or `load`: see `fully_convolutional.describe`).

    A class-conditional generator (inputs `[z, label]`) gets its `num_classes` from the
    layer its label enters (an Embedding, a one-hot encoding), or from `num_classes`
    (its GAN's, for a run or entry), which must agree with it: see `export.conditional`."""
    import keras

    from ganzoo.export import conditional

    if not isinstance(model, keras.Model):
        raise ValueError(f"Expected a keras.Model generator; got {type(model).__name__}.")
    model = convertible(model, truncation)
    if truncation is not None:
        origin = {**origin, "truncation": float(truncation)}
    label = conditional.label_input(model)
    if label is not None and len(model.outputs) == 1:
        if sizes is not None:
            raise ValueError(f"{model.name} makes samples of one shape from [z, label]: sizes "
                             "apply to generators of images of any size (Pix2Pix, SRResNet).")
        return conditional.describe(model, origin, label, num_classes)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"{model.name} is not a generator: it has {len(model.inputs)} inputs "
                         f"and {len(model.outputs)} outputs; expected one of each (or, for "
                         "a class-conditional generator, the inputs [z, label]).")
    if takes_any_size(model):
        from ganzoo.export import fully_convolutional

        return fully_convolutional.describe(model, origin, images, sizes, load)
    if sizes is not None:
        raise ValueError(f"{model.name} takes one input shape, {tuple(model.input_shape[1:])}: "
                         "sizes apply to generators of images of any size (Pix2Pix, SRResNet).")
    in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    if any(d is None for d in in_shape[1:] + out_shape[1:]):
        raise ValueError(f"{model.name}: only the batch dimension may be unknown; input shape "
                         f"{in_shape}, output shape {out_shape}.")
    if len(in_shape) == 2 and out_shape[1:] != (1,):
        kind = "latent"
    elif len(in_shape) == 4 and len(out_shape) == 4:
        kind = "translator"
    else:
        raise ValueError(
            f"{model.name} is not a generator: it maps {in_shape} to {out_shape}. Export takes "
            "latent generators ((batch, latent_dim) -> samples) and image-to-image translators; "
            "a model with one output value per sample looks like a discriminator.")
    if kind == "translator":
        if images is None:
            raise ValueError(f"{model.name} translates images: pass real images (images=...) "
                             "for calibration and parity.")
        images = np.asarray(images, np.float32)
        if images.shape[1:] != in_shape[1:]:
            raise ValueError(f"Images of shape {images.shape[1:]} do not fit {model.name}'s "
                             f"input {in_shape[1:]}.")
    return Source(model=model, kind=kind, origin=origin, images=images)


def takes_any_size(model):
    """True for an image-to-image generator whose input height and width are unknown
    (see `fully_convolutional`)."""
    shape = tuple(model.input_shape)
    return len(shape) == 4 and len(model.output_shape) == 4 and None in shape[1:3]


def _is_translator(model):
    return len(model.input_shape) == 4 and len(model.output_shape) == 4


def _declared_range(model):
    # Walk back over shape-only layers (Reshape, Flatten) to the last activation.
    for layer in reversed(model.layers):
        activation = getattr(layer, "activation", None)
        if activation is None:
            if layer.weights or type(layer).__name__ not in ("Reshape", "Flatten", "Identity"):
                return None
            continue
        name = getattr(activation, "__name__", str(activation))
        return {"tanh": [-1.0, 1.0], "sigmoid": [0.0, 1.0]}.get(name)
    return None
