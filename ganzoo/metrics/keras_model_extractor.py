"""Features from a layer of your own Keras model: a `.keras` file or a `keras.Model`.

The honest extractor for images that are neither digits nor ImageNet-like: a
classifier (or any network) trained on your own domain. Which layer gives the
features, and how images reach the model, go into every report's protocol.
"""

import hashlib
import os
import zipfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ganzoo.files import sha256_of
from ganzoo.metrics.extractors import ExtractorError, FeatureExtractor

# Layer names an error lists before "...".
_NAMES_SHOWN = 20


class KerasModelExtractor(FeatureExtractor):
    """Features from a layer of a Keras image model, and class probabilities if it is a classifier.

    Images reach the model as ganzoo makes them, in [-1, 1] (mapped linearly to
    `input_range` first), resized bilinearly (with antialiasing) to the model's input
    height and width when it fixes them. Their channels must match the model's input:
    1-channel images are not silently made RGB, nor the reverse.

    Which layer gives the features:
    - `layer="NAME"`: that layer's output; it must be a vector per image (N, D):
      name a pooling, Flatten or Dense layer, not a convolution's feature map.
    - default: the model's output; except when the model is a classifier, ending in a
      `Dense(..., activation="softmax")` (or a softmax after a Dense): then the input of
      that Dense layer, the penultimate features, as FID takes InceptionV3's pool.

    A model whose single output is a softmax also gives class probabilities (for the
    Inception Score and mode coverage); any other gives none, and those metrics are
    left out, not guessed.

    Args:
        model: the path of a `.keras` file, or a functional or Sequential `keras.Model`
            with a known input shape.
        layer: the name of the feature layer (see above).
        input_range: `(low, high)` the model expects its inputs in, e.g. (0, 255) for a
            model trained on raw pixels; default (-1, 1), ganzoo's range.
        safe_mode: Keras' safe mode when loading a file; False allows Lambda layers
            (arbitrary code): only for files you trust.
        name: how reports name the extractor; default "keras-model:" and the file or
            model name.

    Example:
        >>> extractor = KerasModelExtractor("runs/faces-classifier.keras", layer="embedding")
        >>> features, probs = extractor.extract(gan.generate(500, seed=0))
    """

    batch_size = 128

    def __init__(self, model, layer=None, input_range=(-1.0, 1.0), safe_mode=True, name=None):
        self.model_file = None
        if isinstance(model, (str, os.PathLike)):
            path = Path(model).expanduser().resolve()
            model = load_model_file(path, safe_mode)
            self.model_file, self.weights_sha256 = str(path), sha256_of(path)
            default_name = path.name
        elif isinstance(model, keras.Model):
            self.weights_sha256 = _weights_digest(model)
            default_name = model.name
        else:
            raise TypeError(f"model must be a path to a .keras file or a keras.Model; got "
                            f"{type(model).__name__}.")
        self.name = name or f"keras-model:{default_name}"
        self.input_range = _check_range(input_range)
        inputs = _image_input(model, self.name)
        self.input_shape = tuple(inputs.shape[1:])
        probs = _softmax_output(model)
        features, self.layer, self.layer_rule = _feature_tensor(model, layer, probs, self.name)
        self.feature_dim = int(features.shape[-1])
        self.num_classes = None if probs is None else int(probs.shape[-1])
        outputs = [features] if probs is None else [features, probs]
        self._model = keras.Model(inputs, outputs)
        self._forward = tf.function(lambda x: self._model(x, training=False), reduce_retracing=True)

    def _run(self, images):
        height, width, channels = self.input_shape
        if channels is not None and images.shape[-1] != channels:
            raise ExtractorError(
                f"{self.name} takes {channels}-channel images; these have {images.shape[-1]}. "
                f"Measure {images.shape[-1]}-channel images with a model of "
                f"{images.shape[-1]}-channel inputs (or load the data with channels={channels}).")
        x = tf.convert_to_tensor(images)
        if None not in (height, width) and tuple(images.shape[1:3]) != (height, width):
            x = tf.clip_by_value(tf.image.resize(x, (height, width), method="bilinear",
                                                 antialias=True), -1.0, 1.0)
        low, high = self.input_range
        outputs = self._forward(low + (x + 1.0) * ((high - low) / 2.0))
        if self.num_classes is None:
            features = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
            return np.asarray(features), None
        return np.asarray(outputs[0]), np.asarray(outputs[1])

    def protocol(self):
        height, width, channels = (s if s is not None else "any" for s in self.input_shape)
        low, high = self.input_range
        values = ("values in [-1, 1]" if (low, high) == (-1.0, 1.0)
                  else f"values [-1, 1] mapped to [{low:g}, {high:g}]")
        return {**super().protocol(), "model_file": self.model_file, "layer": self.layer,
                "feature_layer": self.layer_rule, "input_range": [low, high],
                "input": f"{height}x{width}x{channels} (bilinear resize), {values}"}


