"""C3DED (paper Table 3): the 18-layer 3D convolutional encoder-decoder.

Strides and dilations act only within frames, never across them (paper §3.2), so every feature
map keeps all T frames. Kernels are cubic (K = 5 means 5×5×5). Layers 3 and 5 stride (1, 2, 2);
layers 7-9 dilate (1, 2, 2) with stride 1 (the table's "S (1,2,2)" in those rows cannot be a
stride: only two up-sampling layers follow); layers 12 and 15 are transposed convolutions with
stride (1, 2, 2) that double H and W back.

U-Net skips (additive, so every channel count of Table 3 holds): the output of layer 3 (32
channels, H/2) is added to the output of layer 12 (32 channels, H/2), and the output of layer 2
(16 channels, H) to the output of layer 15 (16 channels, H), each after its ReLU.

H and W that are not multiples of 4 are padded at the bottom and right by reflection (which
keeps the Bayer phase; zeros when a frame is too small to reflect) and the output cropped back.
"""

from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.nets.base import ModelSpec, VhdrNet, conv_layers, pad_to_multiple, receptive_field
from vs_vhdr.nets.c3d import (
    conditioning_for,
    first_layer_channels,
    input_channels,
    stack_receptive_field,
    start_at_zero,
)


class Layer(NamedTuple):
    """One row of Table 3: kind (conv, down, dilated, up), kernel, H/W stride, channels, H/W dilation."""

    kind: str
    kernel: int
    stride: int
    channels: int
    dilation: int


TABLE3: tuple[Layer, ...] = (
    Layer("conv", 5, 1, 16, 1),
    Layer("conv", 5, 1, 16, 1),
    Layer("down", 3, 2, 32, 1),
    Layer("conv", 3, 1, 64, 1),
    Layer("down", 3, 2, 128, 1),
    Layer("conv", 3, 1, 128, 1),
    Layer("dilated", 3, 1, 128, 2),
    Layer("dilated", 3, 1, 128, 2),
    Layer("dilated", 3, 1, 128, 2),
    Layer("conv", 3, 1, 128, 1),
    Layer("conv", 3, 1, 64, 1),
    Layer("up", 5, 2, 32, 1),
    Layer("conv", 3, 1, 64, 1),
    Layer("conv", 3, 1, 32, 1),
    Layer("up", 3, 2, 16, 1),
    Layer("conv", 3, 1, 32, 1),
    Layer("conv", 3, 1, 16, 1),
    Layer("conv", 3, 1, 3, 1),
)
"""Table 3, layers 1-18."""

SKIPS: dict[int, int] = {12: 3, 15: 2}
"""Decoder layer (1-based) → encoder layer whose output is added to its output."""

SPATIAL_MULTIPLE = 4
"""Total H/W stride of the deepest feature map (two stride-2 layers)."""


def _make_layer(c_in: int, row: Layer) -> nn.Conv3d | nn.ConvTranspose3d:
    half = (row.kernel - 1) // 2
    stride = (1, row.stride, row.stride)
    if row.kind == "up":
        return nn.ConvTranspose3d(
            c_in, row.channels, row.kernel, stride=stride, padding=half, output_padding=(0, 1, 1)
        )
    dilation = (1, row.dilation, row.dilation)
    padding = (half, half * row.dilation, half * row.dilation)
    return nn.Conv3d(
        c_in, row.channels, row.kernel, stride=stride, padding=padding, dilation=dilation
    )


class C3DED(VhdrNet):
    """The paper's C3DED encoder-decoder (Table 3) with two additive U-Net skips.

    Args:
        mask_conditioned: take the spread mask as 3 more input channels (``c3ded-m``).

    Shape:
        input ``B×C×T×H×W`` (C = 3, or 6 when mask-conditioned; any T, H, W >= 1),
        output ``B×3×T×H×W``.

    The mask-conditioned model puts the fixed log-ratio front end of
    ``vs_vhdr.nets.conditioning`` before layer 1 and adds its base estimate to layer 18's output.
    """

    def __init__(self, *, mask_conditioned: bool = False) -> None:
        super().__init__()
        channels = [first_layer_channels(mask_conditioned)] + [row.channels for row in TABLE3]
        self.layers = nn.ModuleList(
            _make_layer(c_in, row) for c_in, row in zip(channels[:-1], TABLE3)
        )
        self.conditioning = conditioning_for(mask_conditioned)
        if self.conditioning is not None:
            start_at_zero(self.layers[-1])
        self.spec = ModelSpec(
            name="c3ded-m" if mask_conditioned else "c3ded",
            family="c3ded",
            mask_conditioned=mask_conditioned,
            in_channels=input_channels(mask_conditioned),
            receptive_field=stack_receptive_field(
                receptive_field(conv_layers(self), SPATIAL_MULTIPLE), mask_conditioned
            ),
            spatial_multiple=SPATIAL_MULTIPLE,
            kwargs={},
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Spread input ``B×C×T×H×W`` → log HDR ``B×3×T×H×W``."""
        self.check_input(x)
        height, width = x.shape[-2:]
        base = None
        if self.conditioning is not None:
            x, base = self.conditioning(x)
        x = pad_to_multiple(x, SPATIAL_MULTIPLE)
        kept: dict[int, torch.Tensor] = {}
        last = len(self.layers)
        for index, layer in enumerate(self.layers, start=1):
            x = layer(x)
            if index < last:
                x = F.relu(x)
            if index in SKIPS:
                x = x + kept.pop(SKIPS[index])
            if index in SKIPS.values():
                kept[index] = x
        x = x[..., :height, :width]
        return x if base is None else x + base
