"""Anomaly detection: learn what normal images look like, score how much others differ.

Every detector has the same interface: `fit(normal_images, epochs=...)`,
`score(images)` (NumPy `(N,)`, higher = more anomalous), `save(run_dir)`, and
`ganzoo.anomaly.load(run_dir)`. `protocol` measures them (the one-class digits
protocol of the GANomaly paper, and your own folders of normal and anomalous images);
`entries` trains and evaluates run folders from entry-shaped configurations.

Detectors: `GANomaly` (Akcay et al. 2018), `FAnoGAN` (Schlegl et al. 2019), and the
baselines `PCA`, `ConvAutoencoder` and `DiscriminatorLogit`.

Example:
    >>> from ganzoo.anomaly import GANomaly, protocol
    >>> task = protocol.digits_task(anomaly_class=1, image_size=32)
    >>> detector = GANomaly(image_shape=(32, 32, 1), base_filters=32).fit(task.normal)
    >>> protocol.evaluate(detector, task)["auroc"]
"""

from ganzoo.anomaly.base import DETECTORS, AnomalyDetector, get_detector, load
from ganzoo.anomaly.baselines import PCA, ConvAutoencoder, DiscriminatorLogit
from ganzoo.anomaly.fanogan import FAnoGAN
from ganzoo.anomaly.ganomaly import GANomaly
from ganzoo.anomaly import protocol  # noqa: E402  (after the detectors it measures)

__all__ = ["AnomalyDetector", "ConvAutoencoder", "DETECTORS", "DiscriminatorLogit", "FAnoGAN",
           "GANomaly", "PCA", "get_detector", "load", "protocol"]
