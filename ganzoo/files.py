"""Crash-safe writes into run folders, and disk errors that say what to do.

A file or folder is written under a temporary name next to its destination, flushed
to disk, then renamed into place (`os.replace`, atomic on POSIX): a crash or a full
disk mid-write leaves either the old version or the new one, never a broken file.

Example:
    >>> with atomic_path(run_dir / "gan.weights.h5", "the weights") as tmp:
    ...     gan.save_weights(tmp)
"""

import contextlib
import errno
import hashlib
import os
import re
import shutil
from pathlib import Path

from ganzoo.errors import RunFolderError, StorageError

TEMP_PREFIX = ".tmp-"

_ADVICE = {
    errno.ENOSPC: "free some disk space, or choose a --run-dir on another disk",
    errno.EDQUOT: "free some of your disk quota, or choose a --run-dir on another disk",
    errno.EROFS: "the file system is mounted read-only: choose a writable --run-dir",
    errno.EACCES: "make the folder writable for you (chmod u+w) or choose another --run-dir",
    errno.EPERM: "make the folder writable for you (chmod u+w) or choose another --run-dir",
}


def error_number(error):
    """The errno of an OSError; h5py puts it only in the message ("errno = 28")."""
    if error.errno:
        return error.errno
    found = re.search(r"errno\s*=\s*(\d+)", str(error))
    return int(found.group(1)) if found else None


@contextlib.contextmanager
def storage_errors(what):
    """Turn an OSError raised while writing `what` into a one-line `StorageError`.

    Args:
        what: what was being written, for the message (e.g. "checkpoint step 200").
    """
    try:
        yield
    except StorageError:
        raise
    except OSError as error:
        code = error_number(error)
        reason = f"{os.strerror(code)} ({errno.errorcode.get(code, code)})" if code else str(error)
        advice = _ADVICE.get(code, "check that the folder is writable and the disk has space")
        raise StorageError(f"Cannot write {what}: {reason}. {advice[0].upper()}{advice[1:]}."
                           ) from error


def temporary_sibling(path):
    # Same folder (so the rename stays on one file system), same suffix (Keras checks
    # ".weights.h5" and ".keras"), a prefix that marks leftovers of a crash.
    path = Path(path)
    return path.with_name(f"{TEMP_PREFIX}{os.getpid()}-{path.name}")


@contextlib.contextmanager
def atomic_path(path, what):
    """Yield a temporary file path; on success it replaces `path` in one rename.

    On any error the temporary file is removed and `path` is untouched.

    Args:
        path: the destination file.
        what: what is written, for error messages.
    """
    path, tmp = Path(path), temporary_sibling(path)
    try:
        with storage_errors(what):
            yield tmp
            _publish(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path, what):
    """Yield a temporary folder; on success it is renamed to `path` (which must not exist).

    On any error the temporary folder is removed and nothing appears at `path`.

    Args:
        path: the destination folder.
        what: what is written, for error messages.
    """
    path, tmp = Path(path), temporary_sibling(path)
    try:
        with storage_errors(what):
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            yield tmp
            for child in tmp.iterdir():
                _fsync(child)
            _publish(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(tmp, path):
    # Synced before and after the rename, so a power cut leaves the old or the new, whole.
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)


def write_text(path, text, what):
    """Write a small text file atomically."""
    with atomic_path(path, what) as tmp:
        tmp.write_text(text)


def remove_leftovers(folder):
    """Delete temporary files and folders a killed process left in `folder`."""
    for leftover in Path(folder).glob(f"{TEMP_PREFIX}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def check_writable(folder, what):
    """Create `folder` if needed and prove it takes a file, before any long work starts."""
    folder = Path(folder)
    with storage_errors(what):
        folder.mkdir(parents=True, exist_ok=True)
        probe = temporary_sibling(folder / "write-test")
        probe.write_bytes(b"ok")
        probe.unlink()


@contextlib.contextmanager
def exclusive_lock(path, in_use_message):
    """Hold an exclusive lock on the file `path` (created if missing) for the block.

    The operating system's lock (flock) belongs to the open file: it ends with the
    process, so a crashed or killed holder never leaves it stuck. A second holder
    gets `RunFolderError(in_use_message)` at once, with the holder's process id.
    """
    import fcntl

    with open(path, "a+") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            holder = stream.read().strip() or "unknown"
            raise RunFolderError(f"{in_use_message} (process {holder}).") from None
        stream.seek(0)
        stream.truncate()
        stream.write(str(os.getpid()))
        stream.flush()
        try:
            yield
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)


def sha256_of(path):
    """Hex SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path):
    # Without it, a power cut after the rename can leave an empty file under the new name.
    is_dir = Path(path).is_dir()
    try:
        descriptor = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if is_dir else 0))
    except OSError:
        if is_dir:
            return  # folders cannot be opened (Windows): the file inside is synced already
        raise
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
