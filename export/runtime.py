"""Run exported generators and anomaly scorers without TensorFlow: ONNX Runtime or
LiteRT, and NumPy.

This file imports neither tensorflow nor keras, and nothing else from ganzoo, so it
can be copied alone to a phone-class board that has `numpy` and `onnxruntime` and/or
`ai-edge-litert` (each imported only when an artifact of its format is loaded).

    from ganzoo.export import runtime                # or `import runtime` after copying the file
    generator = runtime.load("out/generator.onnx", threads=2)
    images = generator(z)                     # z: float32 (batch, latent_dim) -> NumPy array
    runtime.verify("out")                     # every file's sha256 against out/manifest.json

    generator = runtime.Generator("out")      # a latent generator's export folder (or a file)
    images = generator.generate(16, seed=0)   # as gan.generate(16, seed=0)
    sevens = generator.generate(8, labels=7, seed=0)   # a class-conditional one's: inputs z
                                              # and label (int32), labels in [0, num_classes)

    translator = runtime.Translator("p2p/export")   # Pix2Pix / CycleGAN export folder (or a file)
    digits = translator.translate(edges)      # float (N, H, W, C) in [-1, 1], H and W any
                                              # multiple of the U-Net's 2**depth
    big = runtime.Upscaler("sr/export").upscale(photos)   # (N, H, W, 3) -> (N, 4H, 4W, 3)

    scorer = runtime.Scorer("det/export")     # an anomaly detector's export folder (or a file)
    scores = scorer.score(images)             # images in [-1, 1] (N, H, W, C) -> float64 (N,)
    flags = scores > scorer.normal_scores["q99"]   # a threshold from the normal images

    python runtime.py out [--batch-sizes 1,8] [--threads 2] [--size 128]   # latency of every artifact

`load` checks the file against the `manifest.json` beside it when there is one: a
tampered file (sha256 mismatch) or an artifact that failed parity at export time is
refused with an error, never run silently. A file with a fixed batch size (`batch`,
1 for ganzoo's TFLite files) takes a batch of any size, run as consecutive calls of
its own batch; a file whose height and width are dynamic (an any-size generator's:
`spatial_sizes` "dynamic") is resized to each new image size. A missing runtime
package is a `MissingDependencyError` (an ImportError) that names what to install.
"""

import argparse
import hashlib
import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

MANIFEST_FILE = "manifest.json"
FORMAT_OF_SUFFIX = {".onnx": "onnx", ".tflite": "tflite"}
RUNTIME_PACKAGE = {"onnx": "onnxruntime", "tflite": "ai_edge_litert"}
# The extra of ganzoo's pyproject.toml that installs every optional package below.
EXTRA = "ganzoo[export]"
DISTRIBUTIONS = {"ai_edge_litert": "ai-edge-litert", "onnxruntime": "onnxruntime",
                 "onnx": "onnx", "tf2onnx": "tf2onnx"}


class IntegrityError(ValueError):
    """An artifact does not match its manifest (changed, truncated or missing)."""


class MissingDependencyError(ImportError):
    """An optional package (of the `export` extra) is not installed.

    `alone`: also name the package's own pip install, all that this file needs when
    copied alone onto a device (the extra brings TensorFlow too).
    """

    def __init__(self, package, purpose, alone=False):
        hint = f"pip install '{EXTRA}'"
        if alone:
            distribution = DISTRIBUTIONS.get(package, package)
            hint += f" (or, for runtime.py alone, pip install {distribution})"
        super().__init__(f"{purpose} needs the package {package}; install it with: {hint}",
                         name=package)
        self.package, self.purpose = package, purpose


# ------------------------------------------------------------- optional packages

def optional_import(module, purpose, alone=False):
    """Import `module` (e.g. "ai_edge_litert.interpreter") for `purpose`.

    Raises `MissingDependencyError` naming the package and the install command when
    its top-level package is not installed; other import failures propagate as they are.
    """
    package = module.split(".")[0]
    try:
        importlib.import_module(package)  # the package first: its absence is the message
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] == package:
            raise MissingDependencyError(package, purpose, alone) from error
        raise


def require(packages, purpose):
    """Raise `MissingDependencyError` for the first of `packages` not installed,
    without importing any of them (tf2onnx imports TensorFlow)."""
    for package in packages:
        if importlib.util.find_spec(package) is None:
            raise MissingDependencyError(package, purpose)


