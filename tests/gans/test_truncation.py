"""BigGAN's truncation trick for the latent variants: `generate(..., truncation=t)`
resamples every latent entry until |z| <= t, statelessly from the seed."""

import numpy as np
import pytest

import ganzoo
from ganzoo.gans.latents import truncated_normal


def small_dcgan(**kwargs):
    return ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, seed=0, **kwargs)


@pytest.mark.parametrize("threshold", [0.1, 0.5, 2.0])
def test_truncated_latents_stay_within_the_threshold_and_follow_the_seed(threshold):
    gan = small_dcgan()
    latents = gan.prior_latents(200, seed=0, truncation=threshold)
    assert latents.shape == (200, 8) and latents.dtype == np.float32
    assert np.abs(latents).max() <= threshold
    np.testing.assert_array_equal(latents, gan.prior_latents(200, seed=0, truncation=threshold))
    assert not np.allclose(latents, gan.prior_latents(200, seed=1, truncation=threshold))
    # resampled, not clipped: no mass piles up at the threshold
    assert np.mean(np.isclose(np.abs(latents), threshold)) < 0.01


def test_entries_within_the_threshold_are_the_untruncated_draws():
    # the first draw is kept wherever it already lies within the threshold
    plain = np.random.default_rng(4).standard_normal((50, 8)).astype("float32")
    truncated = truncated_normal(np.random.default_rng(4), (50, 8), 1.0)
    inside = np.abs(plain) <= 1.0
    np.testing.assert_array_equal(truncated[inside], plain[inside])
    assert not np.array_equal(truncated[~inside], plain[~inside])


@pytest.mark.parametrize("num_classes", [None, 3])
def test_generate_with_truncation_is_deterministic_and_changes_the_samples(num_classes):
    gan = small_dcgan(num_classes=num_classes)
    truncated = gan.generate(4, seed=0, truncation=0.3)
    np.testing.assert_array_equal(truncated, gan.generate(4, seed=0, truncation=0.3))
    assert not np.allclose(truncated, gan.generate(4, seed=0), atol=1e-6)
    np.testing.assert_allclose(
        truncated, gan.generate(latents=gan.prior_latents(4, seed=0, truncation=0.3)),
        rtol=0, atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(num=2, seed=0, truncation=0.0), "truncation must be a positive threshold"),
    (dict(num=2, seed=0, truncation="high"), "truncation must be a positive threshold"),
    (dict(latents=np.zeros((2, 8)), truncation=0.5), "truncation resamples drawn latents"),
])
def test_bad_truncations_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        small_dcgan().generate(**kwargs)
