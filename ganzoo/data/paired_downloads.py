"""The pix2pix authors' paired datasets by name, downloaded once and read as folders.

`load_paired("facades")` downloads the archive the pix2pix authors publish (the one
the TensorFlow pix2pix tutorial and pytorch-CycleGAN-and-pix2pix's
`datasets/download_pix2pix_dataset.sh` fetch) with `keras.utils.get_file` into the
Keras cache, `~/.keras/datasets/` (`$KERAS_HOME`, or `data_dir`, instead of
`~/.keras`), unpacks it beside the archive and reads the folder inside as any
pix2pix-layout folder: `train/`, `val/` (and `test/`) of side-by-side A|B jpgs, A the
left half. Later calls find the archive there and download nothing.

- "facades" (CMP Facades): 400 train, 100 val and 106 test jpgs of 512x256, the photo
  on the left (A) and its label map on the right (B), as the tutorial splits them
  (`real_image` left, `input_image` right). The paper's task, labels -> photo, is
  `direction="b2a"`.
- "maps", "edges2shoes": archives of the same layout from the same place (which
  splits they hold and which side is which: the authors' README).

Cityscapes is not among them: its licence keeps the authors from serving it (use the
TFDS "cityscapes" source).

Offline, put the archive where `archive_path` says by hand (it is unpacked there), or
unpack it anywhere and pass that folder as the source.
"""

import os
from pathlib import Path

from ganzoo.errors import DataError

# name -> the authors' archive (datasets/download_pix2pix_dataset.sh)
DOWNLOADS = {name: f"http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
             for name in ("facades", "maps", "edges2shoes")}
# Keras' folder for datasets in its cache
CACHE_SUBDIR = "datasets"


def cache_folder(data_dir=None):
    """The folder the archives go to: `data_dir/datasets`, by default Keras' cache's
    (`$KERAS_HOME/datasets`, else `~/.keras/datasets`)."""
    root = data_dir or os.environ.get("KERAS_HOME") or "~/.keras"
    return Path(root).expanduser() / CACHE_SUBDIR


def archive_path(name, data_dir=None):
    """Where the archive of `name` is kept (and unpacked beside)."""
    return cache_folder(data_dir) / f"{name}.tar.gz"


def download(name, data_dir=None):
    """The unpacked pix2pix-layout folder of dataset `name`, downloaded on first use.

    Raises DataError (one line, naming the URL and what to do offline) when the archive
    cannot be downloaded or does not unpack into a folder with `train/`.
    """
    import keras  # ganzoo.data needs Keras for this alone

    url = DOWNLOADS[name]
    archive = archive_path(name, data_dir)
    by_hand = (f"download it by hand and put it at {archive} (it is unpacked there), or "
               "unpack it anywhere and pass that folder as the source")
    # get_file silently falls back to /tmp/.keras for a folder that does not exist yet
    archive.parent.parent.mkdir(parents=True, exist_ok=True)
    try:
        unpacked = Path(keras.utils.get_file(fname=archive.name, origin=url, extract=True,
                                             cache_subdir=CACHE_SUBDIR,
                                             cache_dir=str(archive.parent.parent)))
    except Exception as error:  # noqa: BLE001 -- urllib and tarfile raise many kinds; say which URL
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise DataError(f"could not download the pix2pix dataset {name!r} from {url} "
                        f"({reason}); {by_hand}") from None
    # Keras unpacks into "<name>_extracted/", and the archive holds "<name>/"; get_file
    # only warns when the file is no archive, and removes a folder it failed to fill
    for folder in (unpacked / name, unpacked):
        if (folder / "train").is_dir():
            return folder
    raise DataError(f"the download of the pix2pix dataset {name!r} from {url} did not unpack "
                    f"into a folder with train/ (at {unpacked}); delete {archive} and try "
                    f"again, or {by_hand}")
