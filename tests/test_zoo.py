"""Zoo entries: every YAML validates and builds; bad configs name the bad key."""

import pytest

import ganzoo
from ganzoo import zoo

ENTRIES = zoo.list_entries()


def test_the_foundation_entries_are_registered():
    assert {"dcgan-digits", "vanilla-digits"} <= set(ENTRIES)


@pytest.mark.parametrize("name", ENTRIES)
def test_every_entry_builds_a_gan_for_its_data(name):
    entry = zoo.get_entry(name)
    gan = zoo.load(name, pretrained=False)
    if "image_size" in entry["data"]:
        size = entry["data"]["image_size"]
        assert gan.data_shape[:2] == (size, size)
    else:  # 2D points
        assert gan.data_shape == (2,)
    batch = next(iter(zoo.load_dataset(entry, seed=0)))
    if isinstance(gan, ganzoo.CycleGAN):  # unpaired (A, B) batches
        assert [domain.shape[1:] for domain in batch] == [gan.data_shape] * 2
        assert gan.translate(batch[0].numpy()).shape == batch[0].shape
    else:
        assert batch.shape[1:] == gan.data_shape
        assert gan.generate(2, seed=0).shape == (2, *gan.data_shape)


def _valid_entry():
    return zoo.get_entry("dcgan-digits")


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c.update(colour="red"), "unknown key 'colour'"),
    (lambda c: c["data"].update(imagesize=32), "data: unknown key 'imagesize'"),
    (lambda c: c["data"].update(batch_size="64"), "'batch_size' must be int"),
    (lambda c: c.pop("variant"), "missing required key 'variant'"),
    (lambda c: c["training"].pop("seed"), "training: missing required key 'seed'"),
    (lambda c: c.update(variant="StyleGAN9"), "Unknown GAN variant 'StyleGAN9'"),
    (lambda c: c["training"].update(lr_schedule="cosine"), "lr_schedule must be one of"),
    (lambda c: c["training"].update(learning_rate="1e-3"), "'learning_rate' must be float"),
    (lambda c: c["training"].update(lr_hold_epochs=5), "lr_hold_epochs applies to lr_schedule"),
])
def test_bad_configs_are_rejected_naming_the_key(mutate, message):
    config = _valid_entry()
    mutate(config)
    with pytest.raises(ValueError, match=message):
        zoo.validate(config, source="bad.yaml")


def test_a_variant_argument_the_variant_does_not_take_is_an_error():
    config = _valid_entry()
    config["model"]["filters"] = 8
    with pytest.raises(ValueError, match="model argument .filters. is not an argument of DCGAN"):
        zoo.build_gan(config)


def test_cyclegan_entries_take_cyclegan_arguments_only():
    config = zoo.get_entry("cyclegan-digits")
    assert isinstance(zoo.build_gan(config), ganzoo.CycleGAN)
    config["model"]["latent_dim"] = 8
    with pytest.raises(ValueError, match="model argument .latent_dim. is not an argument of CycleGAN"):
        zoo.build_gan(config)
