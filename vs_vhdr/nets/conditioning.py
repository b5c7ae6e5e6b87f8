"""The fixed front end of the mask-conditioned networks: a noise-aware classical estimate.

Beyond the paper. A mask-conditioned model sees the raw mosaic ``s`` and the mask ``Φ``, so the
unsaturated HDR value of a sampled pixel is known up to noise: ``x ≈ s / Φ``. This module (no
learned parameters) computes a classical estimate, the *base*, that the learned layers correct.
Every step is built so that the base is never worse than the naive baseline
(``vs_vhdr.metrics.baseline``) on the inputs CONTRACT §1 allows:

1. **Samples and their noise.** A site is *valid* when sampled (``Φ > MIN_TRANSMITTANCE``) and
   not clipped (``s < SATURATION``). Its estimate ``e = s / Φ`` has variance
   ``(A·Φ·x + R²) / Φ²`` under a reference sensor (``NOISE_SHOT`` = A, ``NOISE_READ`` = R,
   normalised units; ISO ~1600 of a 12-bit camera), with ``x`` a local mean, not the sample
   itself, so that bright and dark samples at an edge are weighted alike. Low transmittance and
   dark signal mean low reliability.
2. **Fill by reliability** (normalised convolution, Knutsson & Westin 1993, weights = inverse
   variance) at the Gaussian scales of ``FILL_SCALES``, fine first, per colour in linear light:
   it fills unsampled and clipped sites from valid ones. A clipped sample only proves
   ``x ≥ s / Φ``: a clipped site takes ``max(fill, s / Φ)``, so it is never below that bound
   and never above what unclipped samples nearby show (or the bound itself where there are none).
3. **Robust spatial fusion** at valid sites: the sample and its neighbours' fill are averaged by
   inverse variance (the fill counted ``1 / FILL_TRUST`` times noisier than its statistics say,
   for texture), with weight ``exp(−d² / (2·κ²·σ²))`` on the fill, ``d`` their difference and
   ``σ²`` its expected variance (κ = ``OUTLIER_SIGMAS``): noise is averaged away, detail kept.
   A site of low transmittance thus leans on its brighter neighbours.
4. **Robust temporal fusion** of each colour's sites over ±``TEMPORAL_RADIUS`` frames of the
   window, the same test per site: static content gets quieter with time, moving content keeps
   its own frame. Clipped sites stay at or above their bound.
5. **Demosaicking** in linear light: bilinear (the naive baseline's) plus a gradient correction
   (Malvar, He & Cutler, ICASSP 2004, 5×5 filters adding the other colours' Laplacian) whose
   strength is ``GRADIENT_CORRECTION`` times a Wiener gain ``c² / (c² + 4·σ_c²)`` (``c`` the
   correction, ``σ_c²`` its noise variance): where noise dominates, it switches off. The result
   is at least ``MIN_CORRECTED_FRACTION`` × bilinear and never above the brightest 3×3
   neighbour of that colour (no new extremes: no white blobs at clipped-highlight edges);
   bilinear alone within 2 px of the border.

Outputs (:class:`FrontEnd`): ``base`` (log HDR, ``log(x + LOG_EPS)``), ``reliability`` (per site
and colour, ``1 / (1 + σ / x)`` in (0, 1]: 1 is noise-free), ``valid``. The ``-m`` convolution
stacks (C3D-M, DC3D-M, C3DED-M) take ``[s, Φ, base / LOG_SCALE, valid]`` (12 channels) through
:meth:`LogRatioConditioning.forward`; the packed networks take the parts.

Shape:
    input ``B×6×T×H×W`` (spread mosaic, spread mask); every output ``B×3×T×H×W``.
"""

import functools
from typing import NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

from vs_vhdr.units import LOG_EPS

