"""Tiny real networks and clips for the engine tests (a few hundred parameters, fast on CPU)."""

from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.io.exr import write_exr
from vs_vhdr.nets import create_model, save_weights
from vs_vhdr.nets.base import ModelSpec, receptive_field


def _init(module: nn.Module, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.3)


class TinyNet(nn.Module):
    """Two 3×3×3 convolutions: receptive field ±2 in t, h, w; any size."""

    def __init__(self, *, mask_conditioned: bool = False, seed: int = 0) -> None:
        super().__init__()
        channels = 6 if mask_conditioned else 3
        self.a = nn.Conv3d(channels, 4, 3, padding=1)
        self.b = nn.Conv3d(4, 3, 3, padding=1)
        _init(self, seed)
        self.spec = ModelSpec(
            name="tiny-m" if mask_conditioned else "tiny",
            family="tiny",
            mask_conditioned=mask_conditioned,
            in_channels=channels,
            receptive_field=receptive_field([self.a, self.b]),
            spatial_multiple=1,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(F.relu(self.a(x))) - 1.0


class TinyEncDec(nn.Module):
    """Stride-2 encoder, transposed-convolution decoder and a skip: spatial multiple 2.

    Pads H and W to even sizes inside (zeros at the bottom/right) and crops back, like C3DED.
    """

    def __init__(self, *, seed: int = 1) -> None:
        super().__init__()
        self.down = nn.Conv3d(3, 4, 3, stride=(1, 2, 2), padding=1)
        self.mid = nn.Conv3d(4, 4, 3, padding=1)
        self.up = nn.ConvTranspose3d(4, 3, (3, 4, 4), stride=(1, 2, 2), padding=1)
        self.skip = nn.Conv3d(3, 3, 3, padding=1)
        _init(self, seed)
        self.spec = ModelSpec(
            name="tiny-encdec",
            family="tiny",
            mask_conditioned=False,
            in_channels=3,
            receptive_field=receptive_field([self.down, self.mid, self.up], 2),
            spatial_multiple=2,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = F.pad(x, (0, w % 2, 0, h % 2))
        y = self.up(F.relu(self.mid(F.relu(self.down(x))))) + self.skip(x)
        return y[..., :h, :w]


class ConstantLog(nn.Module):
    """A zero-weight 1×1×1 convolution whose bias is the log output (runs in autocast's dtype)."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.bias.fill_(value)
        self.spec = ModelSpec(
            name="constant",
            family="constant",
            mask_conditioned=False,
            in_channels=3,
            receptive_field=(0, 0, 0),
            spatial_multiple=1,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def raw_clip(frames: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Coded raw ``T×H×W`` float32 in [0, 1] with temporal variation."""
    rng = np.random.default_rng(seed)
    return rng.random((frames, height, width), dtype=np.float32)


def mask_of(height: int, width: int, seed: int = 7) -> np.ndarray:
    """A uniform random mask ``H×W`` in [0, 1]."""
    return np.random.default_rng(seed).random((height, width), dtype=np.float32)


def write_shot(
    folder: Path, count: int, height: int, width: int, *, first: int = 0, model: str = "c3d"
) -> Path:
    """``raw.%04d.exr`` frames ``first..first+count-1``, ``mask.exr`` and a seeded weights file
    of ``model`` saved as ``c3d.safetensors`` into ``folder``; returns ``folder``."""
    for k, frame in enumerate(raw_clip(count, height, width)):
        write_exr(folder / f"raw.{first + k:04d}.exr", frame)
    write_exr(folder / "mask.exr", mask_of(height, width))
    torch.manual_seed(0)
    save_weights(create_model(model), folder / "c3d.safetensors")
    return folder
