"""Zoo entries: every YAML validates, builds and trains a step; shipped weights load
offline and match their sha256; bad configs name the bad key."""

import re

import numpy as np
import pytest

import ganzoo
from ganzoo import zoo
from ganzoo.zoo import pretrained

ENTRIES = zoo.list_entries()
# GAN entries here; the anomaly detectors' have their own tests (tests/anomaly/test_cli_entries.py)
# paper recipes train on TFDS data at full size: tests/test_recipes.py covers them offline
GAN_ENTRIES = [name for name in zoo.list_entries(kind="gan")
               if not zoo.is_recipe(zoo.read_entry(name))]
PRETRAINED = [name for name in GAN_ENTRIES if "pretrained" in zoo.get_entry(name)]


def test_the_issue_entries_are_registered():
    assert {"dcgan-digits", "vanilla-digits", "wgangp-digits", "cyclegan-digits",
            "vanilla-ring8", "wgangp-grid25", "vanilla-grid25"} <= set(ENTRIES)


def test_entries_are_gans_or_detectors_by_their_yaml():
    assert set(ENTRIES) == set(zoo.list_entries(kind="gan")) | set(zoo.list_entries(kind="detector"))
    assert {"ganomaly-digits", "fanogan-digits"} <= set(zoo.list_entries(kind="detector"))
    assert "dcgan-digits" in GAN_ENTRIES and "ganomaly-digits" not in GAN_ENTRIES
    with pytest.raises(ValueError, match="kind must be one of"):
        zoo.list_entries(kind="detectors")


