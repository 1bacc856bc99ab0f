"""Bad input: one clear error each, naming the problem and what to do, and no checkpoint lost.

One test (or a few) per row of the README's Troubleshooting table, in its order.
"""

import errno
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml
from PIL import Image

import ganzoo
from ganzoo import cli, data, errors, runs
from ganzoo.training import trainer as training
from ganzoo.training.checkpoints import CheckpointStore
from ganzoo.gans.input_checks import check_real_batch
from helpers import Crash, tiny_config

IMAGES = (8, 8, 1)


def small_gan():
    gan = ganzoo.DCGAN(image_shape=IMAGES, latent_dim=8, base_filters=8, seed=0)
    gan.compile()
    return gan


def fit(gan, images):
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8, drop_remainder=True)
    gan.fit(dataset, epochs=1, verbose=0)


def write_pngs(folder, count, size=8):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        pixels = rng.integers(0, 256, (size, size), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")


def write_config(path, **changes):
    config = tiny_config(epochs=1)
    for section, values in changes.items():
        config[section].update(values)
    path.write_text(yaml.safe_dump(config))
    return path


# -- images of the wrong shape or channel count -------------------------------------

def test_wrong_channel_count_is_named_with_the_fix():
    with pytest.raises(ValueError, match=r"shape \(8, 8, 3\).*makes and judges \(8, 8, 1\)\. "
                                         r"The channel count differs \(3 vs 1\): load the data "
                                         r"with channels=1"):
        check_real_batch(tf.zeros((4, 8, 8, 3)), IMAGES)


def test_wrong_image_size_fails_through_fit():
    with pytest.raises(ValueError, match=r"shape \(16, 16, 1\).*image_size=8 and channels=1"):
        fit(small_gan(), np.zeros((16, 16, 16, 1), "float32"))


def test_training_data_that_does_not_fit_the_entry_is_refused_before_training(tmp_path,
                                                                            monkeypatch):
    make = training.make_dataset
    monkeypatch.setattr(training, "make_dataset", lambda config, seed: make(config, seed).map(
        lambda images: tf.concat([images] * 3, axis=-1)))
    with pytest.raises(errors.DataError, match=r"tiny-vanilla: the training data does not fit "
                                               r"the model: got samples of shape \(8, 8, 3\)"):
        training.train(tiny_config(), tmp_path, verbose=0)
    assert not any(tmp_path.iterdir())  # refused before the run folder was touched


# -- uint8 / 0..255 / 0..1 images where [-1, 1] is expected --------------------------

def test_uint8_images_are_named_with_the_scaling():
    with pytest.raises(ValueError, match=r"got uint8 samples.*images / 127\.5 - 1"):
        check_real_batch(tf.zeros((4, *IMAGES), tf.uint8), IMAGES)


def test_uint8_images_fail_through_fit():
    with pytest.raises(ValueError, match="got uint8 samples"):
        fit(small_gan(), np.zeros((16, *IMAGES), "uint8"))


def test_0_to_255_floats_fail_at_the_first_step():
    pixels = np.random.default_rng(0).integers(0, 256, (16, *IMAGES)).astype("float32")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"looks like 0\.\.255 pixel data. "
                                                             r"Scale it with images / 127\.5 - 1"):
        fit(small_gan(), pixels)


def test_0_to_1_floats_fail_at_the_first_step():
    unit = np.random.default_rng(0).uniform(0, 1, (16, *IMAGES)).astype("float32")
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"looks like 0\.\.1 data. Scale it "
                                                             r"with images \* 2 - 1"):
        fit(small_gan(), unit)


def test_images_in_range_pass_and_points_are_not_range_checked():
    gan = small_gan()
    fit(gan, np.random.default_rng(0).uniform(-1, 1, (16, *IMAGES)).astype("float32"))
    assert int(gan.g_optimizer.iterations) == 2
    points = tf.constant([[3.0, -4.0]])
    assert check_real_batch(points, (2,)) is points


# -- an empty dataset ---------------------------------------------------------------

def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no images .* found in folder"):
        data.load(tmp_path, image_size=8)


