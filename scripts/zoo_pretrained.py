"""Train the zoo's pretrained weights, record them in each entry's YAML, render the cards.

    python scripts/zoo_pretrained.py train dcgan-digits [more entries]   # ~minutes each
    python scripts/zoo_pretrained.py train dcgan-digits --reuse   # record a finished run
    python scripts/zoo_pretrained.py cards                # docs/zoo/*.md and the README table
    python scripts/zoo_pretrained.py cards ganomaly-digits    # only these cards
    python scripts/zoo_pretrained.py reproduce dcgan-digits   # retrain, compare with the card
    python scripts/zoo_pretrained.py export [dcgan-digits] [--threads 1]   # time the exports
                                                          # (default: every entry with weights)

`train` runs what a user would: `ganzoo train ENTRY --run-dir runs/pretrained/ENTRY`, then
the metrics of `ganzoo eval`; it writes the generator(s) to zoo_configs/weights/ENTRY.npz,
a sample picture to docs/zoo/ENTRY.png, and the `pretrained:` record (sha256, metrics,
command, wall time, machine) at the end of zoo_configs/ENTRY.yaml.

An anomaly detector's entry (`detector:`) is trained and measured through the command
line itself (`ganzoo train`, `ganzoo eval --json`); its weights are the detector's
state, its picture the histograms of its test scores, and its record also holds the
BASELINES, trained and measured on the same task with the same seed. A GAN entry in
GAN_BASELINES gets its baselines too: the entry without what it adds, trained the same
way, so its card shows what the addition buys.

`export` runs `ganzoo-export ENTRY` on the shipped weights (the entry's `export:`
formats and quantizations) into runs/pretrained/ENTRY/export and records in
`pretrained: export:` what it measured: each artifact's size, p50 latency at batch 1
and 8 and parity, the recommended artifact, the CPU, threads and runtime versions;
the card shows them. Training the entry again drops that record (other weights).
"""

import argparse
import datetime
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "zoo_configs"
README = ROOT / "README.md"
# The baselines a detector entry is measured against: {detector: (arguments, epochs)},
# the settings of benchmarks/anomaly.py (METHODS), with the entry's network width
# (base_filters), so that a baseline has networks as wide as the GAN detector's.
BASELINES = {"PCA": ({"components": 0.9}, None),
             "ConvAutoencoder": ({"latent_dim": 100}, 15),
             "DiscriminatorLogit": ({"latent_dim": 100}, 15)}


# The baselines a GAN entry's card shows beside it: {entry: {label: model arguments to
# change}}, None removing an argument; each trains on the entry's data, schedule and seed.
GAN_BASELINES = {"dcgan-digits100": {"without ADA (plain DCGAN)": {"augment": None}}}
# The psi values of the truncation curve of an entry whose GAN has styles (StyleGAN2's
# truncation: 1 is none).
TRUNCATION_CURVE = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# The thresholds on |z| of a class-conditional GAN's curve (BigGAN's trick; its card's
# metrics are the untruncated ones).
THRESHOLD_CURVE = (0.25, 0.5, 1.0, 1.5, 2.0)
# The metrics that curve records at each point (the conditional ones where measured).
CURVE_METRICS = ("fid", "kid", "precision", "recall", "modes_covered", "confident_fraction",
                 "conditional_accuracy", "intra_fid")
# Variants whose cards show an interpolation strip (cards.EXTRA_PICTURES).
INTERPOLATION_STRIPS = ("ProGAN", "StyleGAN2")


def machine():
    return f"{platform.machine()} CPU x{os.cpu_count()}, no GPU"


def measure(gan, config, name, truncation=None, cas=True):
    from ganzoo.metrics.model_report import data_options, evaluate_model, headline_metrics

    evaluation = config.get("evaluation") or {}
    table, report = evaluate_model(gan, config["data"]["source"], name=name,
                                   num=evaluation.get("num"), seed=evaluation.get("seed", 0),
                                   truncation=truncation, cas=cas, **data_options(config))
    return headline_metrics(report)


def truncation_points(gan):
    """The truncations of an entry's curve: psi for a GAN with styles, thresholds for a
    class-conditional one; None for the others."""
    if has_styles(gan):
        return TRUNCATION_CURVE
    return THRESHOLD_CURVE if getattr(gan, "num_classes", None) else None


