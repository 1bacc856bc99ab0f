"""The feature extractors by name: `get_extractor("digits")`, and your own registered.

Its own module, above the extractors it names: the extractors import their base class
from `ganzoo.metrics.extractors`, and nothing there imports them back.
"""

from ganzoo.metrics.digits_classifier import DigitsClassifier
from ganzoo.metrics.extractors import FeatureExtractor
from ganzoo.metrics.inception import InceptionV3Extractor

# name -> factory(**kwargs) returning a FeatureExtractor
_REGISTRY = {"digits": DigitsClassifier, "inception": InceptionV3Extractor}
# Built extractors per (name, arguments): repeated calls (every k epochs in a callback,
# every row of a table) build and load the network once.
_CACHE = {}


def register_extractor(name, factory):
    """Make `get_extractor(name, **kwargs)` call `factory(**kwargs)`."""
    _REGISTRY[name] = factory


def extractor_names():
    return sorted(_REGISTRY)


def get_extractor(extractor="digits", **kwargs):
    """An extractor from its registered name ("digits", "inception"), or `extractor` itself."""
    if isinstance(extractor, FeatureExtractor):
        return extractor
    if extractor not in _REGISTRY:
        raise ValueError(f"unknown feature extractor {extractor!r}; known: "
                         f"{', '.join(sorted(_REGISTRY))}, or pass a FeatureExtractor.")
    key = (extractor, tuple(sorted((k, str(v)) for k, v in kwargs.items())))
    if key not in _CACHE:
        _CACHE[key] = _REGISTRY[extractor](**kwargs)
    return _CACHE[key]
