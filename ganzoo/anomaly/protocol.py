"""How detectors are measured: tasks (normal images to learn, labelled images to score)
and the metrics of the literature.

- `digits_task(c)`: the one-class protocol of the GANomaly paper on the embedded digits.
  The normal set is the training split without class c (about 1,290 images); the test
  set is the whole held-out test split (360 images), where class c (about 36 images)
  is the anomaly. (The paper, on MNIST, also moves class c's training images into the
  test set; here the two splits stay disjoint.)
- `folder_task(normal_dir, anomalous_dir)`: your own images. A seeded share of the
  normal images is held out and scored with every anomalous image.
- `auroc`, `average_precision`: scikit-learn's `roc_auc_score` and
  `average_precision_score` with the anomalies as the positive class.
- `minmax_normalise`: scores mapped to [0, 1] over one test set, as the GANomaly code
  reports them; AUROC and average precision do not change.

Example:
    >>> task = digits_task(anomaly_class=1, image_size=32)
    >>> detector = ganzoo.anomaly.PCA(image_shape=(32, 32, 1)).fit(task.normal)
    >>> evaluate(detector, task)                # {"auroc": ..., "average_precision": ...}
"""

import dataclasses
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from ganzoo.errors import DataError


@dataclasses.dataclass(frozen=True)
class Task:
    """Normal images to learn from, and test images with their anomaly flags.

    Args:
        name: what the task is, for tables ("digits, anomaly 1").
        normal: float32 `(N, H, W, C)` normal training images in [-1, 1].
        images: float32 `(M, H, W, C)` test images.
        is_anomaly: bool `(M,)`, True for the anomalous test images.
        labels: the test images' class labels, when the source has them.
    """

    name: str
    normal: np.ndarray
    images: np.ndarray
    is_anomaly: np.ndarray
    labels: np.ndarray = None

    @property
    def image_shape(self):
        return tuple(self.normal.shape[1:])


def digits_task(anomaly_class, image_size=32, channels=1):
    """The one-class split of the digits with `anomaly_class` (0-9) as the anomaly.

    Args:
        anomaly_class: the digit that is anomalous; the other nine are normal.
        image_size: side length of the images (the digits are 8x8, resized).
        channels: 1, or 3 for detectors of colour images.
    """
    from ganzoo import data

    if int(anomaly_class) not in range(data.DIGITS_NUM_CLASSES):
        raise ValueError(f"anomaly_class must be a digit 0-9; got {anomaly_class!r}.")
    anomaly_class = int(anomaly_class)
    train, train_labels = data.load_arrays("digits", image_size, split="train", channels=channels)
    test, test_labels = data.load_arrays("digits", image_size, split="test", channels=channels)
    return Task(f"digits, anomaly {anomaly_class}", train[train_labels != anomaly_class],
                test, test_labels == anomaly_class, test_labels)


