"""The metrics table and its protocol: what `ganzoo eval`, the callback and the benchmark share.

`compare(fake, real)` measures one sample set against real images and returns the
numbers with their protocol (extractor and weights hash, sample counts, metric
settings) side by side. `evaluate_gan(gan)` makes the table `ganzoo eval` prints: the
GAN against the held-out real split, plus two reference rows under the same protocol,
real train vs real test (the floor: what a perfect GAN would score with these sample
counts) and uniform noise vs real test (the ceiling: what no GAN should score).
"""

import numpy as np

from ganzoo.metrics.registry import get_extractor
from ganzoo.metrics.kernel_distance import kid
from ganzoo.metrics.kernel_distance import kid_subset_size as _kid_size
from ganzoo.metrics.classifier_score import inception_score
from ganzoo.metrics.modes import class_distribution
from ganzoo.metrics.manifold import precision_recall
from ganzoo.metrics.streaming import FeatureStats

ALL_METRICS = ("fid", "kid", "is", "pr", "modes")
KID_KERNEL = "(x.y/d + 1)^3"


def feature_stats(images, extractor="digits", keep=10_000, confidence=0.9, seed=0,
                  batch_size=None):
    """Stream images (an array, or an iterable of batches) through an extractor into FeatureStats."""
    extractor = get_extractor(extractor)
    stats = FeatureStats(keep=keep, confidence=confidence, seed=seed)
    batches = [images] if isinstance(images, np.ndarray) else images
    for batch in batches:
        stats.update(*extractor.extract(batch, batch_size))
    if stats.count == 0:
        raise ValueError("no images to measure.")
    return stats


def gan_batches(gan, num, seed=0, batch_size=1000, use_ema=True, truncation=None):
    """`gan.generate(num, seed)` in batches: the same images, never all in memory at once.
    A GAN with a generator EMA samples from the average unless `use_ema=False`;
    `truncation` is the GAN's truncation trick's value (None: none)."""
    if truncation is not None:
        gan.check_truncation(truncation)
    rng = np.random.default_rng(seed)  # each batch goes on drawing from the same stream
    for start in range(0, num, batch_size):
        size = min(batch_size, num - start)
        yield gan.generate(size, seed=rng, truncation=truncation, batch_size=size,
                           use_ema=use_ema)


