"""The pix2pix datasets by name ("facades", ...), offline: `keras.utils.get_file` is
replaced by a made-up unpacked archive, or fed a local tar.gz through a file:// URL; the
pairs, the sides, the splits and a failed download's error."""

import tarfile

import keras
import numpy as np
import pytest

import ganzoo.data as gd
from ganzoo.data import paired_downloads
from ganzoo.errors import DataError
from helpers import PIX2PIX_SPLITS, mock_pix2pix_download, pix2pix_folder, pix2pix_level

# a level of JPEG rounding, in [-1, 1] units
TOLERANCE = 3 / 127.5


def scaled(levels):
    return np.asarray(levels, np.float32) / 127.5 - 1


@pytest.fixture
def calls(monkeypatch, tmp_path):
    return mock_pix2pix_download(monkeypatch, tmp_path / "keras")


def test_facades_are_fetched_from_the_authors_archive_into_the_keras_cache(calls, tmp_path):
    images_a, images_b = gd.load_paired_arrays("facades")
    call = calls[0]
    assert call["origin"] == "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"
    assert call["extract"] is True and call["fname"] == "facades.tar.gz"
    assert (call["cache_dir"], call["cache_subdir"]) == (str(tmp_path / "keras"), "datasets")
    # the train split, in file order: A the left halves, B their inverse, at the native 16 px
    assert images_a.shape == images_b.shape == (8, 16, 16, 3)
    np.testing.assert_allclose(images_a[:, 0, 0, 0], scaled([pix2pix_level("train", i)
                                                             for i in range(8)]), atol=TOLERANCE)
    np.testing.assert_allclose(images_a, -images_b, atol=TOLERANCE)


@pytest.mark.parametrize("split", PIX2PIX_SPLITS)
def test_each_split_is_its_subfolder_and_b2a_gives_labels_to_photos(calls, split):
    photos = scaled([pix2pix_level(split, i) for i in range(8)])
    labels, images = gd.load_paired_arrays("facades", 8, split=split, direction="b2a")
    assert labels.shape == images.shape == (8, 8, 8, 3)
    np.testing.assert_allclose(images[:, 4, 4, 1], photos, atol=TOLERANCE)   # the left halves
    np.testing.assert_allclose(labels[:, 4, 4, 1], -photos, atol=TOLERANCE)  # the right ones
    # streamed, shuffled and jittered, the pairs stay pairs and the sides stay swapped
    for labels, images in gd.load_paired("facades", 16, batch_size=4, split=split, seed=0,
                                         direction="b2a", jitter=True).take(2):
        np.testing.assert_allclose(labels, -images, atol=TOLERANCE)
        assert np.all(np.abs(images.numpy()[:, 8, 8, 0][:, None] - photos).min(axis=1)
                      < TOLERANCE)


def test_data_dir_is_the_cache_and_a_name_is_not_a_folder(calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "facades").mkdir()  # an unrelated folder of that name: the name still downloads
    gd.load_paired("facades", data_dir=tmp_path / "mine")
    assert calls[0]["cache_dir"] == str(tmp_path / "mine")
    assert (tmp_path / "mine" / "datasets" / "facades_extracted" / "facades" / "train").is_dir()
    assert gd.resolve_source("facades", tmp_path) == "facades"
    with pytest.raises(ValueError, match="'facades' is a paired source.*load_paired"):
        gd.load("facades")
    with pytest.raises(ValueError) as error:  # a typo: the help lists the names
        gd.load_paired("facade")
    assert ("downloaded by name ('facades', 'maps', 'edges2shoes'), or a TFDS dataset with two "
            "image features ('cityscapes', 'scene_parse150'") in str(error.value)


def test_a_failed_download_says_where_from_and_how_to_do_it_by_hand(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def unreachable(**kwargs):
        raise Exception(f"URL fetch failure on {kwargs['origin']}: None -- [Errno -3] "
                        "Temporary failure in name resolution\n(second line)")

    monkeypatch.setattr(keras.utils, "get_file", unreachable)
    with pytest.raises(DataError) as error:
        gd.load_paired("facades")
    message = str(error.value)
    assert "\n" not in message
    assert "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz" in message
    assert "name resolution" in message
    assert f"put it at {tmp_path / 'datasets' / 'facades.tar.gz'}" in message
    assert "pass that folder as the source" in message


def _tar_gz(folder, path):
    with tarfile.open(path, "w:gz") as archive:
        archive.add(folder, arcname=folder.name)
    return path


def test_the_real_get_file_downloads_once_and_never_reads_a_partial_folder(monkeypatch,
                                                                          tmp_path):
    archive = _tar_gz(pix2pix_folder(tmp_path / "made" / "facades"), tmp_path / "facades.tar.gz")
    monkeypatch.setitem(paired_downloads.DOWNLOADS, "facades", archive.as_uri())
    cache = tmp_path / "cache"
    first = gd.load_paired_arrays("facades", split="val", data_dir=cache)
    assert (cache / "datasets" / "facades.tar.gz").is_file()
    # a half-unpacked folder from an earlier run: unpacked again from the cached archive,
    # with the source gone (nothing downloads a second time)
    archive.unlink()
    unpacked = cache / "datasets" / "facades_extracted" / "facades"
    for file in list((unpacked / "val").iterdir())[1:]:
        file.unlink()
    again = gd.load_paired_arrays("facades", split="val", data_dir=cache)
    np.testing.assert_array_equal(first[0], again[0])
    assert len(again[0]) == 8


def test_a_file_that_is_no_archive_is_an_error_not_data(monkeypatch, tmp_path):
    page = tmp_path / "facades.html"
    page.write_text("<html>Service unavailable</html>")
    monkeypatch.setitem(paired_downloads.DOWNLOADS, "facades", page.as_uri())
    with pytest.warns(UserWarning), pytest.raises(DataError, match=r"did not unpack into a "
                                                                   r"folder with train/"):
        gd.load_paired("facades", data_dir=tmp_path / "cache")
    missing = tmp_path / "nowhere.tar.gz"
    monkeypatch.setitem(paired_downloads.DOWNLOADS, "facades", missing.as_uri())
    with pytest.raises(DataError, match=f"could not download .* from {missing.as_uri()}"):
        gd.load_paired("facades", data_dir=tmp_path / "other")
