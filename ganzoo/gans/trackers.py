"""The running means a GAN's steps log, grouped so Keras callbacks can read them.

Keras 3.15's `EarlyStopping` and `ReduceLROnPlateau` (`MonitorCallback._set_monitor_op`)
infer `mode="auto"` from a metric's private `_direction`, and look for it only in the
metric groups of `model.metrics` (`CompileMetrics`, `MetricsList`): a GAN listing bare
`Mean` trackers gets "Keras isn't able to automatically determine whether that metric
should be maximized or minimized". `Trackers` is such a group, and marks every tracker
named `*loss` as one to minimise, so `EarlyStopping(monitor="g_loss")` and
`monitor="val_d_loss"` work without `mode=`. Accuracies carry no direction (whether a
discriminator should be right more often is the question the user is asking): monitor
them with `mode="max"` or `mode="min"`. tests/gans/test_keras_workarounds.py checks that
Keras still reads `_direction` there.

Example:
    >>> self.trackers = Trackers(("d_loss", "g_loss"))
    >>> self.trackers.update({"d_loss": d_loss, "g_loss": g_loss})
    >>> return self.trackers.logs()
"""

import keras
from keras.src.trainers.compile_utils import MetricsList

from ganzoo.gans.adversarial import step_logs


class Trackers(MetricsList):
    """Named `keras.metrics.Mean` trackers, one Keras metric group.

    Args:
        names: the logged names, e.g. `("d_loss", "g_loss")`; names ending in `loss`
            are marked as minimised for Keras' callbacks.
        name: the group's name (never logged).
    """

    def __init__(self, names, name="trackers"):
        trackers = []
        for tracker_name in names:
            tracker = keras.metrics.Mean(name=tracker_name)
            if tracker_name.endswith("loss"):
                tracker._direction = "down"  # what Keras' own loss metrics set
            trackers.append(tracker)
        super().__init__(trackers, name=name)

    @property
    def names(self):
        return [tracker.name for tracker in self.metrics]

    def __getitem__(self, name):
        for tracker in self.metrics:
            if tracker.name == name:
                return tracker
        raise KeyError(f"No tracker {name!r}; the trackers are {self.names}.")

    def update(self, values):
        """Add one step's values: `{name: value}`; a tensor counts each entry
        (a batch of 0/1 scores gives the fraction over all samples seen)."""
        for name, value in values.items():
            self[name].update_state(value)

    def result(self):
        # Keras' get_metrics_result() spreads a dict result into the logs.
        return {tracker.name: tracker.result() for tracker in self.metrics}

    def logs(self):
        """What a step returns: each tracker's running mean (see `step_logs`)."""
        return step_logs(self.metrics)
