"""A small DNG writer over ``tifffile``: one uncompressed 16-bit Bayer frame a file.

The file is a plain DNG 1.4 (backward version 1.1) with the raw CFA image in IFD0: CFA pattern
and plane colours, per-position black levels (``BlackLevelRepeatDim`` 2×2), white level, camera
identity (``Make``, ``Model``, ``UniqueCameraModel``, ``CameraSerialNumber``), ISO and exposure
time (TIFF/EP tags in IFD0), the CinemaDNG ``FrameRate`` for sequences, and the camera's colour
(DNG chapter 6 tags from a :class:`~vs_vhdr.colour.camera.DngColour`). By default that declares
the camera RGB to be linear Rec. 709 under D65 (``ColorMatrix1`` = XYZ → sRGB, neutral white,
:data:`REC709_CAMERA`), so raw developers open the frames with plausible colours. LibRaw (rawpy)
reads the files back (see :mod:`vs_vhdr.io.raw`); LibRaw refuses images under 22×22 pixels.
"""

import os
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import tifffile

from vs_vhdr import __version__
from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import check_cfa
from vs_vhdr.io.atomic import atomic_path
from vs_vhdr.io.raw import RawMetadata

MIN_SIZE = 22
"""Smallest height and width (pixels) that LibRaw, and so most raw developers, decode."""

XYZ_TO_REC709 = (
    (3.2404542, -1.5371385, -0.4985314),
    (-0.9692660, 1.8760108, 0.0415560),
    (0.0556434, -0.2040259, 1.0572252),
)
"""XYZ (D65) → linear Rec. 709 RGB: the ``ColorMatrix1`` written (camera RGB = Rec. 709)."""

REC709_CAMERA = DngColour(
    color_matrix_1=tuple(v for row in XYZ_TO_REC709 for v in row),
    illuminant_1=21,
    as_shot_neutral=(1.0, 1.0, 1.0),
    source="linear Rec. 709 camera",
)
"""The default colour written: camera RGB is linear Rec. 709 / D65, shot under D65."""

_COLOUR_TAGS = (
    ("color_matrix_1", 50721, 9),
    ("color_matrix_2", 50722, 9),
    ("camera_calibration_1", 50723, 9),
    ("camera_calibration_2", 50724, 9),
    ("analog_balance", 50727, 3),
    ("as_shot_neutral", 50728, 3),
    ("as_shot_white_xy", 50729, 2),
    ("forward_matrix_1", 50964, 9),
    ("forward_matrix_2", 50965, 9),
)
"""DNG colour tags written from a :class:`DngColour`: field, tag code, count."""
_SIGNED = {
    "color_matrix_1",
    "color_matrix_2",
    "camera_calibration_1",
    "camera_calibration_2",
    "forward_matrix_1",
    "forward_matrix_2",
}

_CFA_PHOTOMETRIC = 32803
_BYTE, _ASCII, _SHORT, _LONG, _RATIONAL, _SRATIONAL = 1, 2, 3, 4, 5, 10
_D65 = 21  # EXIF LightSource code of CalibrationIlluminant1
_PLANE = {"R": 0, "G": 1, "B": 2}
_DENOMINATOR = 10000


def write_dng(
    path: str | os.PathLike[str],
    mosaic: np.ndarray,
    *,
    cfa: str = "RGGB",
    bits: int = 12,
    black_level: int | Sequence[int] = 0,
    white_level: int | None = None,
    metadata: RawMetadata | None = None,
    colour: DngColour | None = None,
    force: bool = False,
) -> None:
    """Write one Bayer mosaic as a DNG file, atomically.

    Args:
        path: target file (``.dng``); its folder must exist.
        mosaic: ``H×W``; float data are normalised raw in [0, 1] (CONTRACT §1), stored as
            ``black + round(value · (white − black))`` DN per 2×2 position; integer data are DN,
            stored unchanged. H and W at least 22.
        cfa: Bayer pattern of the top-left 2×2.
        bits: ADC bit depth (8–16); sets the default white level.
        black_level: black in DN, one value or four for the positions (0,0), (0,1), (1,0), (1,1).
        white_level: saturation in DN; default ``max(black) + 2**bits − 1`` for float data (so a
            frame quantised to ``bits`` is stored exactly) and ``2**bits − 1`` for integer data.
        metadata: camera identity, ISO, exposure time and frame rate to record; the default
            names the camera ``vhdr`` / ``simulated coded camera``.
        colour: the camera's colour tags (``ColorMatrix1`` required); default
            :data:`REC709_CAMERA`.
        force: replace an existing file (otherwise ``OutputExistsError``).

    Raises:
        InvalidArgumentError: wrong shape or size, values or levels outside what 16 bits hold.
    """
    pattern = check_cfa(cfa, "write_dng")
    if not (isinstance(bits, int) and 8 <= bits <= 16):
        raise InvalidArgumentError(f"write_dng: bits={bits!r}; expected an integer 8..16")
    array = np.asarray(mosaic)
    if array.ndim != 2 or min(array.shape) < MIN_SIZE:
        raise InvalidArgumentError(
            f"write_dng: mosaic has shape {array.shape}; expected H×W with H, W >= {MIN_SIZE}"
        )
    black = _black_levels(black_level)
    if white_level is None:
        white_level = (max(black) if array.dtype.kind == "f" else 0) + 2**bits - 1
    if not (isinstance(white_level, int | np.integer) and max(black) < white_level <= 65535):
        raise InvalidArgumentError(
            f"write_dng: white_level={white_level!r} with black levels {black}; expected an "
            "integer above every black level and at most 65535"
        )
    data = _to_dn(array, black, int(white_level))
    if colour is not None and not colour.has_matrices:
        raise InvalidArgumentError(
            "write_dng: colour has no color_matrix_1; expected a DngColour with the camera's "
            "ColorMatrix1 (or None for the Rec. 709 default)"
        )
    tags = _tags(pattern, black, int(white_level), metadata or RawMetadata())
    tags += _colour_tags(colour or REC709_CAMERA)
    with atomic_path(path, force=force) as tmp:
        tifffile.imwrite(
            tmp,
            data,
            photometric=_CFA_PHOTOMETRIC,
            extratags=tags,
            metadata=None,
            software=f"vhdr {__version__}",
        )


