"""C3D (paper Table 1): ten 3×3×3 convolutions, 64 channels, ReLU after all but the last.

Paddings keep T, H and W, so any input size works. :class:`ConvStack` is the plain
convolution stack that C3D and DC3D (Table 2) share; they differ only in dilations.
"""

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.nets.base import ModelSpec, VhdrNet, conv_layers, receptive_field
from vs_vhdr.nets.conditioning import (
    FEATURE_CHANNELS,
    LogRatioConditioning,
    widen_receptive_field,
)

WIDTH = 64
"""Output channels of layers 1-9 (Tables 1 and 2)."""

DEPTH = 10
"""Convolutions in C3D and DC3D."""


def input_channels(mask_conditioned: bool) -> int:
    """3 (spread mosaic), plus 3 for the spread mask of a mask-conditioned model."""
    return 6 if mask_conditioned else 3


def first_layer_channels(mask_conditioned: bool) -> int:
    """Channels the first convolution sees: the input, or the ``-m`` models' 12 features."""
    return FEATURE_CHANNELS if mask_conditioned else 3


def conditioning_for(mask_conditioned: bool) -> LogRatioConditioning | None:
    """The fixed log-ratio front end of ``-m`` models (``vs_vhdr.nets.conditioning``), or None."""
    return LogRatioConditioning() if mask_conditioned else None


def stack_receptive_field(
    field: tuple[int, int, int], mask_conditioned: bool
) -> tuple[int, int, int]:
    """A network's receptive field: its layers', widened by the ``-m`` front end's blur."""
    return widen_receptive_field(field) if mask_conditioned else field


def start_at_zero(layer: nn.Module) -> None:
    """Zero the last layer of an ``-m`` model, so that untrained it returns its base estimate."""
    for parameter in layer.parameters():
        nn.init.zeros_(parameter)


class ConvStack(VhdrNet):
    """Ten same-size 3×3×3 convolutions with the given per-layer ``(t, h, w)`` dilations.

    Shape:
        input ``B×C×T×H×W`` (C = 3, or 6 when mask-conditioned), output ``B×3×T×H×W``.

    Mask-conditioned stacks put the fixed log-ratio front end of ``vs_vhdr.nets.conditioning``
    before the first convolution and add its base estimate to the last one's output.
    """

    def __init__(
        self,
        family: str,
        dilations: Sequence[tuple[int, int, int]],
        *,
        mask_conditioned: bool,
        kwargs: dict[str, int],
    ) -> None:
        super().__init__()
        channels = [first_layer_channels(mask_conditioned)] + [WIDTH] * (DEPTH - 1) + [3]
        self.layers = nn.ModuleList(
            nn.Conv3d(c_in, c_out, kernel_size=3, padding=dilation, dilation=dilation)
            for c_in, c_out, dilation in zip(channels[:-1], channels[1:], dilations, strict=True)
        )
        self.conditioning = conditioning_for(mask_conditioned)
        if self.conditioning is not None:
            start_at_zero(self.layers[-1])
        self.spec = ModelSpec(
            name=family + ("-m" if mask_conditioned else ""),
            family=family,
            mask_conditioned=mask_conditioned,
            in_channels=input_channels(mask_conditioned),
            receptive_field=stack_receptive_field(
                receptive_field(conv_layers(self)), mask_conditioned
            ),
            spatial_multiple=1,
            kwargs=dict(kwargs),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Spread input ``B×C×T×H×W`` → log HDR ``B×3×T×H×W``."""
        self.check_input(x)
        base = None
        if self.conditioning is not None:
            x, base = self.conditioning(x)
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        x = self.layers[-1](x)
        return x if base is None else x + base


class C3D(ConvStack):
    """The paper's C3D (Table 1): 895,683 parameters; receptive field ±10 in t, h and w.

    Args:
        mask_conditioned: take the spread mask as 3 more input channels (``c3d-m``).
    """

    def __init__(self, *, mask_conditioned: bool = False) -> None:
        super().__init__("c3d", [(1, 1, 1)] * DEPTH, mask_conditioned=mask_conditioned, kwargs={})
