"""Naive reconstruction of coded raw video: the floor every model number is compared against.

Per frame and per colour channel of the CFA:

1. *Divide by the mask*: at sampled sites that are neither saturated (``raw ≥ saturation``) nor
   nearly opaque (``mask < min_transmittance``), the scene value is ``raw / mask``.
2. *Fill the other sampled sites* by normalised convolution (Knutsson & Westin 1993): a Gaussian
   average of the usable samples of that channel, divided by the average of their indicator, with
   σ = 1, 2, 4, … pixels until every site is reached. A saturated site keeps at least its lower
   bound ``raw / mask`` (the scene was at least that bright).
3. *Bilinear demosaic*: the unsampled sites of each channel are the normalised convolution of the
   channel's sites with the 3×3 tent ``[1 2 1]ᵀ[1 2 1] / 16``, i.e. the mean of the 2 or 4 nearest.

No noise model, no temporal information: on a noiseless, unsaturated, smooth scene it is exact at
sampled sites and limited by bilinear interpolation elsewhere. Units: raw in [0, 1] (CONTRACT §1),
output exposure-normalised linear HDR ``T×H×W×3`` float32.
"""

import numpy as np
import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import cfa_masks, check_cfa
from vs_vhdr.metrics.filters import filter_zero_padded

SATURATION_LEVEL = 0.99
"""Raw values at or above this (white = 1) are treated as clipped."""
MIN_TRANSMITTANCE = 1e-3
"""Mask values below this carry no usable signal (dividing would amplify noise > 1000×)."""
_TENT = torch.tensor([1.0, 2.0, 1.0], dtype=torch.float64) / 4
_MIN_WEIGHT = 1e-9


def naive_reconstruct(
    raw: np.ndarray | torch.Tensor,
    mask: np.ndarray | torch.Tensor,
    cfa: str = "RGGB",
    *,
    origin: tuple[int, int] = (0, 0),
    saturation: float = SATURATION_LEVEL,
    min_transmittance: float = MIN_TRANSMITTANCE,
) -> np.ndarray:
    """Reconstruct linear HDR from coded raw frames without a network.

    Args:
        raw: ``T×H×W`` (or ``H×W``) raw mosaic in [0, 1].
        mask: transmittance in [0, 1], ``H×W`` (static), ``1×H×W`` or ``T×H×W``.
        cfa: Bayer pattern at ``origin``; ``origin`` is the crop's (row, col) on the sensor.
        saturation: raw level treated as clipped.
        min_transmittance: mask level below which a site counts as unsampled.

    Returns:
        ``T×H×W×3`` float32, exposure-normalised linear HDR.
    """
    cfa = check_cfa(cfa, "naive_reconstruct")
    frames = _as_float64(raw, "raw")
    if frames.dim() == 2:
        frames = frames.unsqueeze(0)
    if frames.dim() != 3:
        raise InvalidArgumentError(
            f"naive_reconstruct: raw has shape {tuple(frames.shape)}; expected T×H×W"
        )
    masks = _check_mask(_as_float64(mask, "mask"), tuple(frames.shape))
    num_frames, height, width = frames.shape
    sites = cfa_masks(cfa, height, width, origin=origin, dtype=torch.float64).bool()
    out = np.empty((num_frames, height, width, 3), dtype=np.float32)
    for t in range(num_frames):
        m = masks[t] if masks.shape[0] > 1 else masks[0]
        values = _sampled_values(frames[t], m, sites, saturation, min_transmittance)
        out[t] = _bilinear_demosaic(values, sites).permute(1, 2, 0).numpy()
    return out


def _sampled_values(
    raw: torch.Tensor,
    mask: torch.Tensor,
    sites: torch.Tensor,
    saturation: float,
    min_transmittance: float,
) -> torch.Tensor:
    """``3×H×W`` scene values at each channel's sites (steps 1 and 2); zero elsewhere."""
    usable_mask = mask >= min_transmittance
    quotient = torch.where(usable_mask, raw / mask.clamp_min(min_transmittance), 0.0)
    valid = sites & (usable_mask & (raw < saturation))
    samples = torch.where(valid, quotient, 0.0)
    values = samples
    holes = sites & ~valid
    sigma = 1.0
    while bool(holes.any()):
        radius = int(np.ceil(3 * sigma))
        kernel = _gaussian(sigma, radius)
        numerator = filter_zero_padded(samples, kernel)
        weight = filter_zero_padded(valid.double(), kernel)
        reached = holes & (weight > _MIN_WEIGHT)
        values = torch.where(reached, numerator / weight.clamp_min(_MIN_WEIGHT), values)
        holes &= ~reached
        if radius >= max(raw.shape):
            break  # a channel without any usable sample stays 0 (before the lower bound)
        sigma *= 2
    saturated = sites & usable_mask & (raw >= saturation)
    return torch.where(saturated, torch.maximum(values, quotient), values)


def _bilinear_demosaic(values: torch.Tensor, sites: torch.Tensor) -> torch.Tensor:
    """Fill each channel's unsampled sites from its sampled ones with the 3×3 tent (step 3)."""
    numerator = filter_zero_padded(values, _TENT)
    weight = filter_zero_padded(sites.double(), _TENT)
    return torch.where(sites, values, numerator / weight.clamp_min(_MIN_WEIGHT))


def _gaussian(sigma: float, radius: int) -> torch.Tensor:
    k = torch.arange(-radius, radius + 1, dtype=torch.float64)
    return torch.exp(-(k**2) / (2 * sigma**2))


def _as_float64(x: np.ndarray | torch.Tensor, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        tensor = torch.from_numpy(np.asarray(x, dtype=np.float64))
    elif isinstance(x, torch.Tensor):
        tensor = x.detach().to(device="cpu", dtype=torch.float64)
    else:
        raise InvalidArgumentError(
            f"naive_reconstruct: {name} is a {type(x).__name__}; expected a numpy array or tensor"
        )
    if not bool(torch.isfinite(tensor).all()):
        raise InvalidArgumentError(
            f"naive_reconstruct: {name} has non-finite values (nan/inf); expected finite floats"
        )
    return tensor


def _check_mask(mask: torch.Tensor, raw_shape: tuple[int, ...]) -> torch.Tensor:
    num_frames, height, width = raw_shape
    given = tuple(mask.shape)
    if mask.dim() == 2:
        mask = mask.unsqueeze(0)
    if mask.dim() != 3 or mask.shape[1:] != (height, width) or mask.shape[0] not in (1, num_frames):
        raise InvalidArgumentError(
            f"naive_reconstruct: mask has shape {given}; expected {height}×{width}, "
            f"1×{height}×{width} or {num_frames}×{height}×{width} to match raw {raw_shape}"
        )
    low, high = float(mask.min()), float(mask.max())
    if low < 0 or high > 1:
        raise InvalidArgumentError(
            f"naive_reconstruct: mask values span [{low:.4g}, {high:.4g}]; expected "
            "transmittance in [0, 1]"
        )
    return mask