# ------------------------------------------------------------------------ integrity

def sha256_of(path):
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder):
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{folder} has no {MANIFEST_FILE}: not an export folder.")
    return json.loads(path.read_text())


def verify(folder):
    """Check every artifact listed in `folder`'s manifest; returns the manifest.

    Raises `IntegrityError` naming each file that is missing or whose size or sha256
    differs from the manifest.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = [problem for entry in manifest["artifacts"]
                if (problem := _check_entry(folder, entry))]
    if problems:
        raise IntegrityError(f"{folder}: " + "; ".join(problems))
    return manifest


def _check_entry(folder, entry):
    path = folder / entry["file"]
    if not path.is_file():
        return f"{entry['file']} is missing"
    if path.stat().st_size != entry["size_bytes"] or sha256_of(path) != entry["sha256"]:
        return (f"{entry['file']} does not match its manifest sha256 "
                f"(changed after export; re-export it)")
    return None


def _num_classes_beside(path):
    """A conditional generator's class count, from the manifest beside `path` (if any)."""
    if not (path.parent / MANIFEST_FILE).is_file():
        return None
    return class_count(read_manifest(path.parent))


def _manifest_entry(path):
    """The manifest entry of `path` if a manifest beside it lists it, else None."""
    if not (path.parent / MANIFEST_FILE).is_file():
        return None
    manifest = read_manifest(path.parent)
    return next((e for e in manifest["artifacts"] if e["file"] == path.name), None)


# -------------------------------------------------------------------------- loading

def load(path, threads=None, check=True, allow_failing=False):
    """An exported generator, callable on a NumPy batch: `generator(z)`, or for a
    class-conditional generator (a file with a second input, `label`) `generator([z,
    labels])`, labels int `(batch,)` in [0, num_classes) (the manifest beside the file
    gives num_classes; without one, labels are checked to be non-negative only).

    Args:
        path: an `.onnx` or `.tflite` file.
        threads: intra-op threads of the runtime (None: the runtime's default).
        check: verify the file's sha256 against the manifest beside it, if any.
        allow_failing: load an artifact that failed parity at export time anyway.
    """
    path = Path(path)
    fmt = FORMAT_OF_SUFFIX.get(path.suffix)
    if fmt is None:
        raise ValueError(f"{path}: unsupported artifact format {path.suffix!r}; "
                         f"expected one of {sorted(FORMAT_OF_SUFFIX)}.")
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist.")
    if check:
        entry = _manifest_entry(path)
        if entry is not None:
            problem = _check_entry(path.parent, entry)
            if problem:
                raise IntegrityError(f"{path.parent}: {problem}")
            if not entry.get("parity", {}).get("passed", True) and not allow_failing:
                raise ValueError(f"{path} failed parity at export time "
                                 f"({entry['parity'].get('summary', 'see manifest')}); "
                                 "pass allow_failing=True to run it anyway.")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1; got {threads}.")
    num_classes = _num_classes_beside(path)
    runner = OnnxGenerator if fmt == "onnx" else LiteRTGenerator
    return runner(path, threads, num_classes)


class OnnxGenerator:
    """An ONNX artifact run by ONNX Runtime on the CPU.

    `batch` is None for a dynamic batch dimension (every file ganzoo writes), else the
    batch size fixed in the file; a batch of another size runs in calls of that size.
    `label_name` is the label input of a conditional generator's file (else None),
    whose labels must lie in [0, `num_classes`) when that is known.
    """

    format = "onnx"
    runtime = "onnxruntime"

    def __init__(self, path, threads=None, num_classes=None):
        ort = optional_import("onnxruntime", "running an .onnx file", alone=True)

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads is not None:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self.path, self.threads, self.num_classes = Path(path), threads, num_classes
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])
        inputs = _main_then_label(self.session.get_inputs(), lambda i: len(i.shape), self.path)
        self._names = [i.name for i in inputs]
        self.input_name = self._names[0]
        self.label_name = self._names[1] if len(inputs) > 1 else None
        self.output_name = self.session.get_outputs()[0].name
        # ONNX Runtime gives a symbolic dimension as a name or None, a fixed one as an int.
        shape = [d if isinstance(d, int) and d > 0 else None for d in inputs[0].shape]
        self.batch = shape[0]
        self.spatial_sizes = _spatial_sizes(shape)

    def __call__(self, inputs):
        return _in_batches(self._run, _parts(inputs, self), self.batch, self.path)

    def _run(self, parts):
        return self.session.run([self.output_name], dict(zip(self._names, parts)))[0]


