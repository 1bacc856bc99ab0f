"""Training side effects live here, never in the models."""

import shutil
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from ganzoo.data.patches import bicubic_upscale
from ganzoo.images import save_columns, save_samples, translation_columns
# Checkpoints and the divergence guard live in their own modules; they are callbacks too.
from ganzoo.training.checkpoints import PeriodicCheckpoint  # noqa: F401
from ganzoo.training.guard import CollapseRule, DivergenceGuard  # noqa: F401


class _EpochPictures(keras.callbacks.Callback):
    """Every `every` epochs, save a picture as `epoch_NNN.png` and `latest.png`, and
    with `log_dir` send it to TensorBoard. Subclasses draw it in `draw(path)`."""

    def __init__(self, directory, every=1, log_dir=None):
        super().__init__()
        self.directory, self.every, self.log_dir = Path(directory), every, log_dir
        self._writer = None

    def draw(self, path):
        """Write the picture of the model's current state to `path`; return the path."""
        raise NotImplementedError

    def on_train_begin(self, logs=None):
        if self.log_dir is not None:
            self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "samples"))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        path = self.draw(self.directory / f"epoch_{epoch + 1:03d}.png")
        shutil.copyfile(path, self.directory / "latest.png")
        if self._writer is not None:
            with Image.open(path) as picture:
                pixels = np.array(picture.convert("RGB"))
            with self._writer.as_default():
                tf.summary.image("samples", pixels[None], step=epoch + 1)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()


class SampleGrid(_EpochPictures):
    """Every `every` epochs, draw a fixed latent batch and save the samples as a PNG.

    Images become a grid; 2D points a scatter plot over optional reference points
    (e.g. a mixture's mode centres). The latent batch is the same each time (one
    seed), so successive pictures show how the same latent points evolve. They come
    from `gan.generate`: a GAN with a generator EMA shows the average. With
    `log_dir`, each picture also goes to TensorBoard.

    Args:
        directory: where `epoch_001.png`, ... and `latest.png` are written.
        num: number of samples; default 64 images or 2,000 points.
        seed: seed of the fixed latent batch.
        every: epochs between pictures.
        log_dir: optional TensorBoard log folder for the image summaries.
        reference: optional (K, 2) points drawn over 2D samples.
        scale: upscaling of image grids, so small images stay visible.

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("run/samples")])
    """

    def __init__(self, directory, num=None, seed=0, every=1, log_dir=None, reference=None,
                 scale=4):
        super().__init__(directory, every, log_dir)
        self.num, self.seed, self.scale, self.reference = num, seed, scale, reference

    def on_train_begin(self, logs=None):
        shape = self.model.data_shape
        if len(shape) != 3 and shape != (2,):
            raise ValueError("SampleGrid draws image grids and 2D scatter plots; this GAN "
                             f"makes samples of shape {shape}.")
        if self.num is None:
            self.num = 64 if len(shape) == 3 else 2000
        super().on_train_begin(logs)

    def draw(self, path):
        samples = self.model.generate(self.num, seed=self.seed)
        return save_samples(samples, path, self.reference, self.scale)


class TranslationGrid(_EpochPictures):
    """Every `every` epochs, translate fixed images of both domains and save them as a PNG.

    Each row shows `a | a2b | back to A | b | b2a | back to B`: an input, its
    translation and its cycle reconstruction, for an image of each domain.

    Args:
        directory: where `epoch_001.png`, ... and `latest.png` are written.
        images_a, images_b: the fixed inputs of each domain, in [-1, 1] (8 or so).
        every: epochs between pictures.
        log_dir: optional TensorBoard log folder for the image summaries.
        scale: upscaling of the grid, so small images stay visible.

    Example:
        >>> a, b = ganzoo.data.load_unpaired_arrays("digits2negative", 32, split="test")
        >>> cyc.fit(ds, epochs=10, callbacks=[TranslationGrid("run/samples", a[:8], b[:8])])
    """

    def __init__(self, directory, images_a, images_b, every=1, log_dir=None, scale=4):
        super().__init__(directory, every, log_dir)
        self.images_a, self.images_b, self.scale = images_a, images_b, scale

    def draw(self, path):
        return save_columns(translation_columns(self.model, self.images_a, self.images_b),
                            path, scale=self.scale)


class PairedTranslationGrid(_EpochPictures):
    """Every `every` epochs, translate fixed held-out inputs and save them as a PNG.

    Each row shows `input | translation | target` of one aligned pair (a Pix2Pix's
    `translate`, A to B).

    Args:
        directory: where `epoch_001.png`, ... and `latest.png` are written.
        inputs, targets: the fixed aligned pairs, in [-1, 1] (8 or so).
        every: epochs between pictures.
        log_dir: optional TensorBoard log folder for the image summaries.
        scale: upscaling of the grid, so small images stay visible.

    Example:
        >>> edges, digits = ganzoo.data.load_paired_arrays("digits_edges", 32, split="test")
        >>> p2p.fit(ds, epochs=5, callbacks=[PairedTranslationGrid("run/samples", edges[:8],
        ...                                                         digits[:8])])
    """

    def __init__(self, directory, inputs, targets, every=1, log_dir=None, scale=4):
        super().__init__(directory, every, log_dir)
        self.inputs, self.targets, self.scale = inputs, targets, scale

    def draw(self, path):
        return save_columns([self.inputs, self.model.translate(self.inputs), self.targets],
                            path, scale=self.scale)


