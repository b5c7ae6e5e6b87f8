"""The colour stage after reconstruction: camera RGB → a working space, with safe highlights.

Linear throughout, so it commutes with the exposure normalisation: ``out = M · highlights(c / n)``
where ``c`` is reconstructed camera RGB (after the mask division, before any clipping), ``n`` the
camera's neutral (largest channel 1, so every white-balance gain is ≥ 1) and
``M = XYZ→space · Bradford(D50 → space white) · CameraToXYZ_D50 · diag(n)``. A neutral comes out
with ``R = G = B``.

Highlights: where every raw sample of a channel near a pixel is clipped, the reconstruction only
knows a lower bound for that channel, and the white-balance gains would stretch the bounds of the
channels apart (a clipped white turns magenta when green, the channel with the smallest gain,
clips first). As dcraw's "clip" highlight mode, a pixel with clipped channels has every
white-balanced channel limited to the smallest white-balanced value among its clipped channels:
a clipped white stays white, and no channel is raised above what the data show.
"""

from dataclasses import dataclass

import numpy as np

from vs_vhdr.colour.adaptation import bradford
from vs_vhdr.colour.camera import CameraColour
from vs_vhdr.colour.spaces import CAMERA, COLORSPACES, D50_XY, check_colorspace
from vs_vhdr.errors import InvalidArgumentError

CLIP_LEVEL = 0.99
"""Normalised raw value from which a sample counts as clipped (sensors saturate a little early)."""
CLIP_RADIUS = 2
"""A channel is clipped at a pixel when all its samples within this many pixels are clipped."""


@dataclass(frozen=True)
class ColourTransform:
    """Camera RGB → one output space.

    Attributes:
        colorspace: the output space's name (``acescg``, ``aces2065-1``, ``rec709``, ``camera``).
        neutral: the camera neutral (``(3,)``, largest 1); ones for ``camera``.
        matrix: ``3×3`` float64 from white-balanced camera RGB to the output space.
        note: where the conversion comes from, in words (logs, ``vhdr_ColourSource``).
    """

    colorspace: str
    neutral: np.ndarray
    matrix: np.ndarray
    note: str

    @classmethod
    def identity(cls, note: str = "camera RGB, unchanged") -> "ColourTransform":
        """The ``camera`` space: no change."""
        return cls(CAMERA, np.ones(3), np.eye(3), note)

    @classmethod
    def build(cls, camera: CameraColour, colorspace: str) -> "ColourTransform":
        """The transform from ``camera``'s RGB to ``colorspace`` (``camera``: identity)."""
        name = check_colorspace(colorspace, "ColourTransform", allow_auto=False)
        if name == CAMERA:
            return cls.identity(f"camera RGB, unchanged ({camera.describe()} not applied)")
        space = COLORSPACES[name]
        to_space = space.from_xyz @ bradford(D50_XY, space.white) @ camera.camera_to_xyz
        return cls(
            name,
            np.asarray(camera.neutral, dtype=np.float64),
            to_space @ np.diag(camera.neutral),
            f"{camera.describe()} -> {space.description}",
        )

    @property
    def is_identity(self) -> bool:
        """True for ``camera``: frames pass through untouched."""
        return self.colorspace == CAMERA

    def apply(self, rgb: np.ndarray, clipped: np.ndarray | None = None) -> np.ndarray:
        """Convert ``H×W×3`` camera RGB (float32) into the output space (float32, new array).

        Args:
            rgb: reconstructed linear camera RGB, any range (values above 1 are HDR).
            clipped: ``H×W×3`` bool, True where a channel is known only as a lower bound
                (:func:`clipped_channels`); None skips the highlight rule.
        """
        if self.is_identity:
            return np.array(rgb, dtype=np.float32, copy=True)
        image = np.asarray(rgb, dtype=np.float32)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise InvalidArgumentError(
                f"ColourTransform.apply: rgb has shape {image.shape}; expected H×W×3"
            )
        balanced = image / self.neutral.astype(np.float32)
        if clipped is not None and clipped.any():
            if clipped.shape != image.shape:
                raise InvalidArgumentError(
                    f"ColourTransform.apply: clipped has shape {clipped.shape}; expected "
                    f"{image.shape}"
                )
            limit = np.where(clipped, balanced, np.inf).min(axis=-1, keepdims=True)
            balanced = np.minimum(balanced, limit)
        return (balanced @ self.matrix.T.astype(np.float32)).astype(np.float32)


def clipped_channels(
    raw: np.ndarray, cfa: str, *, level: float = CLIP_LEVEL, radius: int = CLIP_RADIUS
) -> np.ndarray:
    """``H×W×3`` bool: True where every sample of that channel within ``radius`` is clipped.

    Args:
        raw: the normalised ``H×W`` Bayer mosaic (CONTRACT §1) the pixel was reconstructed from.
        cfa: its Bayer pattern, e.g. ``RGGB``.
        level: normalised value from which a sample counts as clipped.
        radius: half-size of the square neighbourhood, in pixels.
    """
    mosaic = np.asarray(raw)
    height, width = mosaic.shape
    letters = np.array(list(cfa.upper())).reshape(2, 2)
    sites = np.tile(letters, (height // 2 + 1, width // 2 + 1))[:height, :width]
    unclipped = mosaic < level
    out = np.zeros((height, width, 3), dtype=bool)
    for channel, letter in enumerate("RGB"):
        present = sites == letter
        count = _box_sum(present, radius)
        good = _box_sum(present & unclipped, radius)
        out[..., channel] = (count > 0) & (good == 0)
    return out


def _box_sum(mask: np.ndarray, radius: int) -> np.ndarray:
    """Number of True entries of ``mask`` in the ``(2r+1)²`` square around each pixel (edges cut)."""
    padded = np.pad(mask.astype(np.int32), radius)
    table = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    size = 2 * radius + 1
    h, w = mask.shape
    return (
        table[size : size + h, size : size + w]
        - table[:h, size : size + w]
        - table[size : size + h, :w]
        + table[:h, :w]
    )
