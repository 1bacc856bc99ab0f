"""ganzoo: a Keras 3 / TensorFlow model zoo of Generative Adversarial Networks."""

__version__ = "0.1.0"

from ganzoo import callbacks, data, errors, images, losses, metrics, nets, runs, zoo
from ganzoo.gans import DCGAN, GAN, WGANGP, CycleGAN, VanillaGAN
from ganzoo.zoo import list_entries, load

__all__ = ["GAN", "CycleGAN", "DCGAN", "VanillaGAN", "WGANGP", "callbacks", "data", "errors",
           "images", "losses", "metrics", "nets", "runs", "zoo", "list_entries", "load", "__version__"]
