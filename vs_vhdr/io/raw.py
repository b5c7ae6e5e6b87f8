"""Camera raw files in: DNG / CinemaDNG and the camera raw formats LibRaw decodes.

:func:`read_raw` returns the Bayer mosaic of a file's visible sensor area as the contract's
normalised float (CONTRACT §1): ``H×W`` float32, at each 2×2 CFA position
``(raw − black) / (white − black)`` with that position's black level, clipped to [0, 1]. Pixels,
CFA pattern and levels come from LibRaw (through ``rawpy``). For TIFF-based files (DNG,
CinemaDNG and camera raws such as CR2, NEF, ARW) ``tifffile`` reads the tags LibRaw does not hand
out: make, model, serial number, ISO, exposure time and the CinemaDNG frame rate. A DNG is checked
before decoding: its raw image must be a CFA (not a linear, demosaiced DNG) with a 2×2 Bayer
layout (X-Trans and quad Bayer sensors are refused).
"""

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import rawpy
import tifffile

from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError, VhdrError
from vs_vhdr.imaging.cfa import CFA_PATTERNS

RAW_EXTENSIONS = frozenset(
    {
        ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2",
        ".raf", ".pef", ".srw", ".3fr", ".fff", ".iiq", ".erf", ".mef", ".mos", ".kdc", ".dcr",
        ".rwl", ".mrw",
    }
)  # fmt: skip
"""File extensions treated as camera raw (case-insensitive)."""

_CFA_PHOTOMETRIC, _LINEAR_RAW_PHOTOMETRIC = 32803, 34892
_TAG = {
    "new_subfile_type": 254,
    "photometric": 262,
    "make": 271,
    "model": 272,
    "cfa_dims": 33421,
    "cfa_pattern": 33422,
    "exposure_time": 33434,
    "exif": 34665,
    "iso": 34855,
    "dng_version": 50706,
    "cfa_plane_color": 50710,
    "serial": 50735,
    "frame_rate": 51044,
}
_COLOUR_TAGS = {
    "color_matrix_1": 50721,
    "color_matrix_2": 50722,
    "camera_calibration_1": 50723,
    "camera_calibration_2": 50724,
    "analog_balance": 50727,
    "as_shot_neutral": 50728,
    "as_shot_white_xy": 50729,
    "illuminant_1": 50778,
    "illuminant_2": 50779,
    "forward_matrix_1": 50964,
    "forward_matrix_2": 50965,
}
"""DNG 1.4 colour tags (chapter 6) by :class:`DngColour` field."""
_COLOR_PLANES = 50710
_PLANE_LETTERS = {0: "R", 1: "G", 2: "B", 3: "C", 4: "M", 5: "Y", 6: "W"}
_EXPECTED_CFA = f"a 2×2 Bayer pattern ({', '.join(CFA_PATTERNS)})"


@dataclass(frozen=True)
class RawMetadata:
    """What a raw file says about its camera and exposure; None where the file does not say.

    Attributes:
        make, model, serial: camera identity (DNG ``Make``/``Model``/``CameraSerialNumber``).
        iso: ISO speed.
        exposure_time: exposure time in seconds.
        frame_rate: frames per second of a CinemaDNG sequence (``FrameRate`` tag).
    """

    make: str | None = None
    model: str | None = None
    serial: str | None = None
    iso: float | None = None
    exposure_time: float | None = None
    frame_rate: Fraction | None = None

    def attributes(self) -> dict[str, Any]:
        """The known fields under OpenEXR's standard attribute names (``cameraMake``, ...).

        ``vs_vhdr.calibration.camera.CameraId.from_metadata`` reads the identity from them.
        """
        values = {
            "cameraMake": self.make,
            "cameraModel": self.model,
            "cameraSerialNumber": self.serial,
            "isoSpeed": self.iso,
            "expTime": self.exposure_time,
        }
        return {key: value for key, value in values.items() if value is not None}

    def describe(self) -> str:
        """The camera in words, e.g. ``Blackmagic Design Pocket 4K #1234``."""
        identity = " ".join(p for p in (self.make, self.model) if p) or "unknown camera"
        return f"{identity} #{self.serial}" if self.serial else identity


@dataclass(frozen=True)
class RawInfo:
    """One raw file's layout, levels and metadata.

    Attributes:
        path: the file.
        height, width: visible sensor area in pixels (the mosaic's shape).
        cfa: Bayer pattern of the mosaic's top-left 2×2 (``RGGB``, ``BGGR``, ``GRBG``, ``GBRG``).
        black_levels: black level in DN at the 2×2 positions (0,0), (0,1), (1,0), (1,1).
        white_level: saturation level in DN.
        metadata: camera identity, ISO, exposure time, frame rate.
        file_format: ``DNG`` or the file's extension without the dot, upper case.
        colour: the camera's colour (DNG colour tags; for other raws LibRaw's D65 matrix and
            the camera's white balance), or None when the file says nothing usable.
    """

    path: Path
    height: int
    width: int
    cfa: str
    black_levels: tuple[float, float, float, float]
    white_level: float
    metadata: RawMetadata
    file_format: str
    colour: DngColour | None = None


