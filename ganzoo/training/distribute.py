"""Strategies and mixed precision for training on several devices or machines.

`ganzoo train --strategy mirrored|multiworker --mixed-precision float16|bfloat16` and
`ganzoo.training.train(..., strategy=..., mixed_precision=...)` use these. In your
own code, the plain TensorFlow pattern works for every ganzoo variant:

    >>> strategy = tf.distribute.MirroredStrategy()
    >>> with strategy.scope():
    ...     gan = ganzoo.DCGAN(image_shape=(32, 32, 1), synchronized_batch_norm=True)
    ...     gan.compile()
    >>> gan.fit(dataset)           # batches are global: each replica gets 1/N

MultiWorkerMirroredStrategy reads the cluster from the `TF_CONFIG` environment
variable and must be created before TensorFlow runs any op in the process.
"""

import contextlib
import json
import os

import keras
import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multiworker")
PRECISIONS = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16"}


def make_strategy(name="default"):
    """The `tf.distribute` strategy called `name` (a strategy object is returned as is).

    Args:
        name: `"default"` (no distribution: one device), `"mirrored"` (every local GPU,
            or the CPU: `tf.distribute.MirroredStrategy()`), or `"multiworker"`
            (`tf.distribute.MultiWorkerMirroredStrategy()` over the cluster in
            `TF_CONFIG`, with the default communication options).

    Example:
        >>> strategy = make_strategy("mirrored")
        >>> strategy.num_replicas_in_sync       # 1 on a CPU-only machine
    """
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; expected one of {list(STRATEGIES)}.")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if not os.environ.get("TF_CONFIG"):
        raise ValueError("The multiworker strategy needs the cluster in the TF_CONFIG "
                         "environment variable, e.g. TF_CONFIG='{\"cluster\": {\"worker\": "
                         "[\"host1:12345\", \"host2:12345\"]}, \"task\": {\"type\": \"worker\", "
                         "\"index\": 0}}' on the first machine (index 1 on the second).")
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as error:  # "Collective ops must be configured at program startup"
        raise RuntimeError("MultiWorkerMirroredStrategy must be created before TensorFlow runs "
                           "any op in this process: create it (or call ganzoo.training.train "
                           "with strategy='multiworker') first thing.") from error


def strategy_name(strategy):
    """`"multiworker"`, `"mirrored"` or `"default"` for those strategies; else the class name."""
    for name, kind in (("multiworker", tf.distribute.MultiWorkerMirroredStrategy),
                       ("mirrored", tf.distribute.MirroredStrategy)):
        if isinstance(strategy, kind):
            return name
    if strategy is tf.distribute.get_strategy() and not tf.distribute.has_strategy():
        return "default"
    return type(strategy).__name__


def is_chief(strategy):
    """True unless this process is a multi-worker run's non-chief worker.

    The chief is the task of type "chief", or worker 0 when the cluster has none: the
    worker that writes the run folder, as Keras' own callbacks decide.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task", {})
    if task.get("type") == "chief":
        return True
    has_chief = "chief" in config.get("cluster", {})
    return not has_chief and task.get("type", "worker") == "worker" and task.get("index", 0) == 0


@contextlib.contextmanager
def precision_policy(precision=None):
    """Set Keras' global dtype policy for a block, then restore the previous one.

    Args:
        precision: None (leave the policy as it is), `"float16"` (`mixed_float16`:
            float16 compute, float32 variables, loss-scaled optimizers) or
            `"bfloat16"` (`mixed_bfloat16`: bfloat16 compute, no loss scaling needed).

    Example:
        >>> with precision_policy("bfloat16"):
        ...     gan = ganzoo.DCGAN(image_shape=(32, 32, 1))   # networks compute in bfloat16
    """
    if precision is None:
        yield
        return
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown mixed precision {precision!r}; expected one of "
                         f"{list(PRECISIONS)}.")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(PRECISIONS[precision])
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