class LiteRTGenerator:
    """A TFLite artifact run by the LiteRT interpreter (XNNPACK where it applies).

    A file with a fixed batch size (`batch`, 1 for ganzoo's TFLite files) runs a batch
    of any other size as consecutive invocations of its own batch, never by resizing
    it: resizing a fixed-batch graph fails in XNNPACK ("failed to reshape runtime")
    and in any op whose shape the converter baked in (Reshape, TransposeConv's output
    shape). Only dimensions the file leaves dynamic (-1 in its shape signature: the
    batch of a dynamic-batch file, the height and width of an any-size generator's)
    are resized, once per new shape. `label_name` and `num_classes`: as for
    `OnnxGenerator`.
    """

    format = "tflite"
    runtime = "litert"

    def __init__(self, path, threads=None, num_classes=None):
        Interpreter = optional_import("ai_edge_litert.interpreter", "running a .tflite file",
                                      alone=True).Interpreter

        self.path, self.threads, self.num_classes = Path(path), threads, num_classes
        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        details = self.interpreter.get_input_details()
        names = {**{d["index"]: d["name"] for d in details}, **_signature_names(self.interpreter)}
        inputs = _main_then_label(details, lambda d: len(d["shape_signature"]), self.path)
        self._indices = [d["index"] for d in inputs]
        self.input_name = names[self._indices[0]]
        self.label_name = names[self._indices[1]] if len(inputs) > 1 else None
        self._read_details()
        # -1 in the signature: a dimension the file lets the interpreter resize (the
        # batch of a dynamic-batch file; the height and width of an any-size generator).
        self._signatures = [[None if d == -1 else int(d) for d in detail["shape_signature"]]
                            for detail in self._inputs]
        self.batch = self._signatures[0][0]
        self.spatial_sizes = _spatial_sizes(self._signatures[0])
        self._shapes = None
        if all(None not in signature for signature in self._signatures):
            self.interpreter.allocate_tensors()
            self._shapes = tuple(tuple(detail["shape"]) for detail in self._inputs)

    def _read_details(self):
        by_index = {d["index"]: d for d in self.interpreter.get_input_details()}
        self._inputs = [by_index[index] for index in self._indices]
        self._output = self.interpreter.get_output_details()[0]

    def __call__(self, inputs):
        return _in_batches(self._invoke, _parts(inputs, self), self.batch, self.path)

    def _invoke(self, parts):
        shapes = tuple(part.shape for part in parts)
        if shapes != self._shapes:
            for part, signature in zip(parts, self._signatures):
                row = tuple(signature[1:])
                if not _fits(part.shape[1:], row):
                    free = " (None: any size)" if None in row else ""
                    raise ValueError(f"{self.path.name} takes inputs of shape {row} per "
                                     f"row{free}; got {part.shape[1:]}.")
            # Only resizable dimensions differ: resize once per new shape, not per call.
            for index, part in zip(self._indices, parts):
                self.interpreter.resize_tensor_input(index, part.shape)
            self.interpreter.allocate_tensors()
            self._shapes = shapes
            self._read_details()
        for detail, part in zip(self._inputs, parts):
            self.interpreter.set_tensor(detail["index"], _quantize(part, detail))
        self.interpreter.invoke()
        return _dequantize(self.interpreter.get_tensor(self._output["index"]), self._output)


def _signature_names(interpreter):
    """Tensor index -> input name in the file's first signature (z, label), if it has one."""
    signatures = interpreter.get_signature_list()
    if not signatures:
        return {}
    # The runner holds views of the interpreter's tensors, which allocate_tensors
    # refuses while they live: it must not outlive this function.
    runner = interpreter.get_signature_runner(next(iter(signatures)))
    return {detail["index"]: name for name, detail in runner.get_input_details().items()}


