"""Generators that take images of any allowed height and width: Pix2Pix's U-Net
(translator, sizes a multiple of 2**depth) and SRResNet / SRGAN's (upscaler, any size,
outputs `scale` times larger).

What differs from a fixed-size translator (`sources.Source`): the input's height and
width stay unknown in every artifact, so one file takes every allowed size; the real
images for calibration and parity come at more than one size (the training size
first, then larger ones), and parity is checked at each (`AnySizeCheck`).
"""

import dataclasses

import numpy as np

from ganzoo.export import parity
from ganzoo.export.sources import Source

TRANSLATOR, UPSCALER = "translator", "upscaler"
# Real images loaded per size from the training data: enough for the default
# calibration (200) and parity (32) inputs without repeats.
POOL = 200


@dataclasses.dataclass
class AnySizeSource(Source):
    """A fully convolutional generator, with real images at each size to check it at."""

    images_by_size: dict = None   # (height, width) -> real images; the training size first
    size_multiple: int = 1        # height and width must be multiples of this
    scale: int = 1                # output side / input side

    @property
    def input_shape(self):
        return _shape(self.model.input_shape[1:])

    @property
    def output_shape(self):
        return _shape(self.model.output_shape[1:])

    @property
    def sizes(self):
        return list(self.images_by_size)

    def at(self, size):
        """The generator seen at one size: a plain `Source` whose images are that size's."""
        return Source(self.model, self.kind, self.origin, self.images_by_size[size])

    def inputs_at(self, size, num, seed):
        """`num` inputs of `size`: real images loaded at that size, else mosaics of the
        training-size ones (for timing at sizes parity was not checked at)."""
        if size in self.images_by_size:
            return self.at(size).inputs(num, seed)
        return mosaics(self.inputs(num, seed), size)

    def manifest_facts(self):
        facts = super().manifest_facts()
        facts["input"]["size_multiple"] = self.size_multiple
        facts["input"]["training_size"] = list(self.sizes[0])
        facts["output"]["scale"] = self.scale
        return facts


def size_multiple(model):
    """What the height and width must be multiples of: the product of the strides of
    the downsampling layers (2**depth for a U-Net, whose skips must meet at equal
    sizes; 1 for SRResNet). Transposed convolutions upsample, so they do not count."""
    import keras

    multiple = 1
    for layer in model.layers:
        strides = getattr(layer, "strides", None)
        if strides and not isinstance(layer, keras.layers.Conv2DTranspose):
            multiple *= int(max(strides))
    return multiple


def output_scale(model, multiple):
    """Output side over input side, read from the network's shapes (`generator.keras`
    does not know its GAN's `kind`: an upscaler is a generator with a scale above 1)."""
    side = 4 * multiple
    out = model.compute_output_shape((None, side, side, model.input_shape[-1]))
    if out[1] % side or out[2] % side or out[1] != out[2]:
        raise ValueError(f"{model.name} maps {side}x{side} images to {out[1]}x{out[2]}: export "
                         "takes image generators whose output is the input's size times a "
                         "whole scale.")
    return out[1] // side


def check_size(size, multiple, what="images"):
    """Raise ValueError unless both sides of `size` are positive multiples of `multiple`."""
    height, width = size
    if min(height, width) < 1 or height % multiple or width % multiple:
        raise ValueError(f"This generator takes {what} whose height and width are multiples of "
                         f"{multiple} (its downsampling strides); got {height}x{width}. Crop or "
                         f"resize to a multiple of {multiple}.")
    return int(height), int(width)


def parity_sizes(training_size, sizes, multiple):
    """The sizes to check parity at: `sizes` (sides or (height, width) pairs), by default
    the training size and twice it; each checked against `multiple`."""
    if sizes is None:
        sizes = [training_size, tuple(2 * side for side in training_size)]
    pairs = [(s, s) if np.ndim(s) == 0 else tuple(s) for s in sizes]
    checked = [check_size(pair, multiple, "parity sizes") for pair in pairs]
    return list(dict.fromkeys(checked))


