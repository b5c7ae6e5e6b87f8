"""Optical masks Φ (paper §4, CONTRACT §1): per-pixel transmittance in [0, 1], ``H×W`` float32.

Families, all drawn from a seeded ``numpy.random.Generator``:

- ``uniform``: each pixel U(0, 1) (the paper's "uniform" masks);
- ``binary``: a Bernoulli(p) pattern of square cells (``cell`` pixels a side), unblurred: the mask
  lying on the sensor. With ``dark_fraction`` > 0 a second, coarse pattern closes whole regions
  of ``dark_cell`` pixels a side with that probability: large low-transmittance areas, as where
  a printed mask's opaque dots cluster;
- ``lowfreq``: the same pattern blurred by a Gaussian of ``sigma`` pixels, as light spreads over
  the gap between a mask and the sensor. ``sigma`` is given, or follows from the stand-off
  distance d, the lens f-number N and the pixel pitch p by :func:`sigma_from_distance`;
- ``file``: a measured or user mask read with :mod:`vs_vhdr.io.images` (EXR ``Y``, npy, 16-bit PNG).
"""

import dataclasses
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.images import read_image

MASK_KINDS: tuple[str, ...] = ("uniform", "lowfreq", "binary", "file")
LOWFREQ_CELL = 4
"""Default cell size (pixels) of the pattern under a ``lowfreq`` mask."""
LOWFREQ_SIGMA = 2.0
"""Default blur σ (pixels) of a ``lowfreq`` mask when neither σ nor a distance is given."""
DARK_CELL = 16
"""Default side (pixels) of the closed regions when ``dark_fraction`` > 0."""


@dataclass(frozen=True)
class MaskSettings:
    """How a mask is made; saved in capture records. Build it with :func:`mask_settings`.

    Attributes:
        kind: one of ``MASK_KINDS``.
        seed: seed of the ``numpy.random.Generator`` (random kinds).
        p: probability that a cell of the binary pattern is open (transmittance 1).
        cell: side of a pattern cell in pixels.
        sigma: blur σ in pixels (``lowfreq``; 0 for the others).
        distance_mm, f_number, pixel_pitch_um: the optics σ was derived from, when it was.
        path: the file of a ``file`` mask.
        dark_fraction: probability that a coarse region is closed (``binary``, ``lowfreq``).
        dark_cell: side of those regions in pixels (0 when ``dark_fraction`` is 0).
    """

    kind: str = "uniform"
    seed: int = 0
    p: float = 0.5
    cell: int = 1
    sigma: float = 0.0
    distance_mm: float | None = None
    f_number: float | None = None
    pixel_pitch_um: float | None = None
    path: str | None = None
    dark_fraction: float = 0.0
    dark_cell: int = 0


def sigma_from_distance(distance_mm: float, f_number: float, pixel_pitch_um: float) -> float:
    """Blur σ in pixels of a mask ``distance_mm`` in front of the sensor: σ ≈ d / (4·N·p).

    The light reaching one sensor point fills a cone of aperture 1/N, which crosses the mask
    plane in a disc of diameter d/N; a Gaussian with σ of a quarter of that diameter stands for
    the disc (CONTRACT §1). Example: d = 0.05 mm, N = 2, p = 2 µm gives σ = 3.125 pixels.
    """
    for name, value in (
        ("distance_mm", distance_mm),
        ("f_number", f_number),
        ("pixel_pitch_um", pixel_pitch_um),
    ):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InvalidArgumentError(
                f"sigma_from_distance: {name}={value!r}; expected a positive number"
            )
    return distance_mm * 1000.0 / (4.0 * f_number * pixel_pitch_um)