def _main_then_label(inputs, rank, path):
    """A file's inputs in call order: its one input, or a conditional generator's
    latent, then its label (the input of one value per sample)."""
    inputs = list(inputs)
    if len(inputs) == 1:
        return inputs
    ranks = sorted(rank(i) for i in inputs)
    if ranks != [1, 2]:
        raise ValueError(f"{path.name} has {len(inputs)} inputs of ranks {ranks}; this runtime "
                         "runs files of one input, or a conditional generator's latent (batch, "
                         "latent_dim) and label (batch,).")
    return sorted(inputs, key=rank, reverse=True)


def _parts(inputs, artifact):
    """`inputs` as the arrays `artifact` takes: `[z]` or `[images]` float32, or a
    conditional generator's `[z, labels]` (labels int32), checked."""
    if artifact.label_name is None:
        if isinstance(inputs, (list, tuple)) and len(inputs) == 2 and np.ndim(inputs[0]) == 2:
            raise ValueError(f"{artifact.path.name} is not a conditional generator's file: it "
                             "takes latents alone, no labels.")
        return [np.ascontiguousarray(inputs, dtype=np.float32)]
    if not (isinstance(inputs, (list, tuple)) and len(inputs) == 2):
        raise ValueError(f"{artifact.path.name} is a conditional generator's file: call it with "
                         "[z, labels], z float (batch, latent_dim) and labels int (batch,).")
    latents = np.ascontiguousarray(inputs[0], dtype=np.float32)
    labels = _checked_labels(inputs[1], len(latents), artifact.num_classes)
    return [latents, labels]


def _checked_labels(labels, num, num_classes=None, owner="this generator"):
    """`labels` as int32 `(num,)`, or a ValueError: integers, one per sample, in [0,
    `num_classes`) (non-negative when `num_classes` is None, unknown)."""
    array = np.asarray(labels)
    if array.dtype.kind not in "iu" or array.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of ints (class indices); got an array of "
                         f"dtype {array.dtype} and shape {array.shape}.")
    if len(array) != num:
        raise ValueError(f"{len(array)} labels for {num} samples: give one label per sample.")
    outside = (array < 0) | (array >= (np.inf if num_classes is None else num_classes))
    if outside.any():
        bounds = ("non-negative" if num_classes is None
                  else f"in [0, {num_classes}) for {owner} (num_classes={num_classes})")
        raise ValueError(f"labels must be {bounds}; got {sorted(set(array[outside].tolist()))}.")
    return np.ascontiguousarray(array, dtype=np.int32)


class Scorer:
    """An anomaly detector's exported scorer: images in [-1, 1] -> scores, higher = more
    anomalous (see ganzoo's `ganzoo-export` of a detector's run folder or entry).

    Args:
        path: the export folder (its manifest.json describes a `scorer`), or one of its
            artifacts. A folder runs its first artifact that passed parity and whose
            runtime is installed: the float32 ONNX file when it was exported.
        threads, check, allow_failing: as for `load`.

    Attributes: `image_shape` `(H, W, C)`, `detector` (its class name), `score_name`,
    `normal_scores` (quantiles `q50` ... `q99` and `max` of the Keras detector's
    scores on the normal images it learnt from: thresholds to start from), `artifact`
    (the loaded file, as `load` gives it).

    Example:
        >>> scorer = Scorer("runs/ganomaly/export", threads=2)
        >>> flags = scorer.score(images) > scorer.normal_scores["q99"]
    """

    def __init__(self, path, threads=None, check=True, allow_failing=False):
        path = Path(path)
        folder = path if path.is_dir() else path.parent
        manifest = read_manifest(folder)
        if "scorer" not in manifest:
            raise ValueError(f"{folder} holds a generator's export, not an anomaly detector's "
                             "scorer; run its artifacts with runtime.load.")
        if path.is_dir():
            path = folder / _first_runnable(manifest, folder, allow_failing)
        self.artifact = load(path, threads, check, allow_failing)
        self.image_shape = tuple(int(d) for d in manifest["input"]["shape"][1:])
        self.value_range = tuple(manifest["input"].get("range") or (-1.0, 1.0))
        self.detector = manifest["scorer"]["detector"]
        self.score_name = manifest["scorer"].get("score")
        self.normal_scores = dict(manifest["scorer"].get("normal_scores") or {})

    def score(self, images):
        """Scores of `images`, float `(N, H, W, C)` in [-1, 1]: NumPy float64 `(N,)`."""
        images = _float_images(images, "a scorer")
        if images.ndim != 4 or tuple(images.shape[1:]) != self.image_shape:
            hint = (" For one image, pass images[np.newaxis]."
                    if tuple(images.shape) == self.image_shape else "")
            raise ValueError(f"The scorer takes images of shape (N, "
                             f"{', '.join(map(str, self.image_shape))}); got an array of "
                             f"shape {images.shape}.{hint}")
        if not len(images):
            return np.zeros((0,), np.float64)
        _check_range(images, self.value_range, "the detector")
        return np.asarray(self.artifact(images.astype(np.float32)), np.float64).reshape(-1)


