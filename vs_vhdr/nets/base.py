"""What every vhdr network shares: its :class:`ModelSpec`, input checks and receptive field.

A network takes the spread mosaic (plus, for mask-conditioned models, the spread mask) as
``B×C×T×H×W`` and returns log HDR (``vs_vhdr.units.to_log`` convention) as ``B×3×T×H×W``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.errors import InvalidArgumentError


@dataclass(frozen=True)
class ModelSpec:
    """The contract of one network, kept on every model as ``model.spec``.

    Attributes:
        name: registered name (``c3d``, ``dc3d-m``, ...); a weights record names it.
        family: architecture family (``c3d``, ``dc3d``, ``c3ded`` or a plugin's).
        mask_conditioned: True when the input carries the spread mask Φ after the mosaic.
        in_channels: input channels: 3 (spread mosaic) or 6 (spread mosaic + spread mask).
        receptive_field: ``(t, h, w)`` half-widths in frames/pixels: an output voxel depends only
            on inputs at most this far away along each axis.
        spatial_multiple: H and W of a tile should start at multiples of this (the stride of
            the deepest feature map) for tiled and untiled outputs to agree.
        out_channels: output channels (3: log R, G, B).
        kwargs: constructor arguments that rebuild this architecture with ``create_model``.
        weights_loaded: False while the parameters are random-initialised.
        weights_source: the weights file the parameters came from, if any.
    """

    name: str
    family: str
    mask_conditioned: bool
    in_channels: int
    receptive_field: tuple[int, int, int]
    spatial_multiple: int
    out_channels: int = 3
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    weights_loaded: bool = False
    weights_source: str | None = None


class VhdrNet(nn.Module):
    """Base class of the built-in networks: holds ``spec`` and checks the forward input."""

    spec: ModelSpec

    def __init__(self) -> None:
        super().__init__()
        self.weights_record: Any = None

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``InvalidArgumentError`` unless ``x`` is a floating ``B×in_channels×T×H×W``."""
        expected = f"B×{self.spec.in_channels}×T×H×W"
        if not isinstance(x, torch.Tensor):
            raise InvalidArgumentError(
                f"{self.spec.name}: input is a {type(x).__name__}; expected a tensor {expected}"
            )
        if x.dim() != 5 or x.shape[1] != self.spec.in_channels or 0 in x.shape:
            raise InvalidArgumentError(
                f"{self.spec.name}: input has shape {tuple(x.shape)}; expected {expected}"
                " (non-empty)"
            )
        if not x.is_floating_point():
            raise InvalidArgumentError(
                f"{self.spec.name}: input has dtype {x.dtype}; expected a floating-point tensor"
            )


def conv_layers(module: nn.Module) -> list[nn.Conv3d | nn.ConvTranspose3d]:
    """The 3D (transposed) convolutions of ``module`` in registration order."""
    return [m for m in module.modules() if isinstance(m, nn.Conv3d | nn.ConvTranspose3d)]


def receptive_field(
    layers: Iterable[nn.Conv3d | nn.ConvTranspose3d], spatial_multiple: int = 1
) -> tuple[int, int, int]:
    """``(t, h, w)`` half-widths of the receptive field of a chain of 3D convolutions.

    Propagates, per axis, the interval of feature-map positions that one input voxel
    influences through each layer (strides, dilations, paddings and transposed convolutions
    taken from the layers), then returns the largest distance from the voxel over every phase
    of the input position modulo the total stride. ``layers`` is the longest path through the
    network; shorter skip paths influence a subset of it. Image borders are ignored.
    """
    layer_list = list(layers)
    half_widths = []
    for axis in range(3):
        period = 1 if axis == 0 else spatial_multiple
        reach = 0
        for phase in range(period):
            low = high = phase
            for layer in layer_list:
                low, high = _propagate(layer, axis, low, high)
            reach = max(reach, phase - low, high - phase)
        half_widths.append(reach)
    return half_widths[0], half_widths[1], half_widths[2]


def _propagate(
    layer: nn.Conv3d | nn.ConvTranspose3d, axis: int, low: int, high: int
) -> tuple[int, int]:
    """Output positions that input positions ``low..high`` reach through ``layer``."""
    k = layer.kernel_size[axis]
    s = layer.stride[axis]
    d = layer.dilation[axis]
    padding = layer.padding
    if isinstance(padding, str):
        raise InvalidArgumentError(
            f"receptive_field: layer {layer} uses padding={padding!r}; expected explicit padding"
        )
    p = padding[axis]
    span = d * (k - 1)
    if isinstance(layer, nn.ConvTranspose3d):  # output o = s*i - p + d*j
        return s * low - p, s * high - p + span
    # output o reads inputs s*o - p + d*j, j = 0..k-1
    return -((span - low - p) // s), (high + p) // s


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad H and W at the bottom/right up to multiples of ``multiple`` (reflect, which keeps the
    Bayer phase, else zeros when a frame is too small to reflect)."""
    height, width = x.shape[-2:]
    pad_h, pad_w = -height % multiple, -width % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    mode = "reflect" if pad_h < height and pad_w < width else "constant"
    return F.pad(x, (0, pad_w, 0, pad_h, 0, 0), mode=mode)
