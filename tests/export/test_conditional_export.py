"""Class-conditional generators export with two inputs, `z` (float32) and `label`
(int32): every flavour matches Keras on the same latents and labels, the label really
steers the artifact, and `runtime.Generator.generate(labels=...)` is `gan.generate`."""

import json
import shutil

import numpy as np
import pytest

import ganzoo
from ganzoo.export import export_generator, parity, runtime, sources
from ganzoo.export.cli import main
from without_tensorflow import run_without_tensorflow

K, LATENT = 10, 8
FILES = {"generator.onnx": "float32", "generator_int8.onnx": "int8",
         "generator_float32.tflite": "float32",
         "generator_float16.tflite": "float16", "generator_dynamic_int8.tflite": "dynamic-int8",
         "generator_int8.tflite": "int8"}


def at_trained_scale(generator, std=0.6):
    """`generator` with its last kernel scaled so its outputs spread like a trained one's
    (dcgan-digits: std 0.62; 20 steps leave 0.06), and a projection's class embedding
    drawn at z's scale, as training grows it: a class then moves a sample as far as its
    latent does (fresh, the embedding's +-0.05 barely moves it)."""
    rng = np.random.default_rng(0)
    embedding = [layer for layer in generator.layers if layer.name == "class_embedding"]
    for layer in embedding:
        layer.set_weights([rng.standard_normal(layer.get_weights()[0].shape).astype("float32")])
    z = rng.standard_normal((64, LATENT)).astype("float32")
    labels = (np.arange(64) % K).astype("int32")
    layer = next(layer for layer in reversed(generator.layers) if layer.weights)
    factor = std / float(np.std(generator([z, labels], training=False)))
    layer.set_weights([factor * w for w in layer.get_weights()])
    return generator


