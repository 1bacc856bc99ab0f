"""GAN variants: one module per variant over the shared base."""

from ganzoo.gans.adversarial import SAMPLER, TRANSLATOR
from ganzoo.gans.base import GAN
from ganzoo.gans.biggan import BigGAN
from ganzoo.gans.cyclegan import CycleGAN
from ganzoo.gans.dcgan import DCGAN
from ganzoo.gans.pix2pix import Pix2Pix
from ganzoo.gans.progan import ProGAN
from ganzoo.gans.srgan import SRGAN, UPSCALER, SRResNet
from ganzoo.gans.stylegan2 import StyleGAN2
from ganzoo.gans.vanilla import VanillaGAN
from ganzoo.gans.wgan_gp import WGANGP

# Variant names as zoo configs and run folders spell them.
VARIANTS = {cls.__name__: cls for cls in (VanillaGAN, DCGAN, WGANGP, CycleGAN, Pix2Pix,
                                          SRResNet, SRGAN, ProGAN, StyleGAN2, BigGAN)}


def get_variant(name):
    """The GAN class registered under `name`, with a clear error for unknown names."""
    if name not in VARIANTS:
        raise ValueError(f"Unknown GAN variant {name!r}; expected one of {sorted(VARIANTS)}.")
    return VARIANTS[name]


__all__ = ["GAN", "CycleGAN", "DCGAN", "VanillaGAN", "WGANGP", "Pix2Pix", "SRResNet", "SRGAN",
           "ProGAN", "StyleGAN2", "BigGAN", "SAMPLER", "TRANSLATOR", "UPSCALER", "VARIANTS",
           "get_variant"]
