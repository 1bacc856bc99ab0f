"""Network builders: plain functional `keras.Model`s that know nothing of training."""

from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator
from ganzoo.nets.discriminator_options import pack_samples, packed_shape
from ganzoo.nets.mlp import mlp_discriminator, mlp_generator

__all__ = ["dcgan_generator", "dcgan_discriminator", "mlp_generator", "mlp_discriminator",
           "pack_samples", "packed_shape"]
