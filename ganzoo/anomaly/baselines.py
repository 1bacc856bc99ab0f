"""The baselines a practitioner would try before a GAN detector, in the same interface.

- `PCA`: reconstruction error from the principal subspace of the normal images
  (scikit-learn's PCA);
- `ConvAutoencoder`: reconstruction error of a convolutional autoencoder, GANomaly's
  encoder and decoder without the second encoder and the adversary;
- `DiscriminatorLogit`: minus the logit of the discriminator of a DCGAN trained on
  normal images (it calls normal images real, so lower logits are more anomalous).
"""

import keras
import numpy as np
import sklearn.decomposition

import ganzoo
from ganzoo.anomaly.base import (AnomalyDetector, history_of, image_batches, network_state,
                                 register, seeded, set_network_state)
from ganzoo.anomaly.networks import dcgan_encoder
from ganzoo.anomaly.scoring import eager_scores
from ganzoo.nets import dcgan_generator


@register
class PCA(AnomalyDetector):
    """Mean squared error between an image and its projection on the normal subspace.

    Args:
        image_shape: `(height, width, channels)`; any size.
        components: the subspace: a fraction in (0, 1) keeps the fewest principal
            components that explain that share of the normal images' variance; an int
            keeps that many (at most the number of normal images).
        seed: unused (PCA with the full SVD is exact); kept for the common interface.

    Example:
        >>> detector = PCA(image_shape=(32, 32, 1)).fit(normal_images)
        >>> detector.num_components
    """

    score_name = "reconstruction error"

    def __init__(self, image_shape=(32, 32, 1), components=0.9, seed=0):
        super().__init__(image_shape, seed)
        if isinstance(components, float) and not 0.0 < components < 1.0:
            raise ValueError(f"components as a fraction of variance lies in (0, 1); got "
                             f"{components}.")
        if not isinstance(components, float) and int(components) < 0:
            raise ValueError(f"components must be a count >= 0 or a fraction; got {components}.")
        self.components = components
        size = int(np.prod(self.image_shape))
        self.mean = np.zeros((size,), np.float64)
        self.basis = np.zeros((0, size), np.float64)

    @property
    def num_components(self):
        return len(self.basis)

    def _fit(self, images, epochs, batch_size, verbose):
        flat = images.reshape(len(images), -1).astype(np.float64)
        if np.ptp(flat, axis=0).max() == 0:
            # identical images: no variance to explain; the mean alone (no component)
            self.mean, self.basis = flat[0], np.zeros((0, flat.shape[1]))
            return {}
        # Every component first (exact, deterministic), then the kept ones.
        pca = sklearn.decomposition.PCA(svd_solver="full").fit(flat)
        variance = pca.explained_variance_
        if isinstance(self.components, float):
            total = variance.sum()
            kept = (0 if total <= 0 else
                    int(np.searchsorted(np.cumsum(variance) / total, self.components) + 1))
        else:
            kept = min(int(self.components), len(variance))
        self.mean, self.basis = pca.mean_, pca.components_[:kept]
        return {}

    def reconstruct(self, images):
        """Projections of `images` on the kept subspace, as images (float64)."""
        flat = keras.ops.convert_to_tensor(images.reshape(len(images), -1), "float64")
        return keras.ops.convert_to_numpy(self._project(flat)).reshape(images.shape)

    def _project(self, flat):
        # The mean and basis enter as NumPy constants of the input's dtype: float64 when
        # scoring here, float32 in the scoring model (ganzoo.anomaly.scoring). NumPy, not
        # tensors: a traced graph embeds them, where a captured tensor would become an
        # extra input of the ONNX file.
        dtype = keras.backend.standardize_dtype(flat.dtype)
        mean, basis = self.mean.astype(dtype), self.basis.astype(dtype)
        coordinates = keras.ops.matmul(flat - mean, np.ascontiguousarray(basis.T))
        return keras.ops.matmul(coordinates, basis) + mean

    def score_tensor(self, images):
        """Scores of a batch as a tensor; eager or symbolic (see `ganzoo.anomaly.scoring`)."""
        flat = keras.ops.reshape(images, (-1, int(np.prod(self.image_shape))))
        return keras.ops.mean(keras.ops.square(flat - self._project(flat)), axis=1)

    def _score(self, images):
        return eager_scores(self, images, dtype="float64")

    def state(self):
        return {"mean": self.mean, "basis": self.basis}

    def set_state(self, arrays):
        if arrays["mean"].shape != self.mean.shape:
            raise ValueError(f"the stored mean has shape {arrays['mean'].shape}, the detector "
                             f"{self.mean.shape}")
        self.mean, self.basis = arrays["mean"], arrays["basis"]


