"""`ganzoo eval`: the metrics of a GAN (chosen by what it makes, see
`ganzoo.metrics.model_report`) or of an anomaly detector (AUROC and average precision
on its task)."""

from pathlib import Path

from ganzoo.commands.common import (a_model, add_raw_generator, add_unsafe, detector_of,
                                    fill_defaults, load_source, print_table, refuse_options,
                                    write_json)

# Options of a GAN's evaluation (attribute, flag) that a detector has no use for; of
# them, a translator and an upscaler take --data, --unsafe and --raw-generator only.
GAN_ONLY = [("num", "--num"), ("seed", "--seed"), ("data", "--data"),
            ("extractor", "--extractor"), ("layer", "--layer"),
            ("inception_weights", "--inception-weights"), ("raw_generator", "--raw-generator"),
            ("truncation", "--truncation"), ("unsafe", "--unsafe"),
            ("self_ensemble", "--self-ensemble")]
SAMPLER_ONLY = [option for option in GAN_ONLY
                if option[0] not in ("data", "unsafe", "self_ensemble", "raw_generator")]
DETECTOR_WHY = ("a detector is measured by AUROC and average precision on the task of its "
                "entry (its data: section), with no samples, features or seed")
SAMPLER_DEFAULTS = {"seed": 0, "extractor": "digits"}
# A source to suggest for --data, by the model's data loader (`ganzoo.zoo.data_loader_of`).
EXAMPLE_DATA = {"load": "digits", "load_unpaired": "digits2negative",
                "load_paired": "digits_edges", "load_patches": "sklearn_photos"}


def add_to(add_command):
    evaluate = add_command(
        "eval", help="measure a GAN (FID, KID, IS, precision/recall, mode coverage; a "
                     "class-conditional GAN's class accuracy, intra-class FID and CAS; a "
                     "translator's errors and classes kept; an upscaler's PSNR, SSIM and "
                     "sharpness against bicubic) or an anomaly detector (AUROC and average "
                     "precision on its task)")
    evaluate.add_argument("source", help="a run folder, or a zoo entry with pretrained weights")
    # The options below do not apply to a detector (GAN_ONLY); those of SAMPLER_ONLY
    # apply to GANs that sample only.
    evaluate.add_argument("--num", type=int,
                          help="samples per row (default: the size of the real train split; "
                               "a class-conditional GAN's class metrics take num // K of "
                               "each class)")
    evaluate.add_argument("--seed", type=int, help="latent and subset seed (default 0)")
    evaluate.add_argument("--data",
                          help="the real data (default: the run's training data; for a "
                               "translator a paired source, for an upscaler photos: "
                               "sklearn_photos or a folder)")
    evaluate.add_argument("--extractor",
                          help="feature extractor: digits (default: the shipped digits "
                               "classifier, for digits only), inception, or your own "
                               "model, a .keras file")
    evaluate.add_argument("--layer",
                          help="with a .keras --extractor: the layer whose output is the "
                               "feature")
    evaluate.add_argument("--inception-weights", type=Path,
                          help="local InceptionV3 notop weights file (offline use)")
    evaluate.add_argument("--truncation", type=float, metavar="T",
                          help="sample with the truncation trick (default: none): a "
                               "StyleGAN2's psi in [0, 1], the other latent GANs' threshold "
                               "on |z|")
    evaluate.add_argument("--self-ensemble", action="store_true",
                          help="an upscaler's table gains a row for its x8 self-ensemble "
                               "(the mean over the photo's flips and rotations, EDSR+)")
    evaluate.add_argument("--json", type=Path, help="also write the table and protocol as JSON")
    evaluate.set_defaults(command=run)
    add_raw_generator(evaluate)
    add_unsafe(evaluate)


