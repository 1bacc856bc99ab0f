"""How good a CycleGAN's translations are, where the true mapping is known.

On "digits2negative" the A -> B map is `negative_bold` (dilate, then invert), so every
held-out digit has an exact target. The table gives the mean absolute error (MAE,
per pixel, in the [-1, 1] range) of translations against their targets, next to two
references: the untranslated input, and inversion alone (the right colours, no
thickening). Cycle reconstruction errors show what the cycle loss keeps, and the
shipped digits classifier tells whether translations keep their digit: a2b outputs
are inverted back first (the classifier knows white ink on black; it recognises the
ground-truth bold digits inverted back at the rate the "ground truth" row shows).
"""

import numpy as np

from ganzoo.data import digits_pair
from ganzoo.metrics.report_table import format_cells, protocol_lines  # noqa: F401 (the table's)

COLUMNS = ("a2b MAE", "b2a MAE", "cycle A MAE", "cycle B MAE", "a2b class kept",
           "b2a class kept")
# Each column's cell: errors per pixel, the classes kept as percentages.
FORMATS = {column: "{:.1%}" if "class" in column else "{:.3f}" for column in COLUMNS}


def mean_absolute_error(x, y):
    """The mean absolute difference of two image arrays, per pixel (in float64)."""
    return float(np.mean(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64))))


def digits2negative_report(translator, name="model", classifier="digits"):
    """Rows `{name, metrics}` for a translator of the digits2negative test split (360
    digits), plus reference rows, and the protocol.

    Args:
        translator: a trained `ganzoo.CycleGAN` of digits2negative images.
        name: the translator's row name.
        classifier: "digits" or a `DigitsClassifier`-like object with `predict`.
    """
    from ganzoo.metrics.registry import get_extractor

    size, _, channels = translator.image_shape
    images_a, labels, truth_b, _ = digits_pair.digits_pair_arrays("test", size, channels)
    classifier = get_extractor(classifier)
    kept = lambda images: float(np.mean(classifier.predict(images) == labels))  # noqa: E731

    a2b = translator.translate(images_a, "a2b")
    b2a = translator.translate(truth_b, "b2a")
    mae = mean_absolute_error
    model = {
        "a2b MAE": mae(a2b, truth_b), "b2a MAE": mae(b2a, images_a),
        "cycle A MAE": mae(translator.translate(a2b, "b2a"), images_a),
        "cycle B MAE": mae(translator.translate(b2a, "a2b"), truth_b),
        "a2b class kept": kept(-a2b), "b2a class kept": kept(b2a),
    }
    rows = [
        {"name": name, "metrics": model},
        {"name": "ground truth (negative_bold)",
         "metrics": {"a2b MAE": 0.0, "a2b class kept": kept(-truth_b)}},
        {"name": "untranslated input", "metrics": {"a2b MAE": mae(images_a, truth_b),
                                                    "b2a MAE": mae(truth_b, images_a)}},
        {"name": "inversion only", "metrics": {"a2b MAE": mae(-images_a, truth_b),
                                                "b2a MAE": mae(-truth_b, images_a)}},
    ]
    protocol = {"data": "digits2negative test split (held out)", "num_images": len(images_a),
                "image_size": size, "mae": "mean absolute error per pixel, range [-1, 1]",
                "class_kept": "digits classifier's class == true label; a2b outputs negated "
                              "first", "classifier": classifier.name,
                "classifier_sha256": getattr(classifier, "weights_sha256", None)}
    return {"rows": rows, "protocol": protocol}


def format_row(values):
    """Table cells of one row, blank where a metric does not apply."""
    return format_cells(values, FORMATS)
