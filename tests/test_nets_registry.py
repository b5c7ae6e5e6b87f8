"""ModelRegistry and create_model: names, aliases, duplicates, shipped weights, lazy import."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import vs_vhdr
from vs_vhdr.errors import InvalidArgumentError, UnknownNameError
from vs_vhdr.nets import (
    C3D,
    ModelRegistry,
    ModelSpec,
    create_model,
    list_models,
    register_builtin_models,
    save_weights,
)
from vs_vhdr.nets import weights as weights_module


@pytest.fixture
def shipped_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty shipped-weights folder in place of the package's."""
    folder = tmp_path / "_models"
    folder.mkdir()
    monkeypatch.setattr(weights_module, "SHIPPED_DIRS", (folder,))
    return folder


def test_top_level_api_is_lazy_and_works() -> None:
    code = "import sys, vs_vhdr; print('torch' in sys.modules, 'vs_vhdr.nets' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"]
    assert vs_vhdr.list_models() == list_models()
    assert "default" in list_models(include_aliases=True)


def test_default_is_an_alias_of_the_best_shipped_model(shipped_dir: Path) -> None:
    model = create_model("default")
    assert model.spec.name == "pmunet"
    assert create_model("C3DED").spec.name == "c3ded"  # names are case-insensitive


def test_default_model_ships_trained_weights() -> None:
    """The real package data (no monkeypatch): ``default`` loads weights with their record."""
    model = create_model("default")
    assert model.spec.weights_loaded is True
    record = model.weights_record
    assert record.training["steps"] > 0
    assert "builtin:forest" in record.training["data"]["holdout"]
    validation = record.metrics["validation"]
    assert validation["pu21_psnr"] > 0 and validation["pu21_ssim"] > 0


@pytest.mark.parametrize("name", list_models())
def test_every_registered_model_ships_trained_weights(name: str) -> None:
    """The real package data: each name loads weights trained with forest held out."""
    model = create_model(name)
    assert model.spec.weights_loaded is True, name
    assert model.weights_record.training["steps"] > 0
    assert "builtin:forest" in model.weights_record.training["data"]["holdout"]


def test_without_shipped_weights_the_model_says_so(shipped_dir: Path) -> None:
    model = create_model("c3d")
    assert model.spec.weights_loaded is False
    assert model.spec.weights_source is None
    with pytest.raises(InvalidArgumentError, match="no shipped weights"):
        create_model("c3d", weights=True)


def test_shipped_weights_are_loaded_by_name(shipped_dir: Path) -> None:
    source = C3D()
    save_weights(source, shipped_dir / "c3d.safetensors")
    model = create_model("c3d")
    assert model.spec.weights_loaded is True
    assert model.spec.weights_source == str(shipped_dir / "c3d.safetensors")
    for a, b in zip(source.parameters(), model.parameters()):
        assert torch.equal(a, b)
    assert create_model("c3d", weights=False).spec.weights_loaded is False


def test_package_data_wins_over_the_source_tree(tmp_path: Path, monkeypatch) -> None:
    installed, source_tree = tmp_path / "installed", tmp_path / "models"
    installed.mkdir()
    source_tree.mkdir()
    monkeypatch.setattr(weights_module, "SHIPPED_DIRS", (installed, source_tree))
    save_weights(C3D(), source_tree / "c3d.safetensors")
    assert weights_module.shipped_weights_path("c3d") == source_tree / "c3d.safetensors"
    save_weights(C3D(), installed / "c3d.safetensors")
    assert weights_module.shipped_weights_path("c3d") == installed / "c3d.safetensors"
    assert weights_module.shipped_weights_path("dc3d") is None
    with pytest.raises(InvalidArgumentError, match="shipped_weights_path"):
        weights_module.shipped_weights_path("../c3d")


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"'c4d' is not registered; expected one of c3d,"):
        create_model("c4d")


def test_constructor_arguments_pass_through(shipped_dir: Path) -> None:
    model = create_model("dc3d", temporal_dilation=1)
    assert model.spec.kwargs == {"temporal_dilation": 1}
    with pytest.raises(InvalidArgumentError, match="c3d does not accept arguments"):
        create_model("c3d", width=32)


def test_registry_refuses_duplicates_and_bad_names() -> None:
    registry = ModelRegistry()
    register_builtin_models(registry)
    with pytest.raises(InvalidArgumentError, match="'c3d' is already registered"):
        registry.register("c3d", C3D)
    with pytest.raises(InvalidArgumentError, match="'default' is already registered"):
        registry.alias("default", "c3d")
    with pytest.raises(InvalidArgumentError, match="already registered"):
        register_builtin_models(registry)
    for bad in ("", "a/b", "Upper", "x.safetensors"):
        with pytest.raises(InvalidArgumentError, match="not valid"):
            registry.register(bad, C3D)
    with pytest.raises(UnknownNameError):
        registry.alias("fast", "nothing")


def test_alias_can_be_repointed() -> None:
    registry = ModelRegistry()
    register_builtin_models(registry)
    registry.alias("default", "dc3d", replace=True)
    assert registry.resolve("default") == "dc3d"
    assert registry.aliases() == {"default": "dc3d"}


class _Plugin(nn.Module):
    """A plugin-style model: any module with a ModelSpec."""

    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 3, 1)
        self.spec = ModelSpec("whatever", "tiny", False, 3, (0, 0, 0), 1, kwargs={"width": width})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def test_a_passed_registry_serves_plugin_models(tmp_path: Path) -> None:
    registry = ModelRegistry()
    registry.register("studio-tiny", _Plugin, description="a plugin model")
    assert list_models(registry) == ["studio-tiny"]
    model = create_model("studio-tiny", registry=registry, weights=False, width=8)
    assert model.spec.name == "studio-tiny"  # the registered name, not the factory's
    save_weights(model, tmp_path / "tiny.safetensors")
    again = create_model(tmp_path / "tiny.safetensors", registry=registry)
    assert again.spec.kwargs == {"width": 8} and again.spec.weights_loaded
    with pytest.raises(UnknownNameError):
        create_model("c3d", registry=registry)


def test_factories_must_return_a_model_with_a_spec() -> None:
    registry = ModelRegistry()
    registry.register("bare", lambda: nn.Identity())
    with pytest.raises(InvalidArgumentError, match="without a ModelSpec"):
        registry.create("bare")
    with pytest.raises(InvalidArgumentError, match="not callable"):
        registry.register("broken", None)  # type: ignore[arg-type]


def test_entries_keep_descriptions() -> None:
    registry = ModelRegistry()
    register_builtin_models(registry)
    assert "PMUNet" in registry.entry("default").description
    assert "mask-conditioned" in registry.entry("c3ded-m").description
