"""Training: a zoo entry (or any entry-shaped config) into a run folder, resumably.

`train` is the entry point (`ganzoo train` calls it); the callbacks it adds, its
checkpoints, its divergence guard and its `tf.distribute` set-up each have a module here.
"""

from ganzoo.training import callbacks
from ganzoo.training.trainer import steps_per_call, train

__all__ = ["callbacks", "steps_per_call", "train"]
