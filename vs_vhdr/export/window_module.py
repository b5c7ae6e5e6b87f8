"""The TorchScript-able module that Nuke's Inference node runs: one wide image in, one HDR frame out.

Input: ``1×C×H×(T·W)``, the temporal window laid side by side (frame ``k`` in columns
``k·W … (k+1)·W − 1``), the coded raw mosaic (CONTRACT §1, [0, 1]) in channel 0 and, when the
module was exported with ``mask_from_input``, the mask in channel 1. Rows are top-down (row 0 is
the sensor row where the CFA's first letter sits) unless ``bottom_up`` is set.

Output: linear HDR of window frame ``target`` (CONTRACT §1 units, times ``2**exposure``),
``1×3×H×W``, or, with ``wide_output`` (the default, since Inference keeps the input's size), the
same frame in columns ``0 … W−1`` of a ``1×3×H×(T·W)`` image whose other columns are 0.

The int/float/bool attributes ``target``, ``exposure``, ``bottom_up``, ``wide_output`` and ``tile``
are the Inference node's knobs. Every tensor made in ``forward`` follows the input's device.
"""

from typing import TYPE_CHECKING, Final

import torch
from torch import nn

from vs_vhdr.units import LOG_EPS


class WindowModule(nn.Module):
    """Wraps a scripted/traced vhdr network for Nuke's Inference node.

    Args:
        network: scripted or traced network, spread input ``1×C×T×H×W`` → log HDR ``1×3×T×H×W``.
        frames: window length T (the wide image holds T frames).
        cfa_channels: ``2×2`` int64 tensor, colour (0 R, 1 G, 2 B) of each Bayer tile position.
        mask_conditioned: the network takes the spread mask as 3 more input channels.
        mask: baked static mask ``H×W`` in [0, 1], or an empty tensor when not baked.
        mask_from_input: read the mask from channel 1 of the input instead of ``mask``.
        margin: tile context in pixels (>= the receptive field, a multiple of the alignment).
        align: tile alignment (lcm of the CFA period 2 and ``spatial_multiple``).
    """

    _is_full_backward_hook: bool | None  # typed, so Torch 1.6 reads the saved class
    log_eps: Final[float]
    cfa_channels: torch.Tensor
    mask: torch.Tensor
    if TYPE_CHECKING:  # for mypy only: TorchScript refuses an ``nn.Module`` annotation
        network: nn.Module

    def __init__(
        self,
        network: nn.Module,
        frames: int,
        cfa_channels: torch.Tensor,
        mask_conditioned: bool,
        mask: torch.Tensor,
        mask_from_input: bool,
        margin: int,
        align: int,
    ) -> None:
        super().__init__()
        self.network = network
        self.frames = frames
        self.mask_conditioned = mask_conditioned
        self.mask_from_input = mask_from_input
        self.margin = margin
        self.align = align
        self.log_eps = LOG_EPS
        self.register_buffer("cfa_channels", cfa_channels.to(torch.int64))
        self.register_buffer("mask", mask.to(torch.float32))
        # Knobs on the Inference node:
        self.target = -1  # window frame to return; -1 = the centre, frames // 2
        self.exposure = 0.0  # stops applied to the linear output
        self.bottom_up = False  # input rows run bottom-up (flipped before and after)
        self.wide_output = True  # return the input's width (frame in the first W columns)
        self.tile = 0  # spatial tile core in pixels; 0 = whole frame

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Wide window ``1×C×H×(T·W)`` → HDR frame ``1×3×H×W`` (or ``1×3×H×(T·W)``)."""
        frames = self.frames
        if x.dim() != 4 or x.size(0) != 1:
            raise ValueError("vhdr: expected a 1xCxHx(T*W) input image")
        height = x.size(2)
        wide = x.size(3)
        if wide % frames != 0:
            raise ValueError(
                "vhdr: input width " + str(wide) + " is not a multiple of the window "
                "length " + str(frames) + "; expected the window's frames side by side"
            )
        width = wide // frames
        target = self.target
        if target < 0:
            target = frames // 2
        if target >= frames:
            raise ValueError(
                "vhdr: target=" + str(self.target) + "; expected -1 or 0.." + str(frames - 1)
            )
        image = x
        if self.bottom_up:
            image = torch.flip(image, [2])
        raw = self._frames(image[0, 0], height, width).clamp(0.0, 1.0)
        onehot = self._cfa_onehot(height, width, x.dtype, x.device)
        net_in = raw.unsqueeze(0) * onehot.unsqueeze(1)
        if self.mask_conditioned:
            if self.mask_from_input:
                if x.size(1) < 2:
                    raise ValueError("vhdr: mask_from_input needs the mask in input channel 1")
                mask = self._frames(image[0, 1], height, width).clamp(0.0, 1.0)
            else:
                if self.mask.size(0) != height or self.mask.size(1) != width:
                    raise ValueError(
                        "vhdr: frame size " + str(height) + "x" + str(width) + " differs from "
                        "the baked mask " + str(self.mask.size(0)) + "x" + str(self.mask.size(1))
                    )
                mask = self.mask.to(x.dtype).unsqueeze(0).expand(frames, height, width)
            net_in = torch.cat([net_in, mask.unsqueeze(0) * onehot.unsqueeze(1)], 0)
        log = self._run(net_in.unsqueeze(0), height, width)[0, :, target]
        hdr = (torch.exp(log.float()) - self.log_eps).clamp(min=0.0) * (2.0**self.exposure)
        if self.bottom_up:
            hdr = torch.flip(hdr, [1])
        out = hdr.unsqueeze(0)
        if self.wide_output:
            pad = torch.zeros(1, 3, height, wide - width, dtype=out.dtype, device=x.device)
            out = torch.cat([out, pad], 3)
        return out.to(x.dtype)

    def _frames(self, plane: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """One wide ``H×(T·W)`` plane → ``T×H×W``."""
        return plane.reshape(height, self.frames, width).permute(1, 0, 2)

    def _cfa_onehot(
        self, height: int, width: int, dtype: torch.dtype, device: torch.device
    ) -> torch.Tensor:
        """``3×H×W``: 1 where the CFA samples that colour (top-left = tile position (0, 0))."""
        rows = torch.arange(height, device=device) % 2
        cols = torch.arange(width, device=device) % 2
        tile = self.cfa_channels.to(device)
        channel = tile[rows.unsqueeze(1), cols.unsqueeze(0)]
        planes = [(channel == c).to(dtype) for c in range(3)]
        return torch.stack(planes, 0)

    def _run(self, net_in: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """Log HDR ``1×3×T×H×W`` of the network input, whole or tile by tile."""
        if self.tile <= 0 or self.tile >= max(height, width):
            return self.network(net_in)
        core = (self.tile + self.align - 1) // self.align * self.align
        out = torch.zeros(
            1, 3, net_in.size(2), height, width, dtype=net_in.dtype, device=net_in.device
        )
        for cy0 in range(0, height, core):
            cy1 = min(cy0 + core, height)
            y0 = max(0, cy0 - self.margin)
            y1 = min(height, cy1 + self.margin)
            for cx0 in range(0, width, core):
                cx1 = min(cx0 + core, width)
                x0 = max(0, cx0 - self.margin)
                x1 = min(width, cx1 + self.margin)
                region = self.network(net_in[:, :, :, y0:y1, x0:x1])
                out[:, :, :, cy0:cy1, cx0:cx1] = region[
                    :, :, :, cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0
                ]
        return out
