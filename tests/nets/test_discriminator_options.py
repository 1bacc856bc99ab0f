"""Packing (PacGAN) and spectral normalization of discriminators."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.nets import pack_samples, packed_shape


def test_packing_stacks_consecutive_samples_along_the_last_axis():
    images = np.arange(4 * 3 * 3 * 2, dtype="float32").reshape(4, 3, 3, 2)
    packed = pack_samples(images, 2).numpy()
    assert packed.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(packed[1, ..., :2], images[2])
    np.testing.assert_array_equal(packed[1, ..., 2:], images[3])
    points = np.arange(12, dtype="float32").reshape(6, 2)
    np.testing.assert_array_equal(pack_samples(points, 3), [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    assert packed_shape((8, 8, 3), 4) == (8, 8, 12)


def test_a_packed_discriminator_judges_groups():
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(8,), pack=4)
    assert gan.discriminator.input_shape == (None, 8)
    assert gan.judge(tf.zeros((12, 2))).shape == (3, 1)


def test_a_batch_that_packing_cannot_split_is_an_error():
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(8,), pack=3)
    gan.compile()
    points = tf.data.Dataset.from_tensor_slices(np.zeros((16, 2), "float32")).batch(
        8, drop_remainder=True)
    with pytest.raises(ValueError, match="multiple of 3"):
        gan.fit(points, epochs=1, verbose=0)


def test_a_partial_batch_that_packing_cannot_split_is_an_error_too():
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(8,), pack=4)
    gan.compile()
    points = tf.data.Dataset.from_tensor_slices(np.zeros((10, 2), "float32")).batch(8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="multiple of 4"):
        gan.fit(points, epochs=1, verbose=0)  # 8 is fine, the last batch of 2 is not


def test_custom_networks_must_fit_the_packing():
    generator = ganzoo.nets.mlp_generator(2, (2,))
    with pytest.raises(ValueError, match=r"packed 2 at a time.*\(2,\)"):
        ganzoo.VanillaGAN(generator=generator, discriminator=ganzoo.nets.mlp_discriminator((2,)),
                          pack=2)


def _top_singular_values(model):
    values = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.SpectralNormalization):
            kernel = np.array(layer.layer.kernel)
            values.append(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])
    return values


@pytest.mark.parametrize("gan", [
    lambda: ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, spectral_norm=True),
    lambda: ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(32, 32), spectral_norm=True),
], ids=["dcgan", "mlp"])
def test_spectral_norm_bounds_each_kernel_near_one(gan):
    gan = gan()
    gan.compile()
    before = _top_singular_values(gan.discriminator)
    # unnormalized at initialization: DCGAN's N(0, 0.02) kernels sit well below 1
    assert len(before) >= 3 and max(abs(np.array(before) - 1.0)) > 0.5
    data = np.random.default_rng(0).uniform(-1, 1, (64, *gan.data_shape)).astype("float32")
    gan.fit(tf.data.Dataset.from_tensor_slices(data).batch(16), epochs=5, verbose=0)
    # after the power iterations each kernel's largest singular value sits near 1
    np.testing.assert_allclose(_top_singular_values(gan.discriminator), 1.0, atol=0.05)
    assert not any(isinstance(layer, keras.layers.BatchNormalization)
                   for layer in gan.discriminator.layers)