def measure_truncation_curve(gan, config, points):
    """[{truncation, CURVE_METRICS...}] at each of `points`."""
    curve = []
    for point in points:
        # CAS is not on the curve: skip its classifiers' training
        metrics = measure(gan, config, config["name"], truncation=point, cas=False)
        curve.append({"truncation": point,
                      **{key: metrics[key] for key in CURVE_METRICS if key in metrics}})
    return curve


def train_entry(name, reuse=False):
    """Train entry `name` (with `reuse`, keep a finished run of the same configuration in
    its run folder instead of training again) and record it."""
    from ganzoo import zoo

    if zoo.is_detector(zoo.catalog.read_entry(name)):
        return train_detector_entry(name)
    from ganzoo.zoo.pretrained import save_weights

    config = zoo.get_entry(name)
    gan, metadata, metrics = train_and_measure(config, ROOT / "runs" / "pretrained" / name,
                                               reuse)
    weights = CONFIGS / "weights" / f"{name}.npz"
    record = {"file": f"weights/{name}.npz", "sha256": save_weights(gan, weights),
              "command": f"ganzoo train {name} --run-dir runs/{name} && ganzoo eval runs/{name}",
              "wall_time_s": round(metadata["wall_time_s"], 1), "machine": machine(),
              "trained": datetime.date.today().isoformat(),
              "generator_steps": metadata["generator_steps"], "metrics": metrics}
    if name in GAN_BASELINES:
        record["baselines"] = measure_gan_baselines(config, GAN_BASELINES[name], reuse)
    if truncation_points(gan):
        record["truncation_curve"] = measure_truncation_curve(gan, config,
                                                              truncation_points(gan))
    save_picture(gan, config, ROOT / "docs" / "zoo" / f"{name}.png")
    save_style_pictures(gan, config, ROOT / "runs" / "pretrained" / name)
    write_record(CONFIGS / f"{name}.yaml", record)
    print(f"{name}: {metrics} ({weights.stat().st_size / 1024:.0f} KiB)")
    tolerance = (config.get("evaluation") or {}).get("tolerance", {})
    untolerated = [key for key in metrics if key not in tolerance]
    if untolerated:  # the entry does not validate until they are stated
        print(f"{name}: add evaluation: tolerance for {untolerated} to zoo_configs/{name}.yaml: "
              "how far a retrained run may land from each.")


def train_and_measure(config, run_dir, reuse):
    """(GAN, run metadata, card metrics) of `config` trained into `run_dir`."""
    from ganzoo.runs import is_finished, load_run, read_config, read_metadata

    finished = reuse and is_finished(run_dir)
    if finished and read_config(run_dir) != json.loads(json.dumps(config)):
        raise SystemExit(f"--reuse: {run_dir} holds a run of another configuration; train it "
                         "again without --reuse.")
    if not finished:
        train_into(config, run_dir, overwrite=not reuse, verbose=2)
    gan, metadata = load_run(run_dir), read_metadata(run_dir)
    return gan, metadata, measure(gan, config, config["name"])


def train_into(config, run_dir, **options):
    """What `ganzoo train` runs for the entry: its GAN's training, or for an entry with
    a `distill:` section (dcgan-digits-tiny) the distillation of its teacher."""
    from ganzoo.training import train
    from ganzoo.training.distillation import distill

    return (distill if "distill" in config else train)(config, run_dir, **options)


def measure_gan_baselines(config, baselines, reuse):
    """{label: changed arguments, metrics, wall time} of each baseline of a GAN entry,
    trained into runs/pretrained/baselines/."""
    measured = {}
    for label, changes in baselines.items():
        model = {key: value for key, value in {**config["model"], **changes}.items()
                 if value is not None}
        baseline = {**{key: value for key, value in config.items() if key != "pretrained"},
                    "name": f"{config['name']}-baseline", "model": model}
        folder = ROOT / "runs" / "pretrained" / "baselines" / baseline["name"]
        _, metadata, metrics = train_and_measure(baseline, folder, reuse)
        measured[label] = {"model": changes, "metrics": metrics,
                           "wall_time_s": round(metadata["wall_time_s"], 1)}
    return measured


def ganzoo(*argv):
    """Run a `ganzoo` command in this process, as a user would; stop if it fails."""
    from ganzoo.cli import main

    argv = [str(arg) for arg in argv]
    code = main(argv)
    if code:
        raise SystemExit(f"ganzoo {' '.join(argv)} failed (exit code {code}).")