@pytest.mark.parametrize("name", GAN_ENTRIES)
def test_every_entry_builds_a_gan_for_its_data(name):
    entry = zoo.get_entry(name)
    gan = zoo.load(name, pretrained=False)
    batch = next(iter(zoo.load_dataset(entry, seed=0)))
    if gan.kind == ganzoo.gans.UPSCALER:  # (low, high) patches, the data's scale and size
        low, high = batch
        size, scale = entry["data"]["patch_size"], entry["data"]["scale"]
        assert gan.scale == scale and high.shape[1:] == zoo.image_shape_of(entry)
        assert low.shape[1:] == (size // scale, size // scale, gan.channels)
        assert gan.upscale(low.numpy()).shape == high.shape
    elif zoo.image_shape_of(entry) is not None:
        assert gan.data_shape == zoo.image_shape_of(entry)
    else:  # 2D points
        assert gan.data_shape == (2,)
    if isinstance(gan, ganzoo.Pix2Pix):  # aligned (A, B) pairs
        assert [side.shape[1:] for side in batch] == [gan.data_shape, gan.target_shape]
        assert gan.translate(batch[0].numpy()).shape == batch[1].shape
    elif isinstance(gan, ganzoo.CycleGAN):  # unpaired (A, B) batches
        assert [domain.shape[1:] for domain in batch] == [gan.data_shape] * 2
        assert gan.translate(batch[0].numpy()).shape == batch[0].shape
    elif gan.kind == ganzoo.gans.SAMPLER:
        if gan.num_classes is not None:  # (images, labels) of the entry's classes
            batch, labels = batch
            assert labels.dtype == "int32"
            assert 0 <= labels.numpy().min() <= labels.numpy().max() < gan.num_classes
        assert batch.shape[1:] == gan.data_shape
        assert gan.generate(2, seed=0).shape == (2, *gan.data_shape)
    # one training step on the entry's own data moves the generator
    gan.compile()
    before = [np.array(w) for w in gan.generator.trainable_weights]
    gan.fit(zoo.load_dataset(entry, seed=0).take(1), epochs=1, verbose=0)
    assert any(not np.array_equal(b, np.array(a))
               for b, a in zip(before, gan.generator.trainable_weights))


@pytest.mark.parametrize("name", PRETRAINED)
def test_shipped_weights_load_offline_match_their_sha256_and_generate_in_range(name):
    record = zoo.get_entry(name)["pretrained"]
    path = zoo.entries._weights_path(name, record, cache_dir=None)
    assert pretrained.sha256_of(path) == record["sha256"]
    gan = zoo.load(name)
    if isinstance(gan, ganzoo.CycleGAN):
        digits = ganzoo.data.load_arrays("digits", gan.image_shape[0], split="test")[0][:8]
        out = gan.translate(digits)
    elif gan.kind != ganzoo.gans.SAMPLER:  # Pix2Pix, SRResNet, SRGAN: held-out inputs
        inputs = zoo.held_out_examples(zoo.get_entry(name))[0]
        method = "upscale" if gan.kind == ganzoo.gans.UPSCALER else "translate"
        out = getattr(gan, method)(inputs)
        untrained = getattr(zoo.load(name, pretrained=False), method)(inputs)
        assert not np.allclose(out, untrained)  # the weights were applied
    else:
        out = gan.generate(64, seed=0)
        untrained = zoo.load(name, pretrained=False).generate(64, seed=0)
        assert not np.allclose(out, untrained)  # the weights were applied
    assert np.all(np.isfinite(out))
    if out.ndim == 4:
        assert out.min() >= -1.0 and out.max() <= 1.0


def _saved_weights(tmp_path, name="dcgan-digits"):
    gan = zoo.load(name, pretrained=False)
    path = tmp_path / "weights.npz"
    return gan, path, pretrained.save_weights(gan, path)


def test_weights_load_from_a_file_url_with_the_right_sha256_and_are_cached(tmp_path):
    gan, path, sha256 = _saved_weights(tmp_path)
    loaded = zoo.load("dcgan-digits", weights=path.as_uri(), sha256=sha256,
                      cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(loaded.generate(4, seed=1), gan.generate(4, seed=1))
    assert len(list((tmp_path / "cache" / "ganzoo").glob("*.npz"))) == 1
    local = zoo.load("dcgan-digits", weights=path, sha256=sha256)  # a plain path works too
    np.testing.assert_array_equal(local.generate(4, seed=1), gan.generate(4, seed=1))


def test_a_wrong_sha256_is_an_error_that_says_so(tmp_path):
    _, path, sha256 = _saved_weights(tmp_path)
    wrong = "0" * 64
    with pytest.raises(ValueError, match=f"SHA-256 mismatch .* expected {wrong}, got {sha256}"):
        zoo.load("dcgan-digits", weights=path.as_uri(), sha256=wrong, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="need their sha256"):
        zoo.load("dcgan-digits", weights=path.as_uri(), cache_dir=tmp_path)


def test_weights_of_another_architecture_are_refused(tmp_path):
    _, path, sha256 = _saved_weights(tmp_path, "vanilla-digits")
    with pytest.raises(ValueError, match="do not fit generator of this DCGAN"):
        zoo.load("dcgan-digits", weights=path, sha256=sha256)


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
    (lambda c: c["data"].update(image_size=64), "data: 'image_size' is not a data key: an entry "
                                                "states its image size and channels once, in "
                                                "model: image_shape"),
    (lambda c: c["data"].update(channels=3), "data: 'channels' is not a data key"),
    (lambda c: c.update(export={"formats": ["onnx", "coreml"]}), r"export: formats: unknown \['coreml'\]"),
    (lambda c: c.update(pretrained={"file": "w.npz", "sha256": "abc", "metrics": {"fid": 1.0},
                                    "command": "x", "wall_time_s": 1}), "sha256 must be 64"),
    (lambda c: c.update(pretrained={"file": "w.npz", "sha256": "0" * 64}),
     "pretrained: missing required key 'metrics'"),
    (lambda c: c.update(evaluation={"num": "all"}), "evaluation: 'num' must be int"),
    (lambda c: c["evaluation"]["tolerance"].pop("kid"),
     r"evaluation: tolerance: no tolerance for \['kid'\]: every metric in pretrained: metrics"),
    (lambda c: c.pop("evaluation"), r"no tolerance for \['fid', 'kid', 'is'"),
    (lambda c: c["evaluation"]["tolerance"].update(lpips=0.1),
     r"evaluation: tolerance: \['lpips'\] not in pretrained: metrics"),
    (lambda c: c["evaluation"]["tolerance"].update(fid=-1.0), "'fid' must be a number >= 0"),
    (lambda c: c.update(variant="CycleGan"), "variant: Unknown GAN variant 'CycleGan'"),
    (lambda c: c["data"].update(patch_size=64), "data: 'patch_size' does not apply to DCGAN: "
                                                "its data comes from ganzoo.data.load, whose"),
    (lambda c: c["data"].update(jitter="yes"), "'jitter' must be bool"),
    (lambda c: c["training"].update(lr_schedule="step_decay", lr_hold_epochs=30),
     r"lr_hold_epochs \(30\) must be fewer than epochs \(30\)"),
    (lambda c: c["training"].update(epochs=0), "training: epochs must be at least 1; got 0."),
    (lambda c: c["training"].update(lr_schedule="linear_decay", lr_hold_epochs=-1),
     "training: lr_hold_epochs must not be negative; got -1."),
])
def test_bad_configs_are_rejected_naming_the_key(mutate, message):
    config = _valid_entry()
    mutate(config)
    with pytest.raises(ValueError, match=message):
        zoo.validate(config, source="bad.yaml")


