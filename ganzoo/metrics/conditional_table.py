"""The `ganzoo eval` table of a class-conditional GAN: `evaluate`'s table (FID, KID, IS,
precision/recall, modes) with three more columns, the conditional metrics of
`ganzoo.metrics.conditional`: class accuracy, intra-class FID and CAS.

Each is measured on every row under one protocol: the GAN's samples (the same number
of each class), the real train images (at most as many of each class; their true
labels), and uniform noise labelled like the samples. On the real train row, CAS is
the ceiling: the same classifier trained on real images. Noise gets no CAS (training a
classifier on it says nothing). The conditional metrics need the digits (the shipped
classifier's classes); for other data the table says why they are missing.
"""

import numpy as np

from ganzoo.data.digits import NUM_CLASSES as DIGITS_CLASSES
from ganzoo.metrics import evaluate
from ganzoo.metrics.conditional import (CAS_EPOCHS, CAS_SCHEDULE, at_most_per_class,
                                        checked_classifier, conditional_samples,
                                        digits_split, label_agreement, per_class_fid,
                                        real_class_features, score_samples)
from ganzoo.metrics.registry import get_extractor

COLUMNS = (*evaluate.COLUMNS, "class acc.", "intra-FID", "CAS")
# The data the conditional metrics are measured on: the shipped classifier's.
SOURCE = "digits"


def conditional_report(gan, name="model", num=None, seed=0, source="digits",
                       extractor="digits", use_ema=True, truncation=None, epochs=CAS_EPOCHS,
                       cas=True, **evaluate_kwargs):
    """`evaluate.evaluate_gan`'s report with the conditional metrics added to its rows.

    Args:
        gan: a class-conditional GAN (`num_classes`).
        num: samples per row; the conditional metrics take num // K of each class.
        epochs: the CAS classifiers' training epochs.
        cas: measure CAS (it trains two classifiers, most of the report's time); False
            leaves it out, as the truncation curves on the model cards do.
        the others: as in `evaluate.evaluate_gan` (the truncation reaches every sample).

    Returns:
        {"rows": [...], "protocol": {..., "conditional": {...}}}; each row's metrics gain
        conditional_accuracy, intra_fid and intra_fid_per_class, the model row cas,
        cas_ceiling and cas_ratio, the real train row cas (the ceiling), unless `cas` is
        False.
    """
    num_classes = int(gan.num_classes)
    why_not = _why_not_measured(gan, source)
    if why_not is None and num is not None and num // num_classes < 2:
        raise ValueError(f"the conditional metrics need at least 2 samples of each of the "
                         f"{num_classes} classes: num (--num) at least {2 * num_classes}; "
                         f"got {num}.")
    extractor = get_extractor(extractor)
    report = evaluate.evaluate_gan(gan, name=name, num=num, seed=seed, source=source,
                                   extractor=extractor, use_ema=use_ema, truncation=truncation,
                                   **evaluate_kwargs)
    if why_not is not None:
        report["protocol"]["conditional"] = {"skipped": why_not}
        return report
    per_class = report["protocol"]["num_samples"] // num_classes
    classifier = checked_classifier("digits", num_classes)
    train, test = digits_split(gan, "train"), digits_split(gan, "test")
    real_features = real_class_features(extractor, *test, num_classes)
    samples = conditional_samples(gan, per_class, seed, truncation, use_ema)
    keep = at_most_per_class(train[1], per_class, seed)
    floor = train[0][keep], train[1][keep]
    noise = (np.random.default_rng(seed).uniform(-1.0, 1.0, samples[0].shape).astype("float32"),
             samples[1])
    for row, (images, labels) in zip(report["rows"], (samples, floor, noise)):
        intra = per_class_fid(extractor.extract(images)[0], labels, real_features, test[1],
                              num_classes)
        row["metrics"].update(conditional_accuracy=label_agreement(classifier, images,
                                                                   labels).accuracy,
                              intra_fid=intra.mean, intra_fid_per_class=list(intra.per_class))
    report["protocol"]["conditional"] = {
        "num_per_class": per_class, "num_classes": num_classes,
        "real_train_per_class": np.bincount(floor[1], minlength=num_classes).tolist(),
        "classifier": classifier.name, "classifier_sha256": classifier.weights_sha256,
        "intra_fid": {"real": f"{SOURCE} test split",
                      "real_per_class": np.bincount(test[1], minlength=num_classes).tolist(),
                      "what": "mean over the classes of the FID of class c's samples against "
                              "the real test images of class c, with the FID's extractor"},
        "cas": {"skipped": "not asked for (cas=False)"}}
    if cas:
        score = score_samples(*samples, train, test, epochs, seed)
        report["rows"][0]["metrics"].update(cas=score.cas, cas_ceiling=score.ceiling,
                                            cas_ratio=score.ratio)
        report["rows"][1]["metrics"]["cas"] = score.ceiling
        report["protocol"]["conditional"]["cas"] = {
            "epochs": epochs, "schedule": CAS_SCHEDULE, "seed": seed,
            "architecture": f"{classifier.name}'s architecture (build_digits_classifier)",
            "num_generated": score.num_generated, "num_real": score.num_real,
            "test": f"{SOURCE} test split ({score.num_test} images)"}
    return report


