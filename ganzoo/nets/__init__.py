"""Network builders: plain functional `keras.Model`s that know nothing of training."""

from ganzoo.nets.conditional_patchgan import conditional_patchgan
from ganzoo.nets.dcgan import dcgan_discriminator, dcgan_generator
from ganzoo.nets.discriminator_options import pack_samples, packed_shape
from ganzoo.nets.image_layers import ReflectionPadding2D, instance_norm
from ganzoo.nets.mlp import mlp_discriminator, mlp_generator
from ganzoo.nets.patchgan import patchgan_discriminator
from ganzoo.nets.resnet import resnet_generator
from ganzoo.nets.srgan_discriminator import srgan_discriminator
from ganzoo.nets.srresnet import PixelShuffle, srresnet_generator
from ganzoo.nets.unet import unet_generator

__all__ = ["dcgan_generator", "dcgan_discriminator", "mlp_generator", "mlp_discriminator",
           "pack_samples", "packed_shape", "patchgan_discriminator", "resnet_generator",
           "ReflectionPadding2D", "instance_norm", "unet_generator", "conditional_patchgan",
           "srresnet_generator", "srgan_discriminator", "PixelShuffle"]
