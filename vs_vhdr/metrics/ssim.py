"""Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004, IEEE TIP 13(4), Eq. 13).

    SSIM(x, y) = ((2 μx μy + C1)(2 σxy + C2)) / ((μx² + μy² + C1)(σx² + σy² + C2))

with local statistics under an 11×11 Gaussian window (σ = 1.5 px, normalised to sum 1), the
biased (1/N) local variances, ``C1 = (K1 L)²``, ``C2 = (K2 L)²``, ``K1 = 0.01``, ``K2 = 0.03`` and
``L`` the dynamic range of the values. As in the authors' reference code the map is computed where
the window fits inside the frame ("valid") and averaged; frames must be at least 11×11.

``log_ssim`` applies it to log HDR (``vs_vhdr.units.to_log``), each colour channel separately,
with ``L = LOG_SSIM_DATA_RANGE``: the log-domain span from no light (``ln LOG_EPS``) to an unmasked
pixel's saturation (``ln(1 + LOG_EPS)``), ≈ 9.21. Range: [−1, 1], 1 for identical clips.
"""

import math

import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.metrics.filters import filter_valid
from vs_vhdr.metrics.inputs import ClipLike, as_pair, frame64
from vs_vhdr.units import LOG_EPS, to_log

WINDOW_SIZE = 11
"""Side of the Gaussian window in pixels (Wang et al. 2004)."""
WINDOW_SIGMA = 1.5
"""Standard deviation of the Gaussian window in pixels."""
K1 = 0.01
"""Stabiliser of the luminance term: ``C1 = (K1 L)²``."""
K2 = 0.03
"""Stabiliser of the contrast-structure term: ``C2 = (K2 L)²``."""
LOG_SSIM_DATA_RANGE = math.log(1.0 + LOG_EPS) - math.log(LOG_EPS)
"""``L`` for SSIM on log HDR: from black to unmasked saturation in ``to_log`` units (≈ 9.21)."""


def gaussian_window(
    size: int = WINDOW_SIZE, sigma: float = WINDOW_SIGMA, dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """1-D Gaussian weights ``exp(−k²/2σ²)``, ``k = −(size−1)/2 … (size−1)/2``, summing to 1."""
    k = torch.arange(size, dtype=dtype) - (size - 1) / 2
    weights = torch.exp(-(k**2) / (2 * sigma**2))
    return weights / weights.sum()


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float) -> torch.Tensor:
    """Local SSIM of images ``N×H×W`` (compared plane by plane) → ``N×(H−10)×(W−10)``, float64 CPU.

    Raises:
        InvalidArgumentError: planes smaller than the window, or ``data_range`` not positive.
    """
    if x.shape[-2] < WINDOW_SIZE or x.shape[-1] < WINDOW_SIZE:
        raise InvalidArgumentError(
            f"ssim: frames are {x.shape[-2]}×{x.shape[-1]} pixels; expected at least "
            f"{WINDOW_SIZE}×{WINDOW_SIZE} (the Gaussian window)"
        )
    if not data_range > 0:
        raise InvalidArgumentError(f"ssim: data_range={data_range}; expected a positive number")
    window = gaussian_window()
    x, y = x.detach().cpu().double(), y.detach().cpu().double()

    def blur(z: torch.Tensor) -> torch.Tensor:
        return filter_valid(z, window)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1 = (K1 * data_range) ** 2
    c2 = (K2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )


def log_ssim(pred: ClipLike, gt: ClipLike, data_range: float = LOG_SSIM_DATA_RANGE) -> float:
    """Mean SSIM of ``to_log(pred)`` against ``to_log(gt)`` over frames and RGB channels.

    Args:
        pred, gt: linear HDR clips ``T×H×W×3`` (frames at least 11×11).
        data_range: ``L`` of the SSIM constants, in log units.
    """
    p, g = as_pair(pred, gt, "log_ssim")
    total = 0.0
    for t in range(p.shape[0]):
        x = to_log(frame64(p, t)).permute(2, 0, 1)
        y = to_log(frame64(g, t)).permute(2, 0, 1)
        total += float(ssim_map(x, y, data_range).mean())
    return total / p.shape[0]
