"""CycleGAN's networks: reflection padding, instance norm, ResNet generator, PatchGAN."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo.nets import ReflectionPadding2D, instance_norm, patchgan_discriminator, resnet_generator
from ganzoo.nets.patchgan import default_downsamplings, receptive_field


def test_reflection_padding_mirrors_without_repeating_the_edge():
    images = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)
    padded = keras.ops.convert_to_numpy(ReflectionPadding2D(2)(images))
    assert padded.shape == (2, 8, 9, 3)
    np.testing.assert_array_equal(padded, np.pad(images, [(0, 0), (2, 2), (2, 2), (0, 0)], "reflect"))
    row = padded[0, 2, :, 0]  # a row `a b c d e` becomes `c b a b c d e d c`
    np.testing.assert_array_equal(row, images[0, 0, [2, 1, 0, 1, 2, 3, 4, 3, 2], 0])


def test_instance_norm_uses_per_sample_per_channel_statistics():
    rng = np.random.default_rng(0)
    # each sample and channel with its own offset and scale
    images = (rng.normal(size=(3, 6, 6, 4)) * rng.uniform(0.5, 5, (3, 1, 1, 4))
              + rng.uniform(-10, 10, (3, 1, 1, 4))).astype("float32")
    norm = instance_norm()
    out = keras.ops.convert_to_numpy(norm(images))
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1.0, atol=1e-3)
    # a sample's output does not depend on the rest of the batch
    alone = keras.ops.convert_to_numpy(norm(images[:1]))
    np.testing.assert_allclose(alone, out[:1], atol=1e-5)


@pytest.mark.parametrize("shape", [(32, 32, 1), (64, 64, 3)])
def test_resnet_generator_keeps_the_image_shape_and_range(shape):
    generator = resnet_generator(shape, base_filters=4, residual_blocks=2)
    images = np.random.default_rng(0).uniform(-1, 1, (2, *shape)).astype("float32")
    out = keras.ops.convert_to_numpy(generator(images))
    assert out.shape == (2, *shape) and out.dtype == np.float32
    assert np.all(np.abs(out) <= 1.0)


def test_resnet_generator_has_the_papers_layers():
    generator = resnet_generator((32, 32, 3), base_filters=8, residual_blocks=3)
    kinds = [type(layer).__name__ for layer in generator.layers]
    # c7s1 in and out, and two per residual block
    assert kinds.count("ReflectionPadding2D") == 2 + 2 * 3
    assert kinds.count("Add") == 3
    strided = [layer for layer in generator.layers if getattr(layer, "strides", (1, 1)) == (2, 2)]
    assert [type(layer).__name__ for layer in strided] == ["Conv2D"] * 2 + ["Conv2DTranspose"] * 2
    norms = [layer for layer in generator.layers if type(layer).__name__ == "GroupNormalization"]
    # one group per channel: instance norm
    assert norms and all(layer.groups == layer.output.shape[-1] for layer in norms)
    # filters: k, 2k, 4k down, 4k in the blocks, 2k, k up, then the image channels
    convs = [layer.filters for layer in generator.layers if hasattr(layer, "filters")]
    assert convs[:3] == [8, 16, 32] and convs[-3:] == [16, 8, 3]
    assert resnet_generator((256, 256, 3), 2).count_params() > 0  # 9 blocks above 128 px


def _receptive_box(discriminator, size):
    """Side of the input region that one central output score depends on.

    Build `discriminator` without instance norm, whose global statistics would let
    every score depend on the whole image: this measures the convolutions' geometry.
    """
    images = tf.Variable(np.random.default_rng(0).normal(size=(1, size, size, 1)), dtype=tf.float32)
    with tf.GradientTape() as tape:
        scores = discriminator(images)
        centre = scores[0, scores.shape[1] // 2, scores.shape[2] // 2, 0]
    influence = np.abs(tape.gradient(centre, images).numpy()[0, ..., 0]) > 0
    rows, cols = np.nonzero(influence.any(axis=1))[0], np.nonzero(influence.any(axis=0))[0]
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


@pytest.fixture
def without_instance_norm(monkeypatch):
    monkeypatch.setattr("ganzoo.nets.patchgan.instance_norm", keras.layers.Identity)


def test_patchgan_sees_70x70_patches_at_256_pixels_like_the_paper(without_instance_norm):
    discriminator = patchgan_discriminator((256, 256, 1), base_filters=2)
    assert discriminator.output_shape == (None, 30, 30, 1)
    assert _receptive_box(discriminator, 256) == (70, 70) and receptive_field(3) == 70


def test_patchgan_sees_34x34_patches_below_256_pixels(without_instance_norm):
    assert [default_downsamplings(size) for size in (8, 16, 32, 128, 256, 512)] == [1, 2, 2, 2, 3, 3]
    discriminator = patchgan_discriminator((64, 64, 1), base_filters=2)
    assert discriminator.output_shape == (None, 14, 14, 1)
    assert _receptive_box(discriminator, 64) == (34, 34) == (receptive_field(2),) * 2
    assert patchgan_discriminator((8, 8, 1), base_filters=2).output_shape == (None, 2, 2, 1)
    with pytest.raises(ValueError, match="2 downsamplings leave no score map at 8 px; use at most 1"):
        patchgan_discriminator((8, 8, 1), downsamplings=2)


@pytest.mark.parametrize("shape, message", [
    ((30, 30, 1), "multiple of 4"), ((32, 16, 1), "square"), ((32, 32, 2), "1 or 3 channels"),
    ((4, 4, 1), "at least 8")])
def test_networks_reject_shapes_they_cannot_take(shape, message):
    for build in (resnet_generator, patchgan_discriminator):
        with pytest.raises(ValueError, match=message):
            build(shape)


def test_the_conditional_patchgan_is_the_patchgan_on_the_stacked_pair():
    from ganzoo.nets import conditional_patchgan  # the builder

    conditional = conditional_patchgan((16, 16, 1), 2, base_filters=4)
    plain = patchgan_discriminator((16, 16, 3), base_filters=4)
    plain.set_weights(conditional.get_weights())  # same layers, same shapes, same order
    rng = np.random.default_rng(0)
    condition, image = (rng.uniform(-1, 1, (2, 16, 16, c)).astype("float32") for c in (1, 2))
    np.testing.assert_allclose(conditional([condition, image]),
                               plain(np.concatenate([condition, image], axis=-1)), atol=1e-6)


@pytest.mark.parametrize("package, module, names", [
    ("nets", "unet", ["unet_generator"]),
    ("nets", "conditional_patchgan", ["conditional_patchgan"]),
    ("nets", "srresnet", ["srresnet_generator", "PixelShuffle"]),
    ("nets", "srgan_discriminator", ["srgan_discriminator"]),
    ("metrics", "super_resolution", ["psnr", "ssim", "sharpness", "sr_report"]),
])
def test_ganzoo_nets_and_metrics_export_the_paired_and_sr_builders(package, module, names):
    import importlib

    defined = importlib.import_module(f"ganzoo.{package}.{module}")
    exported = importlib.import_module(f"ganzoo.{package}")
    for name in names:
        assert getattr(exported, name) is getattr(defined, name) and name in exported.__all__
