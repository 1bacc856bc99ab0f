"""How good a paired translator's (a Pix2Pix's) translations are, on held-out pairs.

On a paired source with a test (or val) split, the table gives the mean absolute error
(L1, per pixel, in the [-1, 1] range) of the translations against their targets, next
to the untranslated inputs' error. On "digits_edges" it also gives the issue's target,
class agreement: the share of held-out edge maps whose translation the shipped digits
classifier assigns to the digit's true label; next to it, the classifier on the true
digits (the ceiling: its own accuracy) and on the edge maps themselves (no
translation).
"""

import numpy as np

from ganzoo.data import digits_edges
from ganzoo.data.paired import load_paired_arrays
from ganzoo.metrics.report_table import format_cells, protocol_lines  # noqa: F401 (the table's)
from ganzoo.metrics.translation import mean_absolute_error

# Each column's cell: the agreement as a percentage, L1 per pixel.
FORMATS = {"class agreement": "{:.1%}", "L1": "{:.3f}"}
COLUMNS = tuple(FORMATS)
SPLITS = ("test", "val")


def held_out_pairs(source, image_size, channels, direction="a2b", resize="crop"):
    """`(inputs, targets, labels or None, split)`: the held-out pairs of a paired source
    (its test split, else its val split); labels for "digits_edges" edges -> digits
    (a2b) only, the digits classifier's task."""
    if source == digits_edges.NAME and direction == "a2b":
        edges, images, labels = digits_edges.digits_edges_arrays("test", image_size, channels)
        return edges, images, labels, "test"
    problems = []
    for split in SPLITS:
        try:
            inputs, targets = load_paired_arrays(source, image_size, split=split,
                                                 channels=channels, direction=direction,
                                                 resize=resize)
            return inputs, targets, None, split
        except ValueError as error:
            problems.append(str(error))
    raise ValueError(f"a Pix2Pix is measured on held-out pairs of an in-memory paired source "
                     f"({digits_edges.NAME!r}, or a pix2pix-layout folder with a test/ or val/ "
                     f"split); {source!r} gives none: {problems[-1]}")


def paired_report(translator, source, name="model", classifier="digits", direction="a2b",
                  resize="crop", use_ema=True):
    """Rows `{name, metrics}` for a translator of `source`'s held-out pairs, plus
    reference rows, and the protocol.

    Args:
        translator: a trained `ganzoo.Pix2Pix` (anything with `image_shape` and
            `translate(images)`, A to B).
        source: a paired source (see `held_out_pairs`).
        name: the translator's row name.
        classifier: "digits" or a `DigitsClassifier`-like object with `predict`; used
            on "digits_edges" only.
        direction, resize: as the training data was loaded (`load_paired`).
        use_ema: as `translate`'s.
    """
    from ganzoo.metrics.registry import get_extractor

    size, _, channels = translator.image_shape
    inputs, targets, labels, split = held_out_pairs(source, size, channels, direction, resize)
    translated = translator.translate(inputs, use_ema=use_ema)
    model = {"L1": mean_absolute_error(translated, targets)}
    untranslated = ({"L1": mean_absolute_error(inputs, targets)}
                    if inputs.shape == targets.shape else {})
    rows = [{"name": name, "metrics": model}]
    shown = f"{source}, {direction}," if direction != "a2b" else source
    protocol = {"data": f"{shown} {split} split (held out)", "num_pairs": len(inputs),
                "image_size": size, "l1": "mean absolute error per pixel against the target, "
                                          "range [-1, 1]"}
    if labels is not None:
        classifier = get_extractor(classifier)

        def agreement(images):
            return float(np.mean(classifier.predict(images) == labels))

        model["class agreement"] = agreement(translated)
        rows.append({"name": "ground truth digits (ceiling)",
                     "metrics": {"class agreement": agreement(targets), "L1": 0.0}})
        untranslated["class agreement"] = agreement(inputs)
        protocol.update({"class_agreement": "the digits classifier's class of the translation "
                                            "== the digit's true label",
                         "classifier": classifier.name,
                         "classifier_sha256": getattr(classifier, "weights_sha256", None)})
    if untranslated:
        rows.append({"name": "untranslated input", "metrics": untranslated})
    return {"rows": rows, "protocol": protocol}


def format_row(values):
    """Table cells of one row, blank where a metric does not apply."""
    return format_cells(values, FORMATS)
