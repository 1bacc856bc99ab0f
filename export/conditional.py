"""Class-conditional generators, `[z, label] -> samples`, as export takes them.

A conditional generator (`num_classes=K`; `ganzoo.nets.conditioning.generator_inputs`)
takes latents `(batch, latent_dim)` and int32 labels `(batch,)` in [0, K). Its
artifacts keep both inputs, named `z` and `label`; K is read from the layer the label
enters (a class embedding, a one-hot encoding) or given by its GAN.

One rewrite before conversion, the same function of the same weights: a one-hot
encoding of the label ("concat" and "auxiliary" generators) becomes a lookup in a
fixed K x K identity table. Full-integer TFLite quantizes a ONE_HOT op's on and off
values with scales of their own, but its int8 kernel copies them to an output of
another scale as they are: measured on a tiny concat DCGAN, a one-hot of (1, 0)
arrived as about (2.0, -0.19), and the int8 file's SNR fell to 3 dB. A lookup
(GATHER) keeps the table's scale and quantizes as an embedding does.
"""

from ganzoo.export.sources import Source


def label_input(model):
    """The label input of a generator that takes `[z, label]`, else None; a ValueError
    for `[label, z]`."""
    if len(model.inputs) != 2:
        return None
    ranks = [len(tensor.shape) for tensor in model.inputs]
    integer = [str(tensor.dtype).startswith(("int", "uint")) for tensor in model.inputs]
    if ranks == [1, 2] and integer == [True, False]:
        raise ValueError(f"{model.name} takes [label, z]; export takes conditional generators "
                         "whose inputs are [z, label] (as ganzoo's are): rebuild it with the "
                         "latent first.")
    if ranks == [2, 1] and integer == [False, True]:
        return model.inputs[1]
    return None


def classes_of(model, label):
    """The class count of the first layer that `label` enters, or None if none says
    (an Embedding's `input_dim`, a CategoryEncoding's `num_tokens`, a `num_classes`)."""
    import keras

    for layer in model.layers:
        try:
            takes = any(tensor is label for tensor in keras.tree.flatten(layer.input))
        except (AttributeError, ValueError):  # an input layer, or a layer called twice
            continue
        if takes:
            for name in ("num_classes", "input_dim", "num_tokens"):
                value = getattr(layer, name, None)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
    return None


def describe(model, origin, label, num_classes=None):
    """The `Source` of a conditional generator whose label input is `label`.

    Args:
        num_classes: its GAN's class count, when known (a run, an entry); must agree
            with the layer the label enters. Needed when no such layer says.
    """
    found = classes_of(model, label)
    if found is None and num_classes is None:
        raise ValueError(f"{model.name} takes class labels, but no layer that its label "
                         "enters says how many classes there are (an Embedding's input_dim, "
                         "a one-hot encoding's num_tokens, or a num_classes attribute); "
                         "export it from its run folder or zoo entry.")
    if found is not None and num_classes is not None and found != num_classes:
        raise ValueError(f"{model.name}'s label enters a layer of {found} classes, but its GAN "
                         f"has num_classes={num_classes}.")
    shape = tuple(model.output_shape)
    if None in tuple(model.input_shape[0][1:]) + shape[1:] or shape[1:] == (1,):
        raise ValueError(f"{model.name} is not a conditional generator: it maps "
                         f"{tuple(model.input_shape)} to {shape}.")
    return Source(model=one_hot_as_lookup(model), kind="latent", origin=origin,
                  num_classes=int(found if found is not None else num_classes))


def one_hot_as_lookup(model):
    """`model` with every one-hot CategoryEncoding replaced by a lookup in a fixed
    identity table (see the module's docstring); `model` itself if it has none. The
    copy's other layers are new layers holding the same weights, so `model` is left as
    it was."""
    import keras

    if not any(_is_one_hot(layer) for layer in model.layers):
        return model

    def copy(layer):
        if _is_one_hot(layer):
            return keras.layers.Embedding(layer.num_tokens, layer.num_tokens,
                                          embeddings_initializer="identity", trainable=False,
                                          name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = keras.models.clone_model(model, clone_function=copy)
    for layer in clone.layers:
        if not isinstance(layer, keras.layers.InputLayer) and not _is_one_hot(
                model.get_layer(layer.name)):
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return clone


def _is_one_hot(layer):
    import keras

    return (isinstance(layer, keras.layers.CategoryEncoding)
            and layer.output_mode == "one_hot")


__all__ = ["label_input", "classes_of", "describe", "one_hot_as_lookup"]