class ImageGenerator:
    """What `Translator` and `Upscaler` share: an exported image-to-image generator (its
    export folder, or one of its artifacts) run on float images in [-1, 1] of any size it
    takes: its training size only (CycleGAN), or any multiple of `size_multiple`
    (Pix2Pix's U-Net: 2**depth; SRResNet: 1), as the manifest records.

    Attributes: `channels` of the input, `size` `(H, W)` for a fixed-size generator
    (None for any size), `size_multiple`, `scale` (output side / input side),
    `artifact` (the loaded file, as `load` gives it).
    """

    kind = None        # the manifest's generator kind this class runs
    method = None      # the name of its method, for messages

    def __init__(self, path, threads=None, check=True, allow_failing=False):
        manifest, self.artifact = _open_generator(path, self.kind, threads, check,
                                                  allow_failing)
        shape = manifest["input"]["shape"]
        self.channels = int(shape[-1])
        self.output_channels = int(manifest["output"]["shape"][-1])
        self.size = None if None in shape[1:3] else (int(shape[1]), int(shape[2]))
        self.size_multiple = int(manifest["input"].get("size_multiple", 1))
        self.scale = int(manifest["output"].get("scale", 1))
        self.value_range = tuple(manifest["input"]["distribution"].get("range", (-1.0, 1.0)))

    def _run(self, images):
        """The artifact's outputs for `(N, H, W, C)` images, or one `(H, W, C)` image."""
        images = _float_images(images, self.method)
        if images.ndim not in (3, 4):
            raise ValueError(f"{self.method} takes images (N, H, W, C) or one image (H, W, C); "
                             f"got an array of shape {images.shape}.")
        single = images.ndim == 3
        batch = images[np.newaxis] if single else images
        if batch.shape[-1] != self.channels:
            raise ValueError(f"This generator takes {self.channels}-channel images; got images "
                             f"of shape {images.shape}.")
        self._check_size(*batch.shape[1:3])
        if not len(batch):
            return np.zeros((0, *(self.scale * side for side in batch.shape[1:3]),
                             self.output_channels), np.float32)
        _check_range(batch, self.value_range, "the generator")
        outputs = self.artifact(batch.astype(np.float32))
        return outputs[0] if single else outputs

    def _check_size(self, height, width):
        if self.size is not None and (height, width) != self.size:
            raise ValueError(f"This generator takes {self.size[0]}x{self.size[1]} images only "
                             f"(height x width); got {height}x{width}.")
        step = self.size_multiple
        if height < 1 or width < 1 or height % step or width % step:
            raise ValueError(f"This generator takes images whose height and width are "
                             f"multiples of {step}; got {height}x{width}. Crop or resize them "
                             f"to a multiple of {step}.")


class Translator(ImageGenerator):
    """An exported translator: Pix2Pix's generator (any multiple of its U-Net's
    2**depth) or a CycleGAN's (its training size), images in [-1, 1] -> images.

    Example:
        >>> digits = Translator("runs/p2p/export", threads=2).translate(edges)  # (N, H, W, C)
    """

    kind, method = "translator", "translate"

    def translate(self, images):
        """Translations of float images in [-1, 1], `(N, H, W, C)` or one `(H, W, C)`."""
        return self._run(images)


class Upscaler(ImageGenerator):
    """An exported upscaler (SRResNet's or SRGAN's generator): images in [-1, 1] of any
    height and width -> `scale` times larger ones.

    Example:
        >>> big = Upscaler("runs/sr/export").upscale(photo)   # (H, W, 3) -> (4H, 4W, 3)
    """

    kind, method = "upscaler", "upscale"

    def upscale(self, images):
        """`scale` times larger images of float images in [-1, 1], `(N, H, W, C)` or one."""
        return self._run(images)