def run(args):
    from ganzoo.gans import SAMPLER
    from ganzoo.metrics import get_extractor
    from ganzoo.metrics.model_report import data_options, evaluate_model
    from ganzoo.zoo.schema import data_loader_of

    detector = detector_of(args.source)
    if detector is not None:
        refuse_options(args, GAN_ONLY,
                       f"GANs only, and {args.source} is a {detector} anomaly detector",
                       DETECTOR_WHY)
        return run_detector(args)
    gan, config = load_source(args.source, args.unsafe)
    if gan.kind != SAMPLER:
        refuse_options(args, SAMPLER_ONLY, "GANs that sample",
                       f"{args.source} is {a_model(gan)}, measured on held-out "
                       "examples of its data (--data), with no samples, features or seed")
    elif args.self_ensemble:
        raise ValueError(f"--self-ensemble applies to upscalers (SRResNet, SRGAN); "
                         f"{args.source} is {a_model(gan)}.")
    elif args.num is not None and args.num < 2:
        raise ValueError(f"--num must be at least 2; got {args.num}.")
    data = args.data or ((config or {}).get("data") or {}).get("source")
    if data is None:
        raise ValueError(f"{args.source} does not record its training data (no config.yaml); "
                         f"pass --data, e.g. --data {EXAMPLE_DATA[data_loader_of(type(gan))]}.")
    common = {"name": Path(args.source).name, **data_options(config)}
    if gan.kind != SAMPLER:
        table, report = evaluate_model(gan, data, self_ensemble=args.self_ensemble,
                                       use_ema=not args.raw_generator, **common)
    else:
        fill_defaults(args, SAMPLER_DEFAULTS)
        options = {"layer": args.layer} if args.layer else {}
        if args.extractor == "inception":
            options["weights"] = (str(args.inception_weights) if args.inception_weights
                                  else "imagenet")
        table, report = evaluate_model(gan, data, num=args.num, seed=args.seed,
                                       use_ema=not args.raw_generator,
                                       truncation=args.truncation,
                                       extractor=get_extractor(args.extractor, **options),
                                       **common)
    print_table(["", *table.COLUMNS], [(row["name"], *table.format_row(row["metrics"]))
                                       for row in report["rows"]])
    print()
    for line in table.protocol_lines(report):
        print(f"  {line}")
    if args.json:
        write_json(args.json, report)


def run_detector(args):
    from ganzoo import zoo
    from ganzoo.anomaly import entries as detectors

    if Path(args.source).is_dir():
        result = detectors.evaluate(args.source)
    else:
        result = detectors.measure(zoo.load(args.source), zoo.get_entry(args.source),
                                   source=f"{args.source}.yaml")
    normal, anomalous = result["normal"], result["anomalous"]
    print_table(("", "AUROC", "average precision", "normal", "anomalous"),
                [(Path(args.source).name, f"{result['auroc']:.4f}",
                  f"{result['average_precision']:.4f}", normal, anomalous)])
    print()
    print(f"  task: {result['task']}: {normal} normal and {anomalous} anomalous test images, "
          "none of them trained on")
    print(f"  detector: {result['detector']}, score = {result['score']} (higher = more "
          "anomalous; the anomalies are the positive class)")
    print(f"  chance level: AUROC 0.5, average precision {anomalous / (normal + anomalous):.4f} "
          "(the share of anomalies)")
    threshold = threshold_hint(result["scores"], result["is_anomaly"])
    print(f"  threshold: ganzoo score --threshold {threshold['threshold']:.6g} flags "
          f"{threshold['normal_flagged']:.1%} of these normal images and "
          f"{threshold['anomalous_flagged']:.1%} of the anomalous ones")
    if args.json:
        write_json(args.json, {"source": str(args.source), **result,
                               "threshold_hint": threshold})


def threshold_hint(scores, is_anomaly, quantile=0.95):
    """A threshold for `ganzoo score`: the `quantile` of the normal test images' scores,
    and the shares of normal and anomalous test images scoring above it."""
    import numpy as np

    scores, is_anomaly = np.asarray(scores), np.asarray(is_anomaly, bool)
    threshold = float(np.quantile(scores[~is_anomaly], quantile))
    return {"threshold": threshold, "normal_quantile": quantile,
            "normal_flagged": float(np.mean(scores[~is_anomaly] > threshold)),
            "anomalous_flagged": float(np.mean(scores[is_anomaly] > threshold))}
