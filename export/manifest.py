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
`ganzoo.export.runtime.verify(folder)` checks the files against it without TensorFlow.
"""

import datetime
import json
import platform
from importlib import metadata
from pathlib import Path

from ganzoo.export.runtime import MANIFEST_FILE, read_manifest, sha256_of, verify

FORMAT_VERSION = 1
LIBRARIES = ("ganzoo", "tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert",
             "numpy")

__all__ = ["MANIFEST_FILE", "build", "artifact_record", "write", "read_manifest", "verify",
           "library_versions"]


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


def _to_json(value):
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"Cannot record {type(value).__name__} in a manifest.")
