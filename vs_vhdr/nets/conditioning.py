"""The fixed front end of the mask-conditioned (``-m``) networks: log-ratio features and base.

Beyond the paper. A mask-conditioned model sees the raw mosaic ``s`` and the mask ``Φ``, so the
unsaturated HDR value of a sampled pixel is known up to noise: ``x ≈ s / Φ``. A stack of ReLU
convolutions learns that division, and demosaicking, slowly, so this module (no learned
parameters) computes a classical estimate the stack then corrects:

- ``valid``: the site is sampled (``Φ > MIN_TRANSMITTANCE``) and not clipped (``s < SATURATION``);
- ``ratio = log(s / Φ + LOG_EPS)`` at sampled sites (a lower bound where clipped);
- at each colour's own sites (its Bayer phase, read off the spread mask): ``ratio`` where valid,
  elsewhere the normalised convolution (Knutsson & Westin 1993) of the valid samples' linear
  values with the Gaussians of ``FILL_SCALES``, kept at least at a clipped site's lower bound;
- at the other sites, in linear light: bilinear demosaicking of that mosaic (the naive
  baseline of ``vs_vhdr.metrics.baseline``) plus ``GRADIENT_CORRECTION`` times the step to the
  gradient-corrected interpolation of Malvar, He & Cutler (ICASSP 2004), whose 5×5 filters add
  the other colours' Laplacian, never below ``MIN_CORRECTED_FRACTION`` of bilinear; bilinear
  alone within 2 px of the border.

The result is the *base*, a log-HDR estimate. The convolution stack takes
``[s, Φ, base / LOG_SCALE, valid]`` (12 channels) and predicts a correction:
``output = base + stack(features)``. Its last layer starts at zero, so an untrained ``-m``
model returns the base and training only has to improve on it.

Shape:
    input ``B×6×T×H×W`` (spread mosaic, spread mask); features ``B×12×T×H×W``; base ``B×3×T×H×W``.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.units import LOG_EPS

MIN_TRANSMITTANCE = 0.02
"""Mask value below which a site counts as unsampled (its ratio would amplify noise ×50)."""
SATURATION = 0.99
"""Raw level (normalised) at and above which a sample counts as clipped."""
FILL_SCALES: tuple[tuple[float, int], ...] = ((1.0, 4), (3.0, 8), (6.0, 16))
"""Gaussians (σ, half-width in pixels, spatial only) filling a colour's unusable sites, fine
first; a coarser scale fills where the finer one found no sample (dark areas of a binary mask,
large clipped highlights)."""
GRADIENT_CORRECTION = 0.5
"""Fraction of the Malvar-He-Cutler correction added to bilinear demosaicking (1 is the
published filter; half of it loses less to mask-amplified noise)."""
MIN_CORRECTED_FRACTION = 0.5
"""The correction may at most halve the bilinear value: near noisy dark samples it can swing
below zero, and a clamp at zero costs ~9 log units there (log-MSE 2.6× the baseline's)."""
GRADIENT_RADIUS = 2
"""Half-width of the Malvar-He-Cutler filters."""
BASE_RADIUS = max(radius for _, radius in FILL_SCALES) + GRADIENT_RADIUS
"""Spatial reach of the base estimate: the fill, then the 5×5 demosaicking filters."""
MIN_SUPPORT = 1e-3
"""Normalised-convolution weight below which a scale counts as having found no sample."""
LOG_SCALE = 4.0
"""Divisor bringing the log base (about −9 to +10) near the unit range of the other inputs."""
FEATURE_CHANNELS = 12

_TENT = (0.25, 0.5, 0.25)
# Malvar-He-Cutler filters (×8), indexed by where the wanted colour's samples lie around the
# site: in both directions (green at red/blue), in the row, in the column, on the diagonals.
_MHC = (
    ((0, 0, -1, 0, 0), (0, 0, 2, 0, 0), (-1, 2, 4, 2, -1), (0, 0, 2, 0, 0), (0, 0, -1, 0, 0)),
    ((0, 0, 0.5, 0, 0), (0, -1, 0, -1, 0), (-1, 4, 5, 4, -1), (0, -1, 0, -1, 0), (0, 0, 0.5, 0, 0)),
    ((0, 0, -1, 0, 0), (0, -1, 4, -1, 0), (0.5, 0, 5, 0, 0.5), (0, -1, 4, -1, 0), (0, 0, -1, 0, 0)),
    (
        (0, 0, -1.5, 0, 0),
        (0, 2, 0, 2, 0),
        (-1.5, 0, 6, 0, -1.5),
        (0, 2, 0, 2, 0),
        (0, 0, -1.5, 0, 0),
    ),
)


def widen_receptive_field(field: tuple[int, int, int]) -> tuple[int, int, int]:
    """Receptive field of a stack behind this front end: the base adds its reach in H, W."""
    return field[0], field[1] + BASE_RADIUS, field[2] + BASE_RADIUS


class LogRatioConditioning(nn.Module):
    """``x (B×6×T×H×W) → (features B×12×T×H×W, base B×3×T×H×W)``; see the module doc."""

    def __init__(self) -> None:
        super().__init__()
        self.fill_kernels = [_gaussian(sigma, radius) for sigma, radius in FILL_SCALES]
        self.tent = torch.tensor(_TENT)
        self.gradient_filters = torch.tensor(_MHC).view(4, 1, 1, 5, 5) / 8.0

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and base of a spread mosaic + spread mask input (computed in float32)."""
        dtype = x.dtype
        raw, mask = x[:, :3].float(), x[:, 3:6].float()
        sampled = mask > MIN_TRANSMITTANCE
        clipped = sampled & (raw >= SATURATION)
        valid = (sampled & ~clipped).float()
        ratio = torch.log(raw / mask.clamp_min(MIN_TRANSMITTANCE) + LOG_EPS)
        own = _own_sites(mask)
        filled = self._fill(ratio, valid)
        at_sites = torch.where(clipped, torch.maximum(filled, ratio), filled)
        mosaic = ((torch.exp(at_sites) - LOG_EPS) * own).sum(dim=1, keepdim=True)
        demosaicked = self._demosaic(mosaic, own)
        base = torch.where(own > 0, at_sites, torch.log(demosaicked + LOG_EPS))
        features = torch.cat([x.float(), base / LOG_SCALE, valid], dim=1)
        return features.to(dtype), base.to(dtype)

    def _fill(self, ratio: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``ratio`` at valid sites, else the normalised convolution of the valid samples'
        linear values (per colour), in the log domain."""
        linear = (torch.exp(ratio) - LOG_EPS) * valid
        filled = torch.full_like(ratio, math.log(LOG_EPS))  # no sample near: darkest value
        for kernel in reversed(self.fill_kernels):  # coarse first, finer scales overwrite
            support = _blur(valid, kernel)
            estimate = _blur(linear, kernel) / support.clamp_min(MIN_SUPPORT)
            found = torch.log(estimate.clamp_min(0.0) + LOG_EPS)
            filled = torch.where(support > MIN_SUPPORT, found, filled)
        return torch.where(valid > 0, ratio, filled)

    def _demosaic(self, mosaic: torch.Tensor, own: torch.Tensor) -> torch.Tensor:
        """Linear ``B×3×T×H×W`` colours of the one-plane ``mosaic`` (``B×1×T×H×W``, >= 0)."""
        bilinear = _blur(mosaic * own, self.tent) / _blur(own, self.tent).clamp_min(MIN_SUPPORT)
        corrected = _gradient_corrected(mosaic, own, self.gradient_filters, bilinear)
        step = GRADIENT_CORRECTION * (corrected - bilinear)
        return torch.maximum(bilinear + step, MIN_CORRECTED_FRACTION * bilinear)


def _own_sites(mask: torch.Tensor) -> torch.Tensor:
    """``B×3×1×H×W`` float: 1 on the Bayer phases where each colour's spread mask is non-zero."""
    height, width = mask.shape[-2:]
    row = torch.arange(height, device=mask.device) % 2
    col = torch.arange(width, device=mask.device) % 2
    phase = (2 * row.view(-1, 1) + col.view(1, -1)).view(-1)  # H·W phase indices 0..3
    energy = torch.zeros(mask.shape[0], mask.shape[1], 4, device=mask.device)
    flat = mask.sum(dim=2).flatten(2)  # B×3×(H·W)
    energy = energy.index_add(2, phase, flat)
    present = (energy > 0).float()
    return present[:, :, phase].view(mask.shape[0], mask.shape[1], 1, height, width)


def _gradient_corrected(
    mosaic: torch.Tensor, own: torch.Tensor, filters: torch.Tensor, fallback: torch.Tensor
) -> torch.Tensor:
    """Malvar-He-Cutler interpolation of each colour, ``fallback`` where no filter applies."""
    height, width = mosaic.shape[-2:]
    padding = (0, GRADIENT_RADIUS, GRADIENT_RADIUS)
    filtered = F.conv3d(mosaic, filters.to(mosaic), padding=padding)  # B×4×T×H×W
    # where each colour's samples lie around every site (own sites are masked out later)
    row_pair = own.roll(1, dims=-1) * own.roll(-1, dims=-1)
    col_pair = own.roll(1, dims=-2) * own.roll(-1, dims=-2)
    diagonal = own.roll((1, 1), dims=(-2, -1)) * (1 - row_pair) * (1 - col_pair)
    both = row_pair * col_pair
    in_row = row_pair * (1 - col_pair)
    in_column = col_pair * (1 - row_pair)
    chosen = [both, in_row, in_column, diagonal]
    corrected = fallback * (1 - both - in_row - in_column - diagonal)
    for index, selector in enumerate(chosen):
        corrected = corrected + selector * filtered[:, index : index + 1]
    return torch.where(_interior(height, width, mosaic.device), corrected, fallback)


def _interior(height: int, width: int, device: torch.device) -> torch.Tensor:
    """``H×W`` bool: the sites whose 5×5 neighbourhood lies inside the image."""
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    inside_rows = (rows >= GRADIENT_RADIUS) & (rows < height - GRADIENT_RADIUS)
    inside_cols = (cols >= GRADIENT_RADIUS) & (cols < width - GRADIENT_RADIUS)
    return inside_rows.view(-1, 1) & inside_cols.view(1, -1)


def _gaussian(sigma: float, radius: int) -> torch.Tensor:
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    return kernel / kernel.sum()


def _blur(planes: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable filter within each frame, zero outside the image, per channel."""
    channels, radius = planes.shape[1], kernel.numel() // 2
    kernel = kernel.to(device=planes.device, dtype=planes.dtype)
    rows = kernel.view(1, 1, 1, -1, 1).expand(channels, 1, 1, -1, 1)
    cols = kernel.view(1, 1, 1, 1, -1).expand(channels, 1, 1, 1, -1)
    planes = F.conv3d(planes, rows, padding=(0, radius, 0), groups=channels)
    return F.conv3d(planes, cols, padding=(0, 0, radius), groups=channels)
