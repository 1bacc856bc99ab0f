"""Measure the parity errors the bounds in export/parity.py are set from (not a test).

Exports every zoo entry with its shipped weights (int8 calibrated on each of
--calibration sizes), runs every artifact on --seeds x --samples inputs of its own
input distribution, and prints the worst figure per entry and precision, in units of
the reference's std, beside what a zero, constant (the mean) and batch-shuffled
artifact score, and the digits classifier's agreement for the digits entries.

    .venv/bin/python tests/export/parity_errors.py [--entries dcgan-digits,vanilla-ring8]
"""

import argparse
import math
import tempfile

import numpy as np

import ganzoo
from ganzoo.export import export_generator, parity, runtime
from ganzoo.export.sources import resolve
from export_cases import WRONG


def measure(entry, folder, calibrations, seeds, samples):
    """{precision or wrong kind: [max abs diff, MAE, SNR]}, classifier agreements."""
    nearest = {p: [0.0, 0.0, math.inf] for p in [*parity.MAX_ABS, *parity.QUANTIZED]}
    nearest.update({name: [math.inf, math.inf, -math.inf] for name in WRONG})
    artifacts, agreement = [], {}
    for calibration in calibrations:
        out = f"{folder}/{entry}-{calibration}"
        # Only full-integer int8 calibrates: the other flavours once.
        quantize = "none,float16,dynamic,int8" if calibration == calibrations[0] else "int8"
        manifest = export_generator(entry, out, quantize=quantize,
                                    calibration_samples=calibration)
        for record in manifest["artifacts"]:
            # check=False: an artifact over its bound is measured, not refused.
            artifacts.append((record["precision"],
                              runtime.load(f"{out}/{record['file']}", check=False)))
            if "digits" in record["parity"]:
                agreement[f"{record['precision']} ({calibration})"] = (
                    record["parity"]["digits"]["classifier_agreement"])
    source = resolve(entry)
    for seed in seeds:
        inputs = source.inputs(samples, seed)
        reference = source.predict(inputs)
        candidates = [(p, a(inputs)) for p, a in artifacts]
        candidates += [(name, wrong(reference)) for name, wrong in WRONG.items()]
        for name, outputs in candidates:
            facts = parity.compare(outputs, reference, "int8")  # figures: rule-free
            figures = (facts["relative_max_abs_diff"], facts["relative_mae"],
                       math.inf if facts["snr_db"] is None else facts["snr_db"])
            # Real artifacts: the largest errors and lowest SNR; wrong ones: the smallest
            # errors and highest SNR. Either way, the figure nearest its bound.
            error_pick, snr_pick = (min, max) if name in WRONG else (max, min)
            row = nearest[name]
            row[:] = [error_pick(row[0], figures[0]), error_pick(row[1], figures[1]),
                      snr_pick(row[2], figures[2])]
        if source.origin["data"] == "digits":  # as the export's classifier check
            int8 = dict(artifacts)["int8"]
            shuffled = parity.digits_agreement(lambda z: np.roll(int8(z), 1, 0), inputs,
                                               reference)
            agreement[f"shuffled int8 (seed {seed})"] = shuffled["classifier_agreement"]
    return nearest, agreement


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shipped = [name for name in ganzoo.list_entries(kind="gan")
               if "pretrained" in ganzoo.zoo.get_entry(name)]  # the weights the bounds are for
    parser.add_argument("--entries", default=",".join(shipped))
    parser.add_argument("--calibration", default="16,200", help="int8 calibration sizes")
    parser.add_argument("--seeds", default="5,6,7")
    parser.add_argument("--samples", type=int, default=256)
    args = parser.parse_args()
    calibrations = [int(c) for c in args.calibration.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{'entry':16s} {'artifact':13s} {'max abs diff':>12s} {'MAE':>9s} {'SNR dB':>7s}"
          "   (errors in units of the reference std; over all inputs and calibrations, "
          "the worst of each artifact, the best of each wrong one)")
    with tempfile.TemporaryDirectory(prefix="ganzoo-parity-") as folder:
        for entry in args.entries.split(","):
            nearest, agreement = measure(entry, folder, calibrations, seeds, args.samples)
            for name, (max_abs, mae, snr) in nearest.items():
                print(f"{entry:16s} {name:13s} {max_abs:12.2e} {mae:9.2e} {snr:7.1f}")
            for name, value in agreement.items():
                print(f"{entry:16s} digits classifier agreement, {name}: {value:.3f}")


if __name__ == "__main__":
    main()
