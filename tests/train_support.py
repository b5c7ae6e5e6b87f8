"""A tiny network for the training tests, installed as a real ``vhdr`` entry-point plugin.

``tiny3d`` (and the mask-conditioned ``tiny3d-m``) are two 3×3×3 convolutions (about 1.3 k
parameters), so a training step takes milliseconds on a CPU. :func:`install_plugin` writes a
``dist-info`` folder whose ``entry_points.txt`` names this module in the ``vhdr`` group; with
that folder on ``sys.path`` / ``PYTHONPATH`` the plugin host finds it the way it finds any
installed plugin, in this process and in subprocesses (``vhdr train``, ``torchrun``).
"""

import os
import sys
from functools import partial
from pathlib import Path

import torch
from torch import nn

from vs_vhdr.nets import ModelSpec, VhdrNet, receptive_field
from vs_vhdr.nets.base import conv_layers
from vs_vhdr.nets.registry import ModelRegistry
from vs_vhdr.plugins import hookimpl, reset_host

ROOT = Path(__file__).resolve().parent.parent


class Tiny3D(VhdrNet):
    """conv C→width, ReLU, conv width→3, minus 2 (a log-domain start near 0.13)."""

    def __init__(self, *, mask_conditioned: bool = False, width: int = 8) -> None:
        super().__init__()
        channels = 6 if mask_conditioned else 3
        self.layers = nn.ModuleList(
            [nn.Conv3d(channels, width, 3, padding=1), nn.Conv3d(width, 3, 3, padding=1)]
        )
        self.spec = ModelSpec(
            name="tiny3d-m" if mask_conditioned else "tiny3d",
            family="tiny3d",
            mask_conditioned=mask_conditioned,
            in_channels=channels,
            receptive_field=receptive_field(conv_layers(self)),
            spatial_multiple=1,
            kwargs={"width": width},
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.layers[1](torch.relu(self.layers[0](x))) - 2.0


@hookimpl
def vhdr_register_models(registry: ModelRegistry) -> None:
    """Register ``tiny3d`` and ``tiny3d-m``."""
    registry.register("tiny3d", Tiny3D, description="test network (tests/train_support.py)")
    registry.register("tiny3d-m", partial(Tiny3D, mask_conditioned=True))


def install_plugin(folder: Path) -> dict[str, str]:
    """Make this module a ``vhdr`` plugin; return the environment for subprocesses.

    Writes ``folder/vhdr_test_tiny-0.dist-info``, puts ``folder`` on ``sys.path`` and reloads the
    plugin host.
    """
    info = folder / "vhdr_test_tiny-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vhdr-test-tiny\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[vhdr]\ntiny = tests.train_support\n")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    reset_host()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(folder), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    return env


def uninstall_plugin(folder: Path) -> None:
    """Undo :func:`install_plugin` for this process (other tests see the usual plugins again)."""
    while str(folder) in sys.path:
        sys.path.remove(str(folder))
    reset_host()


def tiny_config(tmp: Path, **sections: dict[str, object]) -> Path:
    """Write a small TOML config for ``tiny3d`` (sections override the defaults) and return it."""
    base: dict[str, dict[str, object]] = {
        "model": {"name": "tiny3d"},
        "data": {
            "shots": ["procedural:day@1", "builtin:courtyard"],
            "holdout": ["builtin:forest"],
            "frames": 4,
            "crop": 12,
            "samples": 16,
            "val_samples": 1,
            "noise": "default",
        },
        "optim": {"batch": 2, "lr": 0.01},
        "run": {"steps": 10, "checkpoint_every": 5, "val_every": 0, "progress": False},
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    lines = []
    for name, values in base.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in values.items())
    path = tmp / "tiny.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)
