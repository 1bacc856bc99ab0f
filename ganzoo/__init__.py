"""ganzoo: a Keras 3 / TensorFlow model zoo of Generative Adversarial Networks."""

import sys

__version__ = "0.1.0"

from ganzoo import data, errors, images, losses, metrics, nets, runs, training, zoo
from ganzoo.gans import DCGAN, GAN, WGANGP, CycleGAN, VanillaGAN
from ganzoo.training import callbacks
from ganzoo.zoo import list_entries, load

# The callbacks live with training; `ganzoo.callbacks` stays their public name, for
# `import ganzoo.callbacks` too.
sys.modules[f"{__name__}.callbacks"] = callbacks

__all__ = ["GAN", "CycleGAN", "DCGAN", "VanillaGAN", "WGANGP", "callbacks", "data", "errors",
           "images", "losses", "metrics", "nets", "runs", "training", "zoo", "list_entries",
           "load", "__version__"]
