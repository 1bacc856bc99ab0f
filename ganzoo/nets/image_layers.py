"""Layers of the image-to-image networks that Keras does not ship as such."""

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="ganzoo")
class ReflectionPadding2D(layers.Layer):
    """Pad the two spatial axes of `(batch, height, width, channels)` by mirroring.

    The border values are reflected without repeating the edge (NumPy's "reflect"):
    a row `a b c d` padded by 2 becomes `c b a b c d c b`. CycleGAN's ResNet generator
    pads this way instead of with zeros, which would draw dark frames into outputs.

    Args:
        padding: pixels added on each side; smaller than the height and the width.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, images):
        p = self.padding
        return keras.ops.pad(images, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda size: None if size is None else size + 2 * self.padding  # noqa: E731
        return (batch, grow(height), grow(width), channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def instance_norm():
    """Instance normalization (Ulyanov et al. 2016): statistics per sample and per channel.

    Keras 3 has no InstanceNormalization; GroupNormalization with one group per
    channel is the same thing. epsilon 1e-5 as in the CycleGAN reference code.
    """
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def conv_init():
    """N(0, 0.02): the weight initialisation of the DCGAN and CycleGAN papers."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)