def is_raw_path(path: str | os.PathLike[str]) -> bool:
    """True when ``path``'s extension is a camera raw extension (``RAW_EXTENSIONS``)."""
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def read_raw(
    path: str | os.PathLike[str],
    *,
    black_level: float | Sequence[float] | None = None,
    white_level: float | None = None,
) -> tuple[np.ndarray, RawInfo]:
    """Decode a raw file into a normalised Bayer mosaic.

    Args:
        path: a DNG / CinemaDNG frame or a camera raw file LibRaw decodes.
        black_level: override of the file's black level in DN: one value, or four for the 2×2
            positions (0,0), (0,1), (1,0), (1,1).
        white_level: override of the file's white (saturation) level in DN.

    Returns:
        The mosaic ``H×W`` float32 in [0, 1] and the file's :class:`RawInfo` (levels as used).

    Raises:
        UnreadableFileError: missing file, not a raw file, a linear (demosaiced) raw, or a CFA
            layout other than 2×2 Bayer.
        InvalidArgumentError: overridden levels with white not above black.
    """
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"read_raw: {p} does not exist or is not a file")
    header = _tiff_metadata(p)
    try:
        with rawpy.imread(str(p)) as decoded:
            colours, cfa = _bayer_layout(p, decoded)
            mosaic = np.array(decoded.raw_image_visible, dtype=np.float32)
            per_colour = decoded.black_level_per_channel
            file_black = tuple(float(per_colour[c]) for c in colours.ravel())
            file_white = float(decoded.white_level)
            other = decoded.other
            libraw_colour = None if header.dng_layout else _libraw_colour(decoded, p)
    except VhdrError:
        raise
    except (rawpy.LibRawError, rawpy.NotSupportedError, OSError) as error:
        raise UnreadableFileError(
            f"read_raw: LibRaw cannot decode {p} ({_libraw_message(error)}); expected a DNG / "
            "CinemaDNG frame or a camera raw file"
        ) from error
    metadata = _with_libraw_exposure(header.metadata, other)
    black = _levels(black_level, file_black, p)
    white = float(white_level) if white_level is not None else file_white
    if not white > max(black):
        overridden = white_level is not None or black_level is not None
        kind = InvalidArgumentError if overridden else UnreadableFileError
        raise kind(
            f"read_raw: {p}: white level {white:g} is not above the black levels "
            f"{[round(b, 3) for b in black]}; expected white > black"
            + (" (from black_level/white_level)" if overridden else "")
        )
    _normalise(mosaic, black, white)
    info = RawInfo(
        path=p,
        height=int(mosaic.shape[0]),
        width=int(mosaic.shape[1]),
        cfa=cfa,
        black_levels=black,
        white_level=white,
        metadata=metadata,
        file_format="DNG" if header.dng_layout else p.suffix.lstrip(".").upper(),
        colour=header.colour if header.dng_layout else libraw_colour,
    )
    return mosaic, info


@dataclass(frozen=True)
class RawHeader:
    """What the tags of a raw file say without decoding it.

    Attributes:
        metadata: camera identity, ISO, exposure time, frame rate (empty for non-TIFF raws).
        dng_layout: for a DNG, ``(height, width, cfa)`` of its full raw image; else None.
        colour: a DNG's colour tags (None without ``ColorMatrix1`` or for other raws).
    """

    metadata: RawMetadata
    dng_layout: tuple[int, int, str] | None
    colour: DngColour | None = None


def read_raw_header(path: str | os.PathLike[str]) -> RawHeader:
    """Read a raw file's tags (cheap: no decoding); a DNG's raw image is checked here.

    Raises:
        UnreadableFileError: a DNG that is linear, not CFA or not 2×2 Bayer.
    """
    return _tiff_metadata(Path(path))


