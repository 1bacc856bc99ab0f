"""Differentiable augmentation of every image D sees: DiffAugment and ADA.

`make_augment(spec, **options)` turns a config's `augment` value into an augmenter:

    None or "none"                      -> None (no augmentation)
    "diffaugment"                       -> DiffAugment: color, translation, cutout
    "diffaugment:translation,cutout"    -> DiffAugment with those policies, in that order
    "ada" / "ada:bg"                    -> ADA with pipeline 'bgc' / the one named
    "ada:xint,scale,rotate,color"       -> ADA with those transforms and groups

Options go to the augmenter's constructor (ADA: target, interval, speed_images,
initial_p, pipeline; DiffAugment: translation_ratio, cutout_ratio).
"""

import inspect

from ganzoo.gans.augment.ada import ADA
from ganzoo.gans.augment.ada_pipeline import PIPELINES, TRANSFORMS
from ganzoo.gans.augment.augmenter import Augmenter
from ganzoo.gans.augment.diffaugment import POLICIES, DiffAugment

AUGMENTERS = {"diffaugment": DiffAugment, "ada": ADA}


def make_augment(spec, **options):
    """The augmenter a spec names, or None for no augmentation.

    Args:
        spec: None, "none", "diffaugment[:policy,...]", "ada[:pipeline,...]", or an
            `Augmenter` (returned as it is).
        **options: constructor arguments of the augmenter.

    Example:
        >>> make_augment("diffaugment:translation,cutout")
        >>> make_augment("ada", target=0.6, interval=4, speed_images=100_000)
    """
    if spec is None or isinstance(spec, Augmenter):
        if options:
            raise ValueError(f"Options {sorted(options)} need an augmentation spec string; "
                             f"got {spec!r}.")
        return spec
    if not isinstance(spec, str):
        raise TypeError(f"augment must be a string such as 'diffaugment' or 'ada', or None; "
                        f"got {type(spec).__name__}.")
    name, colon, arguments = spec.strip().partition(":")
    name = name.strip().lower()
    if name == "none" and not colon:
        if options:
            raise ValueError(f"augment='none' takes no options; got {sorted(options)}.")
        return None
    if name not in AUGMENTERS:
        raise ValueError(
            f"Unknown augmentation {spec!r}; expected 'none', 'diffaugment' or "
            f"'diffaugment:POLICY,...' (policies {list(POLICIES)}), or 'ada' or "
            f"'ada:PIPELINE' (pipelines {list(PIPELINES)}, or transforms {list(TRANSFORMS)}).")
    cls = AUGMENTERS[name]
    known = [key for key in inspect.signature(cls.__init__).parameters
             if key not in ("self", "kwargs")]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"Unknown option {unknown[0]!r} for augment={name!r}; "
                         f"its options are {known}.")
    return cls.from_spec(arguments if colon else None, **options)


__all__ = ["ADA", "AUGMENTERS", "Augmenter", "DiffAugment", "PIPELINES", "POLICIES", "TRANSFORMS",
           "make_augment"]
