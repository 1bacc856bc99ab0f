"""Class-conditional latent GANs: networks per mode, the projection logit, AC-GAN's
losses, training on (image, label) batches, generating classes, and the input errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import ganzoo
from ganzoo import losses
from helpers import changed, weights_of

MODES = ["projection", "concat", "auxiliary"]
IMAGES = (8, 8, 1)
K = 3
# (id, class, constructor arguments): tiny conditional variants
CASES = [
    ("dcgan", ganzoo.DCGAN, dict(image_shape=IMAGES, latent_dim=8, base_filters=8)),
    ("wgangp", ganzoo.WGANGP, dict(image_shape=IMAGES, latent_dim=8, base_filters=8, n_critic=2)),
    ("vanilla-images", ganzoo.VanillaGAN, dict(data_shape=IMAGES, latent_dim=8,
                                               hidden_units=(16,))),
    ("vanilla-points", ganzoo.VanillaGAN, dict(data_shape=(2,), latent_dim=4, hidden_units=(16,))),
]
PARAMS = [pytest.param(cls, kwargs, mode, id=f"{name}-{mode}")
          for name, cls, kwargs in CASES for mode in MODES]


def conditional(cls=ganzoo.DCGAN, kwargs=None, mode="projection", **more):
    gan = cls(**(kwargs or CASES[0][2]), num_classes=K, conditioning=mode, seed=0, **more)
    gan.compile()
    return gan


def labelled_data(shape, num=32, seed=1):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (num, *shape)).astype("float32")
    return images, rng.integers(0, K, num).astype("int32")


def labelled_dataset(shape, num=32, batch_size=8):
    return tf.data.Dataset.from_tensor_slices(labelled_data(shape, num)).batch(
        batch_size, drop_remainder=True)


def outputs(gan, samples, labels):
    """D's outputs as the step reads them, computed without the base's helpers."""
    if gan.conditioning == "auxiliary":
        return gan.discriminator(samples, training=True)
    return gan.discriminator([samples, labels], training=True), None


# -- the networks --------------------------------------------------------------------

@pytest.mark.parametrize("cls, kwargs, mode", PARAMS)
def test_networks_take_labels_as_the_mode_says(cls, kwargs, mode):
    gan = conditional(cls, kwargs, mode)
    z, labels = tf.zeros((4, gan.latent_dim)), tf.constant([0, 1, 2, 1])
    samples = gan.generator([z, labels])
    assert samples.shape == (4, *gan.data_shape)
    if mode == "auxiliary":  # the sample alone in, a logit and K class logits out
        logit, class_logits = gan.discriminator(samples)
        assert (logit.shape, class_logits.shape) == ((4, 1), (4, K))
    else:
        assert gan.discriminator([samples, labels]).shape == (4, 1)


def test_the_projection_logit_is_psi_plus_the_class_embedding_inner_product():
    gan = conditional(ganzoo.DCGAN, mode="projection")
    D = gan.discriminator
    images, labels = labelled_data(IMAGES, num=6)
    projection = D.get_layer("class_projection")
    # phi(x): the pooled features both the logit layer and the projection read
    phi = keras.Model(D.inputs, projection.input[0])([images, labels]).numpy()
    kernel, bias = (w.numpy() for w in D.get_layer("logit").weights)
    embeddings = projection.embeddings.numpy()
    # non-zero embeddings, so the class term is not negligible
    projection.embeddings.assign(np.random.default_rng(0).normal(size=embeddings.shape))
    embeddings = projection.embeddings.numpy()
    by_hand = phi @ kernel + bias + np.sum(embeddings[labels] * phi, axis=1, keepdims=True)
    np.testing.assert_allclose(D([images, labels], training=False).numpy(), by_hand,
                               rtol=1e-4, atol=1e-5)
    # and the class term matters: another label, another logit
    other = D([images, (labels + 1) % K], training=False).numpy()
    assert not np.allclose(other, by_hand, atol=1e-4)


# -- the training step ---------------------------------------------------------------

@pytest.mark.parametrize("mode, weight", [("projection", 1.0), ("concat", 1.0),
                                          ("auxiliary", 1.0), ("auxiliary", 0.5)])
def test_one_steps_losses_are_computed_by_hand(mode, weight):
    # SGD(0): nothing moves, so the logged losses must equal the losses recomputed from
    # the same networks, noise and labels. Auxiliary: plus the weighted cross-entropy of
    # the class head on real and fake (D) and on fake (G), AC-GAN's L_C.
    extra = {"class_loss_weight": weight} if mode == "auxiliary" else {}
    gan = ganzoo.VanillaGAN(data_shape=IMAGES, latent_dim=8, hidden_units=(16,), num_classes=K,
                            conditioning=mode, seed=3, **extra)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.0))
    images, labels = labelled_data(IMAGES, num=8)
    logs = gan.train_step((tf.constant(images), tf.constant(labels)))

    gan.g_optimizer.iterations.assign(0)  # the noise of step 0 again
    fake_labels_d, fake_labels_g = gan.sample_labels(8, 0), gan.sample_labels(8, 1)
    fake_d = gan.generator([gan.sample_latent(8, 0), fake_labels_d])
    fake_g = gan.generator([gan.sample_latent(8, 1), fake_labels_g])
    (real_s, real_c), (fake_s, fake_c) = (outputs(gan, images, labels),
                                          outputs(gan, fake_d, fake_labels_d))
    g_s, g_c = outputs(gan, fake_g, fake_labels_g)
    d_loss = float(losses.bce_discriminator_loss(real_s, fake_s))
    g_loss = float(losses.non_saturating_generator_loss(g_s))
    if mode == "auxiliary":
        ce = lambda logits, y: float(tf.reduce_mean(  # noqa: E731
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)))
        d_loss += weight * (ce(real_c, labels) + ce(fake_c, fake_labels_d))
        g_loss += weight * ce(g_c, fake_labels_g)
    np.testing.assert_allclose(float(logs["d_loss"]), d_loss, rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), g_loss, rtol=1e-5)


def test_fake_labels_are_uniform_fresh_each_update_and_reproducible():
    gan = conditional()
    a, b = gan.sample_labels(600, 0).numpy(), gan.sample_labels(600, 1).numpy()
    np.testing.assert_array_equal(a, gan.sample_labels(600, 0).numpy())
    assert not np.array_equal(a, b)
    assert set(a.tolist()) == set(range(K))
    assert np.all(np.abs(np.bincount(a, minlength=K) / 600 - 1 / K) < 0.07)


@pytest.mark.parametrize("cls, kwargs, mode", PARAMS)
def test_fit_on_image_label_batches_changes_both_networks(cls, kwargs, mode):
    gan = conditional(cls, kwargs, mode)
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(labelled_dataset(gan.data_shape).repeat(), steps_per_epoch=2, epochs=1,
                      verbose=0)
    assert int(gan.g_optimizer.iterations) == 2
    assert changed(g_before, weights_of(gan.generator))
    assert changed(d_before, weights_of(gan.discriminator))
    assert all(np.isfinite(history.history[name][0]) for name in ("d_loss", "g_loss"))
    assert np.isfinite(gan.evaluate(labelled_dataset(gan.data_shape), verbose=0,
                                    return_dict=True)["d_loss"])


# -- generating classes --------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_generate_makes_the_classes_asked_for(mode):
    gan = conditional(mode=mode)
    assert gan.generate(5, labels=[0, 1, 2, 2, 0], seed=0).shape == (5, *IMAGES)
    assert gan.generate(labels=[0, 1, 2], seed=0).shape == (3, *IMAGES)  # num from labels
    ones, twos = gan.generate(4, labels=1, seed=0), gan.generate(4, labels=2, seed=0)
    assert not np.allclose(ones, twos, atol=1e-6)  # the label reaches the images
    # (to float round-off: the batch's composition changes the kernels' summation order)
    same = lambda a, b: np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)  # noqa: E731
    same(ones, gan.generate(4, labels=[1] * 4, seed=0))
    # default: the classes in turn
    same(gan.generate(4, seed=0), gan.generate(4, labels=[0, 1, 2, 0], seed=0))
    # a strip along one class
    same(gan.interpolate(0, 1, steps=3, label=2)[0], gan.generate(1, labels=2, seed=0)[0])


@pytest.mark.parametrize("labels, message", [
    (3, r"labels must lie in \[0, 3\) for this DCGAN \(num_classes=3\); got \[3\]"),
    ([0, -1], r"got \[-1, 0\]"),
    ([0, 1, 2], "3 labels for 2 samples"),
    ([0.5, 1.0], "labels must be an int or a 1-D array of ints"),
])
def test_generate_refuses_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        conditional().generate(2, labels=labels, seed=0)


def test_an_unconditional_gan_takes_no_labels():
    gan = ganzoo.DCGAN(**CASES[0][2], seed=0)
    with pytest.raises(ValueError, match="labels apply to conditional GANs .*this DCGAN is "
                                         "unconditional"):
        gan.generate(2, labels=0, seed=0)


# -- configuration errors ------------------------------------------------------------

@pytest.mark.parametrize("cls, kwargs", [
    (ganzoo.ProGAN, dict(image_shape=IMAGES, latent_dim=8, channel_base=16, channel_max=8)),
    (ganzoo.StyleGAN2, dict(image_shape=IMAGES, latent_dim=8, channel_base=16, channel_max=8)),
])
def test_variants_without_label_inputs_refuse_num_classes(cls, kwargs):
    with pytest.raises(ValueError, match=rf"{cls.__name__} is unconditional: num_classes applies "
                                         r"to VanillaGAN, DCGAN, WGANGP, BigGAN\."):
        cls(**kwargs, num_classes=K)


@pytest.mark.parametrize("arguments, message", [
    (dict(num_classes=K, conditioning="film"), "conditioning must be one of"),
    (dict(num_classes=1), "num_classes must be an integer of at least 2"),
    (dict(num_classes=K, pack=2), "pack applies to unconditional GANs"),
    (dict(num_classes=K, class_loss_weight=2.0), "class_loss_weight .* conditioning=\"auxiliary\""),
])
def test_bad_conditioning_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        ganzoo.DCGAN(**CASES[0][2], **arguments)


def test_conditional_networks_for_an_unconditional_gan_are_refused():
    net = conditional(mode="concat")
    with pytest.raises(ValueError, match="These networks take labels"):
        ganzoo.GAN(net.generator, net.discriminator)


# -- training data that does not fit -------------------------------------------------

def fit(gan, elements):
    dataset = tf.data.Dataset.from_tensor_slices(elements).batch(8, drop_remainder=True)
    gan.fit(dataset, epochs=1, verbose=0)


def test_an_unconditional_gan_refuses_labelled_batches():
    gan = ganzoo.DCGAN(**CASES[0][2], seed=0)
    gan.compile()
    with pytest.raises(ValueError, match=r"got \(samples, labels\) batches, but this GAN is "
                                         r"unconditional\. Load the data with with_labels=False"):
        fit(gan, labelled_data(IMAGES, 16))


def test_a_conditional_gan_refuses_images_alone():
    with pytest.raises(ValueError, match=r"conditional \(num_classes=3\) and trains on \(images, "
                                         r"labels\) batches, but got samples alone\. Load the "
                                         r"data with with_labels=True"):
        fit(conditional(), labelled_data(IMAGES, 16)[0])


def test_labels_outside_the_classes_fail_at_the_step():
    images, labels = labelled_data(IMAGES, 16)
    labels[5] = K
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Class labels must lie in \[0, 3\) for this GAN"):
        fit(conditional(), (images, labels))


@pytest.mark.parametrize("labels, message", [
    (np.zeros(16, "float32"), "got float32 labels; class labels are integers"),
    (np.eye(3, dtype="int32")[np.zeros(16, int)], r"labels of shape \(8, 3\).*not one-hot"),
])
def test_labels_of_the_wrong_kind_are_named(labels, message):
    with pytest.raises(ValueError, match=message):
        fit(conditional(), (labelled_data(IMAGES, 16)[0], labels))
