"""What an anomaly detector exports: its scoring network, with the images it is checked on.

A fitted detector (`ganzoo.anomaly`) exports as one network from images in [-1, 1] to
scores (`ganzoo.anomaly.scoring.scoring_model`: GANomaly's encoder, decoder and second
encoder; f-AnoGAN's encoder, generator and critic features; ...), so a device computes
the score itself. Its input is named `image`, its output one score per image.

The images come from the detector's task: full-integer int8 calibrates on the normal
images it learnt from, and parity scores the task's test images (normal and anomalous)
through every artifact, where the Keras detector's scores and AUROC are the reference
(`export.score_parity`). Where the task comes from:

- a run folder trained from an entry (it holds config.yaml), or a zoo entry: its task
  (`ganzoo.anomaly.entries.task_of`);
- otherwise `images=`: a `ganzoo.anomaly.protocol.Task`, or an array of images, used
  for calibration and parity alike (no AUROC without anomaly flags).
"""

import dataclasses
from pathlib import Path
from typing import ClassVar

import numpy as np

from ganzoo.export.sources import INPUT_RANGE

# Quantiles of the Keras detector's scores on its normal images, recorded in the
# manifest: a device needs a threshold to flag images, and these say where normal lies.
NORMAL_QUANTILES = (0.5, 0.9, 0.95, 0.99)


@dataclasses.dataclass
class ScorerSource:
    """A fitted detector's scoring model, ready to export, with its images."""

    model: object                 # keras.Model: images (N, H, W, C) -> scores (N,)
    detector: object              # the ganzoo.anomaly.AnomalyDetector it scores for
    origin: dict                  # recorded in the manifest: type, run / entry, trained
    normal: np.ndarray            # calibration (and latency) images: normal ones
    images: np.ndarray            # parity images
    is_anomaly: np.ndarray = None  # the parity images' anomaly flags, when known
    task: str = None              # the task's name, when known

    kind: ClassVar[str] = "scorer"
    artifact_stem: ClassVar[str] = "scorer"
    input_name: ClassVar[str] = "image"
    num_classes: ClassVar[int] = None   # scorers take no labels (see sources.Source)

    @property
    def input_shape(self):
        return tuple(self.detector.image_shape)

    @property
    def output_shape(self):
        return ()

    @property
    def distribution(self):
        return {"type": "images", "range": list(INPUT_RANGE), "count": int(len(self.normal)),
                "of": "the normal images the detector learnt from"}

    def inputs(self, num, seed):
        """`num` normal images, fixed by `seed` (calibration and latency inputs)."""
        rng = np.random.default_rng(seed)
        picks = rng.choice(len(self.normal), size=num, replace=num > len(self.normal))
        return self.normal[picks].astype(np.float32)

    def predict(self, inputs):
        """The Keras detector's own scores (`detector.score`), float64 `(N,)`."""
        return self.detector.score(inputs)

    def output_range(self):
        return None

    def manifest_facts(self):
        """The manifest's description of the scorer, its input and its output."""
        detector = self.detector
        normal = detector.score(self.normal)
        return {
            "scorer": {"name": self.model.name, "detector": type(detector).__name__,
                       "score": detector.score_name, "higher": "more anomalous",
                       "parameters": int(self.model.count_params()),
                       "config": detector.get_config(),
                       # where the Keras detector's scores on its normal images lie:
                       # thresholds to start from (held-out normal images set better ones)
                       "normal_scores": {
                           "images": int(len(normal)),
                           **{f"q{round(100 * q):02d}": float(np.quantile(normal, q))
                              for q in NORMAL_QUANTILES},
                           "max": float(np.max(normal))}},
            "input": {"name": self.input_name, "shape": [None, *self.input_shape],
                      "dtype": "float32", "layout": "NHWC", "range": list(INPUT_RANGE),
                      "distribution": self.distribution},
            "output": {"shape": [None], "dtype": "float32", "range": None,
                       "meaning": f"anomaly score ({detector.score_name}), higher = more "
                                  "anomalous"},
        }

    def parity_facts(self):
        """The manifest's description of the parity images."""
        facts = {"images": int(len(self.images)), "range": list(INPUT_RANGE)}
        if self.task:
            facts["task"] = self.task
        if self.is_anomaly is not None:
            facts["anomalous"] = int(np.sum(self.is_anomaly))
        return facts