def compare(fake, real, extractor="digits", *, real_labels=None, metrics=ALL_METRICS,
            kid_subsets=100, kid_subset_size=1000, pr_k=3, is_splits=10, confidence=0.9,
            min_share=0.1, seed=0):
    """Every metric of `fake` against `real`, with the protocol that produced the numbers.

    Args:
        fake, real: images in [-1, 1] (arrays or iterables of batches), or `FeatureStats`
            already computed with the same extractor (so real statistics are computed once).
        extractor: anything `get_extractor` takes: "digits", "inception", the path of a
            `.keras` model, a `keras.Model`, a function `images -> features`, or a
            `FeatureExtractor` (to give a file's layer: `get_extractor(path, layer=NAME)`).
            The extractor may refuse a real set it cannot measure (the digits
            classifier refuses images that are not digits).
        real_labels: true labels of `real`, for the real class distribution of mode
            coverage; without them, the extractor's predictions on `real` stand in.
        metrics: any of "fid", "kid", "is", "pr" (precision/recall), "modes".
        kid_subsets, kid_subset_size: KID subsets and their size cap.
        pr_k: the k of the k-NN manifolds; the larger set is subsampled to the smaller
            one's size first, since a bigger set has a wider manifold.
        is_splits: splits of the Inception Score.
        confidence, min_share: mode-coverage settings (see `mode_coverage`).
        seed: seed of every random subset.

    Returns:
        {"metrics": {name: value}, "protocol": {...}}; metrics the extractor cannot give
        (IS and mode coverage without class probabilities) are None, and their protocol
        entry says why under "skipped".
    """
    unknown = set(metrics) - set(ALL_METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {ALL_METRICS}.")
    extractor = get_extractor(extractor)
    fake_stats = fake if isinstance(fake, FeatureStats) else feature_stats(
        fake, extractor, confidence=confidence, seed=seed)
    real_stats = real if isinstance(real, FeatureStats) else feature_stats(
        real, extractor, confidence=confidence, seed=seed)
    extractor.check_real(real_stats)
    values, protocol = {}, {**extractor.protocol(), "num_fake": fake_stats.count,
                            "num_real": real_stats.count}
    for side, stats in (("fake", fake_stats), ("real", real_stats)):
        if len(stats.features) < stats.count:  # KID, IS and precision/recall see a reservoir
            protocol[f"num_{side}_kept"] = len(stats.features)
    if "fid" in metrics:
        values["fid"] = fake_stats.frechet_distance(real_stats)
        protocol["fid"] = {"sqrt_method": "eigh of C_a^(1/2) C_b C_a^(1/2)"}
    if "kid" in metrics:
        values["kid"], values["kid_std"] = kid(real_stats.features, fake_stats.features,
                                               kid_subsets, kid_subset_size, seed)
        protocol["kid"] = {"subsets": kid_subsets, "kernel": KID_KERNEL, "subset_size": _kid_size(
            len(real_stats.features), len(fake_stats.features), kid_subset_size)}
    if "pr" in metrics:
        real_f, fake_f = _equal_sizes(real_stats.features, fake_stats.features, seed)
        values["precision"], values["recall"] = precision_recall(real_f, fake_f, k=pr_k)
        protocol["precision_recall"] = {"k": pr_k, "num_per_set": len(real_f)}
    probs = fake_stats.probs
    skipped = {} if probs is not None else {
        "skipped": f"{extractor.name} gives no class probabilities (only a classifier does)"}
    if "is" in metrics:
        values["is"], values["is_std"] = (inception_score(probs, is_splits) if probs is not None
                                          else (None, None))
        protocol["inception_score"] = {"splits": is_splits, **skipped}
    if "modes" in metrics:
        if probs is None:
            values.update(modes_covered=None, num_modes=None, class_kl=None,
                          confident_fraction=None, class_histogram=None)
        else:
            if real_labels is not None:
                reference = class_distribution(np.asarray(real_labels), extractor.num_classes)
                source = "true labels of the real set"
            else:
                reference = real_stats.class_counts / real_stats.count
                source = "classifier predictions on the real set"
            coverage = fake_stats.mode_coverage(reference, min_share)
            values.update(modes_covered=coverage.modes_covered, num_modes=coverage.num_modes,
                          class_kl=coverage.kl, confident_fraction=coverage.confident_fraction,
                          class_histogram=list(coverage.histogram))
        protocol["mode_coverage"] = {"confidence": fake_stats.confidence, "min_share": min_share,
                                     "real_distribution": source if probs is not None else None,
                                     **skipped}
    return {"metrics": values, "protocol": protocol}


def _reference_sets(source, size, channels, split, floor_split, seed, resize):
    """(real images, their labels or None, floor images, what each set is) of `source`."""
    from ganzoo.data import load_arrays, source_kind

    if source_kind(source) != "folder":
        real, labels = load_arrays(source, size, split=split, channels=channels)
        floor, _ = load_arrays(source, size, split=floor_split, channels=channels)
        return real, labels, floor, f"{source} {split} split", f"{source} {floor_split} split"
    images, _ = load_arrays(source, size, split="all", channels=channels, resize=resize)
    if len(images) < 4:
        raise ValueError(f"folder {str(source)!r} has {len(images)} images; measuring needs at "
                         "least 4 (half of them the reference, half the floor).")
    order = np.random.default_rng(seed).permutation(len(images))
    half = len(images) // 2
    # Subfolder labels are the folder's classes, not the extractor's: no real_labels.
    return (images[np.sort(order[:half])], None, images[np.sort(order[half:])],
            f"folder {str(source)!r}, a random half (seed {seed}; a folder has no held-out "
            f"split, so the GAN may have trained on these)",
            f"folder {str(source)!r}, the other half")


def _equal_sizes(a, b, seed):
    rng = np.random.default_rng(seed)
    size = min(len(a), len(b))
    pick = lambda x: x if len(x) == size else x[np.sort(rng.choice(len(x), size, replace=False))]
    return pick(a), pick(b)


def evaluate_gan(gan, name="model", num=None, seed=0, source="digits", split="test",
                 floor_split="train", extractor="digits", metrics=ALL_METRICS, resize="crop",
                 use_ema=True, truncation=None, **compare_kwargs):
    """The GAN, the floor and the ceiling rows against the held-out real split, one protocol.

    Args:
        gan: a `ganzoo.GAN` making images in [-1, 1].
        name: the GAN's row label.
        num: generated (and noise, and floor) samples; default the size of the floor
            split, so the floor row uses exactly the model row's counts.
        seed: latent seed of the generated samples, noise seed, subset seed.
        source: the real data (`ganzoo.data.load_arrays` source), at the GAN's image size.
            A folder has no held-out split: a seeded random half of it is the
            reference and the other half the floor (the GAN may have seen both).
        split, floor_split: the real reference split and the floor's real split.
        extractor: anything `get_extractor` takes (see `compare`).
        metrics: see `compare`.
        resize: how a folder's non-square images become square, as for training
            (`ganzoo.data.load`'s `resize`).
        use_ema: sample the generator EMA, if the GAN keeps one (else the raw one).
        truncation: the truncation trick's value (None: none): a StyleGAN2's psi, the
            other latent GANs' threshold on |z| (`gan.truncation_meaning`).

    Returns:
        {"rows": [{"name", "metrics", "protocol"}, ...], "protocol": {...shared...}}.
    """
    shape = tuple(gan.data_shape)
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise ValueError(f"image metrics need a GAN that makes images; this one makes samples of "
                         f"shape {shape} (for 2D mixtures use "
                         f"ganzoo.metrics.mixture_mode_metrics).")
    if truncation is not None:  # before any sample or feature is computed
        gan.check_truncation(truncation)
    extractor = get_extractor(extractor)
    extractor.check_source(source)
    size, channels = shape[0], shape[-1]
    real, real_labels, floor, reference, floor_source = _reference_sets(
        source, size, channels, split, floor_split, seed, resize)
    num = len(floor) if num is None else int(num)
    if num < 2:
        raise ValueError(f"need at least 2 generated samples; got {num}.")
    if num < len(floor):
        floor = floor[np.sort(np.random.default_rng(seed).choice(len(floor), num, replace=False))]
    noise = np.random.default_rng(seed).uniform(-1.0, 1.0, (num, *shape)).astype(np.float32)

    real_stats = feature_stats(real, extractor, seed=seed)
    kwargs = dict(real_labels=real_labels, metrics=metrics, seed=seed, **compare_kwargs)
    rows = []
    described = f"generated, latent seed {seed}" + (
        "" if truncation is None else f", truncation {gan.truncation_meaning} {truncation}")
    for label, images, described in (
            (name, gan_batches(gan, num, seed, use_ema=use_ema, truncation=truncation),
             described),
            ("real train (floor)", floor, floor_source),
            ("uniform noise (ceiling)", noise, f"uniform in [-1, 1], seed {seed}")):
        result = compare(images, real_stats, extractor, **kwargs)
        result["protocol"]["samples"] = described
        rows.append({"name": label, **result})
    shared = {**extractor.protocol(), "reference": reference,
              "num_reference": len(real), "image_shape": list(shape),
              "num_samples": num, "seed": seed}
    if truncation is not None:
        shared["truncation"] = truncation
        shared["truncation_meaning"] = gan.truncation_meaning
    return {"rows": rows, "protocol": shared}


# ------------------------------------------------------------------------- formatting

COLUMNS = ("FID", "KID", "IS", "precision", "recall", "modes", "KL", "confident")


def format_row(values):
    """The table cells of one row of metrics (missing metrics show as n/a)."""
    def num(key, spec):
        return "n/a" if values.get(key) is None else format(values[key], spec)

    def pm(key, spec):
        return "n/a" if values.get(key) is None else (
            f"{values[key]:{spec}} ± {values[key + '_std']:{spec}}")

    modes = ("n/a" if values.get("modes_covered") is None
             else f"{values['modes_covered']}/{values['num_modes']}")
    return [num("fid", ".2f"), pm("kid", ".4f"), pm("is", ".2f"), num("precision", ".3f"),
            num("recall", ".3f"), modes, num("class_kl", ".3f"), num("confident_fraction", ".3f")]


def protocol_lines(report):
    """One line per protocol fact of an `evaluate_gan` report, for under the table."""
    shared, first = report["protocol"], report["rows"][0]["protocol"]
    digest = (shared.get("weights_sha256") or "none")[:16]
    size = ("the GAN's image size" if shared.get("image_shape") is None
            else "x".join(str(s) for s in shared["image_shape"]))
    lines = [f"extractor: {shared['extractor']} (weights sha256 {digest}...), "
             f"{shared['feature_dim']}-d features, input {shared.get('input', '?')}"]
    if shared.get("layer"):  # your own Keras model: which file, which layer
        lines.append(f"extractor model: {shared.get('model_file') or 'a keras.Model in memory'}, "
                     f"features from {shared['feature_layer']}")
    lines.append(f"real reference: {shared['reference']}, {shared['num_reference']} images at "
                 f"{size}; every row: {shared['num_samples']} samples (seed {shared['seed']})")
    if shared.get("truncation") is not None:
        lines.append(f"generated with the truncation trick, "
                     f"{shared.get('truncation_meaning', 'psi')} {shared['truncation']}")
    if "kid" in first:
        lines.append(f"KID: {first['kid']['subsets']} subsets of {first['kid']['subset_size']}, "
                     f"kernel {first['kid']['kernel']} (values as computed, not x 1000)")
    if "precision_recall" in first:
        lines.append(f"precision/recall: k={first['precision_recall']['k']}, "
                     f"{first['precision_recall']['num_per_set']} samples per set")
    if "inception_score" in first and not first["inception_score"].get("skipped"):
        lines.append(f"IS: {first['inception_score']['splits']} splits, over the extractor's "
                     "class probabilities")
    skipped = (first.get("inception_score") or first.get("mode_coverage") or {}).get("skipped")
    if skipped:
        lines.append(f"IS, modes: not measured: {skipped}")
    coverage = first.get("mode_coverage")
    if coverage and coverage.get("real_distribution"):
        lines.append(f"modes: a class is covered with >= {coverage['min_share']:g} of its real "
                     f"share; KL(samples || real), real from {coverage['real_distribution']}; "
                     f"confident: top probability >= {coverage['confidence']:g}")
    return lines
