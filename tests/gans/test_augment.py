"""Differentiable augmentation: DiffAugment's policies, ADA's pipeline and its p controller.

Every augmenter keeps shape, dtype and (where its ops allow) range, passes gradients
to the images, is a function of its stateless seed, and draws per image. The
distributed case (two logical CPU devices) runs in a subprocess, this file run as a
script: the device layout must be set before TensorFlow runs any op.

    python tests/gans/test_augment.py mirrored OUT.npz
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganzoo.gans.augment import ADA, TRANSFORMS, DiffAugment, make_augment
from ganzoo.gans.augment import diffaugment

# (id, spec, p for ADA, keeps [-1, 1]): colour ops scale and shift values as the papers do.
CASES = [
    ("diffaugment", "diffaugment", None, False),
    ("diffaugment-color", "diffaugment:color", None, False),
    ("diffaugment-translation", "diffaugment:translation", None, True),
    ("diffaugment-cutout", "diffaugment:cutout", None, True),
    ("ada-bgc", "ada", 1.0, False),
    ("ada-bg", "ada:bg", 1.0, True),
    ("ada-blit", "ada:blit", 1.0, True),
    ("ada-geom", "ada:geom", 0.8, True),
    ("ada-color", "ada:color", 1.0, False),
]
IDS = [case[0] for case in CASES]


def _augmenter(spec, p):
    augmenter = make_augment(spec)
    if p is not None:
        augmenter.p.assign(p)
    return augmenter


def _images(shape=(6, 16, 16, 3), seed=0):
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, shape).astype("float32"))


def _seed(*numbers):
    return tf.constant(numbers, tf.int64)


# -------------------------------------------------------------------------- factory

def test_make_augment_reads_every_spec():
    assert make_augment(None) is None and make_augment("none") is None
    assert make_augment("diffaugment").policies == ("color", "translation", "cutout")
    assert make_augment("diffaugment:translation,cutout").policies == ("translation", "cutout")
    assert make_augment(" DiffAugment: cutout ").policies == ("cutout",)
    ada = make_augment("ada")
    assert isinstance(ada, ADA) and ada.pipeline == "bgc"
    assert (ada.target, ada.interval, ada.speed_images, float(ada.p)) == (0.6, 4, 500_000, 0.0)
    ada = make_augment("ada:bg", target=0.5, interval=2, speed_images=1000, initial_p=0.25)
    assert (ada.pipeline, ada.target, ada.interval, ada.speed_images) == ("bg", 0.5, 2, 1000)
    assert float(ada.p) == 0.25
    assert make_augment("ada", pipeline="color").ops == ("brightness", "contrast", "lumaflip",
                                                        "hue", "saturation")
    assert make_augment("ada:saturation,blit").ops == ("xflip", "rotate90", "xint", "saturation")
    assert make_augment("ada", pipeline=["xint", "scale"]).ops == ("xint", "scale")
    assert make_augment(ada) is ada


@pytest.mark.parametrize("spec", ["diffaugment:cutout,color", "ada:bg,hue"])
def test_the_config_is_the_constructor(spec):
    augmenter = make_augment(spec)
    config = keras.saving.serialize_keras_object(augmenter)
    copy = keras.saving.deserialize_keras_object(config)
    assert type(copy) is type(augmenter) and copy.get_config() == augmenter.get_config()
    images = _images()
    if isinstance(copy, ADA):
        augmenter.p.assign(0.5)
        copy.p.assign(0.5)
    np.testing.assert_array_equal(copy(images, _seed(0, 1)), augmenter(images, _seed(0, 1)))


@pytest.mark.parametrize("spec, options, message", [
    ("diffaugment:translation,blur", {}, r"policy 'blur'.*\['color', 'translation', 'cutout'\]"),
    ("diffaugment:", {}, "names no policy"),
    ("diffaugment:cutout,cutout", {}, "listed twice"),
    ("mixup", {}, r"Unknown augmentation 'mixup'.*'diffaugment'.*'ada'"),
    ("none:color", {}, "Unknown augmentation"),
    ("ada:bgcfnc", {}, r"Unknown ADA pipeline or transform 'bgcfnc'.*'bgc'.*'lumaflip'"),
    ("ada:", {}, "Unknown ADA pipeline or transform ''"),
    ("ada", {"tagret": 0.6}, r"Unknown option 'tagret'.*'target'"),
    ("diffaugment", {"target": 0.6}, "Unknown option 'target'"),
    ("ada", {"initial_p": 1.5}, r"initial_p must be in \[0, 1\]"),
    ("ada", {"interval": 0}, "interval"),
    ("ada:bg", {"pipeline": "bgc"}, "both name a pipeline"),
    ("none", {"target": 0.6}, "takes no options"),
])
def test_make_augment_refuses_what_it_does_not_know_by_name(spec, options, message):
    with pytest.raises(ValueError, match=message):
        make_augment(spec, **options)


# ------------------------------------------------------------- the shared contract

def test_bad_images_and_seeds_are_refused_by_name():
    augmenter = make_augment("diffaugment")
    with pytest.raises(ValueError, match=r"batches of images.*\(8, 8\)"):
        augmenter(tf.zeros((8, 8)), _seed(0, 1))
    with pytest.raises(ValueError, match=r"stateless seed.*noise_seed"):
        augmenter(_images(), tf.constant([1, 2, 3]))
    with pytest.raises(ValueError, match="stateless seed"):
        augmenter(_images(), tf.constant([1.0, 2.0]))


@pytest.mark.parametrize("spec, p, keeps_range", [case[1:] for case in CASES], ids=IDS)
@pytest.mark.parametrize("channels", [1, 3])
def test_shape_dtype_and_range_are_kept(spec, p, keeps_range, channels):
    augmenter = _augmenter(spec, p)
    images = _images((6, 16, 12, channels))
    out = augmenter(images, _seed(0, 1))
    assert out.shape == images.shape and out.dtype == tf.float32
    assert not np.allclose(out, images)
    if keeps_range:
        assert np.abs(out).max() <= 1.0
    half = augmenter(tf.cast(images, tf.float16), _seed(0, 1))
    assert half.dtype == tf.float16
    np.testing.assert_allclose(half, out, atol=0.02)


@pytest.mark.parametrize("spec, p", [case[1:3] for case in CASES], ids=IDS)
def test_gradients_flow_to_the_images(spec, p):
    augmenter = _augmenter(spec, p)
    images = _images()
    weights = _images(seed=1)
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(augmenter(images, _seed(0, 1)) * weights)
    gradient = tape.gradient(loss, images)
    assert gradient is not None
    # every image receives gradient (cutout and shifts leave some pixels out, not all)
    assert np.all(np.abs(gradient.numpy()).reshape(len(gradient), -1).max(axis=1) > 0)


@pytest.mark.parametrize("spec, p", [case[1:3] for case in CASES], ids=IDS)
def test_the_seed_decides_the_augmentation(spec, p):
    augmenter = _augmenter(spec, p)
    images = _images()
    first = augmenter(images, _seed(3, 4))
    np.testing.assert_array_equal(first, augmenter(images, _seed(3, 4)))
    np.testing.assert_array_equal(first, augmenter(images, tf.constant([3, 4], tf.int32)))
    # the seeds of another step and of another replica (noise_seed folds both in)
    for other in (_seed(3, 5), tf.random.experimental.stateless_fold_in(_seed(3, 4), 1)):
        assert not np.allclose(first, augmenter(images, other))
    traced = tf.function(lambda x, s: augmenter(x, s))
    np.testing.assert_array_equal(first, traced(images, _seed(3, 4)))


@pytest.mark.parametrize("spec, p", [case[1:3] for case in CASES], ids=IDS)
def test_each_image_draws_its_own_parameters(spec, p):
    augmenter = _augmenter(spec, p)
    same = tf.repeat(_images((1, 16, 16, 3)), 8, axis=0)
    out = augmenter(same, _seed(0, 2)).numpy()
    different = sum(not np.allclose(out[0], out[i]) for i in range(1, 8))
    assert different >= 5  # ADA at p=1 may leave an image unchanged by chance


@pytest.mark.parametrize("spec", ["diffaugment", "ada"])
def test_runs_under_xla_deterministically(spec):
    augmenter = _augmenter(spec, 0.7 if spec == "ada" else None)
    images = _images()
    compiled = tf.function(lambda x, s: augmenter(x, s), jit_compile=True)
    out = compiled(images, _seed(1, 2))
    assert out.shape == images.shape
    np.testing.assert_array_equal(out, compiled(images, _seed(1, 2)))
    assert not np.allclose(out, compiled(images, _seed(1, 3)))
    if spec == "ada":  # p is read at run time: the compiled step follows it
        augmenter.p.assign(0.0)
        np.testing.assert_array_equal(compiled(images, _seed(1, 2)), images)


# ----------------------------------------------------------------------- identities

@pytest.mark.parametrize("pipeline", ["bgc", "bg", "color"])
@pytest.mark.parametrize("channels", [1, 3])
def test_ada_at_p_zero_is_the_identity(pipeline, channels):
    ada = ADA(pipeline=pipeline)
    images = _images((8, 16, 16, channels))
    np.testing.assert_array_equal(ada(images, _seed(0, 1)), images)


def test_diffaugment_without_policies_is_the_identity():
    images = _images()
    np.testing.assert_array_equal(DiffAugment(())(images, _seed(0, 1)), images)


# ------------------------------------------------------------- DiffAugment's policies

def _distinct_positive(shape):
    """Images whose every value differs and is > 0, so 0 marks a filled-in pixel."""
    values = np.arange(1, np.prod(shape) + 1) / np.prod(shape)
    return tf.constant(np.random.default_rng(0).permutation(values).reshape(shape), tf.float32)


def _shift(image, dy, dx):
    """out[y, x] = image[y + dy, x + dx], 0 where that leaves the image."""
    out = np.zeros_like(image)
    height, width = image.shape[:2]
    out[max(0, -dy):height - max(0, dy), max(0, -dx):width - max(0, dx)] = \
        image[max(0, dy):height + min(0, dy), max(0, dx):width + min(0, dx)]
    return out


@pytest.mark.parametrize("size, limit", [(16, 2), (32, 4), (12, 2)])
def test_translation_shifts_by_at_most_an_eighth_with_zero_fill(size, limit):
    images = _distinct_positive((48, size, size, 1))
    out = DiffAugment("translation")(images, _seed(0, 7)).numpy()
    seen = set()
    for image, shifted in zip(images.numpy(), out):
        candidates = range(-(size // 2), size // 2 + 1)
        matches = [(dy, dx) for dy in candidates for dx in candidates
                   if np.array_equal(shifted, _shift(image, dy, dx))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert max(max(abs(dy), abs(dx)) for dy, dx in seen) == limit
    # every shift in [-limit, limit] happens, along both axes
    assert {dy for dy, _ in seen} == {dx for _, dx in seen} == set(range(-limit, limit + 1))


@pytest.mark.parametrize("size, side", [(16, 8), (13, 7), (8, 4)])
def test_cutout_zeroes_a_square_of_half_the_side(size, side):
    images = tf.ones((200, size, size, 2))
    out = DiffAugment("cutout")(images, _seed(0, 8)).numpy()
    assert set(np.unique(out)) == {0.0, 1.0}
    full = 0
    for image in out:
        assert np.array_equal(image[..., 0], image[..., 1])  # every channel cut alike
        rows, cols = np.nonzero(image[..., 0] == 0)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert len(rows) == height * width  # one axis-aligned rectangle
        assert height <= side and width <= side
        # only a square that reaches the edge of the image is cut short
        if height < side:
            assert rows.min() == 0 or rows.max() == size - 1
        if width < side:
            assert cols.min() == 0 or cols.max() == size - 1
        full += height == width == side
    assert full > 10
    # centres reach everywhere: the corners are cut in some images
    cut_somewhere = (out[..., 0] == 0).any(axis=0)
    assert cut_somewhere.all()


def test_colour_policy_does_what_the_reference_does():
    seeds = diffaugment.SeedStream(_seed(0, 9))
    images = _images((64, 8, 8, 3))
    offset = (diffaugment.brightness(images, seeds) - images).numpy()
    per_image = offset.reshape(64, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1].repeat(per_image.shape[1], 1),
                               atol=1e-6)
    assert -0.5 <= per_image.min() < -0.3 and 0.3 < per_image.max() <= 0.5

    saturated = diffaugment.saturation(images, seeds).numpy()
    np.testing.assert_allclose(saturated.mean(axis=3), images.numpy().mean(axis=3), atol=1e-6)
    grey = _images((4, 8, 8, 1))
    np.testing.assert_allclose(diffaugment.saturation(grey, seeds), grey, atol=1e-6)

    contrasted = diffaugment.contrast(images, seeds).numpy()
    mean = images.numpy().mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(contrasted.mean(axis=(1, 2, 3)), mean.ravel(), atol=1e-5)
    factor = ((contrasted - mean) / (images.numpy() - mean)).reshape(64, -1)
    np.testing.assert_allclose(factor, factor[:, :1].repeat(factor.shape[1], 1), rtol=1e-3)
    assert 0.5 <= factor.min() < 0.7 and 1.3 < factor.max() <= 1.5


# ---------------------------------------------------------------- ADA's pipeline

def test_ada_blits_move_pixels_exactly():
    # flips, quarter turns and integer shifts (mirrored at the edges) copy values
    images = _images((32, 16, 16, 1))
    out = ADA(pipeline="blit", initial_p=1.0)(images, _seed(0, 3)).numpy()
    for image, moved in zip(images.numpy(), out):
        assert np.isin(moved, image).all()
    assert sum(not np.array_equal(a, b) for a, b in zip(images.numpy(), out)) > 20


# Chance that a transform, once chosen (with probability p), changes an 8x8 image:
# the x-flip and luma flip flip half the time, the quarter turn turns 3/4 of the time,
# and the integer shift, U(-1, 1) pixels per axis at 8 px, rounds to 0 on both axes
# 1/4 of the time. Rotation is tried before and after the anisotropic scaling, each
# time with 1 - sqrt(1 - p), so that an image is rotated with probability p.
EFFECT = {"xflip": 1 / 2, "rotate90": 3 / 4, "xint": 3 / 4, "lumaflip": 1 / 2}


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_each_transform_changes_an_image_with_its_probability(transform):
    images = _images((2000, 8, 8, 3))
    for p in (0.3, 0.8):
        out = ADA(pipeline=transform, initial_p=p)(images, _seed(2, 3)).numpy()
        changed = np.mean(np.any(out != images.numpy(), axis=(1, 2, 3)))
        expected = p * EFFECT.get(transform, 1.0)
        assert abs(changed - expected) < 0.04, (p, changed, expected)


def test_ada_applies_each_transform_with_probability_p():
    # Blit only: an image stays as it was unless an x-flip (p, then 1/2), a quarter
    # turn (p, then 3/4) or an integer shift that rounds to non-zero (p, then 1 - 1/4**2
    # at 16 px: each axis rounds U(-2, 2) to 0 with probability 1/4) changes it.
    images = _images((3000, 16, 16, 1))
    for p in (0.3, 0.7):
        out = ADA(pipeline="blit", initial_p=p)(images, _seed(1, 3)).numpy()
        unchanged = np.mean([np.array_equal(a, b) for a, b in zip(images.numpy(), out)])
        expected = (1 - p / 2) * (1 - 3 * p / 4) * (1 - p * (1 - 1 / 16))
        assert abs(unchanged - expected) < 0.03, (p, unchanged, expected)


def test_ada_colour_on_one_channel_is_a_gain_and_an_offset_per_image():
    # brightness, contrast and luma flip; hue and saturation leave grey as it is
    images = _images((16, 8, 8, 1))
    out = ADA(pipeline="color", initial_p=1.0)(images, _seed(0, 4)).numpy()
    for image, recoloured in zip(images.numpy().reshape(16, -1), out.reshape(16, -1)):
        gain, offset = np.polyfit(image, recoloured, 1)
        np.testing.assert_allclose(recoloured, gain * image + offset, atol=1e-5)
    # the luma flip negates some images
    gains = [np.polyfit(a, b, 1)[0] for a, b in zip(images.numpy().reshape(16, -1),
                                                    out.reshape(16, -1))]
    assert min(gains) < 0 < max(gains)


def test_ada_colour_on_grey_rgb_matches_one_channel():
    grey = _images((8, 8, 8, 1))
    one = ADA(pipeline="color", initial_p=1.0)(grey, _seed(0, 5)).numpy()
    three = ADA(pipeline="color", initial_p=1.0)(tf.repeat(grey, 3, axis=3), _seed(0, 5)).numpy()
    for channel in range(3):
        np.testing.assert_allclose(three[..., channel:channel + 1], one, atol=1e-5)


@pytest.mark.parametrize("transform", ["hue", "saturation"])
def test_ada_hue_and_saturation_keep_each_pixels_grey_level(transform):
    # hue rotates a pixel's colour about the grey axis, saturation scales its distance
    # from it: the grey level (channel mean) stays, the colour's length is kept or
    # scaled by one factor per image
    images = _images((16, 8, 8, 3)).numpy()
    out = ADA(pipeline=transform, initial_p=1.0)(images, _seed(0, 6)).numpy()
    np.testing.assert_allclose(out.mean(axis=3), images.mean(axis=3), atol=1e-5)
    chroma = lambda x: np.linalg.norm(x - x.mean(axis=3, keepdims=True), axis=3)  # noqa: E731
    ratio = (chroma(out) / chroma(images)).reshape(16, -1)
    np.testing.assert_allclose(ratio, ratio[:, :1].repeat(ratio.shape[1], 1), rtol=1e-3)
    if transform == "hue":
        np.testing.assert_allclose(ratio, 1.0, rtol=1e-4)
    assert not np.allclose(out, images)


def test_ada_colour_needs_one_or_three_channels():
    with pytest.raises(ValueError, match="1 or 3 channels.*pipeline='bg'"):
        ADA()(_images((2, 8, 8, 2)), _seed(0, 1))
    geometric_only = ADA(pipeline="bg", initial_p=1.0)
    assert geometric_only(_images((2, 8, 8, 2)), _seed(0, 1)).shape == (2, 8, 8, 2)


# ----------------------------------------------------------------- ADA's controller

def test_p_rises_by_the_expected_step_when_d_is_sure_of_the_reals():
    ada = ADA(interval=4, speed_images=1000)
    scores = tf.fill((8, 1), 2.5)
    for _ in range(3):
        assert float(ada.update(scores)) == 1.0
        assert float(ada.p) == 0.0  # not before `interval` updates
    assert float(ada.update(scores)) == 1.0
    np.testing.assert_allclose(float(ada.p), 8 * 4 / 1000, rtol=1e-6)
    assert float(ada.rt) == 1.0 and int(ada.calls) == 0 and float(ada.sign_sum) == 0.0


def test_p_falls_when_d_cannot_separate():
    ada = ADA(interval=2, speed_images=100, initial_p=0.5)
    # the mean score is positive, but most signs are negative: r_t = -0.5
    scores = tf.constant([[10.0], [-0.1], [-0.1], [-0.1]])
    ada.update(scores)
    assert float(ada.update(scores)) == -0.5
    np.testing.assert_allclose(float(ada.p), 0.5 - 4 * 2 / 100, rtol=1e-6)
    # just under the target still counts as "cannot separate": r_t = 0.5 < 0.6
    ada.update(tf.constant([[1.0], [1.0], [1.0], [-1.0]]))
    assert float(ada.update(tf.constant([[0.3], [0.2], [-0.4], [0.1]]))) == 0.5
    np.testing.assert_allclose(float(ada.p), 0.5 - 2 * 8 / 100, rtol=1e-6)


def test_each_interval_starts_afresh():
    ada = ADA(interval=2, speed_images=100, initial_p=0.5)
    for _ in range(2):
        ada.update(tf.ones((4, 1)))
    for _ in range(2):
        rt = ada.update(-tf.ones((4, 1)))
    assert float(rt) == float(ada.rt) == -1.0
    np.testing.assert_allclose(float(ada.p), 0.5, rtol=1e-6)


def test_p_stays_in_zero_one():
    ada = ADA(interval=1, speed_images=10, initial_p=0.95)
    ada.update(tf.ones((8, 1)))
    assert float(ada.p) == 1.0
    ada = ADA(interval=1, speed_images=10, initial_p=0.05)
    ada.update(-tf.ones((8, 1)))
    assert float(ada.p) == 0.0


def test_packed_scores_count_the_images_they_judge():
    ada = ADA(interval=1, speed_images=100)
    # PacGAN: one score per pair of images; r_t is over scores, the step over images
    rt = ada.update(tf.constant([[1.0], [1.0], [1.0], [-1.0]]), images=8)
    assert float(rt) == 0.5
    np.testing.assert_allclose(float(ada.p), 0.0)
    ada.p.assign(0.5)
    ada.update(tf.ones((4, 1)), images=8)
    np.testing.assert_allclose(float(ada.p), 0.5 + 8 / 100, rtol=1e-6)


def test_update_runs_in_a_traced_step():
    ada = ADA(interval=2, speed_images=100)
    step = tf.function(lambda scores: ada.update(scores))
    for _ in range(4):
        step(tf.ones((4, 1)))
    np.testing.assert_allclose(float(ada.p), 2 * 8 / 100, rtol=1e-6)


class _Holder(keras.Model):
    """A model with an augmenter attribute, as a GAN holds one."""

    def __init__(self, augmenter, **kwargs):
        super().__init__(**kwargs)
        self.augmenter = augmenter
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)


def _holder(augmenter):
    model = _Holder(augmenter)
    model(np.zeros((1, 2), "float32"))
    return model


def test_p_and_the_interval_so_far_are_saved_with_the_weights(tmp_path):
    ada = ADA(interval=4, speed_images=100, initial_p=0.3)
    for _ in range(5):  # one adjustment, then one call into the next interval
        ada.update(tf.constant([[1.0], [1.0], [-1.0], [1.0]]))
    saved = {name: float(getattr(ada, name))
             for name in ("p", "rt", "sign_sum", "score_count", "image_count", "calls")}
    path = tmp_path / "model.weights.h5"
    _holder(ada).save_weights(path)

    restored = ADA(interval=4, speed_images=100)
    _holder(restored).load_weights(path)
    assert {name: float(getattr(restored, name)) for name in saved} == saved
    assert saved["p"] != 0.3 and saved["calls"] == 1
    # and it continues as the original does
    for augmenter in (ada, restored):
        for _ in range(3):
            augmenter.update(tf.ones((4, 1)))
    assert float(restored.p) == float(ada.p)


def test_diffaugment_adds_no_weights(tmp_path):
    # a model given DiffAugment saves, and loads, the checkpoints of one without it
    plain, augmented = _holder(None), _holder(DiffAugment())
    assert len(augmented.weights) == len(plain.weights)
    plain.save_weights(tmp_path / "plain.weights.h5")
    augmented.load_weights(tmp_path / "plain.weights.h5")


def test_update_refuses_cross_replica_context():
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        ada = ADA()
        with pytest.raises(RuntimeError, match="strategy.run"):
            ada.update(tf.ones((4, 1)))


# ------------------------------------------------------------ two replicas vs one device

# Scores D gives each replica's augmented reals, per call: replica 1 alone would see
# r_t = 0.5 (below the target) where the global batch has 0.75 (above it).
REPLICA_SCORES = np.array([
    [[3.0, 0.2, 1.0, 5.0], [0.1, 2.0, -4.0, 0.3]],
    [[1.0, 1.0, 1.0, 1.0], [1.0, -0.5, 1.0, 1.0]],
    [[-1.0, -2.0, 0.5, -1.0], [-0.2, -1.0, -1.0, -3.0]],
    [[-1.0, 1.0, -1.0, -1.0], [2.0, -1.0, -1.0, -1.0]],
], np.float32)[..., None]
ADA_OPTIONS = dict(interval=2, speed_images=64, initial_p=0.5)


def _mirrored_runs(out):
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    with strategy.scope():
        ada = ADA(**ADA_OPTIONS)
        holder = _holder(ada)
    step = tf.function(lambda scores: strategy.run(ada.update, args=(scores,)))
    local_p = tf.function(lambda: strategy.run(lambda: tf.identity(ada.p)))
    one = ADA(**ADA_OPTIONS)
    for call, scores in enumerate(REPLICA_SCORES):
        per_replica = strategy.experimental_distribute_values_from_function(
            lambda context, scores=scores: tf.constant(scores[context.replica_id_in_sync_group]))
        results[f"mirrored/rt/{call}"] = np.array(strategy.experimental_local_results(
            step(per_replica)))
        results[f"mirrored/p/{call}"] = np.array(strategy.experimental_local_results(local_p()))
        results[f"one/rt/{call}"] = one.update(tf.constant(scores.reshape(-1, 1))).numpy()
        results[f"one/p/{call}"] = one.p.numpy()

    # augmenting in the replica step: each replica with its own seed, the same p
    images = _images((2, 8, 8, 3))
    seed = _seed(5, 6)

    def augment():
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        return ada(images, tf.random.experimental.stateless_fold_in(seed, replica))

    augmented = strategy.experimental_local_results(tf.function(lambda: strategy.run(augment))())
    one.p.assign(ada.p)  # equal already; kept explicit for the comparison's sake
    for replica, images_of_replica in enumerate(augmented):
        results[f"mirrored/augmented/{replica}"] = images_of_replica.numpy()
        results[f"one/augmented/{replica}"] = one(
            images, tf.random.experimental.stateless_fold_in(seed, replica)).numpy()

    # saved from the distributed model, restored on one device
    path = Path(out).with_suffix(".weights.h5")
    holder.save_weights(path)
    restored = ADA(interval=2, speed_images=64)
    _holder(restored).load_weights(path)
    results["restored/p"] = restored.p.numpy()
    np.savez(out, **results)


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    out = tmp_path_factory.mktemp("augment") / "runs.npz"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, __file__, "mirrored", str(out)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(np.load(out))


def test_two_replicas_adjust_p_as_one_device_does(mirrored):
    calls = len(REPLICA_SCORES)
    ps = [mirrored[f"one/p/{call}"] for call in range(calls)]
    assert ps[1] > 0.5 and ps[3] < ps[1]  # the run goes up, then down
    for call in range(calls):
        rt = mirrored[f"mirrored/rt/{call}"]
        assert rt.shape == (2,) and rt[0] == rt[1]
        np.testing.assert_allclose(rt[0], mirrored[f"one/rt/{call}"], rtol=1e-6)
        p = mirrored[f"mirrored/p/{call}"]
        assert p.shape == (2,) and p[0] == p[1]  # every replica holds the same p
        np.testing.assert_allclose(p[0], mirrored[f"one/p/{call}"], rtol=1e-6)


def test_replicas_augment_with_their_own_seeds_and_the_shared_p(mirrored):
    first, second = mirrored["mirrored/augmented/0"], mirrored["mirrored/augmented/1"]
    assert not np.allclose(first, second)
    for replica in range(2):
        np.testing.assert_allclose(mirrored[f"mirrored/augmented/{replica}"],
                                   mirrored[f"one/augmented/{replica}"], atol=1e-6)


def test_p_saved_by_a_distributed_model_restores_on_one_device(mirrored):
    np.testing.assert_allclose(mirrored["restored/p"], mirrored[f"one/p/{len(REPLICA_SCORES) - 1}"],
                               rtol=1e-6)


if __name__ == "__main__":
    if sys.argv[1:2] != ["mirrored"] or len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} mirrored OUT.npz")
    _mirrored_runs(sys.argv[2])
