"""PU21 perceptually uniform encoding and the PU21-PSNR / PU21-SSIM metrics.

Reference: R. K. Mantiuk and M. Azimi, "PU21: A novel perceptually uniform encoding for adapting
existing quality metrics for HDR", Picture Coding Symposium 2021; parameters of the recommended
``banding_glare`` variant. Encoding of absolute luminance ``Y`` (cd/m²):

    V = p7 · (((p1 + p2·Y^p4) / (1 + p3·Y^p4))^p5 − p6),   Y clamped to [0.005, 10000] cd/m²

V is about 0 at 0.005 cd/m², 256 at 100 cd/m² and 595 at 10 000 cd/m² (PU units, comparable to
8-bit display code values). Exposure-normalised HDR is shown with 1.0 at ``NITS_AT_ONE`` = 100 cd/m²
and reduced to Rec. 709 luminance (``vs_vhdr.metrics.colour``). Following the authors' metric code,
PSNR uses the peak 256 and SSIM the dynamic range 256, both on the encoded luminance (their
``PSNRY`` and ``SSIM``).
"""

import math

import torch

from vs_vhdr.metrics.colour import luminance
from vs_vhdr.metrics.inputs import ClipLike, as_pair, frame64
from vs_vhdr.metrics.ssim import ssim_map
from vs_vhdr.units import NITS_AT_ONE

PU21_BANDING_GLARE = (
    0.353487901,
    0.3734658629,
    8.277049286e-05,
    0.9062562627,
    0.09150303166,
    0.9099517204,
    596.3148142,
)
"""p1 … p7 of the PU21 ``banding_glare`` encoding (Mantiuk & Azimi 2021)."""
PU21_MIN_LUMINANCE = 0.005
"""Lowest luminance (cd/m²) the encoding is defined for; darker values are clamped."""
PU21_MAX_LUMINANCE = 10000.0
"""Highest luminance (cd/m²) the encoding is defined for; brighter values are clamped."""
PU21_PEAK = 256.0
"""Peak value of PU21-PSNR and dynamic range of PU21-SSIM (PU value of about 100 cd/m²)."""


def pu21_encode(luminance_nits: torch.Tensor) -> torch.Tensor:
    """PU21 value of absolute luminance: cd/m² (any shape, clamped to [0.005, 10000]) → PU units."""
    p1, p2, p3, p4, p5, p6, p7 = PU21_BANDING_GLARE
    y = luminance_nits.clamp(PU21_MIN_LUMINANCE, PU21_MAX_LUMINANCE) ** p4
    return p7 * (((p1 + p2 * y) / (1 + p3 * y)) ** p5 - p6)


def pu21_frame(rgb: torch.Tensor, nits_at_one: float = NITS_AT_ONE) -> torch.Tensor:
    """PU21-encoded luminance of exposure-normalised linear RGB ``(..., 3)`` → ``(...)``."""
    return pu21_encode(luminance(rgb) * nits_at_one)


def pu21_psnr(pred: ClipLike, gt: ClipLike, nits_at_one: float = NITS_AT_ONE) -> float:
    """``10·log10(256² / MSE)`` of PU21 luminance over the whole clip, in dB (inf if equal)."""
    p, g = as_pair(pred, gt, "pu21_psnr")
    squared = 0.0
    for t in range(p.shape[0]):
        diff = pu21_frame(frame64(p, t), nits_at_one) - pu21_frame(frame64(g, t), nits_at_one)
        squared += float((diff**2).sum())
    mse = squared / (p.numel() // 3)
    return math.inf if mse == 0 else 10 * math.log10(PU21_PEAK**2 / mse)


def pu21_ssim(pred: ClipLike, gt: ClipLike, nits_at_one: float = NITS_AT_ONE) -> float:
    """Mean SSIM (``L = 256``) of PU21 luminance over the frames of ``T×H×W×3`` clips."""
    p, g = as_pair(pred, gt, "pu21_ssim")
    total = 0.0
    for t in range(p.shape[0]):
        x = pu21_frame(frame64(p, t), nits_at_one).unsqueeze(0)
        y = pu21_frame(frame64(g, t), nits_at_one).unsqueeze(0)
        total += float(ssim_map(x, y, PU21_PEAK).mean())
    return total / p.shape[0]