def trained_conditional(conditioning="projection"):
    """A DCGAN of 8x8 digits, 10 classes, after 20 updates on real labelled digits."""
    images, labels = ganzoo.data.load_arrays("digits", 8, split="train")
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=LATENT, base_filters=8, num_classes=K,
                       conditioning=conditioning, seed=0)
    gan.compile()
    gan.fit(images[:640], labels[:640], batch_size=32, epochs=1, verbose=0)
    at_trained_scale(gan.generator)
    return gan


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(gan, export folder, manifest, printed report): `ganzoo-export RUN --bench` of a
    conditional run, every format and flavour."""
    gan = trained_conditional()
    root = tmp_path_factory.mktemp("conditional")
    run = ganzoo.runs.save_run(gan, root / "run", config={"name": "tiny-cdcgan"})
    out = root / "export"
    status = main([str(run), "--out", str(out), "--bench", "--batch-sizes", "1,2", "--runs",
                   "3", "--warmup", "1", "--threads", "1"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert status == 0, [a["parity"]["summary"] for a in manifest["artifacts"]]
    return gan, out, manifest


def keras_outputs(gan, z, labels):
    return np.asarray(gan.generator([z, labels], training=False))


def test_the_manifest_and_the_files_have_two_named_inputs(exported):
    _, folder, manifest = exported
    assert manifest["input"] == {"name": "z", "shape": [None, LATENT], "dtype": "float32",
                                 "distribution": {"type": "normal", "mean": 0.0, "std": 1.0}}
    assert manifest["label_input"] == {"name": "label", "shape": [None], "dtype": "int32",
                                       "num_classes": K}
    balanced = {"type": "balanced", "num_classes": K}
    assert manifest["parity_inputs"]["labels"] == balanced
    int8 = next(a for a in manifest["artifacts"] if a["file"] == "generator_int8.tflite")
    assert int8["calibration"]["labels"] == balanced and int8["calibration"]["samples"] >= K
    assert sorted(a["file"] for a in manifest["artifacts"]) == sorted(FILES)
    # what the files themselves take, read by their runtimes
    import onnxruntime as ort

    session = ort.InferenceSession(str(folder / "generator.onnx"),
                                   providers=["CPUExecutionProvider"])
    assert [(i.name, i.type, i.shape) for i in session.get_inputs()] == [
        ("z", "tensor(float)", ["batch", LATENT]), ("label", "tensor(int32)", ["batch"])]
    for file in FILES:
        artifact = runtime.load(folder / file)
        assert (artifact.input_name, artifact.label_name, artifact.num_classes) == (
            "z", "label", K), file
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(folder / "generator_int8.tflite"))
    dtypes = {d["name"]: (d["dtype"], tuple(d["shape"]))
              for d in interpreter.get_input_details()}
    assert sorted(dtypes.values(), key=str) == sorted(
        [(np.float32, (1, LATENT)), (np.int32, (1,))], key=str)


def test_parity_and_int8_calibration_inputs_hold_every_class_alike(exported, tmp_path,
                                                                    monkeypatch):
    # Fewer samples asked for than classes: raised to K, one of each.
    drawn = []
    draw = sources.Source.inputs
    monkeypatch.setattr(sources.Source, "inputs",
                        lambda self, num, seed: drawn.append(draw(self, num, seed)) or drawn[-1])
    manifest = export_generator(exported[0].generator, tmp_path, formats="tflite",
                                quantize="int8", calibration_samples=4, parity_samples=4,
                                latency=False)  # timing draws inputs of its own
    assert manifest["parity_inputs"]["samples"] == K
    assert manifest["artifacts"][0]["calibration"]["samples"] == K
    assert len(drawn) == 2  # the parity inputs, then the calibration set
    for latents, labels in drawn:
        assert latents.shape == (K, LATENT) and labels.dtype == np.int32
        assert sorted(labels) == list(range(K))


@pytest.mark.parametrize("file", FILES)
def test_every_flavour_matches_keras_on_the_same_latents_and_labels(exported, file):
    gan, folder, _ = exported
    rng = np.random.default_rng(123)  # other inputs than the export's own parity check
    z = rng.standard_normal((2 * K, LATENT)).astype("float32")
    labels = rng.permutation(np.arange(2 * K) % K).astype("int32")
    outputs = runtime.load(folder / file)([z, labels])
    facts = parity.compare(outputs, keras_outputs(gan, z, labels), FILES[file])
    assert facts["passed"], facts["summary"]
    if FILES[file] == "float32":  # ONNX Runtime and LiteRT agree with each other too
        other = "generator_float32.tflite" if file.endswith(".onnx") else "generator.onnx"
        np.testing.assert_allclose(outputs, runtime.load(folder / other)([z, labels]),
                                   rtol=0, atol=1e-5)


@pytest.mark.parametrize("file", FILES)
def test_the_label_steers_every_flavour(exported, file):
    # One latent, every class: each artifact image is nearest the Keras image of its
    # own label, so the label reaches the graph (a dropped, swapped or constant label
    # puts every image nearest one class).
    gan, folder, _ = exported
    z = np.repeat(np.random.default_rng(5).standard_normal((1, LATENT)), K, axis=0)
    labels = np.arange(K, dtype="int32")
    reference = keras_outputs(gan, z, labels).reshape(K, -1)
    outputs = runtime.load(folder / file)([z.astype("float32"), labels]).reshape(K, -1)
    distances = np.abs(outputs[:, None] - reference[None]).mean(-1)
    assert list(distances.argmin(axis=1)) == list(range(K)), distances.round(3)
    between_classes = np.abs(reference[:, None] - reference[None]).mean(-1)
    assert between_classes[~np.eye(K, dtype=bool)].min() > 0.05  # classes differ visibly


@pytest.mark.parametrize("where", ["generator.onnx", "generator_int8.tflite", "folder"])
def test_runtime_generate_is_gan_generate(exported, where):
    gan, folder, _ = exported
    generator = runtime.Generator(folder if where == "folder" else folder / where, threads=1)
    assert (generator.latent_dim, generator.num_classes, generator.output_shape) == (
        LATENT, K, (8, 8, 1))
    precision = "float32" if where != "generator_int8.tflite" else "int8"
    for args, kwargs in [((12,), dict(seed=3)), ((5,), dict(labels=7, seed=0)),
                         ((), dict(labels=[3, 1, 4, 1, 5, 9, 2, 6], seed=1)),
                         ((3,), dict(labels=np.array([0, 9, 9]), seed=2)),
                         ((), dict(latents=gan.prior_latents(4, seed=8), labels=2))]:
        outputs = generator.generate(*args, **kwargs)
        facts = parity.compare(outputs, gan.generate(*args, **kwargs), precision)
        assert facts["passed"], (kwargs, facts["summary"])
    assert generator.generate(0, seed=0).shape == (0, 8, 8, 1)


@pytest.mark.parametrize("call, message", [
    (lambda g: g.generate(2, labels=K), rf"labels must be in \[0, {K}\) for this generator "
                                        rf"\(num_classes={K}\); got \[{K}\]"),
    (lambda g: g.generate(labels=[0, -1, 3]), r"labels must be in \[0, 10\).*got \[-1\]"),
    (lambda g: g.generate(2, labels=[0.0, 1.0]), "labels must be a 1-D array of ints"),
    (lambda g: g.generate(2, labels=1.0), "labels must be an int or a 1-D array of ints"),
    (lambda g: g.generate(3, labels=[0, 1]), "2 labels for 3 samples"),
    (lambda g: g.generate(2, seed=0, latents=np.zeros((2, LATENT))), "pass one or the other"),
    (lambda g: g.artifact(np.zeros((2, LATENT), "float32")),
     r"a conditional generator's file: call it with \[z, labels\]"),
    (lambda g: g.artifact([np.zeros((2, LATENT), "float32"), np.array([1, K])]),
     rf"labels must be in \[0, {K}\)"),
])
def test_bad_labels_are_clear_errors(exported, call, message):
    generator = runtime.Generator(exported[1] / "generator_float32.tflite")
    with pytest.raises(ValueError, match=message):
        call(generator)


def test_an_unconditional_generator_takes_no_labels(tmp_path):
    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=LATENT, base_filters=8, seed=0)
    manifest = export_generator(gan.generator, tmp_path, formats="onnx", quantize="none")
    assert "label_input" not in manifest and "labels" not in manifest["parity_inputs"]
    generator = runtime.Generator(tmp_path)
    assert generator.num_classes is None and generator.artifact.label_name is None
    with pytest.raises(ValueError, match="this generator is unconditional"):
        generator.generate(2, labels=1, seed=0)
    z = np.zeros((2, LATENT), "float32")
    with pytest.raises(ValueError, match="takes latents alone, no labels"):
        generator.artifact([z, np.array([0, 1])])
    np.testing.assert_allclose(generator.generate(3, seed=4), gan.generate(3, seed=4),
                               rtol=0, atol=1e-5)


def test_generators_of_other_forms_are_refused_with_the_fix():
    import keras

    z, label = keras.Input((LATENT,), name="z"), keras.Input((), dtype="int32", name="label")
    body = keras.layers.Dense(4)(keras.layers.Concatenate()([z, keras.layers.Reshape((1,))(
        keras.ops.cast(label, "float32"))]))
    unknown = keras.Model([z, label], body, name="no_class_count")
    with pytest.raises(ValueError, match="no layer that its label enters says how many classes"):
        export_generator(unknown, "unused", formats="onnx", quantize="none")
    generator = ganzoo.nets.dcgan_generator(LATENT, (8, 8, 1), base_filters=8, num_classes=K)
    swapped = keras.Model(generator.inputs[::-1], generator.outputs, name="label_first")
    with pytest.raises(ValueError, match=r"takes \[label, z\]"):
        export_generator(swapped, "unused", formats="onnx", quantize="none")


def test_the_export_times_both_inputs_and_the_runtime_command_too(exported, capsys):
    _, folder, manifest = exported
    names = {(row["name"], row["batch"]) for row in manifest["latency"]["rows"]}
    for name in ("keras predict", "keras call", "tf.function", "generator.onnx",
                 "generator_int8.tflite"):
        assert {(name, 1), (name, 2)} <= names
    assert runtime.main([str(folder), "--batch-sizes", "1,3", "--runs", "3"]) == 0
    assert capsys.readouterr().out.count("generator_int8.tflite") == 2


def test_the_copied_runtime_file_generates_labels_without_tensorflow(exported, tmp_path):
    gan, folder, _ = exported
    board = tmp_path / "board"  # the one file copied alone, as onto a device
    board.mkdir()
    shutil.copy(runtime.__file__, board / "runtime.py")
    code = """
        import numpy as np
        import runtime
        folder, out = sys.argv[1], sys.argv[2]
        generator = runtime.Generator(folder, threads=1)
        np.save(out + "/sevens.npy", generator.generate(4, labels=7, seed=0))
        assert "tensorflow" not in sys.modules and "keras" not in sys.modules
        print("ok")
    """
    result = run_without_tensorflow(code, [folder, tmp_path], board)
    assert result.returncode == 0, result.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "sevens.npy"),
                               gan.generate(4, labels=7, seed=0), rtol=0, atol=1e-5)


@pytest.mark.parametrize("build", ["concat", "auxiliary", "vanilla-projection"])
def test_other_conditioning_modes_and_builders_export(build, tmp_path):
    # Given as a keras.Model: the class count comes from the layer the label enters.
    if build == "vanilla-projection":
        gan = ganzoo.VanillaGAN(data_shape=(8, 8, 1), latent_dim=LATENT, num_classes=K,
                                hidden_units=(32,), seed=0)
    else:
        gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=LATENT, base_filters=8,
                           num_classes=K, conditioning=build, seed=0)
    at_trained_scale(gan.generator)
    manifest = export_generator(gan.generator, tmp_path, quantize="none,int8",
                                calibration_samples=50)
    assert manifest["label_input"]["num_classes"] == K
    assert manifest["passed"], [a["parity"]["summary"] for a in manifest["artifacts"]]
    generator = runtime.Generator(tmp_path / "generator_int8.tflite")
    facts = parity.compare(generator.generate(2 * K, seed=1), gan.generate(2 * K, seed=1),
                           "int8")
    assert facts["passed"], facts["summary"]