def train_and_eval(name, run_dir):
    """`ganzoo train NAME --run-dir RUN_DIR --overwrite`, then what `ganzoo eval RUN_DIR`
    measures (its --json)."""
    ganzoo("train", name, "--run-dir", run_dir, "--overwrite")
    ganzoo("eval", run_dir, "--json", run_dir / "eval.json")
    return json.loads((run_dir / "eval.json").read_text())


def train_detector_entry(name):
    from ganzoo import anomaly, zoo
    from ganzoo.anomaly.plots import save_score_histogram
    from ganzoo.zoo.pretrained import save_weights

    config = zoo.get_entry(name)
    start = time.perf_counter()
    run_dir = ROOT / "runs" / "pretrained" / name
    result = train_and_eval(name, run_dir)
    detector = anomaly.load(run_dir)
    baselines = measure_baselines(config)
    weights = CONFIGS / "weights" / f"{name}.npz"
    record = {"file": f"weights/{name}.npz", "sha256": save_weights(detector, weights),
              "command": f"ganzoo train {name} --run-dir runs/{name} && ganzoo eval runs/{name}",
              "wall_time_s": round(detector.training_record["wall_time_s"], 1),
              "machine": machine(), "trained": datetime.date.today().isoformat(),
              "task": result["task"],
              "test_images": {"normal": result["normal"], "anomalous": result["anomalous"]},
              "metrics": headline(result), "baselines": baselines}
    scores, is_anomaly = result["scores"], result["is_anomaly"]
    save_score_histogram([s for s, a in zip(scores, is_anomaly) if not a],
                         [s for s, a in zip(scores, is_anomaly) if a],
                         ROOT / "docs" / "zoo" / f"{name}.png",
                         title=f"{name}: {result['task']}, AUROC {result['auroc']:.3f} "
                               f"(test scores, {detector.score_name})")
    write_record(CONFIGS / f"{name}.yaml", record)
    print(f"{name}: {record['metrics']}, baselines {baselines} "
          f"({weights.stat().st_size / 1024:.0f} KiB; {time.perf_counter() - start:.0f} s "
          "with the baselines)")


def headline(result):
    """The metrics a detector's card records, from `ganzoo eval --json`."""
    return {key: round(result[key], 4) for key in ("auroc", "average_precision")}


def measure_baselines(config):
    """{baseline: its settings, metrics and wall time} on the entry's task and seed, each
    trained into runs/pretrained/baselines/ by `ganzoo train --config`."""
    import yaml

    width = {key: config["model"][key] for key in ("base_filters",) if key in config["model"]}
    folder = ROOT / "runs" / "pretrained" / "baselines"
    folder.mkdir(parents=True, exist_ok=True)
    measured = {}
    for detector, (arguments, epochs) in BASELINES.items():
        arguments = {**arguments, **(width if detector != "PCA" else {})}
        name = f"{config['name']}-{detector.lower()}"
        baseline = {"name": name, "detector": detector,
                    "model": {"image_shape": config["model"]["image_shape"], **arguments},
                    "data": config["data"],
                    "training": {"seed": config["training"]["seed"],
                                 **({"epochs": epochs} if epochs else {})}}
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(baseline, sort_keys=False))
        ganzoo("train", "--config", path, "--run-dir", folder / name, "--overwrite")
        ganzoo("eval", folder / name, "--json", folder / name / "eval.json")
        result = json.loads((folder / name / "eval.json").read_text())
        training = json.loads((folder / name / "metadata.json").read_text())["training"]
        measured[detector] = {"model": arguments, "epochs": epochs, **headline(result),
                              "wall_time_s": round(training["wall_time_s"], 1)}
    return measured


def save_picture(gan, config, path):
    from ganzoo.data import load_unpaired_arrays
    from ganzoo.data.mixtures import centers_of
    from ganzoo.gans import TRANSLATOR
    from ganzoo.gans.paired import PairedModel
    from ganzoo.images import save_columns, save_samples, translation_columns

    if isinstance(gan, PairedModel):
        return save_paired_picture(gan, config, path)
    if gan.kind == TRANSLATOR:
        size, _, channels = gan.data_shape
        a, b = load_unpaired_arrays(config["data"]["source"], size, split="test",
                                    channels=channels)
        return save_columns(translation_columns(gan, a[:8], b[:8]), path)
    samples = gan.generate(64 if len(gan.data_shape) == 3 else 2500, seed=0)
    return save_samples(samples, path, centers_of(config["data"]["source"]))


def has_styles(gan):
    """A StyleGAN2: truncation psi, style mixing."""
    return hasattr(gan, "mix_styles")


