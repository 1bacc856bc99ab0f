"""The feature extractors by name or by what you hand over: `get_extractor("digits")`,
`get_extractor("model.keras", layer="features")`, a keras.Model, a function.

Its own module, above the extractors it names: the extractors import their base class
from `ganzoo.metrics.extractors`, and nothing there imports them back.
"""

import os
from pathlib import Path

import keras

from ganzoo.metrics.callable_extractor import CallableExtractor
from ganzoo.metrics.digits_classifier import DigitsClassifier
from ganzoo.metrics.extractors import ExtractorError, FeatureExtractor
from ganzoo.metrics.inception import InceptionV3Extractor
from ganzoo.metrics.keras_model_extractor import KerasModelExtractor

# name -> factory(**kwargs) returning a FeatureExtractor
_REGISTRY = {"digits": DigitsClassifier, "inception": InceptionV3Extractor}
# Built extractors per (name or file, arguments): repeated calls (every k epochs in a
# callback, every row of a table) build and load the network once.
_CACHE = {}


def register_extractor(name, factory):
    """Make `get_extractor(name, **kwargs)` call `factory(**kwargs)`."""
    _REGISTRY[name] = factory


def extractor_names():
    return sorted(_REGISTRY)


def get_extractor(extractor="digits", **kwargs):
    """The feature extractor that `extractor` names or is.

    Args:
        extractor: one of
            - a registered name: "digits" (shipped, offline, for digits only; kwargs
              `weights`, `allow_non_digits`), "inception" (kwargs `weights` ...), or
              one added with `register_extractor`;
            - the path of a `.keras` model file (str or os.PathLike): a
              `KerasModelExtractor` (kwargs `layer`, `input_range`, `safe_mode`, `name`);
            - a `keras.Model`: the same, without the file;
            - any other callable `images -> features (N, D)`: a `CallableExtractor`
              (kwargs `name`, `batch_size`);
            - a built `FeatureExtractor`, returned as it is.
        **kwargs: the extractor's constructor arguments.

    Raises:
        FileNotFoundError: a model file that does not exist.
        ExtractorError (a ValueError): an unknown name, a file that is not a loadable
            .keras model, an unknown layer.

    Example:
        >>> get_extractor("digits")
        >>> get_extractor("runs/classifier.keras", layer="features")
        >>> get_extractor(lambda images: embed(images), name="my-embedding")
    """
    if isinstance(extractor, FeatureExtractor):
        if kwargs:
            raise ValueError(f"{sorted(kwargs)} apply when an extractor is built; "
                             f"{extractor!r} is built already.")
        return extractor
    if isinstance(extractor, keras.Model):
        return KerasModelExtractor(extractor, **kwargs)
    if isinstance(extractor, str) and extractor in _REGISTRY:
        if "layer" in kwargs and extractor in ("digits", "inception"):
            raise ExtractorError(f"layer= applies to your own model (a .keras file or a "
                                 f"keras.Model); the {extractor!r} extractor has fixed features.")
        key = (extractor, _arguments_key(kwargs))
        if key not in _CACHE:
            _CACHE[key] = _REGISTRY[extractor](**kwargs)
        return _CACHE[key]
    if isinstance(extractor, os.PathLike) or (isinstance(extractor, str)
                                              and _looks_like_path(extractor)):
        path = Path(extractor).expanduser().resolve()
        stamp = (path.stat().st_mtime_ns, path.stat().st_size) if path.is_file() else None
        if stamp is None:  # missing, a folder ...: the extractor says which, uncached
            return KerasModelExtractor(path, **kwargs)
        key = (str(path), stamp, _arguments_key(kwargs))
        if key not in _CACHE:
            _CACHE[key] = KerasModelExtractor(path, **kwargs)
        return _CACHE[key]
    if isinstance(extractor, str):
        raise ExtractorError(f"unknown feature extractor {extractor!r}; known: "
                             f"{', '.join(sorted(_REGISTRY))}, or the path of a .keras model "
                             "file (with layer=NAME), a keras.Model, a function images -> "
                             "features, or a FeatureExtractor.")
    if callable(extractor):
        return CallableExtractor(extractor, **kwargs)
    raise TypeError(f"extractor must be a name, a .keras file, a keras.Model, a function or a "
                    f"FeatureExtractor; got {type(extractor).__name__}.")


def _looks_like_path(text):
    return (text.lower().endswith(".keras") or any(sep in text for sep in "/\\~")
            or text.startswith(".") or Path(text).exists())


def _arguments_key(kwargs):
    return tuple(sorted((k, str(v)) for k, v in kwargs.items()))
