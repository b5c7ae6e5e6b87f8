"""Mask self-calibration from flat-field raw frames.

A flat field is a uniform, unsaturated white target filling the frame (several exposures allowed).
Per pixel ``p`` and frame ``k`` the normalised raw value is (paper Eq. 1 with a flat scene)::

    y_k(p) = e_k · g_site(p) · V(p) · Φ(p) + noise

with ``e_k`` the frame's exposure, ``g_site`` the gain of the 2×2 CFA site (target colour times
filter), ``V`` the lens's smooth vignetting and ``Φ`` the mask transmittance. The estimate:

1. relative exposures ``e_k``: median ratio of frame ``k`` to the frame with most usable pixels;
2. ``A(p) = Σ_k y_k / Σ_k e_k`` over the frames where ``p`` is below ``saturation`` (maximum
   likelihood under shot noise); pixels saturated in every frame get the lower bound
   ``saturation / min e_k`` and are counted (more than ``MAX_SATURATED_FRACTION`` is refused);
3. ``g_site``: each 2×2 CFA site's mean over the frame's; ``V``: one least-squares 2-D Legendre
   polynomial of total degree ``degree`` fitted to block means (about 32×32 blocks) of
   ``A / g_site`` (the mask's pixel-scale pattern averages out; mask structure as coarse as the
   polynomial can follow is taken for vignetting; vignetting is assumed the same in every channel).
   The mask's randomness also enters this fit: the fewer independent mask cells the frame holds,
   the larger the error. With ``unmasked`` frames (the same target, mask removed) the fit uses
   them instead and that error goes away;
4. ``Φ = A / fit``, divided by its ``percentile``-th percentile (100 = the maximum) and clipped to
   [0, 1], so the most open pixels read 1.

Noise: with ``n >= 2`` usable frames at a pixel, the standard error of ``A`` from the spread of
``y_k / e_k`` (weights ``e_k``), carried through steps 3 and 4; ``noise_rms`` is its RMS over those
pixels, in transmittance units.
"""

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

MAX_SATURATED_FRACTION = 0.01
"""Refuse flat fields with more pixels than this saturated in every frame (they bias the fit)."""
_MIN_OVERLAP = 64
_REFERENCE_FLOOR = 0.02
_BLOCKS = 32


@dataclass(frozen=True, eq=False)
class FlatFieldEstimate:
    """The estimated transmittance (``H×W`` float32 in [0, 1]) and how good it is."""

    transmittance: np.ndarray
    noise_rms: float | None
    exposures: tuple[float, ...]
    saturated_pixels: int
    normalisation: str
    vignetting: str

    def record(self) -> dict[str, Any]:
        """The ``measurement`` entry of a calibration file."""
        return {
            "method": "flat-field self-calibration",
            "frames": len(self.exposures),
            "relative_exposures": [round(e, 6) for e in self.exposures],
            "vignetting": self.vignetting,
            "normalisation": self.normalisation,
            "noise_rms": None if self.noise_rms is None else round(self.noise_rms, 6),
            "saturated_pixels": self.saturated_pixels,
        }


@dataclass(frozen=True)
class _Combined:
    """Per-pixel result of step 2: amplitude ``A``, its standard error, where it is known."""

    amplitude: np.ndarray
    std_error: np.ndarray
    unresolved: np.ndarray
    multi: np.ndarray
    exposures: np.ndarray


