"""A divergence guard for GAN training: catch NaNs and collapse, go back to good weights.

Keras' `TerminateOnNaN` looks only at `logs["loss"]`, which a GAN does not log, and it
stops with the broken weights in memory. `DivergenceGuard` watches every logged value
and the weights themselves, plus configurable collapse rules; when one fires it
restores the newest good checkpoint and retries with lower learning rates, or stops
with a message that says what happened and where the good weights are.

Example:
    >>> store = CheckpointStore("run/checkpoints")
    >>> guard = DivergenceGuard(store, max_retries=2, lr_factor=0.5)
    >>> gan.fit(ds, epochs=20, callbacks=[guard, PeriodicCheckpoint(store, 200, guard=guard)])
"""

import dataclasses
import logging
import math

import keras
import tensorflow as tf

from ganzoo.training.checkpoints import CheckpointStore, float_variables, nonfinite_variables
from ganzoo.errors import DivergenceError
from ganzoo.gans.learning_rates import set_learning_rate_scale

logger = logging.getLogger(__name__)

# Adversarial losses whose discriminator (and generator) loss is bounded below by 0,
# where a value stuck near 0 means one network has won outright (see ganzoo.losses).
# The minimax and hinge generator losses go negative, so they get no generator rule.
_NONNEGATIVE_D_LOSSES = ("non_saturating", "minimax", "least_squares", "hinge")
_NONNEGATIVE_G_LOSSES = ("non_saturating", "least_squares")


@dataclasses.dataclass
class CollapseRule:
    """Fire when a logged value stays below (or above) a threshold for `patience` steps.

    Logged losses are running means over the epoch, so the rule sees a smoothed value.
    A rule whose `metric` is not logged is ignored.

    Args:
        metric: the logged name, e.g. "d_loss".
        below: fire when the value stays below this.
        above: fire when the value stays above this.
        patience: generator steps the condition must hold without a break.
        meaning: what it means, for the message.

    Example:
        >>> CollapseRule("d_loss", below=1e-3, patience=500, meaning="D wins outright")
    """

    metric: str
    below: float = None
    above: float = None
    patience: int = 500
    meaning: str = ""

    def __post_init__(self):
        if (self.below is None) == (self.above is None):
            raise ValueError(f"CollapseRule({self.metric!r}) needs exactly one of below= or "
                             "above=.")

    def holds(self, value):
        return value < self.below if self.below is not None else value > self.above

    def describe(self):
        bound = f"< {self.below:g}" if self.below is not None else f"> {self.above:g}"
        meaning = f" ({self.meaning})" if self.meaning else ""
        return f"{self.metric} stayed {bound} for {self.patience} generator steps{meaning}"


def default_rules(gan):
    """Collapse rules that make sense for the GAN's loss (none for Wasserstein critics)."""
    loss = getattr(gan, "loss_name", None)
    rules = []
    if loss in _NONNEGATIVE_D_LOSSES:
        rules.append(CollapseRule(
            "d_loss", below=1e-3, patience=1000,
            meaning="the discriminator wins outright and the generator gets no useful gradient"))
    if loss in _NONNEGATIVE_G_LOSSES:
        rules.append(CollapseRule(
            "g_loss", below=1e-3, patience=1000,
            meaning="the discriminator has collapsed: it no longer tells fakes from real data"))
    return rules