def _black_levels(value: int | Sequence[int]) -> tuple[int, int, int, int]:
    values = np.ravel(np.asarray(value))
    if values.size == 1:
        values = np.repeat(values, 4)
    ok = (
        values.size == 4
        and values.dtype.kind in "iu"
        and bool(np.all((values >= 0) & (values < 65535)))
    )
    if not ok:
        raise InvalidArgumentError(
            f"write_dng: black_level={value!r}; expected one integer or four (one per 2×2 "
            "position) in 0..65534"
        )
    a, b, c, d = (int(v) for v in values)
    return a, b, c, d


def _to_dn(array: np.ndarray, black: tuple[int, ...], white: int) -> np.ndarray:
    """``H×W`` uint16 DN: float data scaled per 2×2 position, integer data checked and kept."""
    if array.dtype.kind in "iu":
        if array.size and (array.min() < 0 or array.max() > 65535):
            raise InvalidArgumentError(
                f"write_dng: integer mosaic spans {array.min()}..{array.max()}; expected DN in "
                "0..65535"
            )
        return array.astype(np.uint16)
    if array.dtype.kind != "f" or not np.all(np.isfinite(array)):
        raise InvalidArgumentError(
            f"write_dng: mosaic of dtype {array.dtype} (or with nan/inf); expected finite "
            "normalised floats in [0, 1] or integer DN"
        )
    if array.min() < 0 or array.max() > 1:
        raise InvalidArgumentError(
            f"write_dng: mosaic spans {array.min():g}..{array.max():g}; expected normalised raw "
            "in [0, 1] (CONTRACT §1)"
        )
    out = np.empty(array.shape, dtype=np.uint16)
    values = array.astype(np.float64)
    for index, level in enumerate(black):
        rows, cols = slice(index // 2, None, 2), slice(index % 2, None, 2)
        out[rows, cols] = np.round(level + values[rows, cols] * (white - level))
    return out


def _tags(cfa: str, black: tuple[int, ...], white: int, meta: RawMetadata) -> list[Any]:
    """``tifffile`` extratags of IFD0: (code, type, count, value, writeonce)."""
    make = meta.make or "vhdr"
    model = meta.model or "simulated coded camera"
    tags: list[Any] = [
        (254, _LONG, 1, 0, True),  # NewSubFileType: the full-resolution image
        (271, _ASCII, None, _ascii(make), True),
        (272, _ASCII, None, _ascii(model), True),
        (274, _SHORT, 1, 1, True),  # Orientation: top-left
        (33421, _SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, _BYTE, 4, bytes(_PLANE[c] for c in cfa), True),  # CFAPattern
        (50706, _BYTE, 4, bytes((1, 4, 0, 0)), True),  # DNGVersion
        (50707, _BYTE, 4, bytes((1, 1, 0, 0)), True),  # DNGBackwardVersion
        (50708, _ASCII, None, _ascii(f"{make} {model}"), True),  # UniqueCameraModel
        (50710, _BYTE, 3, bytes((0, 1, 2)), True),  # CFAPlaneColor: R, G, B
        (50711, _SHORT, 1, 1, True),  # CFALayout: rectangular
        (50713, _SHORT, 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, _LONG, 4, black, True),  # BlackLevel, row by row
        (50717, _LONG, 1, white, True),  # WhiteLevel
    ]
    if meta.serial:
        tags.append((50735, _ASCII, None, _ascii(meta.serial), True))  # CameraSerialNumber
    if meta.exposure_time:
        exposure = Fraction(meta.exposure_time).limit_denominator(1_000_000)
        tags.append((33434, _RATIONAL, 1, [(exposure.numerator, exposure.denominator)], True))
    if meta.iso:
        tags.append((34855, _SHORT, 1, min(int(round(meta.iso)), 65535), True))  # ISOSpeedRatings
    if meta.frame_rate:
        rate = Fraction(meta.frame_rate).limit_denominator(100_000)
        tags.append((51044, _SRATIONAL, 1, [(rate.numerator, rate.denominator)], True))
    return tags


def _colour_tags(colour: DngColour) -> list[Any]:
    """The DNG colour tags of ``colour`` (chapter 6), as ``tifffile`` extratags."""
    tags: list[Any] = []
    for name, code, count in _COLOUR_TAGS:
        values = getattr(colour, name)
        if values is not None:
            kind = _SRATIONAL if name in _SIGNED else _RATIONAL
            tags.append((code, kind, count, [_rational(v) for v in values], True))
    tags.append((50778, _SHORT, 1, colour.illuminant_1 or _D65, True))  # CalibrationIlluminant1
    if colour.color_matrix_2 is not None and colour.illuminant_2:
        tags.append((50779, _SHORT, 1, colour.illuminant_2, True))  # CalibrationIlluminant2
    return tags


def _rational(value: float) -> tuple[int, int]:
    return int(round(value * _DENOMINATOR)), _DENOMINATOR  # 1e-4: what DNG tools write


def _ascii(text: str) -> str:
    try:
        text.encode("ascii")
    except UnicodeEncodeError as error:
        raise InvalidArgumentError(
            f"write_dng: camera text {text!r} is not 7-bit ASCII; expected ASCII (a TIFF rule)"
        ) from error
    return text
