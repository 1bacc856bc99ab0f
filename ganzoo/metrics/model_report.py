"""The right metrics for a trained model, chosen by what it makes: the table `ganzoo
eval` prints, and the headline numbers a zoo model card records.

- images: FID, KID, IS, precision/recall and class coverage (`evaluate`), with the
  digits classifier for digits; for other images Inception features or your own model
  (a `.keras` file, a `keras.Model` or a function, see `ganzoo.metrics.get_extractor`),
  which give IS and class coverage only if they are classifiers;
- images of a class-conditional GAN (`num_classes`): the same, plus class accuracy,
  intra-class FID and CAS with its real-data ceiling on the digits
  (`conditional_table`);
- 2D points of a mixture: modes covered, high-quality share, reverse KL
  (`mixture_table`);
- stacked digits: the 1,000 modes covered and the reverse KL (`stacked_table`);
- a CycleGAN of digits2negative: translation errors against the known mapping and
  classes kept (`translation`);
- a Pix2Pix: L1 against the held-out targets of its paired source, and on
  digits_edges the digits classifier's agreement with the true digit
  (`paired_translation`);
- an SRResNet or SRGAN: PSNR, SSIM and sharpness on held-out photos, against bicubic
  (`super_resolution_table`).
"""

from ganzoo.data.digits_pair import NAME as DIGITS2NEGATIVE
from ganzoo.data.mixtures import MIXTURES
from ganzoo.data.stacked import NAME as STACKED_DIGITS
from ganzoo.gans import TRANSLATOR, UPSCALER
from ganzoo.gans.paired import PairedModel


def evaluate_model(gan, source, name="model", num=None, seed=0, extractor="digits",
                   resize="crop", use_ema=True, direction="a2b", truncation=None,
                   self_ensemble=False, cas=True):
    """`(table, report)`: the module that formats the rows (COLUMNS, format_row,
    protocol_lines) and its report `{"rows": [...], "protocol": {...}}`.

    `extractor` is anything `ganzoo.metrics.get_extractor` takes; `resize` is the
    training data's `resize` (how a folder's non-square images were made square), and
    `direction` a Pix2Pix's (`load_paired`). A model with a generator EMA is measured on
    the averaged generator, or with `use_ema=False` on the raw one; the protocol's
    `generator_weights` says which. `truncation` is the value of its truncation trick
    (a StyleGAN2's psi, the other latent GANs' threshold on |z|). `num`, `seed`,
    `extractor` and `truncation` apply to GANs that sample images only;
    `self_ensemble` (a row for the x8 self-ensemble too) to upscalers only; `cas=False`
    leaves out a class-conditional GAN's CAS, which trains two classifiers."""
    table, report = _measured(gan, source, name, num, seed, extractor, resize, use_ema,
                              direction, truncation, self_ensemble, cas)
    if gan.inference_generator() is not gan.generator:  # it keeps a generator EMA
        report["protocol"]["generator_weights"] = "ema" if use_ema else "raw"
    return table, report


def _measured(gan, source, name, num, seed, extractor, resize, use_ema, direction, truncation,
              self_ensemble, cas):
    """`evaluate_model`'s `(table, report)`, by the kind of model."""
    from ganzoo.metrics import (conditional_table, evaluate, mixture_table, paired_translation,
                                stacked_table, super_resolution_table, translation)
    from ganzoo.metrics.conditional import is_conditional
    from ganzoo.metrics.registry import get_extractor

    if gan.kind == UPSCALER:
        return super_resolution_table, super_resolution_table.super_resolution_report(
            gan, source, name=name, self_ensemble=self_ensemble, use_ema=use_ema)
    if self_ensemble:
        raise ValueError(f"self-ensemble applies to upscalers (SRResNet, SRGAN); this is a "
                         f"{type(gan).__name__}.")
    if isinstance(gan, PairedModel):  # a Pix2Pix: aligned pairs with known targets
        return paired_translation, paired_translation.paired_report(
            gan, source, name=name, direction=direction, resize=resize, use_ema=use_ema)
    if gan.kind == TRANSLATOR:
        if source != DIGITS2NEGATIVE:
            raise ValueError(f"this {type(gan).__name__} translates {source!r}, whose true "
                             f"mapping is unknown; unpaired translators are measured on "
                             f"{DIGITS2NEGATIVE!r} only.")
        return translation, translation.digits2negative_report(gan, name=name)
    if truncation is not None and (source in MIXTURES or source == STACKED_DIGITS):
        raise ValueError(f"truncation is measured with the image metrics; {source!r} is "
                         "scored by its modes, without it.")
    if source in MIXTURES:
        return mixture_table, mixture_table.mixture_report(gan, source, name, num, seed,
                                                           use_ema=use_ema)
    if source == STACKED_DIGITS:
        return stacked_table, stacked_table.stacked_report(gan, name, num, seed,
                                                           use_ema=use_ema)
    if is_conditional(gan):
        return conditional_table, conditional_table.conditional_report(
            gan, name=name, num=num, seed=seed, source=source,
            extractor=get_extractor(extractor), resize=resize, use_ema=use_ema,
            truncation=truncation, cas=cas)
    return evaluate, evaluate.evaluate_gan(
        gan, name=name, num=num, seed=seed, source=source,
        extractor=get_extractor(extractor), resize=resize, use_ema=use_ema,
        truncation=truncation)


def data_options(config):
    """The `evaluate_model` arguments that a run's or entry's config (None: none) states
    in its `data:` section: how the data was loaded (`resize`; a Pix2Pix's
    `direction`). `ganzoo eval` and the model cards measure with them."""
    section = (config or {}).get("data") or {}
    return {"resize": section.get("resize", "crop"), "direction": section.get("direction", "a2b")}


def headline_metrics(report):
    """The model row's numbers worth a model card, rounded for reading."""
    values = report["rows"][0]["metrics"]
    keep = ("fid", "kid", "is", "precision", "recall", "modes_covered", "num_modes",
            "confident_fraction", "modes", "modes_strict", "high_quality", "reverse_kl",
            "a2b MAE", "b2a MAE", "cycle A MAE", "cycle B MAE", "a2b class kept",
            "b2a class kept", "class agreement", "L1", "psnr", "ssim", "sharpness",
            "psnr_over_bicubic", "conditional_accuracy", "intra_fid", "cas", "cas_ceiling",
            "cas_ratio")
    return {key.replace(" ", "_"): (round(float(values[key]), 4)
                                    if isinstance(values[key], float) else values[key])
            for key in keep if values.get(key) is not None}
