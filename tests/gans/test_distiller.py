"""Distiller: a small student learns the teacher's samples (ganzoo.gans.distill)."""

import keras
import numpy as np
import pytest

import ganzoo
from ganzoo.gans.distill import Distiller, latent_dataset

SHAPE, LATENT = (8, 8, 1), 8
HELD_OUT = 2**61  # batches no training step draws


def teacher_gan(num_classes=None):
    """A tiny DCGAN whose generator makes varied images: kernels far from DCGAN's 0.02
    initialisation, so the targets are not a flat grey a student matches at once."""
    gan = ganzoo.DCGAN(image_shape=SHAPE, latent_dim=LATENT, base_filters=8,
                       num_classes=num_classes, seed=0)
    rng = np.random.default_rng(0)
    gan.generator.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") if w.ndim >= 2
                               else w for w in gan.generator.get_weights()])
    return gan


def student_gan(num_classes=None, base_filters=4):
    return ganzoo.DCGAN(image_shape=SHAPE, latent_dim=LATENT, base_filters=base_filters,
                        num_classes=num_classes, seed=1)


def held_out_distance(distiller, num_classes=None):
    data = latent_dataset(LATENT, 32, seed=7, num_classes=num_classes, start=HELD_OUT).take(4)
    return distiller.evaluate(data, verbose=0, return_dict=True)["pixel_loss"]


@pytest.mark.parametrize("num_classes", [None, 3], ids=["unconditional", "conditional"])
def test_distillation_brings_the_student_closer_to_the_teacher_on_held_out_latents(num_classes):
    distiller = Distiller(student_gan(num_classes), teacher_gan(num_classes), seed=0)
    distiller.compile(g_optimizer=keras.optimizers.Adam(3e-3))
    before = held_out_distance(distiller, num_classes)
    teacher_weights = [w.copy() for w in distiller.teacher.get_weights()]
    distiller.fit(latent_dataset(LATENT, 32, seed=0, num_classes=num_classes),
                  steps_per_epoch=60, epochs=1, verbose=0, shuffle=False)
    after = held_out_distance(distiller, num_classes)
    assert after < 0.75 * before, (before, after)  # 0.39 and 0.55 of it when written
    assert distiller.generator_steps == 60
    # the teacher is frozen: only the student learns
    assert all(np.array_equal(a, b) for a, b in zip(teacher_weights,
                                                    distiller.teacher.get_weights()))


def test_latent_batches_depend_on_seed_and_index_only():
    start_at_3 = next(iter(latent_dataset(LATENT, 4, seed=5, num_classes=10, start=3)))
    fourth = list(latent_dataset(LATENT, 4, seed=5, num_classes=10).take(4))[3]
    np.testing.assert_array_equal(start_at_3[0], fourth[0])
    np.testing.assert_array_equal(start_at_3[1], fourth[1])
    other_seed = next(iter(latent_dataset(LATENT, 4, seed=6, start=3)))
    assert not np.allclose(other_seed, start_at_3[0])
    labels = np.concatenate([b[1] for b in latent_dataset(LATENT, 64, 0, 10).take(4)])
    assert labels.min() == 0 and labels.max() == 9


def test_feature_and_adversarial_terms_are_logged_and_d_stays_frozen():
    teacher = teacher_gan()
    features = keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(),
                                 keras.layers.Dense(4)])
    distiller = Distiller(student_gan(), teacher, feature_model=features, feature_weight=0.5,
                          adversarial_weight=0.1, seed=0)
    distiller.compile()
    d_before = [w.copy() for w in teacher.discriminator.get_weights()]
    logs = distiller.fit(latent_dataset(LATENT, 16, 0), steps_per_epoch=2, epochs=1, shuffle=False,
                         verbose=0).history
    assert {"loss", "pixel_loss", "feature_loss", "adversarial_loss"} <= set(logs)
    np.testing.assert_allclose(
        logs["loss"][0], logs["pixel_loss"][0] + 0.5 * logs["feature_loss"][0]
        + 0.1 * logs["adversarial_loss"][0], rtol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(d_before, teacher.discriminator.get_weights()))


@pytest.mark.parametrize("student, message", [
    (lambda: ganzoo.DCGAN(image_shape=SHAPE, latent_dim=LATENT + 1, base_filters=4),
     "latent size"),
    (lambda: ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=LATENT, base_filters=4),
     "sample shape"),
    (lambda: student_gan(num_classes=3), "number of classes"),
])
def test_a_student_that_does_not_fit_the_teacher_is_refused(student, message):
    with pytest.raises(ValueError, match=message):
        Distiller(student(), teacher_gan())


def test_bad_loss_settings_are_refused():
    with pytest.raises(ValueError, match="pixel_loss must be one of"):
        Distiller(student_gan(), teacher_gan(), pixel_loss="huber")
    with pytest.raises(ValueError, match="feature_weight must be a number >= 0"):
        Distiller(student_gan(), teacher_gan(), feature_weight=-1)