def mask_settings(
    kind: str,
    *,
    seed: int = 0,
    p: float = 0.5,
    cell: int | None = None,
    sigma: float | None = None,
    distance_mm: float | None = None,
    f_number: float | None = None,
    pixel_pitch_um: float | None = None,
    path: str | None = None,
    dark_fraction: float = 0.0,
    dark_cell: int | None = None,
) -> MaskSettings:
    """Validated :class:`MaskSettings` with each kind's defaults filled in.

    ``lowfreq`` takes ``sigma`` or all of ``distance_mm``, ``f_number``, ``pixel_pitch_um``
    (σ from :func:`sigma_from_distance`); with none of them σ = ``LOWFREQ_SIGMA`` and the default
    cell is ``LOWFREQ_CELL``. ``file`` needs ``path``. ``dark_fraction`` in [0, 1) closes coarse
    regions of ``dark_cell`` pixels (default ``DARK_CELL``, at least ``cell``) of ``binary`` and
    ``lowfreq`` masks.
    """
    if kind not in MASK_KINDS:
        raise InvalidArgumentError(f"mask: kind={kind!r}; expected one of {', '.join(MASK_KINDS)}")
    if not 0.0 <= p <= 1.0:
        raise InvalidArgumentError(f"mask: p={p!r}; expected a probability in [0, 1]")
    cell = (LOWFREQ_CELL if kind == "lowfreq" else 1) if cell is None else cell
    if not (isinstance(cell, int) and cell >= 1):
        raise InvalidArgumentError(f"mask: cell={cell!r}; expected an integer >= 1 (pixels)")
    optics = (distance_mm, f_number, pixel_pitch_um)
    if kind == "lowfreq":
        if any(v is not None for v in optics):
            if sigma is not None or any(v is None for v in optics):
                raise InvalidArgumentError(
                    "mask: lowfreq takes either sigma or all of distance_mm, f_number and "
                    f"pixel_pitch_um; got sigma={sigma}, distance_mm={distance_mm}, "
                    f"f_number={f_number}, pixel_pitch_um={pixel_pitch_um}"
                )
            sigma = sigma_from_distance(*optics)  # type: ignore[arg-type]
        elif sigma is None:
            sigma = LOWFREQ_SIGMA
        if not (math.isfinite(sigma) and sigma >= 0):
            raise InvalidArgumentError(f"mask: sigma={sigma!r}; expected pixels >= 0")
    elif sigma is not None or any(v is not None for v in optics):
        raise InvalidArgumentError(
            f"mask: a {kind} mask is not blurred; sigma/distance are lowfreq"
        )
    if kind == "file" and not path:
        raise InvalidArgumentError("mask: kind='file' needs path=<mask file>")
    if not (isinstance(dark_fraction, int | float) and 0.0 <= dark_fraction < 1.0):
        raise InvalidArgumentError(
            f"mask: dark_fraction={dark_fraction!r}; expected a probability in [0, 1)"
        )
    if dark_fraction > 0 and kind not in ("binary", "lowfreq"):
        raise InvalidArgumentError(
            f"mask: dark_fraction={dark_fraction} for a {kind} mask; dark regions are for "
            "binary and lowfreq masks"
        )
    if dark_fraction == 0:
        if dark_cell:
            raise InvalidArgumentError(
                f"mask: dark_cell={dark_cell} without dark_fraction; expected both or neither"
            )
        dark_cell = 0
    elif dark_cell is None:
        dark_cell = max(DARK_CELL, cell)
    elif not (isinstance(dark_cell, int) and dark_cell >= cell):
        raise InvalidArgumentError(
            f"mask: dark_cell={dark_cell!r}; expected an integer >= cell={cell} (pixels)"
        )
    return MaskSettings(
        kind=kind,
        seed=int(seed),
        p=float(p),
        cell=cell,
        sigma=float(sigma or 0.0),
        distance_mm=distance_mm,
        f_number=f_number,
        pixel_pitch_um=pixel_pitch_um,
        path=str(path) if path else None,
        dark_fraction=float(dark_fraction),
        dark_cell=int(dark_cell),
    )


def make_mask(settings: MaskSettings, height: int, width: int) -> np.ndarray:
    """The ``height×width`` float32 mask that ``settings`` describe (same seed, same mask)."""
    if height < 1 or width < 1:
        raise InvalidArgumentError(f"make_mask: size {height}×{width}; expected at least 1×1")
    rng = np.random.default_rng(settings.seed)
    if settings.kind == "uniform":
        return rng.random((height, width), dtype=np.float32)
    if settings.kind == "binary":
        return _pattern(settings, rng, height, width)
    if settings.kind == "lowfreq":
        pad = blur_radius(settings.sigma)
        pattern = _pattern(settings, rng, height + 2 * pad, width + 2 * pad)
        blurred = gaussian_blur(torch.from_numpy(pattern), settings.sigma)
        return np.clip(blurred.numpy()[pad : pad + height, pad : pad + width], 0.0, 1.0)
    if settings.kind == "file":
        return load_mask(settings.path or "", height, width)
    raise InvalidArgumentError(f"make_mask: kind={settings.kind!r}; expected one of {MASK_KINDS}")


