"""CycleGAN: translation shapes, the image pool, the loss wiring and one training step."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo.gans.image_pool import ImagePool
from ganzoo.runs import load_run, save_run
from helpers import changed, weights_of

TINY = dict(base_filters=4, residual_blocks=1)


def _images(num, shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (num, *shape)).astype("float32")


def _pairs(shape, num=8, batch_size=4):
    a, b = _images(num, shape, 1), _images(num, shape, 2)
    batches = lambda x: tf.data.Dataset.from_tensor_slices(x).batch(batch_size, drop_remainder=True)  # noqa: E731
    return tf.data.Dataset.zip((batches(a), batches(b))), a, b


@pytest.mark.parametrize("shape", [(32, 32, 1), (64, 64, 3)])
def test_translate_keeps_shape_and_range_in_both_directions(shape):
    cyc = ganzoo.CycleGAN(image_shape=shape, **TINY)
    images = _images(3, shape)
    for direction in ("a2b", "b2a"):
        out = cyc.translate(images, direction=direction)
        assert out.shape == images.shape and out.dtype == np.float32
        assert np.all(np.abs(out) <= 1.0)
        assert cyc.translate(images[0], direction=direction).shape == shape
    np.testing.assert_allclose(cyc.translate(images, "a2b", batch_size=2),
                               cyc.translate(images, "a2b"), atol=1e-6)
    assert not np.allclose(cyc.translate(images, "a2b"), cyc.translate(images, "b2a"))


def test_translate_rejects_bad_input_by_name():
    cyc = ganzoo.CycleGAN(image_shape=(32, 32, 1), **TINY)
    with pytest.raises(ValueError, match="direction must be one of"):
        cyc.translate(_images(1, (32, 32, 1)), direction="a2c")
    with pytest.raises(ValueError, match=r"images of shape \(32, 32, 1\); got \(2, 16, 16, 1\)"):
        cyc.translate(_images(2, (16, 16, 1)))
    with pytest.raises(ValueError, match="uint8 values"):
        cyc.translate(np.zeros((1, 32, 32, 1), np.uint8))


def test_empty_pool_stores_and_returns_the_images_unchanged():
    pool = ImagePool(4, (2, 2, 1))
    first = _images(3, (2, 2, 1))
    out = pool.query(first, seed=tf.constant([0, 0]))
    np.testing.assert_array_equal(out, first)
    assert int(pool.count.numpy()) == 3
    np.testing.assert_array_equal(pool.images.numpy()[:3], first)
    # the fourth image fills the last free slot and comes back as it is, whatever the coins say
    second = _images(2, (2, 2, 1), seed=1)
    out = pool.query(second, seed=tf.constant([0, 1]))
    np.testing.assert_array_equal(out[0], second[0])
    np.testing.assert_array_equal(pool.images.numpy()[3], second[0])
    assert int(pool.count.numpy()) == 4


def test_full_pool_returns_a_past_image_half_of_the_time_and_keeps_the_new_one():
    size = 5
    pool = ImagePool(size, (1,))
    pool.query(np.arange(size, dtype="float32")[:, None], seed=tf.constant([0, 0]))
    past = 0
    queries = 400
    for step in range(queries):
        new = np.float32(100 + step)
        before = pool.images.numpy()[:, 0].copy()
        out = float(pool.query(np.array([[new]]), seed=tf.constant([1, step]))[0, 0])
        after = pool.images.numpy()[:, 0]
        if out == new:  # the new image passed through; the pool is untouched
            np.testing.assert_array_equal(after, before)
        else:  # a stored image came back, and the new one took its slot
            past += 1
            slot = int(np.flatnonzero(before == out)[0])
            assert after[slot] == new and np.sum(after != before) == 1
    # binomial(400, 1/2): +-0.1 is 4 standard deviations
    assert abs(past / queries - 0.5) < 0.1


def test_pool_of_size_zero_passes_images_through():
    pool = ImagePool(0, (2, 2, 1))
    images = _images(3, (2, 2, 1))
    np.testing.assert_array_equal(pool.query(images, seed=tf.constant([0, 0])), images)


def _identity(shape, name):
    image = keras.Input(shape)
    return keras.Model(image, keras.layers.Identity()(image), name=name)


def test_identity_generators_make_the_cycle_and_identity_terms_zero():
    shape = (8, 8, 1)
    cyc = ganzoo.CycleGAN(image_shape=shape, generator_ab=_identity(shape, "ab"),
                          generator_ba=_identity(shape, "ba"), **TINY)
    terms = cyc.generator_losses(_images(4, shape, 1), _images(4, shape, 2))
    assert float(terms["cycle"]) == 0.0 and float(terms["identity"]) == 0.0
    assert float(terms["adversarial"]) > 0
    assert float(terms["total"]) == pytest.approx(float(terms["adversarial"]))


def test_generator_objective_weights_cycle_by_10_and_identity_by_5():
    shape = (8, 8, 1)
    cyc = ganzoo.CycleGAN(image_shape=shape, **TINY)
    terms = cyc.generator_losses(_images(4, shape, 1), _images(4, shape, 2))
    assert float(terms["cycle"]) > 0 and float(terms["identity"]) > 0
    expected = terms["adversarial"] + 10 * terms["cycle"] + 5 * terms["identity"]
    assert float(terms["total"]) == pytest.approx(float(expected), rel=1e-6)
    off = ganzoo.CycleGAN(image_shape=shape, identity_weight=0.0, **TINY)
    assert float(off.generator_losses(_images(4, shape, 1), _images(4, shape, 2))["identity"]) == 0.0


def test_one_train_step_changes_all_four_networks_and_logs_true_losses():
    shape = (8, 8, 1)
    cyc = ganzoo.CycleGAN(image_shape=shape, seed=0, **TINY)
    cyc.compile()
    dataset, a, b = _pairs(shape, num=4)
    expected = cyc.generator_losses(a, b)  # instance norm: no batch statistics to move
    nets = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")
    before = {name: weights_of(getattr(cyc, name)) for name in nets}
    history = cyc.fit(dataset, epochs=1, verbose=0).history
    for name in nets:
        assert changed(before[name], weights_of(getattr(cyc, name))), name
    assert int(cyc.g_optimizer.iterations) == int(cyc.d_optimizer.iterations) == 1
    assert history["g_loss"][0] == pytest.approx(float(expected["total"]), rel=1e-5)
    assert history["cycle_loss"][0] == pytest.approx(float(expected["cycle"]), rel=1e-5)
    assert int(cyc.pool_a.count.numpy()) == int(cyc.pool_b.count.numpy()) == 4


def test_fit_without_two_domains_explains_the_expected_data():
    cyc = ganzoo.CycleGAN(image_shape=(8, 8, 1), **TINY)
    cyc.compile()
    single = tf.data.Dataset.from_tensor_slices(_images(4, (8, 8, 1))).batch(2)
    with pytest.raises(ValueError, match=r"pairs of batches \(images_a, images_b\)"):
        cyc.fit(single, epochs=1, verbose=0)


def test_run_folder_round_trip_keeps_networks_optimizers_and_pools(tmp_path):
    shape = (8, 8, 1)
    cyc = ganzoo.CycleGAN(image_shape=shape, seed=3, pool_size=6, **TINY)
    cyc.compile()
    dataset, a, _ = _pairs(shape)
    cyc.fit(dataset, epochs=1, verbose=0)
    restored = load_run(save_run(cyc, tmp_path / "run"))
    assert isinstance(restored, ganzoo.CycleGAN) and restored.seed == 3
    for direction in ("a2b", "b2a"):
        np.testing.assert_array_equal(restored.translate(a, direction), cyc.translate(a, direction))
    assert int(restored.g_optimizer.iterations) == 2
    assert int(restored.pool_b.count.numpy()) == 6
    np.testing.assert_array_equal(restored.pool_b.images.numpy(), cyc.pool_b.images.numpy())
