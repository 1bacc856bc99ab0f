"""Shared cases of the export tests: every zoo entry with its shipped weights, and the
tiny untrained families given as a keras.Model; each exported once per session."""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np

import ganzoo
from ganzoo.export import export_generator

# For the entries: small, so int8 calibration takes seconds; the bounds in
# export/parity.py hold for 16 and for the default 200 (parity_errors.py measures
# both). The tiny families take the default: an untrained MLP's int8 calibrated on
# 16 latents clips unseen ones (SNR 15 dB on other inputs, 31 dB with 200), and
# calibrating them is cheap.
CALIBRATION_SAMPLES = 16


def spread(generator, std=0.6):
    """`generator` with its last kernel scaled so its outputs spread like a trained one's.

    A freshly initialised DCGAN's outputs have std 0.004, below full-integer int8's
    fixed tanh output step (1/128): its int8 file is noise at that scale (MAE 0.49 std)
    and rightly fails parity. Scaled to `std` before tanh squashes it (dcgan-digits'
    outputs have std 0.62), the tiny generators still pass through the int8 path.
    """
    layer = next(layer for layer in reversed(generator.layers) if layer.weights)
    z = np.random.default_rng(0).standard_normal((64, *generator.input_shape[1:]))
    factor = std / float(np.std(generator(z.astype("float32"), training=False)))
    layer.set_weights([factor * w for w in layer.get_weights()])
    return generator


def tiny_dcgan_run(folder, config, metadata=None):
    """A run folder of an untrained 8x8 DCGAN whose outputs spread like a trained one's."""
    import ganzoo

    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0)
    gan.compile()
    spread(gan.generator)
    return ganzoo.runs.save_run(gan, folder, config=config, metadata=metadata)


# family -> builder of a freshly initialised generator
FAMILIES = {
    "dcgan": lambda: spread(ganzoo.nets.dcgan_generator(8, (8, 8, 1), base_filters=8)),
    # resize-convolution upsampling: nearest-neighbour resizes and 3x3 convolutions; 16x16,
    # so that a hidden block (resize, convolution, batch norm, ReLU) is exported too
    "dcgan-resize": lambda: spread(ganzoo.nets.dcgan_generator(8, (16, 16, 1), base_filters=8,
                                                               upsampling="resize")),
    "mlp": lambda: ganzoo.nets.mlp_generator(4, (2,), hidden_units=(16,),
                                             output_activation="linear"),
}
# The GAN entries that ship weights (detectors export their scorers:
# test_detector_export.py); an entry without weights yet has nothing trained to export.
ENTRIES = [name for name in ganzoo.list_entries(kind="gan")
           if "pretrained" in ganzoo.zoo.get_entry(name)]
CASES = [*FAMILIES, *ENTRIES]

# Stand-ins for a broken artifact, given the reference outputs: all zeros, the
# reference mean everywhere, and right outputs for the wrong inputs (rolled by one
# across the batch, so no sample keeps its own).
WRONG = {"zero": np.zeros_like,
         "constant": lambda outputs: np.full_like(outputs, outputs.mean()),
         "shuffled": lambda outputs: np.roll(outputs, 1, axis=0)}


@functools.cache
def exported(case):
    """(generator, export folder, manifest) of a family or zoo entry, exported once."""
    keras.utils.set_random_seed(0)
    folder = _scratch() / case
    if case in FAMILIES:
        generator = FAMILIES[case]()
        manifest = export_generator(generator, folder)
    else:
        # The shipped weights, which the bounds are set for: a freshly initialised
        # generator's outputs stay below about 0.015, where an absolute bound passed a
        # zero artifact. Exported by name, as `ganzoo-export NAME` does: a trained
        # entry, so digits entries get the classifier check and the translator its
        # own domain's images.
        # the network the export takes: the generator EMA, if the entry keeps one
        generator = ganzoo.load(case).inference_generator()
        # Untimed: timing every entry's artifacts would add minutes to the suite; the
        # tiny families' manifests carry the latency records the tests check.
        manifest = export_generator(case, folder, calibration_samples=CALIBRATION_SAMPLES,
                                    latency=False)
    return generator, folder, manifest


@functools.cache
def reference(case, num=32, seed=123):
    """(inputs, Keras outputs) of a case on inputs other than the export's own."""
    generator, _, manifest = exported(case)
    inputs = latent_or_images(generator, num, seed, manifest["input"].get("training_size"))
    return inputs, np.asarray(generator(inputs, training=False))


def latent_or_images(generator, num, seed=0, size=None):
    """Latents, real images (at `size`, for a generator that takes any size), or a
    class-conditional generator's `[latents, labels]` (the classes in turn)."""
    if len(generator.inputs) == 2:
        from ganzoo.export.conditional import classes_of

        rng = np.random.default_rng(seed)
        latents = rng.standard_normal((num, *generator.input_shape[0][1:])).astype("float32")
        labels = np.arange(num) % classes_of(generator, generator.inputs[1])
        return [latents, labels.astype("int32")]
    shape = tuple(generator.input_shape[1:])
    if size is not None:
        shape = (*size, shape[-1])
    if len(shape) == 1:
        return np.random.default_rng(seed).standard_normal((num, *shape)).astype("float32")
    return real_images(num, shape, seed)


def real_images(num, shape, seed=0):
    """Real images in [-1, 1] of `shape`: digits, resized, for one channel (a
    translator's domain A); for three, crops of the held-out photo downscaled x4 (an
    upscaler's inputs)."""
    rng = np.random.default_rng(seed)
    if shape[-1] == 3:
        from ganzoo.data.patches import load_sr_images

        (low, _), = load_sr_images("sklearn_photos", 4, split="test")
        tops = rng.integers(0, low.shape[0] - shape[0] + 1, num)
        lefts = rng.integers(0, low.shape[1] - shape[1] + 1, num)
        return np.stack([low[top:top + shape[0], left:left + shape[1]]
                         for top, left in zip(tops, lefts)]).astype("float32")
    images, _ = ganzoo.data.load_arrays("digits", shape[0], split="test")
    return images[rng.choice(len(images), num, replace=False)]


@functools.cache
def _scratch():
    path = Path(tempfile.mkdtemp(prefix="ganzoo-export-tests-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
