"""Every artifact's latency in manifest.json, and thread counts reaching the runtimes."""

import importlib
import json
from pathlib import Path

import pytest

from ganzoo.export import latency, manifest as manifest_lib, runtime
from ganzoo.export.cli import main, positive_ints
from export_cases import exported, tiny_dcgan_run

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return tiny_dcgan_run(tmp_path_factory.mktemp("runs") / "tiny", {"name": "tiny-dcgan"})


def test_every_artifact_records_its_latency_and_the_manifest_where_it_was_timed():
    _, folder, manifest = exported("dcgan")  # exported as the API does by default: timed
    for artifact in manifest["artifacts"]:
        timed = artifact["latency"]
        assert timed["threads"] == latency.default_threads()
        for batch in (1, 8):
            figures = timed[f"batch_{batch}"]
            assert 0 < figures["p50_ms"] <= figures["p90_ms"], artifact["file"]
            assert figures["runs"] >= latency.QUICK_MIN_RUNS
        # a TFLite file of batch 1 runs a batch of 8 as 8 calls; ONNX's batch is dynamic
        assert timed["batch_8"].get("calls", 1) == (8 if artifact["batch"] == 1 else 1)
    machine = manifest["machine"]
    assert machine["cpu"] and machine["cpus"] >= 1 and machine["architecture"]
    assert manifest["versions"]["onnxruntime"] and manifest["versions"]["ai-edge-litert"]
    # timed by default: the artifacts alone, no Keras references
    report = manifest["latency"]
    assert report["references"] is False
    assert {row["name"] for row in report["rows"]} == {a["file"] for a in manifest["artifacts"]}
    # the runtime, without TensorFlow, reads and checks a manifest with these fields
    assert runtime.verify(folder) == json.loads(json.dumps(manifest))


def test_artifact_latency_reads_the_rows_of_its_own_file():
    report = {"threads": 2, "rows": [
        {"name": "g.tflite", "batch": 1, "file_batch": 1, "p50_ms": 1.0, "p90_ms": 2.0, "runs": 50},
        {"name": "g.tflite", "batch": 8, "file_batch": 1, "p50_ms": 8.0, "p90_ms": 9.0, "runs": 40},
        {"name": "g.onnx", "batch": 1, "file_batch": None, "p50_ms": 3.0, "p90_ms": 4.0,
         "runs": 60}]}
    assert latency.artifact_latency(report, {"file": "g.tflite"}) == {
        "threads": 2, "batch_1": {"p50_ms": 1.0, "p90_ms": 2.0, "runs": 50},
        "batch_8": {"p50_ms": 8.0, "p90_ms": 9.0, "runs": 40, "calls": 8}}
    assert latency.artifact_latency(report, {"file": "g.onnx"}) == {
        "threads": 2, "batch_1": {"p50_ms": 3.0, "p90_ms": 4.0, "runs": 60}}


