"""Class conditioning of the latent networks: where a label enters G and D.

Three modes (`CONDITIONING_MODES`), chosen once per GAN and passed to the builders:

- "projection" (Miyato & Koyama 2018, "cGANs with Projection Discriminator"): D's logit
  is psi(phi(x)) + <embed(y), phi(x)>, the inner product of a learned class embedding
  with D's pooled features phi(x) (`ClassProjection`); G gets a learned class embedding
  concatenated to z. The paper conditions G through class-conditional batch norm;
  concatenation keeps G's builders (DCGAN and MLP alike) unchanged past their input and
  is what the mode is about in D, where the projection replaces concatenation.
- "concat" (Mirza & Osindero 2014): the one-hot label concatenated to z in G, and to
  D's input: as K constant channels of an image, or K more features of a vector.
- "auxiliary" (Odena et al. 2017, AC-GAN): G as "concat"; D sees the sample alone and
  has a second head of K class logits, trained with a classification loss (the GAN's
  `class_loss_weight`).

Labels are int32 of shape `(batch,)`. A conditional generator takes `[z, label]`; a
conditional discriminator takes `[sample, label]`, except "auxiliary" (sample only),
whose outputs are `[logit, class_logits]`.
"""

import keras
from keras import layers

CONDITIONING_MODES = ("projection", "concat", "auxiliary")


def check_conditioning(num_classes, conditioning):
    """`(num_classes, conditioning)` validated: an int >= 2 or None, and a mode name."""
    if conditioning not in CONDITIONING_MODES:
        raise ValueError(f"conditioning must be one of {list(CONDITIONING_MODES)}; "
                         f"got {conditioning!r}.")
    if num_classes is None:
        return None, conditioning
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer of at least 2 (the labels are 0 .. "
                         f"num_classes - 1), or None for an unconditional GAN; got "
                         f"{num_classes!r}.")
    return num_classes, conditioning


def label_input():
    """The label input of a conditional network: int32, one per sample."""
    return keras.Input((), dtype="int32", name="label")


def generator_inputs(latent_dim, num_classes=None, conditioning="projection"):
    """`(inputs, code)`: a generator's input(s) and the vector its body starts from.

    Unconditional: z alone. Conditional: `[z, label]`, and z concatenated with the
    label's code: a learned embedding of `latent_dim` features for "projection" (as
    many as z, so neither dominates the first layer), the one-hot label otherwise.
    """
    z = keras.Input((latent_dim,), name="z")
    if num_classes is None:
        return z, z
    label = label_input()
    if conditioning == "projection":
        code = layers.Embedding(num_classes, latent_dim, name="class_embedding")(label)
    else:
        code = layers.CategoryEncoding(num_classes, output_mode="one_hot",
                                       name="one_hot_label")(label)
    return [z, label], layers.Concatenate(name="z_and_label")([z, code])


def discriminator_inputs(sample, num_classes=None, conditioning="projection"):
    """`(inputs, label)`: a discriminator's input(s) around its `sample` input, and the
    label tensor its body and head use (None for unconditional and "auxiliary" D's)."""
    if num_classes is None or conditioning == "auxiliary":
        return sample, None
    label = label_input()
    return [sample, label], label


def with_label(x, label, num_classes, conditioning):
    """`x` with the one-hot label appended along its last axis for "concat" (as
    constant channels of a feature map); `x` unchanged in the other modes."""
    if conditioning != "concat" or label is None:
        return x
    return LabelChannels(num_classes, name="label_channels")([x, label])


def discriminator_outputs(features, logit_layer, label, num_classes, conditioning):
    """D's output(s) from its pooled `features`: `logit_layer(features)`, plus the
    projection <embed(y), features> ("projection"), or with a K-way class head
    ("auxiliary": `[logit, class_logits]`)."""
    logit = logit_layer(features)
    if num_classes is None or conditioning == "concat":
        return logit
    if conditioning == "projection":
        projection = ClassProjection(num_classes, name="class_projection")([features, label])
        return layers.Add(dtype="float32", name="projected_logit")([logit, projection])
    class_logits = layers.Dense(num_classes, dtype="float32", name="class_logits")(features)
    return [logit, class_logits]


@keras.saving.register_keras_serializable(package="ganzoo")
class ClassProjection(layers.Layer):
    """`<embed(y), phi>` per sample: the class term of a projection discriminator.

    Miyato & Koyama 2018, eq. (3): `embed(y)` is row y of a learned `(num_classes,
    features)` matrix V. Computed in float32, like the logit it is added to.

    Args:
        num_classes: K, the number of labels.
    """

    def __init__(self, num_classes, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def build(self, input_shape):
        features_shape, _ = input_shape
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.num_classes, int(features_shape[-1])),
            initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, inputs):
        features, labels = inputs
        embedded = keras.ops.take(self.embeddings, keras.ops.cast(labels, "int32"), axis=0)
        return keras.ops.sum(embedded * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="ganzoo")
class LabelChannels(layers.Layer):
    """`[x, labels]` -> x with the one-hot labels appended along the last axis,
    repeated over every position of a feature map `(batch, height, width, channels)`.

    Args:
        num_classes: K, the number of labels (channels added).
    """

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def call(self, inputs):
        x, labels = inputs
        one_hot = keras.ops.one_hot(keras.ops.cast(labels, "int32"), self.num_classes,
                                    dtype=x.dtype)
        for _ in range(len(x.shape) - 2):  # spatial axes: the same label everywhere
            one_hot = keras.ops.expand_dims(one_hot, 1)
        one_hot = keras.ops.broadcast_to(
            one_hot, (*keras.ops.shape(x)[:-1], self.num_classes))
        return keras.ops.concatenate([x, one_hot], axis=-1)

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return (*x_shape[:-1], x_shape[-1] + self.num_classes)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