class DivergenceGuard(keras.callbacks.Callback):
    """Detect divergence and fall back to the last good checkpoint.

    Checks after each batch callback: every logged value finite; every
    `check_weights_every` callbacks, every weight and optimizer variable finite; and the
    collapse `rules`. On a problem it restores the newest good checkpoint from
    `checkpoints`, then either retries with both learning rates times `lr_factor`
    (at most `max_retries` times in this run) or stops training.

    Args:
        checkpoints: a `CheckpointStore` (or its folder) with the good weights; the
            guard writes one at the start of training if it is empty.
        rules: `CollapseRule`s; default `default_rules(gan)`; `()` for none.
        max_retries: retries before stopping; 0 stops at the first problem.
        lr_factor: learning-rate factor per retry, in (0, 1].
        check_weights_every: check the weights once per this many batch callbacks.
        restart_fit: after a restore, also end the current `fit`, so a caller can
            restart it at the checkpoint's data position (`ganzoo.training` does);
            otherwise training continues with the next batches.
        raise_on_stop: raise `DivergenceError` at the end of `fit` when it stopped;
            otherwise only `failure` records the message.
        lr_scale: the learning-rate scale already in effect (when resuming a run
            whose guard had lowered it).

    Attributes:
        failure: the stop message, or None.
        events: one dict per problem seen: step, problem, action.
    """

    def __init__(self, checkpoints, rules=None, max_retries=2, lr_factor=0.5,
                 check_weights_every=10, restart_fit=False, raise_on_stop=True, lr_scale=1.0):
        super().__init__()
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0; got {max_retries}.")
        if not 0.0 < lr_factor <= 1.0:
            raise ValueError(f"lr_factor must be in (0, 1]; got {lr_factor}.")
        self.store = (checkpoints if isinstance(checkpoints, CheckpointStore)
                      else CheckpointStore(checkpoints))
        self.rules = None if rules is None else list(rules)
        self.max_retries, self.lr_factor = int(max_retries), float(lr_factor)
        self.check_weights_every = max(1, int(check_weights_every))
        self.restart_fit, self.raise_on_stop = restart_fit, raise_on_stop
        self.lr_scale = float(lr_scale)
        self.retries = 0
        self.failure = None
        self.restart_requested = False
        self.events = []
        self._streaks = {}
        self._calls = 0
        self._finite = None

    @property
    def healthy(self):
        """False while a collapse rule is building up, or after the guard stopped training."""
        return self.failure is None and not self._streaks

    def confirm_healthy(self):
        """Check the weights now (a checkpoint is due); on trouble, recover as usual.

        Returns True when a checkpoint may be written.
        """
        if not self.healthy:
            return False
        if self._weights_finite():
            return True
        bad = nonfinite_variables(self.model) or ["a variable"]
        self._recover(self.model.generator_steps,
                      f"{bad[0]} holds NaN or inf (non-finite weights)")
        return False

    def on_train_begin(self, logs=None):
        if self.rules is None:
            self.rules = default_rules(self.model)
        if self.store.latest() is None:
            self.store.save(self.model, {"lr_scale": self.lr_scale})

    def on_train_batch_end(self, batch, logs=None):
        if self.failure is not None:
            return
        step = self.model.generator_steps
        problem = self._check(step, logs or {})
        if problem:
            self._recover(step, problem)

    def on_train_end(self, logs=None):
        if self.failure is not None and self.raise_on_stop:
            raise DivergenceError(self.failure)

    # ------------------------------------------------------------------ detection

    def _check(self, step, logs):
        for name, value in logs.items():
            number = _as_number(value)
            if number is not None and not math.isfinite(number):
                return f"{name} is {number} (non-finite loss)"
        self._calls += 1
        if self._calls % self.check_weights_every == 0 and not self._weights_finite():
            bad = nonfinite_variables(self.model) or ["a variable"]
            return f"{bad[0]} holds NaN or inf (non-finite weights)"
        for index, rule in enumerate(self.rules):
            number = _as_number(logs.get(rule.metric))
            if number is None or not rule.holds(number):
                self._streaks.pop(index, None)
                continue
            start = self._streaks.setdefault(index, step)
            if step - start >= rule.patience:
                return rule.describe()
        return None

    def _weights_finite(self):
        if self._finite is None:
            variables = [variable for _, variable in float_variables(self.model)]

            # One compiled reduction: reading every variable into NumPy after each
            # batch would cost as much as a small model's training step.
            @tf.function
            def all_finite():
                return tf.reduce_all([tf.reduce_all(tf.math.is_finite(v.value)) for v in variables])

            self._finite = all_finite
        return bool(self._finite())

    # ------------------------------------------------------------------- recovery

    def _recover(self, step, problem):
        checkpoint = self.store.restore(self.model)
        restored_scale = float(checkpoint.state.get("lr_scale", 1.0))
        for metric in self.model.metrics:  # the epoch's running means hold the NaN
            metric.reset_state()
        self._streaks.clear()
        where = f"{checkpoint.path} (step {checkpoint.step})"
        if self.retries < self.max_retries:
            self.retries += 1
            self.lr_scale *= self.lr_factor
            set_learning_rate_scale(self.model, self.lr_scale, restored_scale)
            self.events.append({"step": step, "problem": problem, "action": "retry",
                                "checkpoint": str(checkpoint.path), "lr_scale": self.lr_scale})
            logger.warning("DivergenceGuard: %s at generator step %d. Restored the last good "
                           "checkpoint %s and set both learning rates to x%g of the configured "
                           "ones (retry %d of %d).", problem, step, where, self.lr_scale,
                           self.retries, self.max_retries)
            if self.restart_fit:
                self.restart_requested = True
                self.model.stop_training = True
            return
        set_learning_rate_scale(self.model, restored_scale, restored_scale)
        self.lr_scale = restored_scale
        tried = (f" after {self.retries} retr{'y' if self.retries == 1 else 'ies'} with lower "
                 "learning rates" if self.retries else "")
        self.failure = (f"Training diverged: {problem} at generator step {step}{tried}. The last "
                        f"good weights are in {where}; nothing newer was saved. Lower "
                        "training.learning_rate and train again, or allow more retries "
                        "(--guard-retries).")
        self.events.append({"step": step, "problem": problem, "action": "stop",
                            "checkpoint": str(checkpoint.path)})
        self.model.stop_training = True


def _as_number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
