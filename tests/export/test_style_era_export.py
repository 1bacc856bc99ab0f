"""ProGAN and StyleGAN2 generators export to ONNX and TFLite with parity; a ProGAN
generator is exported fixed at its current stage (ONNX has no tf.switch_case)."""

import numpy as np
import pytest

import ganzoo
from ganzoo import runs
from ganzoo.export import export_generator, runtime
from ganzoo.nets import progan

SIZE = 8
TINY = {"ProGAN": dict(channel_base=64, channel_max=8, fade_images=16, stable_images=16),
        "StyleGAN2": dict(channel_base=64, channel_max=8, mapping_layers=1)}


def _trained(name):
    gan = getattr(ganzoo, name)(image_shape=(SIZE, SIZE, 1), latent_dim=8, seed=0, **TINY[name])
    gan.compile()
    real = np.random.default_rng(0).uniform(-1, 1, (8, SIZE, SIZE, 1)).astype("float32")
    gan.fit(real, batch_size=4, epochs=1, verbose=0)
    return gan


def test_a_progan_generator_at_its_stage_is_the_generator_without_the_branch():
    gan = _trained("ProGAN")
    growing = progan.growing_layer(gan.generator)
    z = gan.prior_latents(6, seed=1)
    for level, alpha in ((1, 0.3), (0, 1.0), (1, 1.0)):   # mid-fade, 4x4, the final size
        growing.set_stage(level, alpha)
        fixed = progan.generator_at_stage(gan.generator)
        np.testing.assert_allclose(fixed(z), gan.generator(z, training=False), atol=1e-6)
        assert not any(isinstance(layer, progan.GrowingGenerator) for layer in fixed.layers)


@pytest.mark.parametrize("name", ["ProGAN", "StyleGAN2"])
def test_the_generator_exports_with_parity_and_runs_without_keras(name, tmp_path):
    gan = _trained(name)
    runs.save_run(gan, tmp_path / "run")
    manifest = export_generator(tmp_path / "run", tmp_path / "export", formats="onnx,tflite",
                                quantize="none")
    assert manifest["failed_conversions"] == [] and len(manifest["artifacts"]) == 2
    assert all(artifact["parity"]["passed"] for artifact in manifest["artifacts"])
    z = gan.prior_latents(4, seed=3)
    expected = gan.generate(latents=z)
    for artifact in manifest["artifacts"]:
        model = runtime.load(tmp_path / "export" / artifact["file"])
        np.testing.assert_allclose(model(z), expected, atol=1e-4)


def test_a_stylegan2_exports_with_its_truncation_fixed_and_others_refuse_it(tmp_path):
    gan = _trained("StyleGAN2")
    runs.save_run(gan, tmp_path / "run")
    manifest = export_generator(tmp_path / "run", tmp_path / "export", formats="onnx",
                                quantize="none", truncation=0.6)
    assert manifest["source"]["truncation"] == 0.6 and manifest["passed"]
    z = gan.prior_latents(4, seed=5)
    exported = runtime.load(tmp_path / "export" / "generator.onnx")(z)
    np.testing.assert_allclose(exported, gan.generate(latents=z, truncation=0.6), atol=1e-4)
    assert not np.allclose(exported, gan.generate(latents=z), atol=1e-3)
    progan_gan = _trained("ProGAN")
    with pytest.raises(ValueError, match="truncation applies to generators with styles"):
        export_generator(progan_gan.generator, tmp_path / "p", formats="onnx",
                         quantize="none", truncation=0.6)
