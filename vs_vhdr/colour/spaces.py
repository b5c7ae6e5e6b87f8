"""Working colour spaces of the output: primaries, white points and their RGB ↔ XYZ matrices.

Every space is scene-linear (no transfer function). The matrices are derived from the published
primaries and white chromaticities with the normalised primary matrix of SMPTE RP 177-1993
(:func:`rgb_to_xyz_matrix`), so a space's white (``R = G = B = 1``) has luminance ``Y = 1``.

Sources: ACES AP0 / AP1 primaries and the ACES white from SMPTE ST 2065-1:2012 and Academy
S-2014-004 (ACEScg); Rec. 709 primaries and D65 from ITU-R BT.709-6; D50 (the DNG profile
connection space white) from the DNG specification 1.4, chapter 6.
"""

from dataclasses import dataclass

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

XY = tuple[float, float]

D50_XY: XY = (0.3457, 0.3585)
"""CIE xy of D50, the white of the DNG profile connection space (DNG 1.4, chapter 6)."""
D65_XY: XY = (0.3127, 0.3290)
"""CIE xy of D65 (ITU-R BT.709-6)."""
ACES_WHITE_XY: XY = (0.32168, 0.33767)
"""CIE xy of the ACES white, about D60 (SMPTE ST 2065-1)."""

CAMERA = "camera"
"""The colour space name meaning "camera RGB, unchanged"."""


@dataclass(frozen=True)
class Colorspace:
    """A scene-linear RGB working space.

    Attributes:
        name: the name used by every host (``acescg``, ``aces2065-1``, ``rec709``).
        primaries: CIE xy of the R, G and B primaries.
        white: CIE xy of the white point.
        h273: ITU-T H.273 ``ColourPrimaries`` code (VapourSynth ``_Primaries``); 2 (unspecified)
            where H.273 has none, as for the ACES spaces.
        description: the space in words.
    """

    name: str
    primaries: tuple[XY, XY, XY]
    white: XY
    h273: int
    description: str

    @property
    def chromaticities(self) -> tuple[float, ...]:
        """The 8 floats of OpenEXR's ``chromaticities`` attribute: xy of R, G, B, white."""
        (rx, ry), (gx, gy), (bx, by) = self.primaries
        return (rx, ry, gx, gy, bx, by, *self.white)

    @property
    def to_xyz(self) -> np.ndarray:
        """``3×3`` float64: linear RGB of this space → CIE XYZ (white → ``Y = 1``)."""
        return rgb_to_xyz_matrix(self.primaries, self.white)

    @property
    def from_xyz(self) -> np.ndarray:
        """``3×3`` float64: CIE XYZ → linear RGB of this space."""
        return np.linalg.inv(self.to_xyz)


COLORSPACES: dict[str, Colorspace] = {
    "acescg": Colorspace(
        "acescg",
        ((0.713, 0.293), (0.165, 0.830), (0.128, 0.044)),
        ACES_WHITE_XY,
        2,
        "ACEScg: ACES AP1 primaries, ACES white, linear (Academy S-2014-004)",
    ),
    "aces2065-1": Colorspace(
        "aces2065-1",
        ((0.7347, 0.2653), (0.0, 1.0), (0.0001, -0.0770)),
        ACES_WHITE_XY,
        2,
        "ACES2065-1: ACES AP0 primaries, ACES white, linear (SMPTE ST 2065-1)",
    ),
    "rec709": Colorspace(
        "rec709",
        ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)),
        D65_XY,
        1,
        "linear Rec. 709 / sRGB primaries, D65 (ITU-R BT.709-6)",
    ),
}
"""The output spaces besides ``camera``, by name."""

CHOICES = (*COLORSPACES, CAMERA)
"""Every value a ``colorspace`` option takes (``auto`` aside)."""

H273_CHROMATICITIES: dict[int, tuple[float, ...]] = {
    1: COLORSPACES["rec709"].chromaticities,
    9: (0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290),  # BT.2020
    12: (0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290),  # P3-D65
}
"""EXR chromaticities of ITU-T H.273 primaries codes a camera calibration may declare."""


def check_colorspace(value: object, where: str, *, allow_auto: bool = True) -> str:
    """``value`` as a colour space name (lower case): one of :data:`CHOICES` or ``auto``.

    Raises:
        InvalidArgumentError: anything else, naming ``where`` and the choices.
    """
    choices = (*CHOICES, "auto") if allow_auto else CHOICES
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in choices:
        raise InvalidArgumentError(
            f"{where}: colorspace={value!r}; expected one of {', '.join(choices)}"
        )
    return text


def chromaticities(name: str, camera_primaries: int = 2) -> tuple[float, ...] | None:
    """EXR ``chromaticities`` of an output space; for ``camera`` those of ``camera_primaries``.

    Returns None where the space is ``camera`` and its primaries are unknown (H.273 code 2 or
    one without an entry in :data:`H273_CHROMATICITIES`): no attribute is better than a wrong one.
    """
    if name in COLORSPACES:
        return COLORSPACES[name].chromaticities
    return H273_CHROMATICITIES.get(camera_primaries)


def h273_primaries(name: str, camera_primaries: int = 2) -> int:
    """VapourSynth ``_Primaries`` of an output space (``camera``: the calibration's code)."""
    return COLORSPACES[name].h273 if name in COLORSPACES else camera_primaries


def xy_to_xyz(xy: XY, luminance: float = 1.0) -> np.ndarray:
    """CIE XYZ ``(3,)`` of chromaticity ``xy`` at luminance ``Y``."""
    x, y = float(xy[0]), float(xy[1])
    if y <= 0:
        raise InvalidArgumentError(f"xy_to_xyz: xy={xy}; expected y > 0")
    return np.array([x / y, 1.0, (1.0 - x - y) / y]) * luminance


def xyz_to_xy(xyz: np.ndarray) -> XY:
    """CIE xy of a tristimulus ``(3,)`` with a positive sum."""
    total = float(np.sum(xyz))
    if not total > 0:
        raise InvalidArgumentError(f"xyz_to_xy: XYZ={list(xyz)}; expected a positive sum")
    return float(xyz[0]) / total, float(xyz[1]) / total


def rgb_to_xyz_matrix(primaries: tuple[XY, XY, XY], white: XY) -> np.ndarray:
    """The normalised primary matrix (SMPTE RP 177): linear RGB → XYZ, ``3×3`` float64.

    Columns are the primaries' ``(x, y, 1 − x − y)``, scaled so that ``RGB = (1, 1, 1)`` gives the
    white's XYZ with ``Y = 1`` (so a primary with ``y ≤ 0``, as AP0's blue, is fine).
    """
    columns = np.array([[x, y, 1.0 - x - y] for x, y in primaries]).T
    scale = np.linalg.solve(columns, xy_to_xyz(white))
    return columns * scale[None, :]
