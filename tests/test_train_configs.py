"""The shipped training recipes in configs/: they load, name registered models, keep the hold-out
apart, and the smoke preset trains a real network end to end."""

from pathlib import Path

import pytest
import torch

import vs_vhdr
from vs_vhdr.data.shots import content_id
from vs_vhdr.train.config import load_config
from vs_vhdr.train.trainer import train

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
SHIPPED = ["c3d", "c3d-m", "dc3d", "dc3d-m", "c3ded", "c3ded-m"]


@pytest.mark.parametrize("name", SHIPPED)
def test_recipe_per_shipped_model(name):
    config = load_config(CONFIGS / f"{name}.toml")
    assert config.model.name == name and name in vs_vhdr.list_models()
    assert (config.data.frames, config.data.crop) == (8, 64)
    assert config.loss.kind == "vhdr" and config.optim.lr == 1e-4 and config.optim.batch == 4
    train_content = {content_id(s) for s in config.data.shots}
    assert train_content.isdisjoint(content_id(s) for s in config.data.holdout)


def test_smoke_preset_trains_c3ded(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = train(load_config(CONFIGS / "smoke.toml"), tmp_path / "run")
    finally:
        torch.set_num_threads(threads)
    assert result.finished and result.last_loss is not None
    model = vs_vhdr.create_model(str(result.weights))
    assert model.spec.name == "c3ded" and model.weights_record.training["steps"] == 4
