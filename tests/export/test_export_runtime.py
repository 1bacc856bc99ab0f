"""export.runtime runs artifacts with NumPy, ONNX Runtime and LiteRT only: no TensorFlow."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ganzoo.export as export
from ganzoo.export import runtime
from export_cases import exported
from without_tensorflow import run_without_tensorflow

# Runs in a fresh interpreter where importing tensorflow or keras is an error.
SCRIPT = """
    import numpy as np
    {import_line}
    folder, out = sys.argv[1], sys.argv[2]
    runtime.verify(folder)
    inputs = np.load(out + "/inputs.npy")
    for file in ("generator.onnx", "generator_float32.tflite", "generator_int8.tflite"):
        np.save(f"{{out}}/{{file}}.npy", runtime.load(f"{{folder}}/{{file}}", threads=1)(inputs))
    assert "tensorflow" not in sys.modules and "keras" not in sys.modules, sorted(sys.modules)
    print("ok", len(sys.modules))
"""


def _run(tmp_path, import_line, extra_path, inputs):
    np.save(tmp_path / "inputs.npy", inputs)
    _, folder, _ = exported("dcgan")
    code = SCRIPT.format(import_line=import_line)
    result = run_without_tensorflow(code, [folder, tmp_path], extra_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok")
    return folder


@pytest.mark.parametrize("how", ["package", "copied-file"])
def test_runtime_runs_without_tensorflow_or_keras(tmp_path, how):
    inputs = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    if how == "package":
        extra_path = Path(export.__file__).parent.parent
        import_line = "from ganzoo.export import runtime"
    else:  # the one file copied alone, as onto a board
        extra_path = tmp_path / "board"
        extra_path.mkdir()
        shutil.copy(runtime.__file__, extra_path / "runtime.py")
        import_line = "import runtime"
    folder = _run(tmp_path, import_line, extra_path, inputs)
    for name in ("generator.onnx", "generator_float32.tflite", "generator_int8.tflite"):
        expected = runtime.load(folder / name, threads=1)(inputs)
        np.testing.assert_allclose(np.load(tmp_path / f"{name}.npy"), expected, atol=1e-6)


def test_importing_the_export_package_imports_no_tensorflow():
    # ganzoo's own names load lazily, so its export stage comes without TensorFlow
    code = ("import sys, ganzoo.export, ganzoo.export.runtime; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={"PYTHONPATH": str(Path(export.__file__).parent.parent),
                                             "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]


def test_unknown_artifact_suffix_is_a_clear_error(tmp_path):
    (tmp_path / "generator.pb").write_bytes(b"")
    with pytest.raises(ValueError, match="unsupported artifact format '.pb'"):
        runtime.load(tmp_path / "generator.pb")


def test_runtime_command_times_every_passing_artifact(capsys):
    _, folder, _ = exported("mlp")
    assert runtime.main([str(folder), "--batch-sizes", "1,2", "--runs", "5"]) == 0
    out = capsys.readouterr().out
    assert out.count("generator_int8.tflite") == 2 and "p50 ms" in out


def test_measure_alternates_and_reports_percentiles():
    calls = {"a": lambda: None, "b": lambda: sum(range(100))}
    timings = runtime.measure(calls, warmup=2, runs=25, rounds=5, min_runs=5)
    assert {name: len(t) for name, t in timings.items()} == {"a": 25, "b": 25}
    stats = runtime.latency_stats(timings["b"], batch_size=8)
    assert stats["p50_ms"] <= stats["p90_ms"] <= stats["p99_ms"] and stats["runs"] == 25