@pytest.mark.parametrize("mutate, message", [
    (lambda c: c["model"].update(scale=2), "model: 'scale' is stated in data: (the factor "
                                           "between the low- and high-resolution images), once"),
    (lambda c: c["model"].update(patch_size=96), "model: 'patch_size' is stated in data:"),
    (lambda c: c["data"].pop("patch_size"), "data: missing required key 'patch_size'"),
    (lambda c: c["data"].update(resize="pad"), "data: 'resize' does not apply to SRGAN: its data "
                                               "comes from ganzoo.data.load_patches"),
    (lambda c: c["data"].update(channels=1), "data: 'channels' is not a data key"),
])
def test_an_upscaler_states_its_scale_and_patch_size_once_in_data(mutate, message):
    config = zoo.get_entry("srgan-x4")
    built = zoo.build_gan(config)
    assert (built.scale, built.patch_size) == (config["data"]["scale"],
                                               config["data"]["patch_size"])
    mutate(config)
    with pytest.raises(ValueError, match=re.escape(message)):
        zoo.validate(config, source="bad.yaml")


def test_a_paired_entry_takes_the_loaders_own_keys():
    config = zoo.get_entry("pix2pix-digits-edges")
    config["data"].update(direction="b2a", jitter=True)
    images_b, images_a = next(iter(zoo.load_dataset(zoo.validate(config), seed=0)))
    assert images_a.shape[1:] == (32, 32, 1) and images_b.shape[1:] == (32, 32, 1)
    config["data"]["num_examples"] = 10
    with pytest.raises(ValueError, match="'num_examples' does not apply to Pix2Pix: its data "
                                         "comes from ganzoo.data.load_paired"):
        zoo.validate(config)


