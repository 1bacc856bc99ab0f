"""ganzoo: a Keras 3 / TensorFlow model zoo of Generative Adversarial Networks.

Its names load on first use (PEP 562), so that `import ganzoo.export.runtime` on a
board without TensorFlow, or `ganzoo --help`, does not import TensorFlow.
"""

import importlib
import importlib.abc
import importlib.machinery
import sys

__version__ = "0.1.0"

_SUBMODULES = ("anomaly", "data", "errors", "gans", "images", "losses", "metrics", "nets", "runs",
               "training", "zoo")
# public name -> the module that defines it
_NAMES = {"GAN": "ganzoo.gans", "CycleGAN": "ganzoo.gans", "DCGAN": "ganzoo.gans",
          "VanillaGAN": "ganzoo.gans", "WGANGP": "ganzoo.gans", "Pix2Pix": "ganzoo.gans",
          "SRResNet": "ganzoo.gans", "SRGAN": "ganzoo.gans", "ProGAN": "ganzoo.gans",
          "StyleGAN2": "ganzoo.gans", "BigGAN": "ganzoo.gans",
          "list_entries": "ganzoo.zoo", "load": "ganzoo.zoo"}
# Modules that moved into a stage's folder keep their old public name.
_MODULE_ALIASES = {"ganzoo.callbacks": "ganzoo.training.callbacks"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
    elif f"{__name__}.{name}" in _MODULE_ALIASES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})


class _ModuleAliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import ganzoo.callbacks` gives the module ganzoo.training.callbacks itself."""

    def find_spec(self, name, path=None, target=None):
        if name in _MODULE_ALIASES:
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(_MODULE_ALIASES[spec.name])

    def exec_module(self, module):
        pass  # already executed under its own name


sys.meta_path.append(_ModuleAliases())

__all__ = ["GAN", "CycleGAN", "DCGAN", "VanillaGAN", "WGANGP", "Pix2Pix", "SRResNet", "SRGAN",
           "ProGAN", "StyleGAN2", "BigGAN", "callbacks", "data", "errors",
           "gans", "images", "losses", "metrics", "nets", "runs", "training", "zoo",
           "list_entries", "load", "__version__"]