def save_style_pictures(gan, config, run_dir):
    """The card's extra pictures (`ganzoo.zoo.cards.EXTRA_PICTURES`) of an entry whose
    model has the mechanism, made by `ganzoo sample` from the run as a user would: an
    interpolation strip, and for a GAN with styles a style-mixing grid and its samples at
    each psi of the truncation curve."""
    import numpy as np

    from ganzoo.images import save_grid

    folder = ROOT / "docs" / "zoo"
    if config["variant"] in INTERPOLATION_STRIPS:
        ganzoo("sample", run_dir, "--interpolate", "0,1", "--num", 12,
               "--out", folder / f"{config['name']}-interpolation.png")
    if has_styles(gan):
        ganzoo("sample", run_dir, "--mix", "1,2,3,4,5:6,7,8,9", "--mix-layers", "0-3",
               "--out", folder / f"{config['name']}-mixing.png")
        latents = gan.prior_latents(10, seed=0)
        rows = [gan.generate(latents=latents, truncation=psi) for psi in TRUNCATION_CURVE]
        save_grid(np.concatenate(rows), folder / f"{config['name']}-truncation.png",
                  columns=len(latents), scale=4)


def save_paired_picture(gan, config, path):
    """What the run's progress pictures show, for the weights: a Pix2Pix's input |
    translation | target of 8 held-out pairs; an SRResNet's or SRGAN's bicubic |
    upscaled | truth of 8 crops of the held-out photo."""
    from ganzoo import zoo
    from ganzoo.data.patches import bicubic_upscale
    from ganzoo.gans import UPSCALER
    from ganzoo.images import save_columns

    inputs, targets = zoo.held_out_examples(config)
    if gan.kind == UPSCALER:
        return save_columns([bicubic_upscale(inputs, gan.scale), gan.upscale(inputs), targets],
                            path, scale=2)
    return save_columns([inputs, gan.translate(inputs), targets], path)


def write_record(path, record):
    """Replace the YAML's `pretrained:` block (always the last one) with `record`,
    keeping the rest of the file, comments included, as it is."""
    import yaml

    text = path.read_text()
    text = re.split(r"(?m)^pretrained:", text)[0].rstrip() + "\n"
    path.write_text(text + yaml.safe_dump({"pretrained": record}, sort_keys=False))


# Threads `export` times with: what a phone app usually gives a model, and steadier than
# all cores on a shared machine.
EXPORT_THREADS = 1


def export_entry(name, threads=EXPORT_THREADS):
    """`ganzoo-export NAME` on the shipped weights, recorded in its `pretrained: export:`."""
    from ganzoo import zoo
    from ganzoo.export.cli import main as ganzoo_export
    from ganzoo.export.runtime import read_manifest

    path = CONFIGS / f"{name}.yaml"
    record = zoo.catalog.read_entry(name).get("pretrained")
    if record is None:
        raise SystemExit(f"{name} ships no pretrained weights to export: train it first "
                         f"(python scripts/zoo_pretrained.py train {name}).")
    out = ROOT / "runs" / "pretrained" / name / "export"
    argv = [name, "--threads", str(threads), "--out", str(out), "--overwrite"]
    code = ganzoo_export(argv)
    if code:
        raise SystemExit(f"ganzoo-export {' '.join(argv)} failed (exit code {code}).")
    record["export"] = export_record(read_manifest(out), f"ganzoo-export {name} --threads "
                                                         f"{threads}")
    write_record(path, record)
    print(f"{name}: recommended {record['export']['recommended']}; recorded in {path}")


def export_record(manifest, command):
    """The card's `pretrained: export:` record of an export's manifest (timed, as
    `ganzoo-export` times it by default)."""
    if "latency" not in manifest:
        raise SystemExit(f"`{command}` timed nothing (no latency in its manifest).")
    versions = manifest["versions"]
    return {
        "command": command, "measured": datetime.date.today().isoformat(),
        "cpu": manifest["machine"]["cpu"], "cpus": manifest["machine"]["cpus"],
        "threads": manifest["latency"]["threads"],
        "versions": {name: versions[name] for name in ("onnxruntime", "ai-edge-litert")},
        "recommended": {f"batch_{batch}": pick["file"]
                        for batch, pick in manifest["latency"]["recommended"].items()},
        "artifacts": [_artifact_record(artifact) for artifact in manifest["artifacts"]]}