def estimate_transmittance(
    frames: np.ndarray,
    *,
    unmasked: np.ndarray | None = None,
    degree: int = 4,
    percentile: float = 99.5,
    saturation: float = 0.98,
) -> FlatFieldEstimate:
    """Estimate the mask transmittance from flat-field frames.

    Args:
        frames: ``T×H×W`` raw mosaics normalised to [0, 1] (black 0, white 1); ``H, W >= 8``.
        unmasked: optional ``T'×H×W`` flat-field frames of the same target with the mask taken
            out; the gains and vignetting are then fitted to them, which removes the error the
            mask's own pattern puts into the fit (recommended when the mask is removable).
        degree: total degree of the vignetting polynomial (0 = gains only).
        percentile: the percentile of the estimate that becomes 1 (100 = the maximum).
        saturation: normalised level at and above which a sample counts as clipped.

    Returns:
        FlatFieldEstimate with ``transmittance`` ``H×W``.
    """
    y = _check_frames(frames, "frames")
    if not (isinstance(degree, int) and 0 <= degree <= 8):
        raise InvalidArgumentError(f"estimate_transmittance: degree={degree!r}; expected 0..8")
    if not 50.0 <= percentile <= 100.0:
        raise InvalidArgumentError(
            f"estimate_transmittance: percentile={percentile!r}; expected 50..100"
        )
    if not 0.0 < saturation <= 1.0:
        raise InvalidArgumentError(
            f"estimate_transmittance: saturation={saturation!r}; expected in (0, 1]"
        )
    masked = _combine(y, saturation)
    fraction = float(masked.unresolved.mean())
    if fraction > MAX_SATURATED_FRACTION:
        raise InvalidArgumentError(
            f"estimate_transmittance: {fraction:.1%} of the pixels are saturated in every frame; "
            f"expected at most {MAX_SATURATED_FRACTION:.0%}: add a shorter exposure"
        )
    vignetting = f"2-D Legendre polynomial of degree {degree} and CFA site gains, fitted to "
    if unmasked is None:
        smooth = _vignetting(masked.amplitude, masked.unresolved, degree)
        vignetting += "the masked frames"
    else:
        reference = _check_frames(unmasked, "unmasked")
        if reference.shape[1:] != y.shape[1:]:
            raise InvalidArgumentError(
                f"estimate_transmittance: unmasked frames are {reference.shape[1:]} but frames "
                f"are {y.shape[1:]}; expected one size"
            )
        open_field = _combine(reference, saturation)
        smooth = _vignetting(open_field.amplitude, open_field.unresolved, degree)
        vignetting += f"{len(reference)} unmasked frame(s)"
    raw_phi = masked.amplitude / smooth
    known = raw_phi[~masked.unresolved] if (~masked.unresolved).any() else raw_phi.ravel()
    scale = float(np.percentile(known, percentile))
    if not scale > 0:
        raise InvalidArgumentError(
            "estimate_transmittance: the flat field is black; expected a lit, unsaturated target"
        )
    phi = np.clip(raw_phi / scale, 0.0, 1.0).astype(np.float32)
    noise = masked.std_error / smooth / scale
    multi = masked.multi
    noise_rms = float(np.sqrt(np.mean(noise[multi] ** 2))) if multi.any() else None
    label = "maximum -> 1" if percentile >= 100 else f"{percentile:g}th percentile -> 1"
    return FlatFieldEstimate(
        transmittance=phi,
        noise_rms=noise_rms,
        exposures=tuple(float(v) for v in masked.exposures / masked.exposures.max()),
        saturated_pixels=int(masked.unresolved.sum()),
        normalisation=label,
        vignetting=vignetting,
    )


def _combine(y: np.ndarray, saturation: float) -> _Combined:
    """Steps 1-2: exposures, ``A = Σ y_k / Σ e_k`` over unclipped samples, its standard error.

    Frame by frame, so memory beyond the frames themselves stays a few ``H×W`` arrays.
    """
    exposures = _relative_exposures(y, saturation)
    count = np.zeros(y.shape[1:], np.int64)
    weight_sum = np.zeros(y.shape[1:])
    sums = np.zeros(y.shape[1:])
    for frame, e in zip(y, exposures, strict=True):
        usable = frame < saturation
        count += usable
        weight_sum += usable * e
        sums += np.where(usable, frame, 0.0)
    unresolved = count == 0
    amplitude = np.where(
        unresolved, saturation / exposures.min(), sums / np.maximum(weight_sum, 1e-12)
    )
    # standard error of the weighted mean, from the spread of y_k / e_k (weights e_k)
    spread = np.zeros(y.shape[1:])
    for frame, e in zip(y, exposures, strict=True):
        spread += np.where(frame < saturation, e * (frame / e - amplitude) ** 2, 0.0)
    std_error = np.sqrt(spread / np.maximum(count - 1, 1) / np.maximum(weight_sum, 1e-12))
    return _Combined(amplitude, std_error, unresolved, count >= 2, exposures)


