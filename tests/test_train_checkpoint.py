"""Checkpoints: exact round trip, survival of a full disk, refusal of other architectures."""

import random
import resource
import signal

import numpy as np
import pytest
import torch

from tests.train_support import Tiny3D
from vs_vhdr.errors import IncompatibleWeightsError, UnreadableFileError
from vs_vhdr.train import checkpoint


def trained(width: int = 8) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = Tiny3D(width=width)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss = model(torch.rand(1, 3, 2, 6, 6)).square().mean()
    loss.backward()
    optimizer.step()
    return model, optimizer


def save(path, model, optimizer, step, name="tiny3d"):
    checkpoint.save_checkpoint(
        path, step=step, model=model, optimizer=optimizer, model_name=name, config={"k": 1}
    )


def test_round_trip_restores_weights_optimizer_and_rng(tmp_path):
    model, optimizer = trained()
    random.seed(5)
    np.random.seed(6)  # noqa: NPY002 - the global generators are what a checkpoint must keep
    torch.manual_seed(7)
    save(tmp_path / "c.pt", model, optimizer, 42)
    expected = (random.random(), np.random.random(), torch.rand(3))  # noqa: NPY002
    fresh = Tiny3D()
    fresh_optimizer = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    step = checkpoint.restore(
        checkpoint.load_checkpoint(tmp_path / "c.pt"), fresh, fresh_optimizer, "tiny3d"
    )
    assert step == 42
    for a, b in zip(model.state_dict().values(), fresh.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    exp_avg = fresh_optimizer.state_dict()["state"][0]["exp_avg"]
    torch.testing.assert_close(exp_avg, optimizer.state_dict()["state"][0]["exp_avg"])
    assert random.random() == expected[0]
    assert np.random.random() == expected[1]  # noqa: NPY002
    torch.testing.assert_close(torch.rand(3), expected[2], rtol=0, atol=0)


def test_full_disk_keeps_the_previous_checkpoint(tmp_path):
    model, optimizer = trained()
    path = tmp_path / "checkpoint.pt"
    save(path, model, optimizer, 1)
    before = path.read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) // 2, hard))  # writes past it fail
    try:
        with pytest.raises(
            checkpoint.CheckpointWriteError, match="previous checkpoint is unchanged"
        ):
            save(path, model, optimizer, 2)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert path.read_bytes() == before
    assert checkpoint.load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary left


def test_other_architecture_is_refused(tmp_path):
    model, optimizer = trained()
    save(tmp_path / "c.pt", model, optimizer, 3)
    payload = checkpoint.load_checkpoint(tmp_path / "c.pt")
    wider = Tiny3D(width=4)
    with pytest.raises(IncompatibleWeightsError, match="tiny3d-m"):
        checkpoint.restore(payload, wider, torch.optim.Adam(wider.parameters()), "tiny3d-m")
    with pytest.raises(IncompatibleWeightsError, match=r"layers.0.weight has shape \(8, 3"):
        checkpoint.restore(payload, wider, torch.optim.Adam(wider.parameters()), "tiny3d")


def test_corrupt_or_foreign_files_are_refused(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UnreadableFileError, match="not a readable checkpoint"):
        checkpoint.load_checkpoint(tmp_path / "bad.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(UnreadableFileError, match="vhdr.Checkpoint/1"):
        checkpoint.load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(UnreadableFileError, match="does not exist"):
        checkpoint.load_checkpoint(tmp_path / "missing.pt")
