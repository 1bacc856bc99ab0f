"""Start-up of the command lines: TensorFlow imported once, without its C++ noise.

Standard library only, so a command that needs no TensorFlow pays nothing for it.
"""

import os
import sys
import tempfile


def import_tensorflow(verbose=False):
    """Import TensorFlow without its C++ start-up noise, unless `verbose`.

    `TF_CPP_MIN_LOG_LEVEL=3` hides its log lines (a machine without a GPU logs a cuInit
    error at level 2); the lines it writes while loading, before its logging is set up,
    ignore that variable, so they go to a temporary file, shown only if the import fails.
    A level the user set is kept.
    """
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved_stderr, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