def test_held_out_pictures_of_a_paired_folder_skip_its_bad_files_as_training_does(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        for index in range(3):  # side-by-side A|B pairs
            Image.fromarray(rng.integers(0, 255, (8, 16, 3), np.uint8)).save(
                tmp_path / split / f"{index}.png")
        (tmp_path / split / "broken.png").write_text("not an image")
    config = zoo.validate({"name": "pairs", "variant": "Pix2Pix",
                           "model": {"image_shape": [8, 8, 3], "base_filters": 4},
                           "data": {"source": str(tmp_path), "batch_size": 2,
                                    "bad_files": "skip"},
                           "training": {"epochs": 1, "seed": 0}})
    inputs, targets = zoo.held_out_examples(config)
    pairs = ganzoo.data.load_paired_arrays(tmp_path, 8, split="test", bad_files="skip")
    np.testing.assert_array_equal(inputs, pairs[0])  # the test split's 3 good pairs
    np.testing.assert_array_equal(targets, pairs[1])


def test_a_variant_argument_the_variant_does_not_take_is_an_error():
    config = _valid_entry()
    config["model"]["filters"] = 8
    with pytest.raises(ValueError, match="model argument .filters. is not an argument of DCGAN"):
        zoo.build_gan(config)


def test_an_image_size_the_networks_cannot_make_names_the_entry_and_key():
    config = _valid_entry()
    config["model"]["image_shape"] = [30, 30, 1]
    with pytest.raises(ValueError, match="dcgan-digits: model: DCGAN image size must be a multiple of 4"):
        zoo.build_gan(config)


def test_cyclegan_entries_take_cyclegan_arguments_only():
    config = zoo.get_entry("cyclegan-digits")
    assert isinstance(zoo.build_gan(config), ganzoo.CycleGAN)
    config["model"]["latent_dim"] = 8
    with pytest.raises(ValueError, match="model argument .latent_dim. is not an argument of CycleGAN"):
        zoo.build_gan(config)


def test_reproduce_passes_no_metric_without_a_tolerance():
    from scripts.zoo_pretrained import verdict

    assert verdict(7.5, 9.9, 2.5) == "yes"
    assert verdict(7.5, 10.1, 2.5) == "NO"
    assert verdict(7.5, 7.5, None) == "NO (no tolerance)"
    assert verdict(7.5, None, 2.5) == "NO (not measured)"


def test_the_training_seed_travels_as_an_argument_not_through_global_state():
    import keras

    config = zoo.get_entry("vanilla-ring8")
    first = zoo.build_gan(config, seed=3)
    keras.utils.set_random_seed(99)  # whatever the global state, the same GAN
    np.random.seed(7)
    second = zoo.build_gan(config, seed=3)
    other = zoo.build_gan(config, seed=4)
    assert first.seed == second.seed == zoo.noise_seed_of(3) != other.seed
    for a, b, c in zip(first.generator.get_weights(), second.generator.get_weights(),
                       other.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c) or not a.any()  # biases start at zero in both


@pytest.mark.parametrize("name, network", [("dcgan-digits", "discriminator"),
                                           ("cyclegan-digits", "generator_ab")])
def test_network_arguments_cannot_come_from_yaml_and_say_so(name, network):
    config = zoo.get_entry(name)
    config["model"][network] = "a Keras model"
    with pytest.raises(ValueError, match=f"model argument '{network}' is not an argument of "
                                         r"\w+ that a zoo entry can give"):
        zoo.build_gan(config)


# -- the data section: resize, sources relative to the YAML, batch size advice ----------

def _folder_entry(source, batch_size=4, **data):
    return {"name": "tiny-folder", "variant": "DCGAN",
            "model": {"image_shape": [8, 8, 1], "latent_dim": 4, "base_filters": 4},
            "data": {"source": source, "batch_size": batch_size, **data},
            "training": {"epochs": 1, "seed": 0}}


def _write_pngs(folder, count, width=16, height=8):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = np.full((height, width), 40 * i % 256, np.uint8)
        pixels[:, : width // 4] = 255  # a white band on the left: crop and stretch differ
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return folder


def test_resize_is_a_data_key_with_three_values(tmp_path):
    folder = _write_pngs(tmp_path / "wide", 4)
    batches = {}
    for resize in ("crop", "pad", "stretch"):
        config = zoo.validate(_folder_entry(str(folder), resize=resize), source="x.yaml")
        batches[resize] = next(iter(zoo.load_dataset(config, seed=0))).numpy()
    assert not np.array_equal(batches["crop"], batches["stretch"])
    assert not np.array_equal(batches["crop"], batches["pad"])
    with pytest.raises(ValueError, match=r"x.yaml: data: resize must be one of \['crop', 'pad', "
                                         r"'stretch'\].*got 'squash'"):
        zoo.validate(_folder_entry(str(folder), resize="squash"), source="x.yaml")
    with pytest.raises(ValueError, match="'resize' must be str"):
        zoo.validate(_folder_entry(str(folder), resize=True), source="x.yaml")


def test_a_relative_source_is_read_from_the_yaml_folder(tmp_path, monkeypatch):
    images = _write_pngs(tmp_path / "project" / "images", 4, 8, 8)
    configs = tmp_path / "project" / "configs"
    configs.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the current directory has no ../images
    config = zoo.validate(_folder_entry("../images"), source="configs/tiny.yaml", base_dir=configs)
    assert config["data"]["source"] == str(images.resolve())
    assert next(iter(zoo.load_dataset(config, seed=0))).shape == (4, 8, 8, 1)
    # Without base_dir (a dict built in Python), relative stays relative to the cwd.
    assert zoo.validate(_folder_entry("../images"))["data"]["source"] == "../images"


def test_a_missing_relative_source_names_the_resolved_path(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        zoo.validate(_folder_entry("data/faces"), source="cfg/tiny.yaml", base_dir=tmp_path)
    message = str(error.value)
    assert str(tmp_path.resolve() / "data" / "faces") in message
    assert message.startswith("cfg/tiny.yaml: data:") and "does not exist" in message


@pytest.mark.parametrize("source", ["digits", "digits2negative", "ring8", "mnist",
                                    "cycle_gan/horse2zebra"])
def test_named_sources_stay_names(tmp_path, source):
    config = _folder_entry(source)
    if source == "digits2negative":
        config.update(variant="CycleGAN", model={"image_shape": [8, 8, 1]})
    assert zoo.validate(config, base_dir=tmp_path)["data"]["source"] == source


def test_a_batch_larger_than_the_data_gives_advice_the_config_can_follow(tmp_path):
    folder = _write_pngs(tmp_path / "few", 3, 8, 8)
    config = zoo.validate(_folder_entry(str(folder), batch_size=8))
    with pytest.raises(ValueError, match="has 3 images, fewer than one batch of 8") as error:
        zoo.load_dataset(config, seed=0)
    message = str(error.value)
    assert "data: batch_size in the config of tiny-folder, at most 3" in message
    assert "drop_remainder" not in message  # a YAML cannot say it
    # The Python API keeps its own advice.
    with pytest.raises(ValueError, match="drop_remainder=False"):
        ganzoo.data.load(folder, 8, batch_size=8)


def test_a_loaded_progan_entry_is_fully_grown_and_weights_saved_mid_growth_are_refused(
        tmp_path):
    gan = ganzoo.load("progan-digits")
    # the weights file holds the networks (their stage included), not the schedule
    assert (gan.resolution, gan.alpha) == (32, 1.0)
    assert int(gan.growth.images_seen.numpy()) == gan.growth.total_images
    fresh = zoo.load("progan-digits", pretrained=False)  # at 4x4, as training starts
    pretrained.save_weights(fresh, tmp_path / "young.npz")
    with pytest.raises(ValueError, match="saved mid-growth \\(4x4, alpha 1.000\\)"):
        pretrained.load_weights(zoo.load("progan-digits", pretrained=False),
                                tmp_path / "young.npz")


def test_training_can_start_from_another_entrys_trained_generator(tmp_path):
    from ganzoo.training import train

    config = zoo.get_entry("dcgan-digits")
    # one step at a negligible rate: the generator's weights stay where they started
    # (batch norm's moving statistics move a little)
    config["training"].update(generator_from="dcgan-digits", epochs=1, steps_per_epoch=1,
                              learning_rate=1e-12)
    gan = train(config, tmp_path / "run", verbose=0)

    def trainable(network):
        return [weight.numpy() for weight in network.trainable_weights]

    trained = trainable(ganzoo.load("dcgan-digits").inference_generator())
    fresh = trainable(zoo.build_gan(config).generator)
    for started, wanted in zip(trainable(gan.generator), trained, strict=True):
        np.testing.assert_allclose(started, wanted, atol=1e-6)
    assert not all(np.allclose(a, b) for a, b in zip(fresh, trained))

    config["model"]["base_filters"] = config["model"].get("base_filters", 64) // 2
    with pytest.raises(ValueError, match="generator_from 'dcgan-digits': that entry's "
                                         "generator .* is not this entry's"):
        train(config, tmp_path / "smaller", verbose=0)
    config["training"]["generator_from"] = "dcgan-digitz"
    with pytest.raises(ValueError, match="generator_from 'dcgan-digitz': Unknown zoo entry"):
        train(config, tmp_path / "unknown", verbose=0)
    assert not (tmp_path / "smaller").exists() and not (tmp_path / "unknown").exists()


@pytest.mark.parametrize("text, message", [
    ("name: broken\ndescription: a (b): c\n", "broken.yaml is not valid YAML"),
    ("name: other\n", "broken.yaml: name 'other' differs from the file name"),
])
def test_a_shipped_yaml_that_does_not_parse_or_is_misnamed_is_named(tmp_path, monkeypatch,
                                                                    text, message):
    from ganzoo.zoo import catalog

    (tmp_path / "broken.yaml").write_text(text)
    monkeypatch.setattr(catalog.resources, "files", lambda package: tmp_path)
    catalog.entry_files.cache_clear()
    try:
        with pytest.raises(ValueError, match=re.escape(message)):
            catalog.entry_files()
    finally:
        monkeypatch.undo()
        catalog.entry_files.cache_clear()