class Generator:
    """An exported latent generator: samples from seeds or latents, and for a
    class-conditional generator from labels too, as the GAN's `generate` makes them.

    Args:
        path: the export folder (its manifest.json describes a latent generator), or
            one of its artifacts. A folder runs its first artifact that passed parity
            and whose runtime is installed: the float32 ONNX file when it was exported.
        threads, check, allow_failing: as for `load`.

    Attributes: `latent_dim`, `num_classes` (None for an unconditional generator),
    `output_shape` (one sample's), `artifact` (the loaded file, as `load` gives it).

    Example:
        >>> generator = Generator("runs/cdcgan/export", threads=2)
        >>> sevens = generator.generate(8, labels=7, seed=0)  # gan.generate(8, labels=7, seed=0)
    """

    kind = "latent"

    def __init__(self, path, threads=None, check=True, allow_failing=False):
        manifest, self.artifact = _open_generator(path, self.kind, threads, check,
                                                  allow_failing)
        self.latent_dim = int(manifest["input"]["shape"][-1])
        self.num_classes = class_count(manifest)
        self.output_shape = tuple(int(d) for d in manifest["output"]["shape"][1:])

    def generate(self, num=None, labels=None, seed=None, latents=None):
        """Samples as a float32 NumPy array `(n, *output_shape)`, as the GAN's
        `generate(num, labels=labels, seed=seed)` makes them (the same latents: N(0, 1)
        from `np.random.default_rng(seed)`), up to the artifact's parity error.

        Args:
            num: how many samples; may be left out when `latents` or an array of
                `labels` are given.
            labels: for a conditional generator, the classes to make: one int for all
                samples, or one int per sample, in [0, num_classes); default: the
                classes in turn, 0, 1, ..., K-1, 0, ... An unconditional one takes none.
            seed: seed of the drawn latents; the same seed and labels give the same samples.
            latents: your own latent vectors `(n, latent_dim)` instead (then no `seed`).
        """
        if num is None and latents is None and labels is not None and np.ndim(labels) == 1:
            num = len(labels)
        latents = self._latents(num, seed, latents)
        labels = self._labels(len(latents), labels)
        if not len(latents):
            return np.zeros((0, *self.output_shape), np.float32)
        return self.artifact(latents if labels is None else [latents, labels])

    def _latents(self, num, seed, latents):
        if latents is None:
            if num is None:
                raise ValueError("generate needs num (how many samples), labels (one per "
                                 f"sample) or latents (shape (n, {self.latent_dim})).")
            if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
                raise ValueError(f"num must be a non-negative int; got {num!r}.")
            # the draw of the GAN's prior_latents, so a seed gives the GAN's samples
            rng = np.random.default_rng(seed)
            return rng.standard_normal((num, self.latent_dim)).astype(np.float32)
        if seed is not None:
            raise ValueError("seed draws the latent vectors, so it has no effect when latents "
                             "are given: pass one or the other.")
        array = np.asarray(latents)
        if array.dtype.kind not in "fiu" or array.ndim != 2 or array.shape[1] != self.latent_dim:
            raise ValueError(f"latents must be numbers of shape (n, {self.latent_dim}); got an "
                             f"array of dtype {array.dtype} and shape {array.shape}.")
        if num is not None and num != len(array):
            raise ValueError(f"num={num} but {len(array)} latent vectors were given; leave num "
                             "out (it is len(latents)) or pass that many vectors.")
        if not np.all(np.isfinite(array)):
            raise ValueError("latents contain NaN or infinite values.")
        return array.astype(np.float32)

    def _labels(self, num, labels):
        """The int32 labels of `generate`, as the GAN's `generate` takes them."""
        if self.num_classes is None:
            if labels is not None:
                raise ValueError("labels apply to class-conditional generators (exported with "
                                 "num_classes); this generator is unconditional.")
            return None
        if labels is None:
            return (np.arange(num) % self.num_classes).astype(np.int32)
        if np.ndim(labels) == 0:
            if np.asarray(labels).dtype.kind not in "iu":
                raise ValueError(f"labels must be an int or a 1-D array of ints; got {labels!r}.")
            labels = np.full(num, labels)
        return _checked_labels(labels, num, self.num_classes, "this generator")