def _artifact_record(artifact):
    parity, timed = artifact["parity"], artifact["latency"]
    record = {"file": artifact["file"], "runtime": artifact["runtime"],
              "precision": artifact["precision"], "batch": artifact["batch"],
              "size_bytes": artifact["size_bytes"],
              "p50_ms": {key: round(value["p50_ms"], 4) for key, value in timed.items()
                         if key.startswith("batch_")},
              "parity": "pass" if parity["passed"] else "FAIL",
              "max_abs_diff": (float(f"{parity['max_abs_diff']:.2e}")
                               if "max_abs_diff" in parity else None)}
    if "classifier_agreement" in parity.get("digits", {}):
        record["classifier_agreement"] = round(parity["digits"]["classifier_agreement"], 3)
    return record


def cards(names=()):
    """Write the cards of `names` (default: every entry, and then the README table)."""
    from ganzoo import zoo
    from ganzoo.zoo.cards import EXTRA_PICTURES, render_card, render_table

    folder = ROOT / "docs" / "zoo"
    folder.mkdir(parents=True, exist_ok=True)
    configs = [zoo.get_entry(name) for name in names or zoo.list_entries()]
    for config in configs:
        name = config["name"]
        picture = f"{name}.png" if (folder / f"{name}.png").is_file() else None
        extras = [kind for kind in EXTRA_PICTURES if (folder / f"{name}-{kind}.png").is_file()]
        (folder / f"{name}.md").write_text(render_card(config, picture, extras))
    if names:
        print(f"Wrote the cards of {', '.join(names)} to {folder}; the README table is left "
              "as it is (run `cards` without entries to write it).")
        return
    begin, end = "<!-- zoo-table:begin -->", "<!-- zoo-table:end -->"
    text = README.read_text()
    if begin not in text:
        raise SystemExit(f"README.md has no {begin} ... {end} markers for the zoo table.")
    head, rest = text.split(begin)
    README.write_text(f"{head}{begin}\n{render_table(configs, zoo.key_metrics)}\n{end}"
                      f"{rest.split(end, 1)[1]}")
    print(f"Wrote {len(configs)} cards to {folder} and the README zoo table.")


def reproduce(name):
    from ganzoo import zoo
    from ganzoo.runs import load_run

    config = zoo.get_entry(name)
    run_dir = ROOT / "runs" / "reproduce" / name
    if zoo.is_detector(config):
        measured = headline(train_and_eval(name, run_dir))
    else:
        train_into(config, run_dir, overwrite=True, verbose=0)
        measured = measure(load_run(run_dir), config, name)
    recorded = config["pretrained"]["metrics"]
    tolerance = (config.get("evaluation") or {}).get("tolerance", {})
    print(f"{name}: metric | card | reproduced | tolerance | within")
    verdicts = []
    for key, value in recorded.items():
        again, allowed = measured.get(key), tolerance.get(key)
        verdicts.append(verdict(value, again, allowed))
        print(f"  {key} | {value} | {again} | {'-' if allowed is None else allowed} | "
              f"{verdicts[-1]}")
    return all(word == "yes" for word in verdicts)


def verdict(card, again, allowed):
    """Whether a retrained run's metric is within the card's tolerance: "yes", "NO", or
    why it cannot say; a metric nobody states a tolerance for does not pass."""
    if allowed is None:  # not for a validated entry: its schema asks for one per metric
        return "NO (no tolerance)"
    if again is None:
        return "NO (not measured)"
    return "yes" if abs(again - card) <= allowed else "NO"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("train", "cards", "reproduce", "export"))
    parser.add_argument("entries", nargs="*")
    parser.add_argument("--reuse", action="store_true",
                        help="train: record a finished run of the same configuration found "
                             "in runs/pretrained/ENTRY instead of training it again")
    parser.add_argument("--threads", type=int, default=EXPORT_THREADS,
                        help=f"export: runtime threads to time with (default {EXPORT_THREADS}, "
                             "as on a phone)")
    args = parser.parse_args(argv)
    if args.command == "cards":
        return cards(args.entries)
    if args.command == "export":  # default: every entry that ships weights
        from ganzoo import zoo

        for name in args.entries or [name for name in zoo.list_entries()
                                     if "pretrained" in zoo.catalog.read_entry(name)]:
            export_entry(name, args.threads)
        return 0
    if args.command == "train":
        for name in args.entries:
            train_entry(name, reuse=args.reuse)
        return 0
    within = [reproduce(name) for name in args.entries]  # every entry, then the verdict
    return 0 if all(within) else 1


if __name__ == "__main__":
    sys.exit(main())