def mask_error(estimate: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Errors of an estimated mask against a known one (both ``H×W``, transmittance).

    ``rmse`` and ``mae`` compare values directly; ``rmse_scaled`` first fits the single scale that
    best maps the estimate onto the truth (the flat field cannot know the absolute scale).
    """
    a = np.asarray(estimate, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidArgumentError(
            f"mask_error: estimate is {a.shape} but the reference mask is {b.shape}; expected equal"
        )
    gain = float((a * b).sum() / max((a * a).sum(), 1e-12))
    return {
        "rmse": float(np.sqrt(np.mean((a - b) ** 2))),
        "mae": float(np.mean(np.abs(a - b))),
        "rmse_scaled": float(np.sqrt(np.mean((gain * a - b) ** 2))),
        "correlation": float(np.corrcoef(a.ravel(), b.ravel())[0, 1]),
    }


def _check_frames(frames: np.ndarray, name: str) -> np.ndarray:
    """``T×H×W`` float32 or float64 as given (other types become float64)."""
    y = np.asarray(frames)
    if y.dtype not in (np.float32, np.float64):
        y = y.astype(np.float64)
    if y.ndim == 2:
        y = y[None]
    if y.ndim != 3 or y.shape[0] < 1 or min(y.shape[1:]) < 8:
        raise InvalidArgumentError(
            f"estimate_transmittance: {name} have shape {np.shape(frames)}; "
            "expected T×H×W raw mosaics with H, W >= 8"
        )
    if not np.isfinite(y).all():
        raise InvalidArgumentError(f"estimate_transmittance: {name} hold NaN or infinite values")
    return y


def _relative_exposures(y: np.ndarray, saturation: float) -> np.ndarray:
    """Exposure of each frame relative to the one with the most usable, lit pixels."""

    def lit(frame: np.ndarray) -> np.ndarray:
        return (frame < saturation) & (frame > _REFERENCE_FLOOR)

    ref = int(np.argmax([lit(frame).sum() for frame in y]))
    reference, reference_lit = y[ref].astype(np.float64), lit(y[ref])
    exposures = np.ones(len(y))
    for k, frame in enumerate(y):
        both = lit(frame) & reference_lit
        if both.sum() < _MIN_OVERLAP:
            raise InvalidArgumentError(
                f"estimate_transmittance: frame {k} shares {int(both.sum())} lit, unsaturated "
                f"pixels with frame {ref}; expected >= {_MIN_OVERLAP} (too dark or saturated?)"
            )
        exposures[k] = float(np.median(frame[both] / reference[both]))
    return exposures


def _vignetting(amplitude: np.ndarray, unresolved: np.ndarray, degree: int) -> np.ndarray:
    """``g_site · V``: per-site gains times one polynomial ``Σ c_ij P_i(row) P_j(col)``; ``H×W``."""
    height, width = amplitude.shape
    known = np.where(unresolved, np.nan, amplitude)
    if np.isnan(known).all():
        raise InvalidArgumentError(
            "estimate_transmittance: every pixel is saturated in every frame; expected exposures "
            "that leave the flat field below white"
        )
    gains = np.ones((height, width))
    overall = np.nanmean(known)
    for r0 in (0, 1):
        for c0 in (0, 1):
            site_mean = np.nanmean(known[r0::2, c0::2])
            if not site_mean > 0:
                raise InvalidArgumentError(
                    f"estimate_transmittance: CFA site ({r0}, {c0}) is black or fully saturated; "
                    "expected a white target that lights every colour channel"
                )
            gains[r0::2, c0::2] = site_mean / overall
    rows = (np.arange(height) + 0.5) / height * 2 - 1
    cols = (np.arange(width) + 0.5) / width * 2 - 1
    coef = _fit_blocks(known / gains, rows, cols, degree)
    smooth = gains * (_legendre(rows, degree) @ coef @ _legendre(cols, degree).T)
    if not (smooth > 0).all():
        raise InvalidArgumentError(
            f"estimate_transmittance: the vignetting fit (degree {degree}) is not positive "
            "everywhere; use a lower degree or a brighter, more even flat field"
        )
    return smooth


def _fit_blocks(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, degree: int) -> np.ndarray:
    """Least-squares Legendre coefficients (``(degree+1)²``, upper-left triangle) of block means.

    Blocks are an even number of pixels on a side so each holds every CFA site equally.
    """
    br = max(2, 2 * (len(rows) // (2 * _BLOCKS)))
    bc = max(2, 2 * (len(cols) // (2 * _BLOCKS)))
    nr, nc = len(rows) // br, len(cols) // bc
    blocks = image[: nr * br, : nc * bc].reshape(nr, br, nc, bc)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN (fully saturated) blocks
        means = np.nanmean(blocks, axis=(1, 3))
    pr = _legendre(rows[: nr * br].reshape(nr, br).mean(axis=1), degree)
    pc = _legendre(cols[: nc * bc].reshape(nc, bc).mean(axis=1), degree)
    pairs = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
    design = np.stack([np.outer(pr[:, i], pc[:, j]).ravel() for i, j in pairs], axis=1)
    target = means.ravel()
    keep = np.isfinite(target)
    if keep.sum() < 2 * design.shape[1]:
        raise InvalidArgumentError(
            f"estimate_transmittance: too few unsaturated blocks ({int(keep.sum())}) to fit a "
            f"degree-{degree} vignetting polynomial; use darker exposures or a lower degree"
        )
    solution, *_ = np.linalg.lstsq(design[keep], target[keep], rcond=None)
    coef = np.zeros((degree + 1, degree + 1))
    for (i, j), value in zip(pairs, solution, strict=True):
        coef[i, j] = value
    return coef


def _legendre(x: np.ndarray, degree: int) -> np.ndarray:
    """Legendre polynomials ``P_0..P_degree`` at ``x`` in [-1, 1]; shape ``len(x) × (degree+1)``."""
    return np.polynomial.legendre.legvander(x, degree)