def _open_generator(path, kind, threads, check, allow_failing):
    """`(manifest, artifact)` of an export folder (its first runnable artifact) or one
    of its files, refused unless the manifest describes a generator of `kind`."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    manifest = read_manifest(folder)
    found = (manifest.get("generator") or {}).get("kind")
    if found != kind:
        runs_it = {"translator": "runtime.Translator", "upscaler": "runtime.Upscaler",
                   "latent": "runtime.Generator"}.get(
            found, "runtime.Scorer" if "scorer" in manifest else "runtime.load")
        names = {"latent": "latent generator"}
        raise ValueError(f"{folder} holds the export of a {names.get(found, found or 'scorer')}, "
                         f"not of a {names.get(kind, kind)}: run it with {runs_it}.")
    if path.is_dir():
        path = folder / _first_runnable(manifest, folder, allow_failing)
    return manifest, load(path, threads, check, allow_failing)


def _float_images(images, user):
    images = np.asarray(images)
    if images.dtype.kind != "f":
        raise ValueError(f"The images hold {images.dtype} values; {user} takes float images in "
                         "[-1, 1]: convert 0..255 pixels with images / 127.5 - 1.")
    return images


# Float round-off (resize, colour conversion) can step just past [-1, 1]; the
# detectors allow the same (ganzoo.anomaly.inputs).
RANGE_TOLERANCE = 1e-3


def _check_range(images, value_range, trained):
    low, high = value_range
    if np.any(images > high + RANGE_TOLERANCE) or np.any(images < low - RANGE_TOLERANCE):
        raise ValueError(f"The images have values outside [{low:g}, {high:g}]: scale them as "
                         f"{trained} was trained (0..255 pixels: images / 127.5 - 1).")


def _first_runnable(manifest, folder, allow_failing=False):
    """The first artifact of the manifest that passed parity and whose runtime is installed."""
    usable = [entry for entry in manifest["artifacts"]
              if allow_failing or entry.get("parity", {}).get("passed", False)]
    if not usable:
        raise ValueError(f"{folder}: no artifact passed parity at export time (see its "
                         f"{MANIFEST_FILE}); pass allow_failing=True to run one anyway.")
    for entry in usable:
        fmt = FORMAT_OF_SUFFIX.get(Path(entry["file"]).suffix)
        if fmt and importlib.util.find_spec(RUNTIME_PACKAGE[fmt]) is not None:
            return entry["file"]
    fmt = FORMAT_OF_SUFFIX.get(Path(usable[0]["file"]).suffix, "onnx")
    raise MissingDependencyError(RUNTIME_PACKAGE[fmt], f"running {usable[0]['file']}", alone=True)


def _fits(shape, wanted):
    """True when `shape` has `wanted`'s rank and its value wherever that is not None."""
    return len(shape) == len(wanted) and all(w is None or s == w for s, w in zip(shape, wanted))


def _spatial_sizes(input_shape):
    """What height x width an image input takes: "dynamic", `[[height, width]]` for a
    fixed one, None for an input that is not an image (a latent vector)."""
    if len(input_shape) != 4:
        return None
    height, width = input_shape[1:3]
    return "dynamic" if height is None or width is None else [[int(height), int(width)]]


def _in_batches(run, parts, batch, path):
    """`run` on `parts` (the file's inputs, one array each, rows aligned) in slices of
    the file's fixed `batch` (None: all at once).

    A short last slice is padded with copies of its last row, whose outputs are
    dropped: each row's output is the one it gets run alone.
    """
    num = len(parts[0])
    if batch is None or num == batch:
        return run(parts)
    if num == 0:
        raise ValueError(f"{path.name}: got an empty batch.")
    outputs = []
    for start in range(0, num, batch):
        chunk = [part[start:start + batch] for part in parts]
        if len(chunk[0]) < batch:
            chunk = [np.concatenate([rows, np.repeat(rows[-1:], batch - len(rows), axis=0)])
                     for rows in chunk]
        outputs.append(run(chunk)[:min(batch, num - start)])
    return np.concatenate(outputs)


def _quantize(values, detail):
    # Artifacts written by ganzoo keep float32 inputs (and int32 labels); integer
    # latents or images are supported for files converted elsewhere with
    # inference_input_type=int8.
    if detail["dtype"] == np.float32 or values.dtype == detail["dtype"]:
        return values
    scale, zero_point = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(values / scale + zero_point), info.min, info.max).astype(detail["dtype"])