def test_ganzoo_export_times_by_default_and_not_with_no_bench(tiny_run, tmp_path, capsys):
    common = [str(tiny_run), "--formats", "onnx", "--quantize", "none", "--threads", "1"]
    assert main([*common, "--out", str(tmp_path / "timed")]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((tmp_path / "timed" / "manifest.json").read_text())
    assert manifest["artifacts"][0]["latency"]["batch_8"]["p50_ms"] > 0
    assert "p50 ms, batch 1" in printed and "recommended at batch 1: generator.onnx" in printed
    assert f"timed on {manifest['machine']['cpu']}" in printed
    assert "keras predict" not in printed  # the references are --bench's
    assert main([*common, "--out", str(tmp_path / "untimed"), "--no-bench"]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((tmp_path / "untimed" / "manifest.json").read_text())
    assert "latency" not in manifest and "latency" not in manifest["artifacts"][0]
    assert "p50" not in printed
    with pytest.raises(SystemExit):
        main([*common, "--out", str(tmp_path / "x"), "--bench", "--no-bench"])


def _spy_on_loads(monkeypatch):
    """The (file name, threads) of every `runtime.load`, and the artifacts it loaded."""
    loads, real_load = [], runtime.load

    def load(path, threads=None, *args, **kwargs):
        artifact = real_load(path, threads, *args, **kwargs)
        loads.append((Path(path).name, threads, artifact))
        return artifact

    monkeypatch.setattr(runtime, "load", load)
    return loads


def _litert_threads(monkeypatch):
    """The `num_threads` every LiteRT interpreter is built with, from now on."""
    litert = importlib.import_module("ai_edge_litert.interpreter")
    seen, real = [], litert.Interpreter

    class Recording(real):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs.get("num_threads"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(litert, "Interpreter", Recording)
    return seen


@pytest.mark.parametrize("threads", [1, 3])
def test_threads_reach_onnx_runtime_and_litert(threads, monkeypatch):
    _, folder, _ = exported("dcgan")
    onnx = runtime.load(folder / "generator.onnx", threads)
    options = onnx.session.get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (threads, 1)
    seen = _litert_threads(monkeypatch)
    assert runtime.load(folder / "generator_int8.tflite", threads).threads == threads
    assert seen == [threads]


def test_ganzoo_export_threads_reach_every_timed_artifact(tiny_run, tmp_path, monkeypatch):
    loads = _spy_on_loads(monkeypatch)
    seen = _litert_threads(monkeypatch)
    assert main([str(tiny_run), "--formats", "onnx,tflite", "--quantize", "none",
                 "--out", str(tmp_path / "out"), "--threads", "3"]) == 0
    timed = {name: artifact for name, threads, artifact in loads if threads is not None}
    assert sorted(timed) == ["generator.onnx", "generator_float32.tflite"]
    assert {threads for _, threads, _ in loads if threads is not None} == {3}
    assert timed["generator.onnx"].session.get_session_options().intra_op_num_threads == 3
    assert 3 in seen
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {a["latency"]["threads"] for a in manifest["artifacts"]} == {3}


def test_thread_counts_parse_as_positive_integers():
    assert positive_ints("1,2,4", "--threads", "1,2,4") == [1, 2, 4]
    for bad in ("0,1", "two", "", "1,,2"):
        with pytest.raises(ValueError, match="--threads must be positive integers like 1,2,4"):
            positive_ints(bad, "--threads", "1,2,4")


@pytest.fixture
def export_latency_script(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("export_latency")


def test_the_benchmark_sweeps_each_thread_count_through_the_runtimes(
        export_latency_script, monkeypatch, capsys):
    args = export_latency_script.arguments(["--threads", "4,1,2", "--entries", "dcgan-digits"])
    assert args.thread_counts == [1, 2, 4] and args.batch_sizes == [1, 8]
    with pytest.raises(SystemExit):
        export_latency_script.arguments(["--threads", "1,0"])
    assert "--threads must be positive integers" in capsys.readouterr().err
    _, folder, manifest = exported("dcgan")
    loads = _spy_on_loads(monkeypatch)
    sweep = export_latency_script._thread_sweep(folder, manifest, [1], 3, [1, 3])
    for name in ("generator.onnx", "generator_int8.tflite"):
        assert {threads for file, threads, _ in loads if file == name} == {1, 3}
        assert {row["threads"] for row in sweep if row["name"] == name} == {1, 3}
    table = export_latency_script._scaling_table(sweep)
    assert "p50 ms, 1 thread | p50 ms, 3 threads | speed-up 1 -> 3 threads" in table


@pytest.mark.parametrize("text, expected", [
    ("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n", "Intel(R) Xeon(R) CPU @ 2.20GHz"),
    # ARM Linux kernels (Android's among them) name no model; older ones give Hardware
    ("processor\t: 0\nBogoMIPS\t: 38.40\nCPU part\t: 0xd05\n\nHardware\t: Qualcomm SM8150\n",
     "Qualcomm SM8150"),
])
def test_the_cpu_model_is_read_from_cpuinfo(tmp_path, text, expected):
    (tmp_path / "cpuinfo").write_text(text)
    assert manifest_lib.cpu_model(tmp_path / "cpuinfo") == expected


def test_without_cpuinfo_the_cpu_model_falls_back_to_what_platform_knows(tmp_path):
    (tmp_path / "cpuinfo").write_text("processor\t: 0\nBogoMIPS\t: 38.40\n")
    for missing in (tmp_path / "cpuinfo", tmp_path / "absent"):
        model = manifest_lib.cpu_model(missing)
        assert isinstance(model, str) and model and model != "0"


def test_the_card_record_of_an_export_carries_its_measured_figures():
    from ganzoo import zoo
    from ganzoo.zoo.cards import render_card
    from scripts.zoo_pretrained import export_record

    _, _, manifest = exported("dcgan")
    record = export_record(manifest, "ganzoo-export dcgan --threads 2")
    pick = manifest["latency"]["recommended"]["1"]["file"]
    assert record["recommended"]["batch_1"] == pick
    assert record["cpu"] == manifest["machine"]["cpu"]
    assert record["threads"] == manifest["latency"]["threads"]
    assert record["versions"] == {name: manifest["versions"][name]
                                  for name in ("onnxruntime", "ai-edge-litert")}
    measured = {a["file"]: a for a in manifest["artifacts"]}
    for artifact in record["artifacts"]:
        source = measured[artifact["file"]]
        assert artifact["size_bytes"] == source["size_bytes"]
        assert artifact["p50_ms"]["batch_8"] == round(source["latency"]["batch_8"]["p50_ms"], 4)
        assert artifact["parity"] == ("pass" if source["parity"]["passed"] else "FAIL")
    config = zoo.get_entry("dcgan-digits")
    config["pretrained"] = {**config["pretrained"], "export": record}
    assert f"Recommended: `{pick}`" in render_card(config)