def _tiff_metadata(path: Path) -> RawHeader:
    try:
        with tifffile.TiffFile(path) as tif:
            first = tif.pages.first
            tags = {tag.code: tag.value for tag in first.tags}
            exif = tags.get(_TAG["exif"])
            exif = exif if isinstance(exif, Mapping) else {}
            layout = _check_dng_raw(path, first) if _TAG["dng_version"] in tags else None
            colour = _dng_colour(tags, path) if layout is not None else None
    except VhdrError:
        raise
    except (tifffile.TiffFileError, ValueError, OSError, IndexError):
        return RawHeader(RawMetadata(), None)  # not TIFF-based: LibRaw alone decides
    iso = _number(tags.get(_TAG["iso"]))
    if iso is None:
        iso = _number(exif.get("ISOSpeedRatings", exif.get("PhotographicSensitivity")))
    exposure = _number(tags.get(_TAG["exposure_time"]))
    if exposure is None:
        exposure = _number(exif.get("ExposureTime"))
    serial = _text(tags.get(_TAG["serial"])) or _text(exif.get("BodySerialNumber"))
    rate = tags.get(_TAG["frame_rate"])
    metadata = RawMetadata(
        make=_text(tags.get(_TAG["make"])),
        model=_text(tags.get(_TAG["model"])),
        serial=serial,
        iso=iso,
        exposure_time=exposure,
        frame_rate=_fraction(rate),
    )
    return RawHeader(metadata, layout, colour)


def _dng_colour(tags: Mapping[int, Any], path: Path) -> DngColour | None:
    """The DNG colour tags of IFD0 (None without ``ColorMatrix1`` or for a 4-colour CFA)."""
    if _COLOUR_TAGS["color_matrix_1"] not in tags:
        return None
    planes = bytes(tags.get(_COLOR_PLANES, b"\x00\x01\x02"))
    if len(planes) != 3:
        return None  # CMYG and other 4-colour sensors: not a 3×3 matrix
    values: dict[str, Any] = {}
    for name, code in _COLOUR_TAGS.items():
        if code not in tags:
            continue
        value = tags[code]
        values[name] = int(value) if name.startswith("illuminant") else _rationals(value)
    try:
        return DngColour(**values, source=f"DNG {path.name}")
    except InvalidArgumentError:
        return None  # malformed colour tags: the pixels are still usable, the colour is unknown


def _rationals(value: Any) -> list[float]:
    """tifffile's (num, den, num, den, ...) rationals, or plain numbers, as floats."""
    items = list(np.ravel(value)) if isinstance(value, tuple | list | np.ndarray) else [value]
    if len(items) % 2 == 0 and all(isinstance(v, int | np.integer) for v in items):
        return [float(n) / float(d) if d else float("nan") for n, d in zip(items[::2], items[1::2])]
    return [float(v) for v in items]


def _libraw_colour(decoded: rawpy.RawPy, path: Path) -> DngColour | None:
    """LibRaw's XYZ → camera matrix (D65, Adobe's table) and the camera's white balance.

    For camera raws other than DNG; None when LibRaw has no matrix for the camera.
    """
    try:
        matrix = np.asarray(decoded.rgb_xyz_matrix, dtype=np.float64)[:3]
        balance = np.asarray(decoded.camera_whitebalance, dtype=np.float64)[:3]
    except (AttributeError, ValueError, rawpy.LibRawError):
        return None
    if matrix.shape != (3, 3) or not np.any(matrix) or not np.all(np.isfinite(matrix)):
        return None
    neutral = 1.0 / balance if np.all(balance > 0) else None
    try:
        return DngColour(
            color_matrix_1=tuple(matrix.ravel()),
            illuminant_1=21,
            as_shot_neutral=None if neutral is None else tuple(neutral),
            source=f"LibRaw {path.name}",
        )
    except InvalidArgumentError:
        return None


def _check_dng_raw(path: Path, first: Any) -> tuple[int, int, str]:
    """The DNG's full-resolution raw image (IFD0 or a SubIFD): check it, return H, W and CFA."""
    candidates = [first, *(first.pages if first.subifds else [])]
    main = [
        page
        for page in candidates
        if int(_tag(page, "new_subfile_type", 0)) & 1 == 0  # bit 0 set: a reduced preview
    ]
    if not main:
        raise UnreadableFileError(f"read_raw: {path} is a DNG without a full-resolution image")
    page = main[0]
    photometric = int(_tag(page, "photometric", 0))
    if photometric == _LINEAR_RAW_PHOTOMETRIC:
        raise UnreadableFileError(
            f"read_raw: {path} is a linear DNG (already demosaiced, LinearRaw); expected a CFA "
            "raw DNG straight from the sensor"
        )
    if photometric != _CFA_PHOTOMETRIC:
        raise UnreadableFileError(
            f"read_raw: {path} is a DNG whose raw image has PhotometricInterpretation "
            f"{photometric}; expected CFA (32803) Bayer data"
        )
    dims = tuple(int(v) for v in np.ravel(_tag(page, "cfa_dims", (2, 2))))
    pattern = bytes(_tag(page, "cfa_pattern", b""))
    planes = bytes(_tag(page, "cfa_plane_color", b"\x00\x01\x02"))
    letters = "".join(
        _PLANE_LETTERS.get(planes[i] if i < len(planes) else -1, "?") for i in pattern
    )
    if dims != (2, 2):
        kind = " (X-Trans)" if dims == (6, 6) else " (quad Bayer)" if dims == (4, 4) else ""
        raise UnreadableFileError(
            f"read_raw: {path} has a {dims[0]}×{dims[-1]} CFA{kind} {letters!r}; expected "
            f"{_EXPECTED_CFA}"
        )
    if letters not in CFA_PATTERNS:
        raise UnreadableFileError(
            f"read_raw: {path} has CFA pattern {letters!r}; expected {_EXPECTED_CFA}"
        )
    return int(page.imagelength), int(page.imagewidth), letters