def _dequantize(values, detail):
    if values.dtype == np.float32:
        return values
    scale, zero_point = detail["quantization"]
    return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


# -------------------------------------------------------------------------- latency

def latency_stats(seconds, batch_size):
    """p50/p90/p99 latency in milliseconds and throughput of timed calls."""
    ms = np.asarray(seconds) * 1000.0
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return {"p50_ms": float(p50), "p90_ms": float(p90), "p99_ms": float(p99),
            "mean_ms": float(ms.mean()), "runs": int(ms.size),
            "samples_per_s": float(batch_size * 1000.0 / p50)}


def measure(calls, warmup=10, runs=100, rounds=5, budget_s=10.0, min_runs=20):
    """Time each zero-argument callable of `calls` (a dict); returns name -> seconds list.

    Each callable is warmed up, then timed one call at a time, the callables
    alternating over `rounds` so that drift in machine load hits all of them alike.
    A slow callable gets fewer runs (at least `min_runs`) to stay near `budget_s`.
    """
    planned = {}
    for name, call in calls.items():
        start = time.perf_counter()
        for _ in range(max(warmup, 1)):
            call()
        per_call = (time.perf_counter() - start) / max(warmup, 1)
        planned[name] = int(min(runs, max(min_runs, budget_s // max(per_call, 1e-9))))
    timings = {name: [] for name in calls}
    for round_index in range(rounds):
        for name, call in calls.items():
            share = planned[name] // rounds + (round_index < planned[name] % rounds)
            for _ in range(share):
                start = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - start)
    return timings


def example_shape(manifest, side=None):
    """One input's shape for timing: the manifest's, an any-size generator's height and
    width set to `side` (default its training size)."""
    shape = list(manifest["input"]["shape"][1:])
    if None in shape:
        shape[:2] = [side, side] if side else manifest["input"]["training_size"]
    return tuple(shape)


def class_count(manifest):
    """A conditional generator's num_classes from its manifest; None for other exports."""
    return (manifest.get("label_input") or {}).get("num_classes")


def benchmark(generators, input_shape, batch_sizes=(1, 8), seed=0, num_classes=None,
              **measure_kwargs):
    """Latency rows of loaded generators (name -> generator) at each batch size; a
    conditional generator's (`num_classes`, as `class_count(manifest)` reads it) get
    labels too, the classes in turn."""
    rows = []
    for batch in batch_sizes:
        inputs = np.random.default_rng(seed).standard_normal((batch, *input_shape))
        inputs = inputs.astype(np.float32)
        if num_classes:
            inputs = [inputs, (np.arange(batch) % num_classes).astype(np.int32)]
        calls = {name: (lambda g=g: g(inputs)) for name, g in generators.items()}
        for name, seconds in measure(calls, **measure_kwargs).items():
            rows.append({"name": name, "batch": batch, **latency_stats(seconds, batch)})
    return rows


# ---------------------------------------------------------------------- entry point

def main(argv=None):
    parser = argparse.ArgumentParser(description="Latency of every artifact of an export "
                                                 "folder, without TensorFlow.")
    parser.add_argument("folder", help="an export folder with manifest.json")
    parser.add_argument("--batch-sizes", default="1,8", help="comma-separated (default 1,8)")
    parser.add_argument("--threads", type=int, default=None, help="runtime threads")
    parser.add_argument("--runs", type=int, default=100, help="timed runs per artifact")
    parser.add_argument("--size", type=int, default=None,
                        help="input side for a generator of any image size (default: its "
                             "training size)")
    args = parser.parse_args(argv)
    try:
        manifest = verify(args.folder)
        batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
        generators = {entry["file"]: load(Path(args.folder) / entry["file"], args.threads)
                      for entry in manifest["artifacts"] if entry["parity"]["passed"]}
    except (ValueError, FileNotFoundError, ImportError) as error:
        print(f"runtime: error: {error}", file=sys.stderr)
        return 2
    input_shape = example_shape(manifest, args.size)
    print(f"{'artifact':34} {'batch':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for row in benchmark(generators, input_shape, batch_sizes, runs=args.runs,
                         num_classes=class_count(manifest)):
        print(f"{row['name']:34} {row['batch']:>5} {row['p50_ms']:8.3f} {row['p90_ms']:8.3f} "
              f"{row['p99_ms']:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
