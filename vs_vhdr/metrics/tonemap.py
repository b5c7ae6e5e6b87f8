"""Preview tonemapping: Reinhard's global operator, sRGB encoding, 8-bit PNG contact sheets.

Reinhard, Stark, Shirley & Ferwerda, "Photographic tone reproduction for digital images",
SIGGRAPH 2002, Eqs. 1–4, on Rec. 709 luminance ``Lw`` of linear RGB:

    L̄w = exp(mean(ln(δ + Lw)))          log-average ("key") of the reference image
    L  = a / L̄w · Lw                     a = 0.18 (middle grey)
    Ld = L (1 + L / Lwhite²) / (1 + L)   Lwhite = ∞ by default, i.e. Ld = L / (1 + L)

RGB is scaled by ``Ld / Lw`` and encoded with the sRGB transfer function (IEC 61966-2-1). For a
fair side-by-side, every image of a sheet uses the log-average of the reference image. Previews
only: never use these 8-bit values for metrics.
"""

import os
from collections.abc import Sequence

import cv2
import numpy as np

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.io.atomic import atomic_path
from vs_vhdr.metrics.colour import REC709_LUMA

REINHARD_KEY = 0.18
"""Key value ``a``: where the log-average luminance lands (middle grey)."""
LOG_AVERAGE_DELTA = 1e-6
"""``δ`` of the log-average, avoiding ln 0 on black pixels (exposure-normalised units)."""


def log_average_luminance(hdr: np.ndarray) -> float:
    """``exp(mean(ln(δ + Lw)))`` of linear RGB ``(..., 3)``, in the input's units."""
    lum = np.clip(np.asarray(hdr, dtype=np.float64), 0, None) @ np.asarray(REC709_LUMA)
    return float(np.exp(np.mean(np.log(LOG_AVERAGE_DELTA + lum))))


def reinhard(
    hdr: np.ndarray,
    *,
    key: float = REINHARD_KEY,
    log_average: float | None = None,
    white: float | None = None,
) -> np.ndarray:
    """Display-linear RGB in [0, 1] from linear HDR ``(..., 3)`` (Reinhard et al. 2002).

    Args:
        key: ``a``; larger is brighter.
        log_average: ``L̄w`` to use (e.g. the reference image's); None computes it from ``hdr``.
        white: ``Lwhite``, the smallest scaled luminance shown as white; None for ``∞``.
    """
    rgb = np.clip(np.asarray(hdr, dtype=np.float64), 0, None)
    if rgb.shape[-1:] != (3,):
        raise InvalidArgumentError(f"reinhard: hdr has shape {rgb.shape}; expected (..., 3) RGB")
    average = log_average_luminance(rgb) if log_average is None else log_average
    lum = rgb @ np.asarray(REC709_LUMA)
    scaled = key / max(average, LOG_AVERAGE_DELTA) * lum
    compressed = scaled / (1 + scaled)
    if white is not None:
        compressed *= 1 + scaled / white**2
    ratio = np.divide(compressed, lum, out=np.zeros_like(lum), where=lum > 0)
    return np.clip(rgb * ratio[..., None], 0, 1)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """sRGB transfer function (IEC 61966-2-1): display-linear [0, 1] → encoded [0, 1]."""
    c = np.clip(linear, 0, 1)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def to_srgb8(
    hdr: np.ndarray, *, key: float = REINHARD_KEY, log_average: float | None = None
) -> np.ndarray:
    """Tonemapped, sRGB-encoded ``uint8`` RGB of linear HDR ``H×W×3``."""
    encoded = srgb_encode(reinhard(hdr, key=key, log_average=log_average))
    return np.round(encoded * 255).astype(np.uint8)


def contact_sheet(
    images: Sequence[np.ndarray],
    *,
    labels: Sequence[str] | None = None,
    columns: int | None = None,
    key: float = REINHARD_KEY,
    reference: int = 0,
) -> np.ndarray:
    """Tile equally sized linear HDR images ``H×W×3`` into one ``uint8`` RGB sheet.

    Every tile uses the log-average luminance of ``images[reference]``; ``labels`` are drawn in
    the top-left corner of their tiles; ``columns`` defaults to one row.
    """
    if not images:
        raise InvalidArgumentError("contact_sheet: images is empty; expected at least one image")
    shape = np.shape(images[0])
    if any(np.shape(image) != shape for image in images) or len(shape) != 3 or shape[2] != 3:
        raise InvalidArgumentError(
            f"contact_sheet: images have shapes {[np.shape(i) for i in images]}; "
            "expected equal H×W×3 shapes"
        )
    if labels is not None and len(labels) != len(images):
        raise InvalidArgumentError(
            f"contact_sheet: {len(labels)} labels for {len(images)} images; expected one each"
        )
    columns = len(images) if columns is None else max(1, min(columns, len(images)))
    rows = -(-len(images) // columns)
    height, width = shape[0], shape[1]
    sheet = np.zeros((rows * height, columns * width, 3), dtype=np.uint8)
    average = log_average_luminance(images[reference])
    for index, image in enumerate(images):
        tile = np.ascontiguousarray(to_srgb8(image, key=key, log_average=average))
        if labels is not None:
            _draw_label(tile, labels[index])
        r, c = divmod(index, columns)
        sheet[r * height : (r + 1) * height, c * width : (c + 1) * width] = tile
    return sheet


def write_contact_sheet(
    path: str | os.PathLike[str],
    images: Sequence[np.ndarray],
    *,
    labels: Sequence[str] | None = None,
    columns: int | None = None,
    key: float = REINHARD_KEY,
    force: bool = False,
) -> None:
    """Write :func:`contact_sheet` as an 8-bit PNG, atomically (``force`` replaces a file)."""
    sheet = contact_sheet(images, labels=labels, columns=columns, key=key)
    with atomic_path(path, force=force) as tmp:
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(sheet[..., ::-1])):
            raise UnreadableFileError(f"write_contact_sheet: OpenCV could not write {path}")


def _draw_label(tile: np.ndarray, text: str) -> None:
    """White text on a dark outline, scaled to the tile, drawn in place."""
    scale = max(0.3, tile.shape[0] / 400)
    origin = (4, int(4 + 22 * scale))
    thickness = max(1, round(scale))
    cv2.putText(tile, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 2)
    cv2.putText(tile, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness)