def _why_not_measured(gan, source):
    """Why the conditional metrics cannot be measured for this GAN and data, or None."""
    if str(source) != SOURCE:
        return (f"they use the shipped digits classifier and the digits' labelled splits; "
                f"the data here is {str(source)!r}")
    if int(gan.num_classes) != DIGITS_CLASSES:
        return (f"this GAN makes {gan.num_classes} classes, the digits (and the shipped "
                f"classifier) have {DIGITS_CLASSES}")
    if tuple(gan.data_shape)[-1] != 1:
        return "the shipped digits classifier measures gray images (1 channel)"
    return None


def format_row(values):
    """The table cells of one row (missing metrics show as n/a)."""
    def cell(key, spec):
        return "n/a" if values.get(key) is None else format(values[key], spec)

    return [*evaluate.format_row(values), cell("conditional_accuracy", ".1%"),
            cell("intra_fid", ".2f"), cell("cas", ".1%")]


def protocol_lines(report):
    """`evaluate.protocol_lines` and a line per conditional metric."""
    lines = evaluate.protocol_lines(report)
    conditional = report["protocol"].get("conditional") or {}
    if "skipped" in conditional:
        return lines + [f"class acc., intra-FID, CAS: not measured: {conditional['skipped']}"]
    intra, cas = conditional["intra_fid"], conditional["cas"]
    real = report["rows"][1]["name"]
    ratio = report["rows"][0]["metrics"].get("cas_ratio")
    lines += [
        f"conditional: {conditional['num_per_class']} samples of each of the "
        f"{conditional['num_classes']} classes; {real}: at most as many train images of "
        "each class, with their true labels; noise labelled like the samples",
        f"class acc.: the share of samples {conditional['classifier']} (weights sha256 "
        f"{(conditional['classifier_sha256'] or 'none')[:16]}...) assigns to the class asked for",
        f"intra-FID: mean over classes of the FID of class c's samples against the real "
        f"images of class c in the {intra['real']} ({min(intra['real_per_class'])}-"
        f"{max(intra['real_per_class'])} each), features as for FID"]
    if "skipped" in cas:
        return lines + [f"CAS: not measured: {cas['skipped']}"]
    return lines + [
        f"CAS: a fresh classifier of {cas['architecture']}, trained {cas['epochs']} epochs on "
        f"the {cas['num_generated']} samples labelled by the class asked for, tested on the "
        f"{cas['test']}; on {real}: the same on {cas['num_real']} real train images (the "
        "ceiling); CAS / ceiling " + ("n/a" if ratio is None else f"{ratio:.3f}")]
