"""The zoo: entries described by YAML files in zoo_configs/, shipped with the package,
their schema, their pretrained weights and their model cards."""

from ganzoo.zoo.entries import (build_gan, get_entry, image_shape_of, key_metrics,
                                list_entries, load, load_dataset, noise_seed_of)
from ganzoo.zoo.schema import validate

__all__ = ["build_gan", "get_entry", "image_shape_of", "key_metrics", "list_entries", "load",
           "load_dataset", "noise_seed_of", "validate"]
