"""ganzoo: a Keras 3 / TensorFlow model zoo of Generative Adversarial Networks."""

__version__ = "0.1.0"

from ganzoo import data, losses, nets
from ganzoo.gans import DCGAN, GAN, VanillaGAN

__all__ = ["GAN", "DCGAN", "VanillaGAN", "data", "losses", "nets", "__version__"]