@register
class ConvAutoencoder(AnomalyDetector):
    """Mean squared reconstruction error of a convolutional autoencoder.

    The encoder and decoder are GANomaly's (`dcgan_encoder`, `dcgan_generator`), trained
    with mean squared error by Adam(1e-3), Keras' default.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4, 1 or 3 channels.
        latent_dim: size of the bottleneck.
        base_filters: width of both networks.
        learning_rate: Adam's.
        seed: see `AnomalyDetector`.
    """

    default_epochs = 15
    score_name = "reconstruction error"

    def __init__(self, image_shape=(32, 32, 1), latent_dim=100, base_filters=64,
                 learning_rate=1e-3, seed=0):
        super().__init__(image_shape, seed)
        self.latent_dim, self.base_filters = int(latent_dim), int(base_filters)
        self.learning_rate = float(learning_rate)
        seeded(self.seed)
        self.encoder = dcgan_encoder(self.image_shape, self.latent_dim, self.base_filters)
        self.decoder = dcgan_generator(self.latent_dim, self.image_shape, self.base_filters,
                                       name="decoder")
        image = keras.Input(self.image_shape, name="image")
        self.autoencoder = keras.Model(image, self.decoder(self.encoder(image)),
                                       name="autoencoder")

    def _fit(self, images, epochs, batch_size, verbose):
        self.autoencoder.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="mse")
        pairs = image_batches(images, batch_size, self.seed).map(lambda batch: (batch, batch))
        return history_of(self.autoencoder.fit(pairs, epochs=epochs, verbose=verbose,
                                                shuffle=False))

    def score_tensor(self, images):
        """Scores of a batch as a tensor; eager or symbolic (see `ganzoo.anomaly.scoring`)."""
        reconstruction = self.autoencoder(images, training=False)
        return keras.ops.mean(keras.ops.square(images - reconstruction), axis=(1, 2, 3))

    def _score(self, images):
        return eager_scores(self, images)

    def state(self):
        return network_state({"encoder": self.encoder, "decoder": self.decoder})

    def set_state(self, arrays):
        set_network_state({"encoder": self.encoder, "decoder": self.decoder}, arrays)


@register
class DiscriminatorLogit(AnomalyDetector):
    """Minus the logit of a DCGAN discriminator trained on the normal images.

    `ganzoo.DCGAN` with its paper settings (Adam(2e-4, beta_1 0.5), batch-norm
    discriminator); D's raw logit, in inference mode, negated so that images D calls
    fake score higher.

    Args:
        image_shape: `(size, size, channels)`, size a multiple of 4, 1 or 3 channels.
        latent_dim: the generator's latent size.
        base_filters: width of both networks.
        learning_rate, beta_1: Adam's, for G and D (2e-4 and 0.5, the DCGAN paper's).
        seed: see `AnomalyDetector`; also the GAN's training noise.
    """

    default_epochs = 15
    score_name = "-D(x) logit"

    def __init__(self, image_shape=(32, 32, 1), latent_dim=100, base_filters=64,
                 learning_rate=2e-4, beta_1=0.5, seed=0):
        super().__init__(image_shape, seed)
        self.latent_dim, self.base_filters = int(latent_dim), int(base_filters)
        self.learning_rate, self.beta_1 = float(learning_rate), float(beta_1)
        seeded(self.seed)
        self.gan = ganzoo.DCGAN(image_shape=self.image_shape, latent_dim=self.latent_dim,
                                base_filters=self.base_filters, seed=self.seed)

    def _networks(self):
        return {"generator": self.gan.generator, "discriminator": self.gan.discriminator}

    def _fit(self, images, epochs, batch_size, verbose):
        self.gan.compile(*(keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1)
                           for _ in range(2)))
        return history_of(self.gan.fit(image_batches(images, batch_size, self.seed),
                                       epochs=epochs, verbose=verbose, shuffle=False))

    def score_tensor(self, images):
        """Scores of a batch as a tensor; eager or symbolic (see `ganzoo.anomaly.scoring`)."""
        return -keras.ops.reshape(self.gan.discriminator(images, training=False), (-1,))

    def _score(self, images):
        return eager_scores(self, images)

    def state(self):
        return network_state(self._networks())

    def set_state(self, arrays):
        set_network_state(self._networks(), arrays)