def mosaics(images, size):
    """Images of `size` tiled from `images` (one per output, cycling through them)."""
    height, width = size
    rows, cols = -(-height // images.shape[1]), -(-width // images.shape[2])
    tiles = [np.roll(images, -k, axis=0) for k in range(rows * cols)]
    grid = np.concatenate([np.concatenate(tiles[r * cols:(r + 1) * cols], axis=2)
                           for r in range(rows)], axis=1)
    return np.ascontiguousarray(grid[:, :height, :width])


def describe(model, origin, images, sizes=None, load=None):
    """An `AnySizeSource` of `model`.

    Args:
        images: real images in [-1, 1] at the training size (its size is taken as the
            training size); other sizes are mosaics of them. Ignored when `load` is given.
        sizes: the parity sizes (see `parity_sizes`).
        load: `(size -> real images, training size)` from the training data's source.
    """
    multiple = size_multiple(model)
    scale = output_scale(model, multiple)
    kind = TRANSLATOR if scale == 1 else UPSCALER
    if load is None:
        if images is None:
            raise ValueError(f"{model.name} takes images of any size (multiples of {multiple}): "
                             "pass real images (images=...) for calibration and parity; their "
                             "size is taken as the training size.")
        images = _checked_images(model, images)
        training = check_size(images.shape[1:3], multiple)
        load = (lambda size: images if size == training else mosaics(images, size)), training
    images_at, training = load
    by_size = {size: images_at(size) for size in parity_sizes(training, sizes, multiple)}
    # Calibration (`Source.inputs`) draws from the training size's images.
    calibration = by_size[training] if training in by_size else images_at(training)
    return AnySizeSource(model=model, kind=kind, origin=origin, images=calibration,
                         images_by_size=by_size, size_multiple=multiple, scale=scale)


def loader_of(config, model):
    """`(size -> real training images, training size)` for a Pix2Pix or SR run's config:
    the A side of its paired source; low-resolution patches of its training photos."""
    from ganzoo import data
    from ganzoo.zoo.entries import data_arguments

    arguments = data_arguments(config)
    channels = model.input_shape[-1]
    if "scale" in config["data"]:  # an upscaler's patches
        scale, source = arguments["scale"], arguments["source"]
        side = arguments["patch_size"] // scale

        def patches(size):
            high = max(size) * scale
            pairs = data.load_patches(source, high, scale, batch_size=POOL, split="train",
                                      channels=channels, shuffle=False, seed=0,
                                      patches_per_image=POOL, flips=False,
                                      bad_files=arguments.get("bad_files", "error"))
            return _crop(next(iter(pairs))[0].numpy(), size)

        return patches, (side, side)
    side = arguments["image_size"]
    keep = {key: arguments[key] for key in ("direction", "resize", "bad_files") if key in arguments}

    def sources_a(size):
        images, _ = data.load_paired_arrays(arguments["source"], max(size), split="train",
                                            channels=channels, **keep)
        return _crop(images, size)

    return sources_a, (side, side)


def _crop(images, size):
    # Square loads cut to a non-square size, centred.
    height, width = size
    top, left = (images.shape[1] - height) // 2, (images.shape[2] - width) // 2
    return np.ascontiguousarray(images[:, top:top + height, left:left + width])


def _checked_images(model, images):
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[-1] != model.input_shape[-1]:
        raise ValueError(f"Images of shape {images.shape} do not fit {model.name}'s input "
                         f"(N, H, W, {model.input_shape[-1]}).")
    return images


def _shape(dims):
    return tuple(None if d is None else int(d) for d in dims)


class AnySizeCheck:
    """Parity of an any-size generator's artifacts: `parity.GeneratorCheck` at each of
    its sizes. The record keeps each size's figures under `sizes` and, at its top, the
    worst size's (the one with the largest relative max abs difference), so readers of
    a fixed-size record read the same keys; it passes only if every size passes."""

    def __init__(self, source, pairs, tflite_batch, parity_samples=32, quality_samples=256):
        self.checks = {size: parity.GeneratorCheck(source.at(size), pairs, tflite_batch,
                                                   parity_samples, quality_samples)
                       for size in source.sizes}
        facts = dict(next(iter(self.checks.values())).manifest_facts["parity_inputs"])
        facts.pop("count", None)  # of images at one size; each size has its own
        self.manifest_facts = {"parity_inputs": {**facts,
                                                 "sizes": [list(s) for s in self.checks]}}

    def __call__(self, generator, precision):
        by_size = {size: check(generator, precision) for size, check in self.checks.items()}
        worst = max(by_size.items(), key=lambda item: _badness(item[1]))
        record = {**worst[1], "worst_size": list(worst[0])}
        record["passed"] = all(facts["passed"] for facts in by_size.values())
        record["summary"] = "; ".join(f"{h}x{w}: {facts['summary']}"
                                      for (h, w), facts in by_size.items())
        record["sizes"] = [{"size": list(size), **facts} for size, facts in by_size.items()]
        return record


def _badness(facts):
    # A refused or failed size is worse than any figure.
    return (not facts["passed"], facts.get("relative_max_abs_diff", float("inf")))
