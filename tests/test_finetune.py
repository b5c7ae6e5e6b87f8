"""``vhdr finetune``: a shipped architecture adapted to a camera mask; loadable weights out."""

import json

import numpy as np
import pytest
import torch

import vs_vhdr
from tests.train_support import install_plugin, uninstall_plugin
from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.schema import MaskCalibration, save_calibration
from vs_vhdr.cli.main import main
from vs_vhdr.io.exr import write_exr
from vs_vhdr.nets import save_weights
from vs_vhdr.train.build import freeze_encoder


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_finetune_c3ded_writes_weights_create_model_loads(threads, tmp_path):
    torch.manual_seed(0)
    start = vs_vhdr.create_model("c3ded", weights=False)
    save_weights(start, tmp_path / "start.safetensors")
    write_exr(tmp_path / "mask.exr", np.random.default_rng(1).random((40, 40), dtype=np.float32))
    out = tmp_path / "studio"
    argv = ["finetune", "--init", str(tmp_path / "start.safetensors"), "--data",
            "procedural:night@4", "--holdout", "builtin:studio", "--mask",
            str(tmp_path / "mask.exr"), "--out", str(out), "--steps", "2", "--crop", "16",
            "--batch", "1", "--freeze-encoder", "--set", "data.frames=3",
            "--set", "data.val_samples=1", "--set", "run.progress=false"]  # fmt: skip
    assert main(argv) == 0
    tuned = vs_vhdr.create_model(str(out / "weights.safetensors"))
    assert tuned.spec.name == "c3ded" and tuned.spec.weights_loaded
    training = tuned.weights_record.training
    assert training["freeze_encoder"] is True and training["steps"] == 2
    assert training["data"]["masks"] == [str((tmp_path / "mask.exr").resolve())]
    assert training["data"]["split"]["holdout"] == ["builtin:studio"]
    assert "log_mae" in tuned.weights_record.metrics["validation"]
    before, after = start.state_dict(), tuned.state_dict()
    assert torch.equal(before["layers.0.weight"], after["layers.0.weight"])  # encoder frozen
    assert torch.equal(before["layers.8.weight"], after["layers.8.weight"])
    assert not torch.equal(before["layers.17.weight"], after["layers.17.weight"])
    with torch.no_grad():
        output = tuned(torch.rand(1, 3, 3, 16, 16))
    assert output.shape == (1, 3, 3, 16, 16) and torch.isfinite(output).all()


@pytest.fixture
def tiny_plugin(tmp_path):
    install_plugin(tmp_path / "plugin")
    yield
    uninstall_plugin(tmp_path / "plugin")


def test_finetune_from_a_calibration_file_uses_its_mask_and_cfa(
    threads, tiny_plugin, tmp_path, capsys
):
    mask = np.random.default_rng(2).random((24, 24), dtype=np.float32)
    calibration = MaskCalibration(
        name="studio-a", camera=CameraId(make="Acme", model="One"), mask=mask, cfa="GRBG"
    )
    save_calibration(calibration, tmp_path / "studio-a.json")
    out = tmp_path / "run"
    argv = ["finetune", "--init", "tiny3d", "--data", "procedural:day@2", "--mask",
            str(tmp_path / "studio-a.json"), "--out", str(out), "--steps", "2", "--crop", "12",
            "--batch", "2", "--set", "data.frames=4", "--set", "run.progress=false"]  # fmt: skip
    assert main(argv) == 2  # a registered name needs weights to start from
    assert "model.init='tiny3d' has no shipped weights" in capsys.readouterr().err
    argv[2] = str(_tiny_weights(tmp_path))
    assert main(argv) == 0
    saved = json.loads((out / "split.json").read_text())
    assert saved == {"train": ["procedural:day@2"], "holdout": []}
    config = (out / "config.toml").read_text()
    assert 'cfa = "GRBG"' in config and "camera_mask.exr" in config
    from vs_vhdr.io.exr import read_exr_mono

    np.testing.assert_allclose(read_exr_mono(out / "camera_mask.exr"), mask, atol=1e-6)


def test_unknown_camera_and_bad_init_are_clear(tmp_path, capsys):
    argv = ["finetune", "--data", "procedural:day@2", "--out", str(tmp_path / "o")]
    assert main([*argv, "--init", "c3d", "--camera", "no-such-camera"]) == 2
    assert "no calibration for" in capsys.readouterr().err
    write_exr(tmp_path / "m.exr", np.ones((16, 16), np.float32))
    assert main([*argv, "--init", "nothing.safetensors", "--mask", str(tmp_path / "m.exr")]) == 2
    assert "neither a registered model nor a weights file" in capsys.readouterr().err
    assert not (tmp_path / "o" / "config.toml").exists()


def test_freeze_encoder_freezes_the_first_half():
    model = vs_vhdr.create_model("c3d", weights=False)
    names = freeze_encoder(model)
    assert names == [f"layers.{i}" for i in range(5)]
    frozen = [p.requires_grad for layer in model.layers for p in layer.parameters()]
    assert frozen == [False] * 10 + [True] * 10


def _tiny_weights(tmp_path):
    from tests.train_support import Tiny3D

    path = tmp_path / "tiny.safetensors"
    save_weights(Tiny3D(), path)
    return path
