"""Relative luminance of linear RGB (ITU-R BT.709-6, item 3.3).

``Y = 0.2126 R + 0.7152 G + 0.0722 B``. Domain: scene- or display-linear RGB with Rec. 709
primaries (camera RGB is treated as Rec. 709, an approximation for uncalibrated cameras); range:
the same units as the input (exposure-normalised here, cd/m² after scaling by ``NITS_AT_ONE``).
"""

import torch

REC709_LUMA = (0.2126, 0.7152, 0.0722)
"""Weights of R, G, B in Rec. 709 relative luminance; they sum to 1."""


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """Rec. 709 relative luminance: ``(..., 3)`` linear RGB → ``(...)``, same units."""
    weights = torch.tensor(REC709_LUMA, dtype=rgb.dtype, device=rgb.device)
    return (rgb * weights).sum(dim=-1)