def _pattern(
    settings: MaskSettings, rng: np.random.Generator, height: int, width: int
) -> np.ndarray:
    """The unblurred pattern of a binary / lowfreq mask, dark regions closed."""
    pattern = binary_pattern(rng, height, width, p=settings.p, cell=settings.cell)
    if settings.dark_fraction > 0:
        open_regions = binary_pattern(
            rng, height, width, p=1.0 - settings.dark_fraction, cell=settings.dark_cell
        )
        pattern *= open_regions
    return pattern


def binary_pattern(
    rng: np.random.Generator, height: int, width: int, *, p: float = 0.5, cell: int = 1
) -> np.ndarray:
    """A Bernoulli(p) pattern of 0/1 cells of ``cell``×``cell`` pixels, ``H×W`` float32."""
    cells = rng.random(((height + cell - 1) // cell, (width + cell - 1) // cell)) < p
    pattern = np.repeat(np.repeat(cells, cell, axis=0), cell, axis=1)
    return np.ascontiguousarray(pattern[:height, :width], dtype=np.float32)


def blur_radius(sigma: float) -> int:
    """Half-width in pixels of the Gaussian kernel used for ``sigma`` (4σ, rounded up)."""
    return int(math.ceil(4.0 * sigma))


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``(..., H, W)`` with σ in pixels; edges are reflected.

    The kernel is sampled over ±4σ and normalised to sum 1; σ = 0 returns the input unchanged.
    """
    if sigma <= 0:
        return image
    radius = blur_radius(sigma)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = (kernel / kernel.sum()).to(dtype=image.dtype, device=image.device)
    shape = image.shape
    flat = image.reshape(-1, 1, shape[-2], shape[-1])
    mode = "reflect" if min(shape[-2:]) > radius else "replicate"
    flat = F.pad(flat, (radius, radius, radius, radius), mode=mode)
    flat = F.conv2d(flat, kernel.view(1, 1, 1, -1))
    flat = F.conv2d(flat, kernel.view(1, 1, -1, 1))
    return flat.reshape(shape)


def load_mask(path: str | Path, height: int | None = None, width: int | None = None) -> np.ndarray:
    """Read a mask file as ``H×W`` float32 and check it: one channel, finite, in [0, 1], size.

    Raises:
        UnreadableFileError: the file cannot be read.
        InvalidArgumentError: RGB data, NaN/Inf, values outside [0, 1] or the wrong size.
    """
    mask = read_image(path)
    if mask.ndim == 3 and mask.shape[-1] == 1:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise InvalidArgumentError(
            f"mask file {path}: has shape {mask.shape}; expected one channel (H×W)"
        )
    return check_mask(mask, f"mask file {path}", height, width)


def check_mask(
    mask: np.ndarray, where: str, height: int | None = None, width: int | None = None
) -> np.ndarray:
    """Return ``mask`` as float32 ``H×W`` (or ``T×H×W``) after checking values and size."""
    array = np.asarray(mask)
    if array.ndim not in (2, 3) or not np.issubdtype(array.dtype, np.number):
        raise InvalidArgumentError(
            f"{where}: mask has shape {array.shape} ({array.dtype}); expected one channel, "
            "H×W (or T×H×W) transmittance"
        )
    array = np.asarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise InvalidArgumentError(f"{where}: mask has NaN/Inf values; expected [0, 1]")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise InvalidArgumentError(
            f"{where}: mask values span [{low:.4g}, {high:.4g}]; expected transmittance in [0, 1]"
        )
    if height is not None and width is not None and array.shape[-2:] != (height, width):
        raise InvalidArgumentError(
            f"{where}: mask is {array.shape[-2]}×{array.shape[-1]} (H×W); "
            f"expected {height}×{width} to match the frames"
        )
    return array


def mask_digest(mask: np.ndarray) -> str:
    """SHA-256 of a mask's float32 bytes and shape (identifies a mask in a capture record)."""
    array = np.ascontiguousarray(mask, dtype=np.float32)
    return hashlib.sha256(repr(array.shape).encode() + array.tobytes()).hexdigest()


def settings_to_dict(settings: MaskSettings) -> dict[str, object]:
    """JSON-ready dict of ``settings``."""
    return dataclasses.asdict(settings)


def settings_from_dict(data: dict[str, object]) -> MaskSettings:
    """Inverse of :func:`settings_to_dict`; unknown keys are refused."""
    names = {f.name for f in dataclasses.fields(MaskSettings)}
    unknown = set(data) - names
    if unknown:
        raise InvalidArgumentError(f"mask settings: unknown keys {sorted(unknown)}")
    return MaskSettings(**data)  # type: ignore[arg-type]