def load_model_file(path, safe_mode=True):
    """The `keras.Model` in a `.keras` file, or one clear error: missing, not a .keras
    file, corrupt, or not loadable (custom layers, Lambda layers in safe mode)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"feature extractor model {path} does not exist.")
    if path.is_dir():
        raise ExtractorError(f"{path} is a folder; a feature extractor model is a .keras file "
                             "(saved with model.save('model.keras')).")
    if path.suffix.lower() != ".keras":
        raise ExtractorError(f"{path} is not a .keras file; save the model in Keras' format "
                             "with model.save('model.keras'), or pass the keras.Model itself.")
    if not zipfile.is_zipfile(path):
        raise ExtractorError(f"{path} is not a readable .keras file: a .keras file is a zip "
                             "archive, and this one is corrupt, truncated or of another format.")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=safe_mode)
    except Exception as error:  # Keras raises many kinds here: one message, not a traceback
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExtractorError(
            f"cannot load {path} as a Keras model: {reason}. A model with custom layers "
            "needs them registered (keras.saving.register_keras_serializable) before it is "
            "loaded; or pass the built keras.Model.") from None


def _check_range(input_range):
    try:
        low, high = (float(v) for v in input_range)
    except (TypeError, ValueError):
        raise ValueError(f"input_range must be two numbers (low, high); got "
                         f"{input_range!r}.") from None
    if not low < high:
        raise ValueError(f"input_range must have low < high; got {input_range!r}.")
    return low, high


def _weights_digest(model):
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    return digest.hexdigest()


def _image_input(model, name):
    try:
        inputs = model.inputs
    except AttributeError:
        inputs = None
    if not inputs:
        raise ExtractorError(
            f"{name} has no input graph (a subclassed or unbuilt model): build it as a "
            "functional or Sequential model starting with keras.Input(shape), or pass a "
            "function images -> features instead.")
    if len(inputs) != 1 or len(inputs[0].shape) != 4:
        shapes = [tuple(t.shape) for t in inputs]
        shown = shapes[0] if len(shapes) == 1 else shapes
        raise ExtractorError(f"{name} takes inputs of shape {shown}; an image feature extractor "
                             "takes one input (N, height, width, channels).")
    return inputs[0]


def _producer(model, tensor):
    """The layer of `model` whose output is `tensor`, or None."""
    for layer in model.layers:
        try:
            if layer.output is tensor:
                return layer
        except (AttributeError, ValueError):  # a shared layer has no single output
            continue
    return None


def _is_softmax(layer):
    if isinstance(layer, keras.layers.Softmax):
        return True
    return getattr(layer, "activation", None) is keras.activations.softmax


def _softmax_output(model):
    """The model's output when it is the softmax of a classifier, else None."""
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2:
        return None
    last = _producer(model, model.outputs[0])
    return model.outputs[0] if last is not None and _is_softmax(last) else None


def _feature_tensor(model, layer, probs, name):
    """(features tensor, layer name, how it was chosen) for `layer` (a name or None)."""
    if layer is not None:
        try:
            chosen = model.get_layer(layer)
        except ValueError:
            names = [l.name for l in model.layers]
            shown = ", ".join(names[-_NAMES_SHOWN:])
            more = (f"(the last {_NAMES_SHOWN} of {len(names)}) " if len(names) > _NAMES_SHOWN
                    else "")
            raise ExtractorError(f"{name} has no layer {layer!r}; its layers {more}are: "
                                 f"{shown}.") from None
        try:
            tensor = chosen.output
        except (AttributeError, ValueError):
            raise ExtractorError(f"layer {layer!r} of {name} is used more than once, so it has "
                                 "no single output; name another layer.") from None
        rule = f"layer {layer!r} (given)"
    elif probs is not None:
        last = _producer(model, probs)
        dense = last if isinstance(last, keras.layers.Dense) else _producer(model, last.input)
        if not isinstance(dense, keras.layers.Dense):
            raise ExtractorError(f"{name} ends in a softmax that does not follow a Dense layer, "
                                 "so its penultimate features are unclear: name the feature "
                                 "layer (layer=NAME).")
        tensor, layer = dense.input, _producer(model, dense.input)
        layer = layer.name if layer is not None else "?"
        rule = (f"penultimate: the output of {layer!r}, the input of the softmax classifier "
                f"layer {dense.name!r}")
    elif len(model.outputs) == 1:
        tensor = model.outputs[0]
        last = _producer(model, tensor)
        layer = last.name if last is not None else "?"
        rule = f"the model's output (layer {layer!r})"
    else:
        raise ExtractorError(f"{name} has {len(model.outputs)} outputs: name the feature layer "
                             "(layer=NAME).")
    if len(tensor.shape) != 2 or tensor.shape[-1] is None:
        raise ExtractorError(
            f"{rule} of {name} gives features of shape {tuple(tensor.shape)}; features must be "
            "one vector per image, (N, D): name a pooling, Flatten or Dense layer (layer=NAME).")
    return tensor, layer, rule