def test_an_empty_dataset_of_unknown_size_is_refused_before_fit(tmp_path, monkeypatch):
    make = training.make_dataset
    monkeypatch.setattr(training, "make_dataset",
                        lambda config, seed: make(config, seed).filter(lambda x: False))
    with pytest.raises(errors.DataError, match="training data is empty: it yields no batch"):
        training.train(tiny_config(), tmp_path, verbose=0)


# -- a folder with corrupt or non-image files ---------------------------------------

@pytest.fixture
def folder_with_bad_files(tmp_path):
    folder = tmp_path / "images"
    write_pngs(folder, 6)
    (folder / "notes.png").write_text("not an image")
    good = (folder / "0.png").read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    return folder


def test_corrupt_files_stop_loading_naming_them(folder_with_bad_files):
    with pytest.raises(ValueError, match=r"found 2 of 8 files .* that cannot be decoded as "
                                         r"images \(corrupt, truncated or not an image\): "
                                         r"notes\.png, truncated\.png; fix or remove them, or "
                                         r"pass bad_files='skip'"):
        data.load(folder_with_bad_files, image_size=8, batch_size=2)


def test_corrupt_files_are_skipped_with_their_count_and_names(folder_with_bad_files):
    with pytest.warns(UserWarning, match=r"Skipping 2 of 8 files .* that cannot be decoded as "
                                         r"images .*: notes\.png, truncated\.png\."):
        dataset = data.load(folder_with_bad_files, image_size=8, batch_size=2, bad_files="skip")
    assert int(dataset.cardinality()) == 3
    assert sum(batch.shape[0] for batch in dataset) == 6


def test_bad_files_is_checked(folder_with_bad_files):
    with pytest.raises(ValueError, match="bad_files must be one of"):
        data.load(folder_with_bad_files, image_size=8, bad_files="ignore")
    with pytest.raises(ValueError, match="bad_files applies to folders of images only"):
        data.load("digits", bad_files="skip")


# -- a dataset smaller than one batch -----------------------------------------------

def test_a_dataset_smaller_than_one_batch_is_refused_on_the_command_line(tmp_path, capsys):
    write_pngs(tmp_path / "few", 5)
    config = write_config(tmp_path / "few.yaml", data={"source": str(tmp_path / "few")})
    assert cli.main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    assert "has 5 images, fewer than one batch of 32; use a smaller batch_size" in (
        capsys.readouterr().err)


# -- an unknown entry name ----------------------------------------------------------

def test_an_unknown_entry_gets_suggestions(capsys):
    assert cli.main(["train", "vanila-digits"]) == 2
    assert "Unknown zoo entry 'vanila-digits'. Did you mean vanilla-digits" in (
        capsys.readouterr().err)


def test_a_config_file_with_an_unknown_key_names_it(tmp_path, capsys):
    config = write_config(tmp_path / "typo.yaml", training={"epoch": 3})
    assert cli.main(["train", "--config", str(config)]) == 2
    assert "training: unknown key 'epoch'" in capsys.readouterr().err


# -- an unreadable or foreign run folder --------------------------------------------

