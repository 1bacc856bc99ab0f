"""QualityMetrics: metrics every k epochs into the History and TensorBoard."""

import numpy as np
import tensorflow as tf

import ganzoo
from ganzoo.training.callbacks import QualityMetrics
from ganzoo.data import load_arrays


def test_metrics_land_in_history_and_tensorboard(tmp_path):
    real, labels = load_arrays("digits", 16, split="test")
    train, _ = load_arrays("digits", 16, split="train")
    dataset = tf.data.Dataset.from_tensor_slices(train[:128]).batch(64, drop_remainder=True)
    gan = ganzoo.DCGAN(image_shape=(16, 16, 1), latent_dim=8, base_filters=8, seed=0)
    gan.compile()
    callback = QualityMetrics(real, labels, metrics=("fid", "kid", "is", "pr", "modes"),
                              every=2, num=100, log_dir=tmp_path)
    history = gan.fit(dataset, epochs=4, callbacks=[callback], verbose=0)

    assert len(history.history["d_loss"]) == 4
    for key in ("fid", "kid", "kid_std", "is", "is_std", "precision", "recall",
                "modes_covered", "class_kl", "confident_fraction"):
        assert len(history.history[key]) == 2, key  # epochs 2 and 4, like validation_freq
        assert np.all(np.isfinite(history.history[key]))
    assert callback.history["epoch"] == [2, 4]
    assert callback.history["fid"] == history.history["fid"]
    assert callback.protocol["num_fake"] == 100 and callback.protocol["num_real"] == 360
    assert list((tmp_path / "metrics").glob("events.out.tfevents.*"))