def is_detector(value):
    """True for a `ganzoo.anomaly.AnomalyDetector`."""
    from ganzoo.anomaly import AnomalyDetector

    return isinstance(value, AnomalyDetector)


def is_detector_run(path):
    """True for a detector's run folder (it holds detector.json; see ganzoo.anomaly.base)."""
    from ganzoo.anomaly.base import DETECTOR_FILE

    return (Path(path) / DETECTOR_FILE).is_file()


def from_detector(detector, origin, images=None, task_config=None):
    """A `ScorerSource` of a fitted detector.

    Args:
        detector: a fitted `ganzoo.anomaly.AnomalyDetector`.
        origin: where it came from, for the manifest.
        images: a `protocol.Task`, or an array of images in [-1, 1]; overrides the task
            of `task_config`.
        task_config: an anomaly entry (run folder config.yaml or zoo entry) whose task
            gives the images when `images` is None.
    """
    from ganzoo.anomaly import protocol
    from ganzoo.anomaly.scoring import scoring_model

    if not detector.fitted:
        raise ValueError(f"This {type(detector).__name__} has not been fitted: an unfitted "
                         "detector has no score to export. Fit it, or export a run folder "
                         "or zoo entry with trained weights.")
    if images is None and task_config is not None:
        from ganzoo.anomaly.entries import task_of

        images = task_of(task_config)
    if images is None:
        raise ValueError(f"Exporting this {type(detector).__name__} needs images to calibrate "
                         "and check it on, and its task is unknown (a run folder saved without "
                         "an entry has no config.yaml): pass images=protocol.Task(...) or an "
                         "array of images in [-1, 1] (Python: ganzoo.export.export_detector).")
    if isinstance(images, protocol.Task):
        normal, test, flags, name = images.normal, images.images, images.is_anomaly, images.name
    else:
        normal = test = np.asarray(images, np.float32)
        flags = name = None
    for what, array in (("normal", normal), ("test", test)):
        if array.ndim != 4 or tuple(array.shape[1:]) != tuple(detector.image_shape) or not len(
                array):
            raise ValueError(f"The {what} images have shape {array.shape}; this "
                             f"{type(detector).__name__} scores images of shape "
                             f"(N, {', '.join(map(str, detector.image_shape))}).")
    origin = {**origin, "detector": type(detector).__name__}
    if name:
        origin["task"] = name
    return ScorerSource(model=scoring_model(detector), detector=detector, origin=origin,
                        normal=np.asarray(normal, np.float32), images=np.asarray(test, np.float32),
                        is_anomaly=None if flags is None else np.asarray(flags, bool), task=name)


def from_run(run_dir, images=None):
    """A `ScorerSource` of a detector's run folder (and its entry's task, if it has one)."""
    import yaml

    from ganzoo.anomaly import load
    from ganzoo.anomaly.base import CONFIG_FILE
    from ganzoo.anomaly.entries import validate

    run_dir = Path(run_dir)
    detector = load(run_dir)
    config = None
    if (run_dir / CONFIG_FILE).is_file():
        config = validate(yaml.safe_load((run_dir / CONFIG_FILE).read_text()),
                          source=str(run_dir / CONFIG_FILE))
    origin = {"type": "run", "run": str(run_dir), "entry": (config or {}).get("name"),
              "trained": True, "data": ((config or {}).get("data") or {}).get("source")}
    return from_detector(detector, origin, images, config)


def from_entry(name, detector, config, images=None):
    """A `ScorerSource` of a zoo entry's fitted detector (`ganzoo.zoo.load(name)`)."""
    origin = {"type": "entry", "entry": name, "trained": True,
              "data": config["data"]["source"]}
    return from_detector(detector, origin, images, config)
