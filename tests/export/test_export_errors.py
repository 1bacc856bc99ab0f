"""Bad input gets one clear error that names the problem."""

import keras
import pytest

import ganzoo
from ganzoo.export import export_generator
from ganzoo.export.cli import main


@pytest.fixture(scope="module")
def tiny():
    return ganzoo.nets.dcgan_generator(8, (8, 8, 1), base_filters=8)


@pytest.mark.parametrize("kwargs, message", [
    (dict(formats="onnx,coreml"), "Unsupported format 'coreml'"),
    (dict(quantize="int4"), "Unsupported quantization 'int4'"),
    (dict(formats="onnx", quantize="float16"), "onnx with quantization float16; ONNX offers none"),
    (dict(opset=19), "opset must be an integer from 13 to 18"),
    (dict(opset=12), "opset must be an integer from 13 to 18"),
])
def test_bad_options_are_named(tmp_path, tiny, kwargs, message):
    with pytest.raises(ValueError, match=message):
        export_generator(tiny, tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_a_discriminator_is_not_a_generator(tmp_path):
    critic = ganzoo.nets.dcgan_discriminator((8, 8, 1), base_filters=8)
    with pytest.raises(ValueError, match="is not a generator"):
        export_generator(critic, tmp_path)


def test_a_latent_to_one_value_model_is_not_a_generator(tmp_path):
    z = keras.Input((4,))
    model = keras.Model(z, keras.layers.Dense(1)(z), name="scorer")
    with pytest.raises(ValueError, match="scorer is not a generator.*discriminator"):
        export_generator(model, tmp_path)


def test_a_translator_needs_real_images(tmp_path):
    image = keras.Input((8, 8, 1))
    model = keras.Model(image, keras.layers.Conv2D(1, 3, padding="same")(image))
    with pytest.raises(ValueError, match="pass real images"):
        export_generator(model, tmp_path)


def test_sources_that_are_not_generators(tmp_path):
    with pytest.raises(ValueError, match="must be a keras.Model, a run folder or a zoo entry"):
        export_generator(42, tmp_path / "out")
    with pytest.raises(ValueError, match="Run folder .*missing does not exist"):
        export_generator(str(tmp_path / "missing"), tmp_path / "out")
    (tmp_path / "not-a-run").mkdir()
    with pytest.raises(ValueError, match="not a ganzoo run folder"):
        export_generator(tmp_path / "not-a-run", tmp_path / "out")


def test_zoo_entries_without_weights_say_to_train_first(tmp_path, monkeypatch):
    from ganzoo import zoo

    config = zoo.get_entry("dcgan-digits")
    del config["pretrained"]  # every shipped entry has weights; pretend this one has none
    monkeypatch.setattr("ganzoo.zoo.entries.get_entry", lambda name: config)
    with pytest.raises(ValueError, match="ships no pretrained weights.*ganzoo train dcgan-digits"):
        export_generator("dcgan-digits", tmp_path / "out")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="Did you mean dcgan-digits"):
        export_generator("dcgan-digit", tmp_path / "out")


def test_an_existing_output_folder_is_not_overwritten(tmp_path, tiny):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export_generator(tiny, tmp_path)


@pytest.mark.parametrize("argv, message", [
    (["dcgan-digits", "--formats", "onnx,coreml"], "Unsupported format 'coreml'"),
    (["dcgan-digits", "--quantize", "int2"], "Unsupported quantization 'int2'"),
    (["dcgan-digits", "--opset", "19"], "opset must be an integer from 13 to 18"),
    (["dcgan-digits", "--batch-sizes", "1,x"], "--batch-sizes must be positive integers"),
    (["runs/does-not-exist"], "Run folder runs/does-not-exist does not exist"),
    (["dcgan-digit"], "Did you mean dcgan-digits"),
])
def test_cli_reports_bad_input_in_one_line_with_status_2(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganzoo-export: error: ") and message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("batch", [0, -1, 2.5, "8"])
def test_a_bad_tflite_batch_is_named(tmp_path, tiny, batch):
    with pytest.raises(ValueError, match="TFLite batch size must be a positive integer"):
        export_generator(tiny, tmp_path / "out", tflite_batch=batch)


def test_cli_rejects_a_bad_tflite_batch(tmp_path, capsys):
    assert main(["dcgan-digits", "--tflite-batch", "zero", "--out", str(tmp_path / "o")]) == 2
    assert "--tflite-batch must be a positive integer or 'dynamic'" in capsys.readouterr().err
