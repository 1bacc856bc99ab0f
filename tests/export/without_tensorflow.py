"""Run code in a fresh interpreter where importing TensorFlow or Keras is an error: what
a device without them gives the TF-free runtime."""

import subprocess
import sys
import textwrap

PREAMBLE = textwrap.dedent("""
    import sys

    class Forbid:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
                raise ImportError(name + " must not be imported by the runtime")

    sys.meta_path.insert(0, Forbid())
""")


def run_without_tensorflow(code, args, python_path):
    """The finished process of `code` (run after the preamble) with `args` as sys.argv[1:]
    and only `python_path` on PYTHONPATH."""
    return subprocess.run([sys.executable, "-c", PREAMBLE + textwrap.dedent(code),
                           *map(str, args)], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(python_path), "PATH": "/usr/bin:/bin"})
