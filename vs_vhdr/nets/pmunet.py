"""PMUNet: a packed-mosaic 3D U-Net sized for CPUs (beyond the paper).

The paper's networks run every layer at full resolution on a 3-channel spread mosaic. This one
works where the information is: on 2×2 CFA cells. The fixed front end
(``vs_vhdr.nets.conditioning``) first computes its noise-aware base estimate and per-site
reliability; each 2×2 cell of ``[base / LOG_SCALE (3), raw mosaic, mask, reliability]``
becomes 24 channels at half resolution. An encoder-decoder with two more ×2 down-samplings
(within frames, never across them) and additive skips follows; its bottleneck dilates in time
(1, 2, 4) so that every output frame sees the whole window of 8 frames. The head's 12 channels
are one 2×2 cell of 3 colours: the *residual*, added to the base in the log domain through
``B · tanh(r / B)`` with ``B = residual_bound``, so the learned part can move the base by at most
B log units either way, and an untrained model (its head starts at zero) returns the base.
B is a constructor argument (default 2.0, ×7.4), recorded in weights files; weights published
before it was one were trained at B = 1.5 (×4.5). The bound limits the recovery of highlights clipped in every mask
sample, where most of the error is (``benchmarks/error_by_luminance.py``, ``models/pmunet.md``).

``time_padding`` (also recorded) is how the temporal convolutions see past the window's ends:
``replicate`` (the edge frame repeated; the default) or ``zeros`` (what weights published before
it was an argument used). With ``replicate`` the learned layers treat a still scene alike at every
position of the window (only the front end's own temporal fusion still sees fewer frames at the
window's edges); with ``zeros`` the edge frames see black and their hallucinated highlights
differ from the middle ones, which shows as flicker on static shots (``models/pmunet.md``).

Cost: about 44 k multiply-adds (0.088 MFLOP) per pixel and frame in the learned layers, against
C3DED-M's 0.63 MFLOP, plus the shared front end (``benchmarks/flops.py`` counts both).

Shape:
    input ``B×6×T×H×W`` (spread mosaic, spread mask; any T, H, W >= 1), output ``B×3×T×H×W``
    log HDR. H and W are padded at the bottom/right to multiples of ``SPATIAL_MULTIPLE`` by
    reflection (zeros when too small) and the output cropped back.
"""

import math
from functools import partial
from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.nets.base import ModelSpec, VhdrNet, conv_layers, pad_to_multiple, receptive_field
from vs_vhdr.nets.c3d import start_at_zero
from vs_vhdr.nets.conditioning import LOG_SCALE, LogRatioConditioning, widen_receptive_field

PACKED_CHANNELS = 4 * (3 + 1 + 1 + 1)
"""2×2 cells of base (3 colours), raw mosaic, mask and reliability."""
WIDTHS = (32, 64, 96)
"""Channels at 1/2, 1/4 and 1/8 of the input resolution."""
BOTTLENECK_TIME_DILATIONS = (1, 2, 4)
"""Temporal dilations of the 3×3×3 convolutions at 1/8 resolution (reach ±7 frames)."""
RESIDUAL_BOUND = 2.0
"""Default largest change (log units) the learned layers may make to the base."""
TIME_PADDINGS = ("zeros", "replicate")
"""What the temporal convolutions read past the window's first and last frames."""
SPATIAL_MULTIPLE = 8
"""Packing (×2) and two down-samplings (×2 each)."""


class TimeReplicateConv3d(nn.Conv3d):
    """A 3D convolution whose temporal padding repeats the edge frames (spatial padding: zeros)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``B×C×T×H×W`` → ``B×C'×T×H'×W'`` with T kept."""
        t, h, w = cast(tuple[int, int, int], self.padding)
        if t:
            x = F.pad(x, (0, 0, 0, 0, t, t), mode="replicate")
        return F.conv3d(x, self.weight, self.bias, self.stride, (0, h, w), self.dilation)