def test_a_foreign_folder_is_not_a_run(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert cli.main(["sample", str(tmp_path)]) == 2
    assert "is not a ganzoo run folder" in capsys.readouterr().err
    with pytest.raises(FileExistsError, match="holds no ganzoo checkpoint to resume from"):
        training.train(tiny_config(), tmp_path, verbose=0)
    assert (tmp_path / "notes.txt").read_text() == "hello"


def test_a_damaged_or_foreign_gan_json_is_explained(tmp_path):
    runs.save_run(small_gan(), tmp_path)
    (tmp_path / "gan.json").write_text("{not json")
    with pytest.raises(errors.RunFolderError, match=r"Cannot read .*gan\.json: JSONDecodeError"):
        runs.load_run(tmp_path)
    (tmp_path / "gan.json").write_text(json.dumps({"class_name": "Mystery", "config": {}}))
    with pytest.raises(errors.RunFolderError, match=r"Cannot rebuild the model in .*gan\.json"):
        runs.load_run(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_run_folder_is_explained(tmp_path):
    runs.save_run(small_gan(), tmp_path)
    (tmp_path / "gan.weights.h5").chmod(0)
    with pytest.raises(errors.RunFolderError, match="Cannot read .*Permission denied"):
        runs.load_run(tmp_path)


def test_unreadable_checkpoints_are_not_resumed_silently(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10,
                       callbacks=[Crash(20)])
    for state in (tmp_path / "checkpoints").glob("step-*/state.json"):
        state.write_text("garbage")
    with pytest.warns(UserWarning, match="unreadable or not a ganzoo checkpoint"):
        with pytest.raises(errors.RunFolderError, match="None of the checkpoints .* is usable"):
            training.train(tiny_config(), tmp_path, verbose=0)


# -- a truncated or tampered weights file -------------------------------------------

@pytest.mark.parametrize("damage", ["truncate", "tamper"])
def test_a_damaged_weights_file_is_refused(tmp_path, damage):
    runs.save_run(small_gan(), tmp_path)
    weights = tmp_path / "gan.weights.h5"
    content = bytearray(weights.read_bytes())
    if damage == "truncate":
        content = content[: len(content) // 2]
    else:
        content[len(content) // 2] ^= 0xFF
    weights.write_bytes(bytes(content))
    with pytest.raises(errors.RunFolderError, match=r"gan\.weights\.h5 does not match the checksum "
                                                    r"recorded in metadata\.json.*truncated, "
                                                    r"damaged or modified"):
        runs.load_run(tmp_path)


def test_a_tampered_checkpoint_is_set_aside_for_the_previous_one(tmp_path):
    gan = small_gan()
    store = CheckpointStore(tmp_path)
    older = store.save(gan)
    gan.g_optimizer.iterations.assign(7)
    newer = store.save(gan)
    with open(newer.path / "gan.weights.h5", "r+b") as stream:
        stream.truncate(100)
    with pytest.warns(UserWarning, match=r"step-000000007: gan\.weights\.h5 does not match the "
                                         r"checksum .* Falling back to an older checkpoint"):
        assert store.latest().path == older.path
    assert (tmp_path / "broken-step-000000007").is_dir()  # kept for inspection, never used


# -- a .keras file with a Lambda layer from an untrusted source ---------------------

@pytest.fixture
def lambda_generator_file(tmp_path):
    z = keras.Input((8,))
    images = keras.layers.Lambda(lambda x: keras.ops.reshape(keras.ops.tanh(x), (-1, 2, 2, 2)),
                                 output_shape=(2, 2, 2))(z)
    path = tmp_path / "generator.keras"
    keras.Model(z, images).save(path)
    return path


def test_a_lambda_layer_is_refused_unless_the_user_opts_out(lambda_generator_file):
    with pytest.raises(errors.RunFolderError, match=r"contains a Lambda layer, i\.e\. Python code "
                                                    r"that would run on loading.*safe_mode=False "
                                                    r"\(command line: --unsafe\)"):
        runs.load_generator(lambda_generator_file)
    generator = runs.load_generator(lambda_generator_file, safe_mode=False)
    assert generator.output_shape == (None, 2, 2, 2)


def test_a_run_with_a_lambda_layer_needs_unsafe_on_the_command_line(tmp_path, capsys):
    z = keras.Input((4,))
    generator = keras.Model(z, keras.layers.Lambda(lambda x: x * 2.0)(keras.layers.Dense(2)(z)))
    gan = ganzoo.VanillaGAN(data_shape=(2,), generator=generator, hidden_units=(4,))
    gan.compile()
    runs.save_run(gan, tmp_path / "run")
    out = tmp_path / "points.png"
    assert cli.main(["sample", str(tmp_path / "run"), "--out", str(out)]) == 2
    assert "--unsafe" in capsys.readouterr().err and not out.exists()
    assert cli.main(["sample", str(tmp_path / "run"), "--out", str(out), "--unsafe"]) == 0
    assert out.is_file()


# -- a full disk or a read-only run folder ------------------------------------------

def failing_save_weights(monkeypatch, code):
    """Model.save_weights writes half a file, then the disk refuses."""
    def save_weights(self, path, *args, **kwargs):
        with open(path, "wb") as stream:
            stream.write(b"\x89HDF partial")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(keras.Model, "save_weights", save_weights)


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    gan = small_gan()
    store = CheckpointStore(tmp_path)
    previous = store.save(gan)
    before = {p.name: p.read_bytes() for p in previous.path.iterdir()}
    gan.g_optimizer.iterations.assign(5)
    failing_save_weights(monkeypatch, errno.ENOSPC)
    with pytest.raises(errors.StorageError, match=r"Cannot write checkpoint step 5 to .*: No space "
                                                  r"left on device \(ENOSPC\)\. Free some disk "
                                                  r"space, or choose a --run-dir on another disk"):
        store.save(gan)
    assert {p.name: p.read_bytes() for p in previous.path.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-000000000"]  # no leftovers
    assert store.latest().path == previous.path


def test_a_full_disk_during_training_stops_it_and_the_run_resumes(tmp_path, monkeypatch):
    with pytest.raises(KeyboardInterrupt):
        training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10,
                       callbacks=[Crash(20)])
    before = {p: p.read_bytes() for p in (tmp_path / "checkpoints").rglob("*") if p.is_file()}
    with monkeypatch.context() as patch:
        failing_save_weights(patch, errno.ENOSPC)
        with pytest.raises(errors.StorageError, match="No space left on device"):
            training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10)
    assert {p: p.read_bytes() for p in before} == before
    gan = training.train(tiny_config(), tmp_path, verbose=0, checkpoint_every=10)
    assert int(gan.g_optimizer.iterations) == 3 * 44


def test_a_full_disk_never_replaces_the_saved_run(tmp_path, monkeypatch):
    runs.save_run(small_gan(), tmp_path)
    before = (tmp_path / "gan.weights.h5").read_bytes()
    failing_save_weights(monkeypatch, errno.ENOSPC)
    with pytest.raises(errors.StorageError, match="No space left on device"):
        runs.save_run(small_gan(), tmp_path)
    assert (tmp_path / "gan.weights.h5").read_bytes() == before
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_read_only_file_system_is_named_before_training(tmp_path, monkeypatch, capsys):
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        training.train(tiny_config(), run_dir, verbose=0, checkpoint_every=10,
                       callbacks=[Crash(20)])
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    write_bytes = type(run_dir).write_bytes

    def read_only(path, content):
        if path.parent == run_dir:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return write_bytes(path, content)

    monkeypatch.setattr(type(run_dir), "write_bytes", read_only)
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config()))
    assert cli.main(["train", "--config", str(config), "--run-dir", str(run_dir)]) == 2
    assert (f"Cannot write the run folder {run_dir}: Read-only file system (EROFS). The file "
            "system is mounted read-only: choose a writable --run-dir." in capsys.readouterr().err)
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_run_folder_is_named_before_training(tmp_path):
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(errors.StorageError, match=r"Permission denied \(EACCES\)\. Make the "
                                                      r"folder writable"):
            training.train(tiny_config(), tmp_path / "run", verbose=0)
    finally:
        tmp_path.chmod(0o755)


def test_storage_errors_are_one_line_on_the_command_line(tmp_path, monkeypatch, capsys):
    failing_save_weights(monkeypatch, errno.EACCES)
    config = write_config(tmp_path / "tiny.yaml")
    assert cli.main(["train", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert "Permission denied (EACCES). Make the folder writable for you (chmod u+w)" in error


def test_cyclegan_checks_both_domains():
    cyc = ganzoo.CycleGAN(image_shape=IMAGES, base_filters=2, residual_blocks=0)
    # eager: the checks are the same ops, without tracing the step twice (~30 s)
    cyc.compile(run_eagerly=True)
    good = np.random.default_rng(0).uniform(-1, 1, (4, *IMAGES)).astype("float32")
    pairs = lambda a, b: tf.data.Dataset.from_tensor_slices((a, b)).batch(2)  # noqa: E731
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"looks like 0\.\.255 pixel data"):
        cyc.fit(pairs(good, good * 127.5 + 127.5), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="got uint8 samples"):
        cyc.fit(pairs(good.astype("uint8"), good), epochs=1, verbose=0)
