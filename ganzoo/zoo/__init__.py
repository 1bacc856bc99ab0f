"""The zoo: entries described by YAML files in zoo_configs/, shipped with the package,
their schema, their pretrained weights and their model cards. An entry is a GAN or an
anomaly detector (`ganzoo.anomaly`).

Names load on first use (PEP 562): listing and reading entries (`ganzoo.zoo.catalog`)
does not import TensorFlow; building, validating and loading them does.
"""

import importlib

# public name -> the module that defines it
_NAMES = {"list_entries": "catalog", "image_shape_of": "catalog", "key_metrics": "catalog",
          "is_detector": "catalog", "model_name": "catalog", "size_of": "catalog",
          "read_entry": "catalog", "is_recipe": "recipes",
          "build_gan": "entries", "build_model": "entries", "get_entry": "entries",
          "load": "entries", "load_dataset": "entries", "noise_seed_of": "entries",
          "held_out_examples": "entries", "validate": "schema", "data_loader_of": "schema"}

_SUBMODULES = ("cards", "catalog", "entries", "pretrained", "recipes", "schema")

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *__all__})
