"""`ganzoo-export` on a run folder, end to end, and the latency report."""

import json

import pytest

from ganzoo.export import latency, parity
from ganzoo.export.cli import main
from export_cases import tiny_dcgan_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return tiny_dcgan_run(tmp_path_factory.mktemp("runs") / "tiny", {"name": "tiny-dcgan"},
                          metadata={"epochs": 0})


def test_export_a_run_folder_with_benchmark(tiny_run, tmp_path, capsys):
    out = tmp_path / "export"
    argv = [str(tiny_run), "--formats", "onnx,tflite", "--quantize", "none,float16,int8",
            "--out", str(out), "--bench", "--batch-sizes", "1,2", "--runs", "5", "--warmup", "1", "--threads", "1",
            "--calibration-samples", "8"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["type"] == "run" and manifest["source"]["entry"] == "tiny-dcgan"
    assert manifest["source"]["trained"] is True
    assert sorted(a["file"] for a in manifest["artifacts"]) == [
        "generator.onnx", "generator_float16.tflite", "generator_float32.tflite",
        "generator_int8.onnx", "generator_int8.tflite"]
    report = manifest["latency"]
    assert report["threads"] == 1 and report["references"] is True
    for artifact in manifest["artifacts"]:  # --bench's timing also lands in each record
        assert set(artifact["latency"]) == {"threads", "batch_1", "batch_2"}
    names = {(row["name"], row["batch"]) for row in report["rows"]}
    for name in ("keras predict", "keras call", "tf.function", "generator.onnx",
                 "generator_int8.tflite"):
        assert {(name, 1), (name, 2)} <= names
    assert set(report["recommended"]) == {"1", "2"}
    for pick in report["recommended"].values():
        assert pick["file"] in {a["file"] for a in manifest["artifacts"]}
    assert "p50 ms" in printed and "recommended at batch 1" in printed
    assert "skipped onnx: float16 not offered" in printed
    # Again into the same folder: refused without --overwrite, replaced with it.
    assert main(argv) == 2
    assert main([str(tiny_run), "--formats", "onnx", "--quantize", "none", "--out", str(out),
                 "--overwrite"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [a["file"] for a in manifest["artifacts"]] == ["generator.onnx"]
    assert not (out / "generator_int8.tflite").exists()  # the earlier export's files went


def test_a_failing_artifact_makes_the_command_fail(tiny_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(parity.MAX_ABS, "float32", 0.0)
    assert main([str(tiny_run), "--formats", "onnx", "--quantize", "none",
                 "--out", str(tmp_path / "x")]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_untrained_entry_export_is_marked_untrained(tmp_path, capsys, monkeypatch):
    assert main(["vanilla-digits", "--untrained", "--formats", "onnx", "--quantize", "none",
                 "--out", str(tmp_path / "v")]) == 0
    assert "UNTRAINED" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "v" / "manifest.json").read_text())
    assert manifest["source"] == {"type": "entry", "entry": "vanilla-digits", "trained": False,
                                  "data": "digits", "generator_weights": "raw"}


def _row(name, runtime, precision, batch, p50, passed=True):
    return {"name": name, "runtime": runtime, "precision": precision, "batch": batch,
            "p50_ms": p50, "parity_passed": passed}


def test_recommendation_is_the_fastest_passing_artifact():
    rows = [_row("tf.function", "tensorflow", "float32", 1, 0.5, None),
            _row("a.onnx", "onnxruntime", "float32", 1, 1.0),
            _row("fast_but_failing.tflite", "litert", "int8", 1, 0.1, False),
            _row("b.tflite", "litert", "float32", 1, 2.0)]
    assert latency.recommend(rows)["1"]["file"] == "a.onnx"


def test_quantized_slower_than_float32_in_its_runtime_is_flagged():
    rows = [_row("f32.tflite", "litert", "float32", 1, 1.0),
            _row("dyn.tflite", "litert", "dynamic-int8", 1, 50.0),
            _row("int8.tflite", "litert", "int8", 1, 0.6),
            _row("g.onnx", "onnxruntime", "float32", 1, 0.3)]
    flags = latency.slow_quantized(rows)
    assert len(flags) == 1 and flags[0].startswith("dyn.tflite (dynamic-int8) is 50.0x slower")


@pytest.fixture(scope="module")
def ema_run(tmp_path_factory):
    """(run folder, GAN) of an untrained 8x8 DCGAN whose generator and generator EMA
    differ, both spread like trained ones."""
    import ganzoo
    from export_cases import spread

    gan = ganzoo.DCGAN(image_shape=(8, 8, 1), latent_dim=8, base_filters=8, ema_decay=0.99,
                       seed=0)
    gan.compile()
    spread(gan.generator, std=0.6)
    spread(gan.generator_ema, std=0.3)
    run_dir = tmp_path_factory.mktemp("runs") / "ema"
    ganzoo.runs.save_run(gan, run_dir, config={"name": "tiny-ema"})
    return run_dir, gan


def test_export_takes_the_generator_average_unless_told_raw(ema_run, tmp_path, capsys):
    import numpy as np

    from ganzoo.export import runtime

    run_dir, gan = ema_run
    z = np.random.default_rng(5).standard_normal((4, 8)).astype("float32")
    assert np.abs(np.asarray(gan.generator_ema(z)) - np.asarray(gan.generator(z))).max() > 0.05
    for flags, network, recorded in (([], gan.generator_ema, "ema"),
                                     (["--raw-generator"], gan.generator, "raw")):
        out = tmp_path / recorded
        assert main([str(run_dir), "--formats", "onnx", "--quantize", "none", "--out", str(out),
                     *flags]) == 0
        assert ("generator EMA" in capsys.readouterr().out) == (recorded == "ema")
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["source"]["generator_weights"] == recorded
        np.testing.assert_allclose(runtime.load(out / "generator.onnx")(z),
                                   network(z, training=False), atol=1e-4)
