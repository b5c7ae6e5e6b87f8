"""The fixed front end of the mask-conditioned (``-m``) networks: log-ratio features and base.

Beyond the paper. A mask-conditioned model sees the raw mosaic ``s`` and the mask ``Φ``, so the
unsaturated HDR value of a sampled pixel is known up to noise: ``x ≈ s / Φ``. A stack of ReLU
convolutions learns that division slowly, so this module (no learned parameters) computes it:

- ``valid``: the site is sampled (``Φ > MIN_TRANSMITTANCE``) and not clipped (``s < SATURATION``);
- ``ratio = log(s / Φ + LOG_EPS)`` at sampled sites (a lower bound where clipped);
- ``base``: per colour, ``ratio`` itself at valid sites; elsewhere the normalised convolution
  (Knutsson & Westin 1993) of ``ratio`` with Gaussians of ``BASE_SCALES`` within each frame
  (clipped sites weighted ``CLIPPED_WEIGHT``), kept at least at a clipped site's lower bound:
  the naive reconstruction of ``vs_vhdr.metrics.baseline``, in the log domain.

The convolution stack then takes ``[s, Φ, base / LOG_SCALE, valid]`` (12 channels) and predicts a
correction: ``output = base + stack(features)``. Its last layer starts at zero, so an untrained
``-m`` model already returns the naive estimate and training only has to improve on it.

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
CLIPPED_WEIGHT = 0.05
"""Weight of a clipped site's lower bound in the base estimate (valid sites weigh 1)."""
BASE_SCALES: tuple[tuple[float, int], ...] = ((1.0, 4), (3.0, 8))
"""Gaussians (σ, half-width in pixels, spatial only) of the normalised convolution, fine first;
a coarser scale fills where the finer one found no sample (e.g. dark areas of a binary mask)."""
BASE_RADIUS = max(radius for _, radius in BASE_SCALES)
MIN_SUPPORT = 1e-3
"""Normalised-convolution weight below which a scale counts as having found no sample."""
LOG_SCALE = 4.0
"""Divisor bringing the log base (about −9 to +10) near the unit range of the other inputs."""
FEATURE_CHANNELS = 12


def widen_receptive_field(field: tuple[int, int, int]) -> tuple[int, int, int]:
    """Receptive field of a stack behind this front end: the base blur adds its radius in H, W."""
    return field[0], field[1] + BASE_RADIUS, field[2] + BASE_RADIUS


class LogRatioConditioning(nn.Module):
    """``x (B×6×T×H×W) → (features B×12×T×H×W, base B×3×T×H×W)``; see the module doc."""

    def __init__(self) -> None:
        super().__init__()
        self.kernels = [_gaussian(sigma, radius) for sigma, radius in BASE_SCALES]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and base of a spread mosaic + spread mask input (computed in float32)."""
        dtype = x.dtype
        raw, mask = x[:, :3].float(), x[:, 3:6].float()
        sampled = mask > MIN_TRANSMITTANCE
        clipped = sampled & (raw >= SATURATION)
        valid = (sampled & ~clipped).float()
        ratio = torch.log(raw / mask.clamp_min(MIN_TRANSMITTANCE) + LOG_EPS)
        weight = valid + CLIPPED_WEIGHT * clipped.float()
        filled = torch.full_like(ratio, math.log(LOG_EPS))  # no sample near: darkest value
        for kernel in reversed(self.kernels):  # coarse first, finer scales overwrite
            support = _blur(weight, kernel)
            estimate = _blur(weight * ratio, kernel) / support.clamp_min(MIN_SUPPORT)
            filled = torch.where(support > MIN_SUPPORT, estimate, filled)
        base = torch.where(valid > 0, ratio, filled)
        base = torch.where(clipped, torch.maximum(base, ratio), base)  # at least the lower bound
        features = torch.cat([x.float(), base / LOG_SCALE, valid], dim=1)
        return features.to(dtype), base.to(dtype)


def _gaussian(sigma: float, radius: int) -> torch.Tensor:
    taps = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-0.5 * (taps / sigma) ** 2)
    return kernel / kernel.sum()


def _blur(planes: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian within each frame, zero outside the image, per channel."""
    channels, radius = planes.shape[1], kernel.numel() // 2
    kernel = kernel.to(device=planes.device, dtype=planes.dtype)
    rows = kernel.view(1, 1, 1, -1, 1).expand(channels, 1, 1, -1, 1)
    cols = kernel.view(1, 1, 1, 1, -1).expand(channels, 1, 1, 1, -1)
    planes = F.conv3d(planes, rows, padding=(0, radius, 0), groups=channels)
    return F.conv3d(planes, cols, padding=(0, 0, radius), groups=channels)