MIN_TRANSMITTANCE = 0.02
"""Mask value below which a site counts as unsampled (its ratio would amplify noise ×50)."""
SATURATION = 0.99
"""Raw level (normalised) at and above which a sample counts as clipped."""
NOISE_SHOT = 1e-4
"""Reference shot-noise variance per unit normalised signal (1 / full-well electrons): ISO ~1600."""
NOISE_READ = 2.0 / 4095.0
"""Reference read-noise standard deviation (normalised): 2 DN of a 12-bit sensor."""
FILL_SCALES: tuple[tuple[float, int], ...] = ((1.0, 4), (3.0, 8), (6.0, 16))
"""Gaussians (σ, half-width in pixels, spatial only) filling a colour's unusable sites, fine
first; a coarser scale fills where the finer one found no sample (dark areas of a binary mask,
large clipped highlights)."""
FILL_TRUST = 0.02
"""Weight of the neighbours' fill relative to its statistical inverse variance in the spatial
fusion: the fill also errs by texture, which its noise statistics do not include."""
OUTLIER_SIGMAS = 2.0
"""κ: a neighbour (or frame) farther than κ standard deviations of the expected noise from a
sample is treated as other content, not averaged in."""
NOISE_Z_CAP = 2.0
"""Normalised differences are winsorised at this many standard deviations before averaging
into the local noise scale (edges and motion would otherwise dominate it)."""
NOISE_SCALE_BLUR = (4.0, 12)
"""Gaussian (σ, half-width in pixels) over which the noise scale is averaged."""
NOISE_SCALE_RANGE = (0.01, 100.0)
"""Bounds of the estimated variance ratio to the reference sensor (ISO ~100 to ~100 000)."""
TEMPORAL_RADIUS = 3
"""Frames on each side that the temporal fusion may average (within the window)."""
PATCH_BLUR = (1.5, 4)
"""Gaussian (σ, half-width in pixels) of the patch over which two frames are compared."""
PATCH_TOLERANCE = 1.2
"""Mean normalised squared difference over a patch (1 for pure noise) below which two frames
count as the same content."""
PATCH_STEEPNESS = 10.0
"""How fast a frame's weight falls as the patch difference exceeds the tolerance."""
GRADIENT_CORRECTION = 0.5
"""Fraction of the Malvar-He-Cutler correction at high SNR (1 is the published filter)."""
MIN_CORRECTED_FRACTION = 0.5
"""The correction may at most halve the bilinear value (a clamp at 0 costs ~9 log units)."""
GRADIENT_RADIUS = 2
"""Half-width of the Malvar-He-Cutler filters."""
BASE_RADIUS = (
    max(radius for _, radius in FILL_SCALES) * 3
    + NOISE_SCALE_BLUR[1]
    + PATCH_BLUR[1]
    + GRADIENT_RADIUS
)
"""Spatial reach of the base estimate: the noise's local mean, the fill, the noise scale and the
fill again, the 5×5 demosaicking filters."""
MIN_SUPPORT = 1e-3
"""Normalised-convolution weight (relative) below which a scale counts as having found no sample."""
MATMUL_BLUR_MAX = 512
"""Largest frame side (pixels) filtered by banded matrix products rather than convolution."""
LOG_SCALE = 4.0
"""Divisor bringing the log base (about −9 to +10) near the unit range of the other inputs."""
FEATURE_CHANNELS = 12
CLIPPED_UNCERTAINTY = 0.5
"""Relative standard deviation given to a clipped site's estimate (it is a bound, not a value)."""

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


class FrontEnd(NamedTuple):
    """What the front end computes, each ``B×3×T×H×W`` float32."""

    base: torch.Tensor
    """Log HDR estimate ``log(x + LOG_EPS)`` at every site and colour."""
    reliability: torch.Tensor
    """``1 / (1 + σ/x)`` of each colour's own-site estimate after fusion (0 elsewhere)."""
    valid: torch.Tensor
    """1 at sampled, unclipped sites of each colour."""


def widen_receptive_field(field: tuple[int, int, int]) -> tuple[int, int, int]:
    """Receptive field of a stack behind this front end: the base adds its reach."""
    return field[0] + TEMPORAL_RADIUS, field[1] + BASE_RADIUS, field[2] + BASE_RADIUS


