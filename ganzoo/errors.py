"""The errors ganzoo raises on purpose: each names the problem and what to do.

The command line prints any `GanzooError` as one line and exits with its
`exit_code`, instead of a TensorFlow or h5py traceback. Errors about bad input also
derive from `ValueError`, so code that already catches `ValueError` keeps working.

This module imports nothing heavy: the command line imports it before TensorFlow.

Example:
    >>> try:
    ...     ganzoo.runs.load_run("downloads/run")
    ... except ganzoo.errors.RunFolderError as error:
    ...     print(error)
"""


class GanzooError(Exception):
    """Base class of ganzoo's deliberate, explained errors."""

    exit_code = 2


class DataError(GanzooError, ValueError):
    """The training data does not fit the model, is empty, has unreadable files, or cannot
    be downloaded."""


class RunFolderError(GanzooError, ValueError):
    """A run folder or checkpoint is missing, unreadable, foreign, damaged or untrusted."""


class StorageError(GanzooError):
    """Writing to the run folder failed (disk full, read-only, no permission).

    Whatever was written before the failure (earlier checkpoints) is left intact.
    """


class DivergenceError(GanzooError):
    """Training diverged (non-finite values or a collapse rule) and was stopped.

    The message names the step, the rule that fired and the last good checkpoint.
    """

    exit_code = 3


class TrainingInterrupted(GanzooError):
    """Training stopped on SIGINT (Ctrl-C) or SIGTERM after writing a checkpoint.

    `checkpoint` is the checkpoint folder it wrote; training into the same run
    folder again resumes from it.
    """

    exit_code = 130  # the shell's code for a process ended by SIGINT

    def __init__(self, message, checkpoint=None, signal_name=None):
        super().__init__(message)
        self.checkpoint, self.signal_name = checkpoint, signal_name
