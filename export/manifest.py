"""manifest.json: what was exported, from what, and how each artifact did.

Beside the artifacts: the source (run folder or zoo entry, trained or not), what was
exported (`generator`, or an anomaly detector's `scorer`: images in [-1, 1] -> one
score per image), the input (name, shape, distribution), the output (shape, value
range), one record per artifact (format, quantization, batch, size, sha256, parity)
and the library versions.
An artifact's `batch` is the batch size fixed in the file (TFLite: 1 unless exported
with another), or null for a dynamic one (ONNX); `ganzoo.export.runtime` runs a batch
of any size on either, a fixed-batch file in calls of its own batch.
Its `quantization` is how it was made: TFLite's flavour (`none`, `float16`, `dynamic`,
`int8`), or for ONNX `none` or `static-int8-qdq` (`generator_int8.onnx`, see
`export.onnx_int8`); its `precision` (float32, float16, dynamic-int8, int8) picks the
parity rule, so both int8 flavours are held to the same one. An int8 record (TFLite's
or ONNX's) has `calibration`: what its inputs were drawn from, how many, and the seed.
A generator of any image size (Pix2Pix, SRResNet; `export.fully_convolutional`) has
`input.size_multiple`, `input.training_size` and `output.scale`; every artifact of an
image input records `spatial_sizes`, read from the file: "dynamic", or `[[H, W]]`.
Its parity record lists each checked size under `sizes`, the worst one's figures on top.
A class-conditional generator has a second input, described under `label_input` (name
`label`, shape `[null]`, int32, and `num_classes`); its parity
inputs and int8 calibration record how their labels were drawn (`labels`).
Timed artifacts (`ganzoo-export` times them unless `--no-bench`) carry `latency`:
`threads` and, per timed batch size, `batch_N` with `p50_ms`, `p90_ms`, `runs` (and
`calls` when a file of a smaller fixed batch ran it in parts); the full measurement is
the manifest's `latency` report (`export.latency.benchmark`). Where they were timed is
stated once, at the top: `machine` (CPU model, cores, platform) and `versions` (among
them the runtimes, onnxruntime and ai-edge-litert).
`ganzoo.export.runtime.verify(folder)` checks the files against it without TensorFlow.
"""

import datetime
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from ganzoo.export.runtime import MANIFEST_FILE, read_manifest, sha256_of, verify

FORMAT_VERSION = 1
LIBRARIES = ("ganzoo", "tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert",
             "numpy")

__all__ = ["MANIFEST_FILE", "build", "artifact_record", "write", "read_manifest", "verify",
           "library_versions", "machine_facts"]
# /proc/cpuinfo keys naming the CPU: x86's model name, then what ARM and other Linux
# kernels (Android's among them) give instead.
CPUINFO_KEYS = ("model name", "Hardware", "Processor", "cpu model")


def build(source, artifacts):
    """The manifest of `source`'s artifacts (records from `artifact_record`).

    A generator's manifest describes it under `generator`; an anomaly detector's
    scorer under `scorer` (see `export.scorers`), which is how
    `ganzoo.export.runtime.Scorer` tells the two apart.
    """
    return {
        "format_version": FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "source": source.origin,
        **source.manifest_facts(),
        "artifacts": artifacts,
        "versions": library_versions(),
        "machine": machine_facts(),
    }


def artifact_record(path, facts, parity):
    """One artifact's entry: its file, conversion facts, size, sha256 and parity."""
    path = Path(path)
    return {"file": path.name, **facts, "size_bytes": path.stat().st_size,
            "sha256": sha256_of(path), "parity": parity}


def write(folder, manifest):
    path = Path(folder) / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2, default=_to_json) + "\n")
    return path


def library_versions():
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine_facts():
    """The machine an export ran (and its latency was timed) on."""
    return {"cpu": cpu_model(), "cpus": os.cpu_count(), "architecture": platform.machine(),
            "platform": platform.platform()}


def cpu_model(cpuinfo="/proc/cpuinfo"):
    """The CPU's name: Linux's /proc/cpuinfo, macOS's sysctl, else what `platform` knows
    (at worst the architecture, e.g. "aarch64")."""
    try:
        fields = dict(line.split(":", 1) for line in Path(cpuinfo).read_text().splitlines()
                      if ":" in line)
        fields = {key.strip(): value.strip() for key, value in fields.items()}
        found = next((fields[key] for key in CPUINFO_KEYS if fields.get(key)), None)
        if found:
            return found
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], check=True,
                                  capture_output=True, text=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def _to_json(value):
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"Cannot record {type(value).__name__} in a manifest.")
