"""Feature models for SRGAN's feature ("perceptual") content loss.

Ledig et al. 2017 compare VGG19 feature maps of the super-resolved and the true image
(their VGG54: the 4th convolution before the 5th pooling, rescaled by 1/12.75). No
ImageNet VGG ships offline with ganzoo, so the feature loss takes any Keras model from
high-resolution images in [-1, 1] to feature maps: bring your own (e.g.
`keras.applications.VGG19` wrapped to take [-1, 1] input, where its weights can be
downloaded). For digits, the classifier that ships with ganzoo fits:
`digits_feature_model()`.
"""

import keras


def check_feature_model(model, channels):
    """Refuse what cannot serve as the feature model of images with `channels`."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"feature_model must be a keras.Model from images in [-1, 1] to "
                        f"features; got {type(model).__name__}.")
    if model.input_shape[-1] != channels:
        raise ValueError(f"feature_model takes {model.input_shape[-1]}-channel images; this "
                         f"model's images have {channels}.")
    return model


def digits_feature_model(image_size=32):
    """The shipped digits classifier's last convolution (before its pooling), frozen.

    A `(image_size, image_size, 1)` gray image in [-1, 1] -> 64 feature maps at 1/8 of
    32 px (4x4): spatial features, as SRGAN's VGG54 (not the pooled 64-d vector the
    digits metrics use). Other sizes are resized to the classifier's 32 px first
    (bilinear, antialiased, as the metrics do).

    Args:
        image_size: side of the high-resolution images it will see.

    Example:
        >>> srgan = ganzoo.SRGAN(scale=4, channels=1, patch_size=32,
        ...                      feature_model=digits_feature_model(32))
    """
    from ganzoo.metrics.digits_classifier import (FEATURE_LAYER, INPUT_SIZE, WEIGHTS_FILE,
                                                  build_digits_classifier)
    from ganzoo.metrics.extractors import package_file

    classifier = build_digits_classifier()
    classifier.load_weights(package_file(WEIGHTS_FILE))
    maps = keras.Model(classifier.inputs, classifier.get_layer(FEATURE_LAYER).input)
    image = keras.Input((image_size, image_size, 1), name="image")
    x = image
    if image_size != INPUT_SIZE:
        x = keras.layers.Resizing(INPUT_SIZE, INPUT_SIZE, interpolation="bilinear",
                                  antialias=True)(x)
    model = keras.Model(image, maps(x), name="digits_features")
    model.trainable = False
    return model