class UpscaleGrid(_EpochPictures):
    """Every `every` epochs, upscale fixed held-out crops and save them as a PNG.

    Each row shows `bicubic | upscaled | truth` of one crop: the low-resolution input
    enlarged bicubically (the baseline), the model's `upscale` of it, and the
    high-resolution crop it was made from.

    Args:
        directory: where `epoch_001.png`, ... and `latest.png` are written.
        low_resolution, high_resolution: the fixed crops, in [-1, 1], the second
            `scale` times the first's size.
        every: epochs between pictures.
        log_dir: optional TensorBoard log folder for the image summaries.
        scale: upscaling of the grid (of the high-resolution crops' size).

    Example:
        >>> sr.fit(ds, epochs=30, callbacks=[UpscaleGrid("run/samples", low[:8], high[:8])])
    """

    def __init__(self, directory, low_resolution, high_resolution, every=1, log_dir=None,
                 scale=2):
        super().__init__(directory, every, log_dir)
        self.low_resolution, self.high_resolution = low_resolution, high_resolution
        self.scale = scale

    def draw(self, path):
        factor = self.high_resolution.shape[1] // self.low_resolution.shape[1]
        return save_columns([bicubic_upscale(self.low_resolution, factor),
                             self.model.upscale(self.low_resolution), self.high_resolution],
                            path, scale=self.scale)


class QualityMetrics(keras.callbacks.Callback):
    """Every `every` epochs, measure generated samples against real images (`ganzoo.metrics`).

    The numbers go into the epoch's `logs`, so they land in the History returned by
    `fit` (only on measured epochs, like Keras' `validation_freq`), and with `log_dir`
    into TensorBoard scalars whose descriptions carry the protocol. The latent batch
    is the same each time (one seed), so successive numbers differ by training alone.
    A GAN with a generator EMA is measured on the average, as `ganzoo eval` does.
    `protocol` and `history` (with the measured `epoch` numbers) keep the record.

    Args:
        real_images: real images in [-1, 1] to compare with, e.g.
            `ganzoo.data.load_arrays("digits", 32, split="test")[0]`.
        real_labels: their labels, for mode coverage's real class distribution.
        metrics: any of "fid", "kid", "is", "pr" (precision/recall), "modes".
        every: epochs between measurements.
        num: generated samples per measurement.
        seed: latent seed of the generated samples and of the random subsets.
        extractor: "digits" (default; shipped), "inception" or a FeatureExtractor.
        log_dir: optional TensorBoard folder; scalars go to `log_dir/metrics`.

    Example:
        >>> real, labels = ganzoo.data.load_arrays("digits", 32, split="test")
        >>> gan.fit(ds, epochs=30, callbacks=[QualityMetrics(real, labels, every=5)])
    """

    def __init__(self, real_images, real_labels=None, metrics=("fid", "kid", "is", "pr", "modes"),
                 every=5, num=1000, seed=0, extractor="digits", log_dir=None):
        super().__init__()
        self.real_images, self.real_labels = real_images, real_labels
        self.metrics, self.every, self.num, self.seed = tuple(metrics), every, num, seed
        self.extractor, self.log_dir = extractor, log_dir
        self.protocol, self.history = None, {"epoch": []}
        self._writer = self._real_stats = None

    def on_train_begin(self, logs=None):
        from ganzoo import metrics

        if len(self.model.data_shape) != 3:
            raise ValueError("QualityMetrics measures images; this GAN makes samples of shape "
                             f"{self.model.data_shape}.")
        self.extractor = metrics.get_extractor(self.extractor)
        self._real_stats = metrics.feature_stats(self.real_images, self.extractor, seed=self.seed)
        if self.log_dir is not None:
            self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "metrics"))

    def on_epoch_end(self, epoch, logs=None):
        from ganzoo.metrics.evaluate import compare, gan_batches

        if (epoch + 1) % self.every:
            return
        # what `generate` samples from: the generator EMA, if the GAN keeps one
        samples = gan_batches(self.model, self.num, self.seed)
        result = compare(samples, self._real_stats,
                         self.extractor, real_labels=self.real_labels, metrics=self.metrics,
                         seed=self.seed)
        self.protocol = result["protocol"]
        scalars = {key: value for key, value in result["metrics"].items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)}
        if logs is not None:
            logs.update(scalars)
        self.history["epoch"].append(epoch + 1)
        for key, value in scalars.items():
            self.history.setdefault(key, []).append(value)
        if self._writer is not None:
            description = _describe_protocol(self.protocol)
            with self._writer.as_default():
                for key, value in scalars.items():
                    tf.summary.scalar(key, value, step=epoch + 1, description=description)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()


def _describe_protocol(protocol):
    return "; ".join(f"{key}: {value}" for key, value in protocol.items())