class LogRatioConditioning(nn.Module):
    """``x (B×6×T×H×W) → (features B×12×T×H×W, base B×3×T×H×W)``; see the module doc."""

    def __init__(self) -> None:
        super().__init__()
        self.fill_kernels = [_gaussian(sigma, radius) for sigma, radius in FILL_SCALES]
        self.tent = torch.tensor(_TENT)
        self.gradient_filters = torch.tensor(_MHC).view(4, 1, 1, 5, 5) / 8.0
        self.scale_kernel = _gaussian(*NOISE_SCALE_BLUR)
        self.patch_kernel = _gaussian(*PATCH_BLUR)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features ``[s, Φ, base / LOG_SCALE, valid]`` and base of the ``-m`` stacks."""
        parts = self.estimate(x)
        features = torch.cat([x.float(), parts.base / LOG_SCALE, parts.valid], dim=1)
        return features.to(x.dtype), parts.base.to(x.dtype)

    def estimate(self, x: torch.Tensor) -> FrontEnd:
        """The base, reliability and validity of a spread mosaic + spread mask (float32)."""
        raw, mask = x[:, :3].float(), x[:, 3:6].float()
        own = _own_sites(mask)
        sampled = mask > MIN_TRANSMITTANCE
        clipped = sampled & (raw >= SATURATION)
        valid = (sampled & ~clipped).float()
        phi = mask.clamp_min(MIN_TRANSMITTANCE)
        sample = raw / phi * valid
        bound = torch.where(clipped, raw / phi, torch.zeros_like(raw))

        # 1. local mean for the noise model (transmittance-weighted), then inverse variances
        local_mean, _ = self._fill(sample, valid * phi)
        variance = (NOISE_SHOT * phi * local_mean + NOISE_READ**2) / phi**2
        weight = valid / variance
        # 2-3. reliability-weighted fill, robust fusion at valid sites, bound at clipped ones
        fill, fill_variance = self._fill(sample, weight, exclude_centre=True)
        scale = self._noise_scale(sample, variance, fill, fill_variance, valid)
        variance = variance * scale
        fill_variance = fill_variance * scale / FILL_TRUST
        agree = _agreement(sample - fill, variance + fill_variance)
        fused_valid = (sample / variance + agree * fill / fill_variance) / (
            1 / variance + agree / fill_variance
        )
        fused_variance = 1 / (1 / variance + agree / fill_variance)
        at_clipped = torch.maximum(fill, bound)
        estimate = torch.where(valid > 0, fused_valid, torch.where(clipped, at_clipped, fill))
        est_variance = torch.where(
            valid > 0,
            fused_variance,
            torch.where(clipped, (CLIPPED_UNCERTAINTY * at_clipped) ** 2, fill_variance),
        )
        # 4. temporal fusion, clipped sites kept at their bound
        estimate, est_variance = _temporal_fusion(estimate, est_variance, own, self.patch_kernel)
        estimate = torch.maximum(estimate, bound) * own
        est_variance = est_variance * own
        # 5. demosaicking
        mosaic = estimate.sum(dim=1, keepdim=True)
        mosaic_variance = est_variance.sum(dim=1, keepdim=True)
        linear = self._demosaic(mosaic, mosaic_variance, own)
        at_own = own.expand_as(linear) > 0
        linear = torch.where(at_own, estimate, linear)
        base = torch.log(linear.clamp_min(0) + LOG_EPS)
        sigma = est_variance.clamp_min(0).sqrt()
        reliability = own * estimate / (estimate + sigma + LOG_EPS)
        return FrontEnd(base, reliability.expand_as(base), valid)

    def _fill(
        self, values: torch.Tensor, weight: torch.Tensor, *, exclude_centre: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Weighted normalised convolution of ``values`` (per colour and frame) at the fill
        scales, finest found first; returns the estimate and its variance ``Σk²w / (Σkw)²``
        (exact for independent samples weighted by their inverse variance). With
        ``exclude_centre`` a site's own sample is left out of its estimate."""
        estimate = torch.zeros_like(values)
        variance = torch.full_like(values, 1e6)
        found = torch.zeros_like(values, dtype=torch.bool)
        present = (weight > 0).float()
        for kernel in self.fill_kernels:  # fine first; coarser scales fill the rest
            centre = float(kernel[kernel.numel() // 2]) ** 2
            support = _blur(weight, kernel)
            total = _blur(weight * values, kernel)
            squared = _blur(weight, kernel * kernel)
            if exclude_centre:
                support = support - centre * weight
                total = total - centre * weight * values
                squared = squared - centre**2 * weight
            here = (_blur(present, kernel) > MIN_SUPPORT * centre) & (support > 0) & ~found
            safe = support.clamp_min(1e-12)
            estimate = torch.where(here, total / safe, estimate)
            fill_variance = (squared.clamp_min(0) / safe**2).clamp(1e-12, 1e6)
            variance = torch.where(here, fill_variance, variance)
            found = found | here
            if not found.is_meta and bool(found.all()):  # coarser scales change nothing
                break
        return estimate.clamp_min(0), variance

    def _noise_scale(
        self,
        sample: torch.Tensor,
        variance: torch.Tensor,
        fill: torch.Tensor,
        fill_variance: torch.Tensor,
        valid: torch.Tensor,
    ) -> torch.Tensor:
        """``B×1×T×H×W``: the local ratio of the actual noise variance to the reference
        sensor's, from the squared normalised differences ``z²`` of each sample to its spatial
        neighbours and to the same site in the previous/next frame (winsorised at
        ``NOISE_Z_CAP``², averaged over ``NOISE_SCALE_BLUR``, the smaller of the two: content
        only ever inflates ``z``), within ``NOISE_SCALE_RANGE``."""
        cap = NOISE_Z_CAP**2
        spatial = ((sample - fill) ** 2 / (variance + fill_variance)).clamp_max(cap) * valid
        temporal_sum = torch.zeros_like(sample)
        temporal_count = torch.zeros_like(sample)
        if sample.shape[2] > 1:
            pair = valid[:, :, 1:] * valid[:, :, :-1]
            diff = (sample[:, :, 1:] - sample[:, :, :-1]) ** 2
            z2 = (diff / (variance[:, :, 1:] + variance[:, :, :-1])).clamp_max(cap) * pair
            temporal_sum[:, :, 1:] += z2
            temporal_sum[:, :, :-1] += z2
            temporal_count[:, :, 1:] += pair
            temporal_count[:, :, :-1] += pair
        kernel = self.scale_kernel
        low, high = NOISE_SCALE_RANGE
        spatial_scale = _local_mean(spatial, valid, kernel, fallback=high)
        temporal_scale = _local_mean(temporal_sum, temporal_count, kernel, fallback=high)
        return torch.minimum(spatial_scale, temporal_scale).clamp(low, high)

    def _demosaic(
        self, mosaic: torch.Tensor, mosaic_variance: torch.Tensor, own: torch.Tensor
    ) -> torch.Tensor:
        """Linear ``B×3×T×H×W`` colours of the one-plane ``mosaic`` (``B×1×T×H×W``, >= 0)."""
        norm = _blur(own, self.tent).clamp_min(MIN_SUPPORT)
        bilinear = _blur(mosaic * own, self.tent) / norm
        corrected = _gradient_corrected(mosaic, own, self.gradient_filters, bilinear)
        step = corrected - bilinear
        # the correction's noise: about a quarter of the mosaic's variance around the site
        noise = 0.25 * _blur(mosaic_variance.expand(-1, 3, -1, -1, -1).contiguous(), self.tent)
        gain = GRADIENT_CORRECTION * step**2 / (step**2 + 4 * noise + 1e-30)
        # no new extremes: never above the brightest neighbour of that colour (3×3)
        brightest = F.max_pool3d(mosaic * own, (1, 3, 3), stride=1, padding=(0, 1, 1))
        return torch.minimum(
            torch.maximum(bilinear + gain * step, MIN_CORRECTED_FRACTION * bilinear),
            torch.maximum(brightest, bilinear),
        )


def _local_mean(
    values: torch.Tensor, counts: torch.Tensor, kernel: torch.Tensor, fallback: float
) -> torch.Tensor:
    """``B×1×T×H×W``: ``Σ values / Σ counts`` over colours and the kernel's footprint."""
    total = _blur(values.sum(dim=1, keepdim=True), kernel)
    count = _blur(counts.sum(dim=1, keepdim=True), kernel)
    found = count > 1e-6
    return torch.where(found, total / count.clamp_min(1e-6), torch.full_like(total, fallback))


def _agreement(difference: torch.Tensor, variance: torch.Tensor) -> torch.Tensor:
    """``exp(−d² / (2κ²σ²))``: 1 where two estimates agree within noise, → 0 where they differ."""
    return torch.exp(-(difference**2) / (2 * OUTLIER_SIGMAS**2 * variance.clamp_min(1e-30)))


def _temporal_fusion(
    estimate: torch.Tensor, variance: torch.Tensor, own: torch.Tensor, kernel: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per site, the inverse-variance average over frames within ±TEMPORAL_RADIUS whose
    neighbourhood agrees with the frame's own (``B×3×T×H×W`` each, linear).

    Two frames agree at a site when the mean of ``d² / (σ_t² + σ_k²)`` over the patch of
    ``kernel`` around it (all colours) is within noise: a patch mean detects motion whose
    per-pixel change is below the noise, which a per-pixel test would average into blur."""
    frames = estimate.shape[2]
    if frames == 1:
        return estimate, variance
    precision = 1 / variance.clamp_min(1e-30)
    total = torch.zeros_like(estimate)
    weights = torch.zeros_like(estimate)
    sites = own.expand(-1, -1, frames, -1, -1)
    for shift in range(-TEMPORAL_RADIUS, TEMPORAL_RADIUS + 1):
        low, high = max(0, -shift), min(frames, frames - shift)
        if low >= high:
            continue
        here = estimate[:, :, low:high]
        there = estimate[:, :, low + shift : high + shift]
        there_precision = precision[:, :, low + shift : high + shift]
        z2 = (there - here) ** 2 / (variance[:, :, low:high] + 1 / there_precision)
        distance = _local_mean(z2 * sites[:, :, low:high], sites[:, :, low:high], kernel, 1e6)
        agree = torch.exp(-PATCH_STEEPNESS * (distance - PATCH_TOLERANCE).clamp_min(0))
        total[:, :, low:high] += agree * there_precision * there
        weights[:, :, low:high] += agree * there_precision
    weights = weights.clamp_min(1e-12)
    return total / weights, 1 / weights


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
    """Separable filter within each frame, zero outside the image, per channel.

    Frames up to ``MATMUL_BLUR_MAX`` pixels a side are filtered as two products with banded
    matrices (several times faster than a grouped convolution on CPUs); larger ones by
    convolution. Both give the same values up to float rounding."""
    height, width = planes.shape[-2:]
    if max(height, width) <= MATMUL_BLUR_MAX:
        taps = tuple(float(v) for v in kernel)
        rows = _band(height, taps, planes.device, planes.dtype)
        cols = _band(width, taps, planes.device, planes.dtype)
        return rows @ planes @ cols.T
    channels, radius = planes.shape[1], kernel.numel() // 2
    kernel = kernel.to(device=planes.device, dtype=planes.dtype)
    row_kernel = kernel.view(1, 1, 1, -1, 1).expand(channels, 1, 1, -1, 1)
    col_kernel = kernel.view(1, 1, 1, 1, -1).expand(channels, 1, 1, 1, -1)
    planes = F.conv3d(planes, row_kernel, padding=(0, radius, 0), groups=channels)
    return F.conv3d(planes, col_kernel, padding=(0, 0, radius), groups=channels)


@functools.lru_cache(maxsize=64)
def _band(
    size: int, taps: tuple[float, ...], device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """``size×size`` matrix applying the centred filter ``taps`` along one axis (zero padding)."""
    radius = len(taps) // 2
    index = torch.arange(size)
    offset = index.view(-1, 1) - index.view(1, -1)
    inside = offset.abs() <= radius
    band = torch.zeros(size, size, dtype=torch.float64)
    band[inside] = torch.tensor(taps, dtype=torch.float64)[(offset[inside] + radius)]
    return band.to(device=device, dtype=dtype)
