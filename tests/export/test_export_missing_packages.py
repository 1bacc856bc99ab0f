"""Without the `export` extra, exporting or loading an artifact is one line naming the
package and `pip install 'ganzoo[export]'`, never a ModuleNotFoundError traceback."""

import sys

import pytest

from ganzoo.export import export_generator, runtime
from ganzoo.export.cli import main
from ganzoo.export.pipeline import check_packages, plan
from export_cases import exported

INSTALL = "install it with: pip install 'ganzoo[export]'"


def _uninstall(monkeypatch, package):
    """Make `import package` (and its submodules) raise ModuleNotFoundError."""
    for name in [package, *(n for n in sys.modules if n.startswith(package + "."))]:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("package, formats, purpose", [
    ("ai_edge_litert", "tflite", "exporting to TFLite"),
    ("onnxruntime", "onnx", "exporting to ONNX"),
    ("tf2onnx", "onnx,tflite", "exporting to ONNX"),
    ("onnx", "onnx", "exporting to ONNX"),
])
def test_cli_names_the_extra_in_one_line(tmp_path, capsys, monkeypatch, package, formats,
                                         purpose):
    _uninstall(monkeypatch, package)
    out = tmp_path / "out"
    assert main(["dcgan-digits", "--formats", formats, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"ganzoo-export: error: {purpose} needs the package {package}; {INSTALL}\n"
    assert not out.exists()


def test_export_api_raises_an_import_error_naming_the_extra(tmp_path, monkeypatch):
    _uninstall(monkeypatch, "ai_edge_litert")
    with pytest.raises(runtime.MissingDependencyError) as caught:
        export_generator("dcgan-digits", tmp_path / "out", formats="tflite")
    assert isinstance(caught.value, ImportError) and caught.value.name == "ai_edge_litert"
    assert str(caught.value) == ("exporting to TFLite needs the package ai_edge_litert; "
                                 + INSTALL)
    assert not (tmp_path / "out").exists()
    check_packages(plan("onnx", "none")[0])  # ONNX alone does not need LiteRT


@pytest.mark.parametrize("file, package, purpose, distribution", [
    ("generator_float32.tflite", "ai_edge_litert", "running a .tflite file", "ai-edge-litert"),
    ("generator.onnx", "onnxruntime", "running an .onnx file", "onnxruntime"),
])
def test_runtime_load_names_the_package(monkeypatch, capsys, file, package, purpose,
                                        distribution):
    _, folder, _ = exported("mlp")
    _uninstall(monkeypatch, package)
    message = (f"{purpose} needs the package {package}; {INSTALL} "
               f"(or, for runtime.py alone, pip install {distribution})")
    with pytest.raises(runtime.MissingDependencyError) as caught:
        runtime.load(folder / file)
    assert str(caught.value) == message
    # The runtime's own command says the same in one line.
    assert runtime.main([str(folder)]) == 2
    assert capsys.readouterr().err == f"runtime: error: {message}\n"
