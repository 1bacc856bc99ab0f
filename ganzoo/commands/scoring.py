"""`ganzoo score`: image files through an anomaly detector, as CSV (higher = more
anomalous)."""

import sys
from pathlib import Path

from ganzoo.commands.common import detector_of, load_source


def add_to(add_command):
    score = add_command(
        "score", help="score image files with an anomaly detector (higher = more anomalous)")
    score.add_argument("source", help="a detector's run folder, or a detector zoo entry with "
                                      "pretrained weights (e.g. ganomaly-digits)")
    score.add_argument("--input", type=Path, required=True,
                       help="an image file, or a folder of them (searched recursively)")
    score.add_argument("--out", type=Path,
                       help="write the scores to this CSV file (path,score[,anomalous]); "
                            "default: print them")
    score.add_argument("--threshold", type=float, metavar="T",
                       help="also flag each image: anomalous 1 if its score is above T, else 0")
    score.set_defaults(command=run)


def run(args):
    import csv

    from ganzoo.anomaly import entries as detectors

    if not args.input.exists():
        raise FileNotFoundError(f"--input {args.input} does not exist.")
    if detector_of(args.source) is None:
        raise ValueError(f"{args.source} is a GAN, not an anomaly detector: `ganzoo score` takes "
                         "a detector's run folder or entry (see `ganzoo list`, e.g. "
                         "ganomaly-digits); use `ganzoo sample`, `ganzoo translate` or "
                         "`ganzoo upscale` for a GAN.")
    detector, config = load_source(args.source)
    resize = ((config or {}).get("data") or {}).get("resize", "crop")
    paths, images = detectors.read_inputs(args.input, detector.image_shape, resize)
    scores = detector.score(images)
    header = ["path", "score"] + (["anomalous"] if args.threshold is not None else [])
    rows = [[path, f"{score:.8g}"] + ([int(score > args.threshold)]
                                      if args.threshold is not None else [])
            for path, score in zip(paths, scores)]
    summary = (f"Scored {len(paths)} image(s) with {args.source} ({type(detector).__name__}, "
               f"score = {detector.score_name}; higher = more anomalous)")
    if args.threshold is not None:
        summary += (f"; {sum(row[2] for row in rows)} above --threshold {args.threshold:g} "
                    "flagged anomalous")
    if args.out is None:  # the CSV on stdout, for pipes; the summary on stderr
        csv.writer(sys.stdout, lineterminator="\n").writerows([header, *rows])
        print(summary + ".", file=sys.stderr)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows([header, *rows])
    print(f"{summary}: wrote {args.out}")
