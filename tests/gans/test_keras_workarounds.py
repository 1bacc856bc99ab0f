"""The private Keras and TensorFlow methods that ganzoo/gans/adversarial.py overrides or
calls (and ganzoo/gans/trackers.py relies on) still exist and are still reached: after an
upgrade these fail loudly instead of the workarounds silently no longer applying (the
range they were written for is pinned in pyproject.toml)."""

import importlib.metadata
import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
from packaging.requirements import Requirement
from keras.src import ops as keras_src_ops
from keras.src.backend.tensorflow import trainer as keras_tf_trainer
from tensorflow.python.distribute import collective_all_reduce_strategy

import ganzoo
from ganzoo.gans.adversarial import AdversarialModel


@pytest.mark.parametrize("package, version", [("keras", keras.__version__),
                                              ("tensorflow", tf.__version__)])
def test_the_installed_release_is_inside_the_pinned_range(package, version):
    pins = [Requirement(line) for line in importlib.metadata.requires("ganzoo")]
    pin = next(requirement for requirement in pins if requirement.name == package)
    assert pin.specifier and pin.specifier.contains(version), (pin, version)


def test_fit_still_calls_the_symbolic_build_that_the_base_overrides(monkeypatch):
    # Keras 3.15's TensorFlow trainer: fit() -> self._maybe_symbolic_build(iterator=...)
    parameters = inspect.signature(keras_tf_trainer.TensorFlowTrainer._maybe_symbolic_build)
    assert {"iterator", "data_batch"} <= set(parameters.parameters)
    calls = []
    original = AdversarialModel._maybe_symbolic_build

    def counted(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AdversarialModel, "_maybe_symbolic_build", counted)
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,), seed=0)
    gan.compile()
    points = tf.data.Dataset.from_tensor_slices(np.zeros((8, 2), "float32")).batch(4)
    gan.fit(points, epochs=1, verbose=0)
    assert calls, "fit no longer calls _maybe_symbolic_build: the override does nothing"


def test_the_multi_worker_condition_that_step_logs_copies_still_exists():
    # step_logs reshapes logs under Keras' own condition for reducing across workers.
    extended = collective_all_reduce_strategy.CollectiveAllReduceExtended
    assert callable(getattr(extended, "_in_multi_worker_mode", None))
    condition = getattr(keras_tf_trainer, "_collective_all_reduce_multi_worker", None)
    assert callable(condition)
    assert "_in_multi_worker_mode" in inspect.getsource(condition)


def test_the_layer_walk_the_base_relies_on_still_exists():
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,), seed=0)
    layers = list(gan._flatten_layers(include_self=False))
    assert gan.generator in layers and gan.discriminator in layers


@pytest.mark.parametrize("monitor", ["g_loss", "val_d_loss"])
def test_keras_still_reads_the_direction_of_losses_from_the_tracker_group(monitor):
    # MonitorCallback._set_monitor_op looks for `_direction` on the metrics inside a
    # MetricsList of model.metrics; ganzoo.gans.trackers.Trackers is one.
    gan = ganzoo.VanillaGAN(data_shape=(2,), latent_dim=2, hidden_units=(4,), seed=0)
    stop = keras.callbacks.EarlyStopping(monitor=monitor)
    stop.set_model(gan)
    stop._set_monitor_op()
    assert stop.monitor_op is keras_src_ops.less