def folder_task(normal_dir, anomalous_dir, image_size=32, channels=None, *, test_fraction=0.2,
                normal_test_dir=None, seed=0, resize="crop", bad_files="error"):
    """A task from your folders of normal and anomalous images.

    Images are read as `ganzoo.data` reads folders (PNG, JPEG, BMP, GIF, searched
    recursively, made square by `resize`, then resized).

    Args:
        normal_dir: a folder of normal images.
        anomalous_dir: a folder of anomalous images; all of them are test images, none
            is ever trained on.
        image_size: side length of the images.
        channels: 1 or 3; None keeps the images' own (RGBA counts as 3).
        test_fraction: share of the normal images held out for testing (at least one
            image); ignored with `normal_test_dir`.
        normal_test_dir: a folder of held-out normal images; then every image of
            `normal_dir` is trained on.
        seed: which normal images are held out.
        resize: "crop", "pad" or "stretch" for non-square images (see `ganzoo.data.load`).
        bad_files: "error" or "skip" for files that do not decode.

    Example:
        >>> task = folder_task("photos/good", "photos/defects", image_size=64, channels=3)
    """
    from ganzoo import data

    def read(folder):
        if not Path(folder).is_dir():
            raise DataError(f"no such folder of images: {str(folder)!r}")
        try:
            return data.load_arrays(folder, image_size, split="all", channels=channels,
                                    resize=resize, bad_files=bad_files)[0]
        except ValueError as error:
            raise DataError(f"cannot read the images of {str(folder)!r}: {error}") from error

    normal, anomalous = read(normal_dir), read(anomalous_dir)
    if normal.shape[-1] != anomalous.shape[-1]:
        raise DataError(f"{normal_dir} has {normal.shape[-1]}-channel images and "
                        f"{anomalous_dir} {anomalous.shape[-1]}-channel ones; pass channels=1 "
                        "or channels=3 to read both alike.")
    if normal_test_dir is not None:
        train, held_out = normal, read(normal_test_dir)
    else:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction}.")
        if len(normal) < 2:
            raise DataError(f"{normal_dir} holds {len(normal)} image(s): at least two are needed "
                            "to train on some and test on others (or give normal_test_dir).")
        order = np.random.default_rng(seed).permutation(len(normal))
        count = min(len(normal) - 1, max(1, round(test_fraction * len(normal))))
        train, held_out = normal[np.sort(order[count:])], normal[np.sort(order[:count])]
    images = np.concatenate([held_out, anomalous])
    is_anomaly = np.concatenate([np.zeros(len(held_out), bool), np.ones(len(anomalous), bool)])
    return Task(f"{Path(normal_dir).name} vs {Path(anomalous_dir).name}", train, images,
                is_anomaly)


def auroc(is_anomaly, scores):
    """Area under the ROC curve, anomalies as positives (scikit-learn's roc_auc_score)."""
    is_anomaly, scores = _checked(is_anomaly, scores)
    return float(roc_auc_score(is_anomaly, scores))


def average_precision(is_anomaly, scores):
    """Average precision, anomalies as positives (scikit-learn's average_precision_score)."""
    is_anomaly, scores = _checked(is_anomaly, scores)
    return float(average_precision_score(is_anomaly, scores))


def minmax_normalise(scores, reference=None):
    """`scores` mapped linearly so that the `reference` scores span [0, 1].

    The GANomaly code normalises each test set's scores by that set's own minimum and
    maximum: `reference` defaults to `scores`. Equal scores all map to 0.
    """
    scores = np.asarray(scores, np.float64)
    reference = scores if reference is None else np.asarray(reference, np.float64)
    low, high = reference.min(), reference.max()
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def evaluate(detector, task):
    """Score `task`'s test images with a fitted `detector` and measure the scores.

    Returns a dict: `auroc`, `average_precision`, the raw `scores` and the `normalised`
    ones (min-max over this test set), as lists, and the counts `normal` and `anomalous`.
    """
    scores = detector.score(task.images)
    return {"auroc": auroc(task.is_anomaly, scores),
            "average_precision": average_precision(task.is_anomaly, scores),
            "scores": scores.tolist(), "normalised": minmax_normalise(scores).tolist(),
            "normal": int((~task.is_anomaly).sum()), "anomalous": int(task.is_anomaly.sum())}


def _checked(is_anomaly, scores):
    is_anomaly = np.asarray(is_anomaly)
    scores = np.asarray(scores, np.float64)
    if is_anomaly.shape != scores.shape or scores.ndim != 1:
        raise ValueError(f"is_anomaly and scores must be two (N,) arrays; got shapes "
                         f"{is_anomaly.shape} and {scores.shape}.")
    if not np.isin(is_anomaly, (0, 1)).all():
        raise ValueError("is_anomaly must hold booleans (or 0/1): True for an anomaly.")
    is_anomaly = is_anomaly.astype(bool)
    if is_anomaly.all() or not is_anomaly.any():
        raise ValueError("AUROC and average precision need both normal and anomalous "
                         f"images; these {len(is_anomaly)} are all "
                         f"{'anomalous' if is_anomaly.all() else 'normal'}.")
    if not np.all(np.isfinite(scores)):
        bad = int(np.sum(~np.isfinite(scores)))
        raise ValueError(f"{bad} of {len(scores)} scores are NaN or infinite: the detector "
                         "diverged; train it again (another seed or a lower learning rate).")
    return is_anomaly, scores