def _conv(
    c_in: int,
    c_out: int,
    kernel: tuple[int, int, int],
    *,
    time_padding: str,
    stride: tuple[int, int, int] = (1, 1, 1),
    dilation: tuple[int, int, int] = (1, 1, 1),
) -> nn.Conv3d:
    """A 3D convolution padded to keep T (and H, W at stride 1), in time by ``time_padding``."""
    t, h, w = ((k - 1) // 2 * d for k, d in zip(kernel, dilation))
    padding = (t, h, w)
    kind = TimeReplicateConv3d if time_padding == "replicate" else nn.Conv3d
    return kind(c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation)


class PMUNet(VhdrNet):
    """Packed-mosaic 3D U-Net; see the module doc. Registered as ``pmunet``."""

    def __init__(
        self, *, residual_bound: float = RESIDUAL_BOUND, time_padding: str = "replicate"
    ) -> None:
        """``residual_bound``: largest change (log units, > 0) the learned layers may make;
        ``time_padding``: ``zeros`` or ``replicate`` (see the module doc)."""
        super().__init__()
        if (
            isinstance(residual_bound, bool)
            or not isinstance(residual_bound, int | float)
            or not 0 < residual_bound < math.inf
        ):
            raise InvalidArgumentError(
                f"PMUNet: residual_bound={residual_bound!r}; expected a positive number of log units"
            )
        if time_padding not in TIME_PADDINGS:
            raise InvalidArgumentError(
                f"PMUNet: time_padding={time_padding!r}; expected one of {', '.join(TIME_PADDINGS)}"
            )
        self.residual_bound = float(residual_bound)
        self.time_padding = time_padding
        w1, w2, w3 = WIDTHS
        conv = partial(_conv, time_padding=time_padding)
        self.conditioning = LogRatioConditioning()
        self.encode1 = nn.ModuleList(
            [conv(PACKED_CHANNELS, w1, (1, 3, 3)), conv(w1, w1, (3, 3, 3))]
        )
        self.encode2 = nn.ModuleList(
            [conv(w1, w2, (1, 3, 3), stride=(1, 2, 2)), conv(w2, w2, (3, 3, 3))]
        )
        self.encode3 = nn.ModuleList(
            [conv(w2, w3, (1, 3, 3), stride=(1, 2, 2))]
            + [conv(w3, w3, (3, 3, 3), dilation=(d, 1, 1)) for d in BOTTLENECK_TIME_DILATIONS]
        )
        self.up3 = nn.ConvTranspose3d(w3, w2, (1, 2, 2), stride=(1, 2, 2))
        self.decode2 = conv(w2, w2, (3, 3, 3))
        self.up2 = nn.ConvTranspose3d(w2, w1, (1, 2, 2), stride=(1, 2, 2))
        self.decode1 = conv(w1, w1, (3, 3, 3))
        self.head = nn.Conv3d(w1, 12, 1)
        start_at_zero(self.head)
        self.spec = ModelSpec(
            name="pmunet",
            family="pmunet",
            mask_conditioned=True,
            in_channels=6,
            receptive_field=widen_receptive_field(self._packed_field()),
            spatial_multiple=SPATIAL_MULTIPLE,
            kwargs={"residual_bound": self.residual_bound, "time_padding": time_padding},
        )

    def _packed_field(self) -> tuple[int, int, int]:
        """Receptive field of the layers in input pixels (half-resolution reach × 2, + the cell)."""
        chain = [*self.encode1, *self.encode2, *self.encode3, self.up3, self.decode2]
        chain += [self.up2, self.decode1, self.head]
        t, h, w = receptive_field(conv_layers(nn.Sequential(*chain)), SPATIAL_MULTIPLE // 2)
        return t, 2 * h + 1, 2 * w + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Spread input ``B×6×T×H×W`` → log HDR ``B×3×T×H×W``."""
        self.check_input(x)
        height, width = x.shape[-2:]
        parts = self.conditioning.estimate(x)
        base = parts.base
        planes = torch.cat(
            [
                base / LOG_SCALE,
                x[:, :3].float().sum(dim=1, keepdim=True),
                x[:, 3:6].float().sum(dim=1, keepdim=True),
                parts.reliability.sum(dim=1, keepdim=True) / 3,
            ],
            dim=1,
        ).to(x.dtype)
        packed = _pack(pad_to_multiple(planes, SPATIAL_MULTIPLE))
        skip1 = self._run(self.encode1, packed)
        skip2 = self._run(self.encode2, skip1)
        deep = self._run(self.encode3, skip2)
        y = F.relu(self.decode2(F.relu(self.up3(deep)) + skip2))
        y = F.relu(self.decode1(F.relu(self.up2(y)) + skip1))
        residual = _unpack(self.head(y))[..., :height, :width].float()
        bound = self.residual_bound
        out = base + bound * torch.tanh(residual / bound)
        return out.to(x.dtype)

    @staticmethod
    def _run(layers: nn.ModuleList, x: torch.Tensor) -> torch.Tensor:
        for layer in layers:
            x = F.relu(layer(x))
        return x


def _pack(x: torch.Tensor) -> torch.Tensor:
    """``B×C×T×H×W`` → ``B×4C×T×H/2×W/2``: each 2×2 cell's four sites as channels."""
    b, c, t, h, w = x.shape
    x = x.view(b, c, t, h // 2, 2, w // 2, 2).permute(0, 1, 4, 6, 2, 3, 5)
    return x.reshape(b, c * 4, t, h // 2, w // 2)


def _unpack(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`_pack`."""
    b, c4, t, h, w = x.shape
    x = x.view(b, c4 // 4, 2, 2, t, h, w).permute(0, 1, 4, 5, 2, 6, 3)
    return x.reshape(b, c4 // 4, t, 2 * h, 2 * w)