def _bayer_layout(path: Path, decoded: rawpy.RawPy) -> tuple[np.ndarray, str]:
    """LibRaw's colour indices (into ``color_desc``) at the visible area's top-left 2×2, and the CFA."""
    if decoded.raw_type != rawpy.RawType.Flat:
        raise UnreadableFileError(
            f"read_raw: {path} holds demosaiced (linear) data, not a Bayer mosaic; expected raw "
            "data straight from a Bayer sensor"
        )
    pattern = decoded.raw_pattern
    if pattern is None or pattern.shape != (2, 2):
        shape = "unknown" if pattern is None else "×".join(str(s) for s in pattern.shape)
        kind = " (X-Trans)" if pattern is not None and pattern.shape == (6, 6) else ""
        raise UnreadableFileError(
            f"read_raw: {path} has a {shape} CFA{kind}; expected {_EXPECTED_CFA}"
        )
    colours = np.asarray(decoded.raw_colors_visible[:2, :2], dtype=np.int64)
    description = decoded.color_desc.decode("ascii", errors="replace")
    letters = "".join(description[c] for c in colours.ravel())
    if letters not in CFA_PATTERNS:
        raise UnreadableFileError(
            f"read_raw: {path} has CFA pattern {letters!r}; expected {_EXPECTED_CFA}"
        )
    return colours, letters


def _with_libraw_exposure(metadata: RawMetadata, other: Any) -> RawMetadata:
    """Fill ISO and exposure time from LibRaw where the tags did not give them."""
    iso = metadata.iso if metadata.iso is not None else (other.iso_speed or None)
    exposure = metadata.exposure_time
    if exposure is None and other.shutter_speed:
        exposure = float(other.shutter_speed)
    return replace(metadata, iso=None if iso is None else float(iso), exposure_time=exposure)


def _levels(
    override: float | Sequence[float] | None, file_black: tuple[float, ...], path: Path
) -> tuple[float, float, float, float]:
    """Black levels at the four 2×2 positions: the override (1 or 4 values) or the file's."""
    try:
        values = file_black if override is None else np.ravel(np.asarray(override, np.float64))
    except (TypeError, ValueError):
        values = ()
    if len(values) == 1:
        values = tuple(values) * 4
    if len(values) != 4 or not all(math.isfinite(v) and v >= 0 for v in values):
        raise InvalidArgumentError(
            f"read_raw: black_level={override!r} for {path}; expected one value or four (one per "
            "2×2 CFA position), finite and >= 0"
        )
    a, b, c, d = (float(v) for v in values)
    return a, b, c, d


def _normalise(mosaic: np.ndarray, black: Sequence[float], white: float) -> None:
    """In place: ``(raw − black) / (white − black)`` per 2×2 position, clipped to [0, 1]."""
    for index, level in enumerate(black):
        view = mosaic[index // 2 :: 2, index % 2 :: 2]
        view -= np.float32(level)
        view *= np.float32(1.0 / (white - level))
    np.clip(mosaic, 0.0, 1.0, out=mosaic)


def _tag(page: Any, name: str, default: Any) -> Any:
    tag = page.tags.get(_TAG[name])
    return default if tag is None else tag.value


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value.strip("\x00 \t\r\n") or None
    return None


def _number(value: Any) -> float | None:
    """A tag's number: int, float, rational pair ``(num, den)``, or the first of several."""
    if (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, int) for v in value)
    ):
        return float(value[0]) / value[1] if value[1] else None
    if isinstance(value, tuple | list) and value:
        return _number(value[0])
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _fraction(value: Any) -> Fraction | None:
    if (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, int) for v in value)
    ):
        return Fraction(value[0], value[1]) if value[1] and value[0] > 0 else None
    number = _number(value)
    return Fraction(number).limit_denominator(1001) if number and number > 0 else None


def _libraw_message(error: BaseException) -> str:
    text = error.args[0] if error.args else error
    return text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)
