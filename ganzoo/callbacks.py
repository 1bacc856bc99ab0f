"""Training side effects live here, never in the models."""

from pathlib import Path

import keras
import tensorflow as tf

from ganzoo.images import make_grid, save_grid


class SampleGrid(keras.callbacks.Callback):
    """Every `every` epochs, draw a fixed latent batch and save the images as a PNG grid.

    The latent batch is the same each time (one seed), so successive grids show how
    the same latent points evolve. With `log_dir`, the grid also goes to TensorBoard.

    Args:
        directory: where `epoch_001.png`, ... and `latest.png` are written.
        num: number of samples in the grid.
        seed: seed of the fixed latent batch.
        every: epochs between grids.
        log_dir: optional TensorBoard log folder for the image summaries.
        scale: upscaling of the PNG, so small images stay visible.

    Example:
        >>> gan.fit(ds, epochs=10, callbacks=[SampleGrid("run/samples")])
    """

    def __init__(self, directory, num=64, seed=0, every=1, log_dir=None, scale=4):
        super().__init__()
        self.directory = Path(directory)
        self.num, self.seed, self.every, self.scale = num, seed, every, scale
        self.log_dir = log_dir
        self._writer = None

    def on_train_begin(self, logs=None):
        if len(self.model.data_shape) != 3:
            raise ValueError("SampleGrid draws image grids; this GAN makes samples of shape "
                             f"{self.model.data_shape}.")
        if self.log_dir is not None:
            self._writer = tf.summary.create_file_writer(str(Path(self.log_dir) / "samples"))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        images = self.model.generate(self.num, seed=self.seed)
        path = save_grid(images, self.directory / f"epoch_{epoch + 1:03d}.png", scale=self.scale)
        save_grid(images, self.directory / "latest.png", scale=self.scale)
        self.last_path = path
        if self._writer is not None:
            with self._writer.as_default():
                tf.summary.image("samples", make_grid(images)[None], step=epoch + 1)
            self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
