"""Shared cases of the export tests: one tiny generator per family, exported once."""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
from keras import layers

import ganzoo
from export import export_generator

# Small, so conversions and int8 calibration take seconds.
CALIBRATION_SAMPLES = 16
# The flavours an untrained zoo translator is exported to (see `exported`).
UNTRAINED_TRANSLATOR_QUANTIZE = ("none", "float16", "dynamic")


def resnet_translator(image_shape=(8, 8, 1), filters=8):
    """A miniature of CycleGAN's ResNet generator: down, one residual block, up, tanh."""
    image = keras.Input(image_shape, name="image")
    x = layers.Conv2D(filters, 3, padding="same")(image)
    # Keras 3 has no InstanceNormalization; GroupNormalization(groups=-1) is the same.
    x = layers.ReLU()(layers.GroupNormalization(groups=-1)(x))
    x = layers.Conv2D(2 * filters, 3, strides=2, padding="same")(x)
    x = layers.ReLU()(layers.GroupNormalization(groups=-1)(x))
    y = layers.Conv2D(2 * filters, 3, padding="same")(x)
    y = layers.ReLU()(layers.GroupNormalization(groups=-1)(y))
    y = layers.GroupNormalization(groups=-1)(layers.Conv2D(2 * filters, 3, padding="same")(y))
    x = layers.Add()([x, y])
    x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same")(x)
    x = layers.ReLU()(layers.GroupNormalization(groups=-1)(x))
    x = layers.Conv2D(image_shape[-1], 3, padding="same", activation="tanh")(x)
    return keras.Model(image, x, name="resnet_translator")


def real_images(num=64, shape=(8, 8, 1)):
    """Real digits, resized, in [-1, 1]: a translator's input distribution."""
    images, _ = ganzoo.data.load_arrays("digits", shape[0], split="test")
    return images[:num]


# family -> (builder, export keyword arguments)
FAMILIES = {
    "dcgan": (lambda: ganzoo.nets.dcgan_generator(8, (8, 8, 1), base_filters=8), {}),
    "mlp": (lambda: ganzoo.nets.mlp_generator(4, (2,), hidden_units=(16,),
                                              output_activation="linear"), {}),
    "resnet-translator": (resnet_translator, {"images": real_images()}),
}


@functools.cache
def exported(case):
    """(generator, export folder, manifest) of a family or zoo entry, exported once."""
    keras.utils.set_random_seed(0)
    folder = _scratch() / case
    if case in FAMILIES:
        build, kwargs = FAMILIES[case]
        generator = build()
        manifest = export_generator(generator, folder, calibration_samples=CALIBRATION_SAMPLES,
                                    **kwargs)
    else:  # a zoo entry, untrained: no weights ship yet
        generator = ganzoo.zoo.load(case, pretrained=False).generator
        kwargs = {}
        if len(generator.input_shape) == 4:  # a translator (cyclegan-digits)
            # It calibrates on its input domain, the digits. Full-integer int8 of its
            # random initial weights misses parity (MAE 0.057 > 0.05) while the trained
            # entry passes (0.016): int8 is checked once weights ship (issue #8).
            kwargs = {"images": real_images(64, generator.input_shape[1:]),
                      "quantize": UNTRAINED_TRANSLATOR_QUANTIZE}
        manifest = export_generator(generator, folder, calibration_samples=CALIBRATION_SAMPLES,
                                    **kwargs)
    return generator, folder, manifest


def expected_files(case, generator):
    """The artifact files `exported(case)` writes."""
    from export.pipeline import FILE_NAMES

    if case in FAMILIES or len(generator.input_shape) != 4:
        return sorted(FILE_NAMES.values())
    return sorted(name for (_, quantize), name in FILE_NAMES.items()
                  if quantize in UNTRAINED_TRANSLATOR_QUANTIZE)


def latent_or_images(generator, num, seed=0):
    shape = tuple(generator.input_shape[1:])
    if len(shape) == 1:
        return np.random.default_rng(seed).standard_normal((num, *shape)).astype("float32")
    return real_images(num, shape)


@functools.cache
def _scratch():
    path = Path(tempfile.mkdtemp(prefix="ganzoo-export-tests-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path
