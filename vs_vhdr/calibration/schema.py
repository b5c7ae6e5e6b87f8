"""The calibration file: schema ``vhdr.MaskCalibration/2``, a JSON document beside a mask image.

Fields of version 2 (all required unless marked optional)::

    schema        "vhdr.MaskCalibration/2"
    name          calibration name, [A-Za-z0-9][A-Za-z0-9._+-]*
    camera        {"make": str, "model": str, "serial": str}   (each optional)
    mask_file     mask image (EXR channel Y, or .npy / 16-bit .png), relative to the JSON's folder
    mask_size     [height, width] of the mask = of the raw frames it applies to, pixels
    cfa           Bayer pattern of the frames' top-left 2×2 (RGGB, BGGR, GRBG, GBRG)
    black_level   raw value of black, in the raw data's own units (DN; 0 for normalised floats)
    white_level   raw value of saturation, same units (1 for normalised floats), > black_level
    sensor_size   [height, width] of the full sensor readout, pixels
    crop_offset   [row, col] of the frames' top-left pixel on the sensor; crop fits the sensor
    primaries     optional int, ITU-T H.273 colour primaries of the camera RGB (2 = unspecified)
    measurement   object: how the mask was measured (method, frames, noise, ...), free-form
    date          ISO 8601 date-time of the measurement
    colour        optional, null or the camera's colour in DNG terms (vs_vhdr.colour.DngColour):
                  {"color_matrix_1": [[..], [..], [..]], "illuminant_1": 21,
                   "as_shot_neutral": [r, g, b], ...} (ColorMatrix2, ForwardMatrix1/2, ... too)

Version 1 had no ``colour``; ``UPGRADES[1]`` adds ``"colour": null``. Older versions are brought to the current one by the functions in ``UPGRADES`` (version ``n`` →
``n + 1``, applied in turn, as OpenTimelineIO does); a newer version than this vhdr knows is refused.
"""

import json
import operator
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError, UnreadableFileError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.io.exr import write_exr
from vs_vhdr.io.images import read_image

SCHEMA_NAME = "vhdr.MaskCalibration"
CURRENT_VERSION = 2


def _one_to_two(document: dict[str, Any]) -> dict[str, Any]:
    """Version 1 → 2: the ``colour`` section appears, empty (camera colour unknown)."""
    document.setdefault("colour", None)
    return document


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _one_to_two}
"""``version -> function`` turning a document of that version into one of ``version + 1``."""

V1_KEYS = (
    "schema",
    "name",
    "camera",
    "mask_file",
    "mask_size",
    "cfa",
    "black_level",
    "white_level",
    "sensor_size",
    "crop_offset",
    "primaries",
    "measurement",
    "date",
)
KEYS = (*V1_KEYS, "colour")
"""The fields of the current version."""
_OPTIONAL: dict[str, Any] = {"primaries": 2, "colour": None}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_MASK_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class MaskCalibration:
    """A camera's measured mask and the raw-data facts needed to use it.

    ``mask`` is ``H×W`` float32 transmittance in [0, 1] (read-only), ``H×W`` = ``mask_size``.
    Levels are in the raw data's units (DN for integer raw, 0/1 for normalised float raw).
    ``colour`` is the camera's colour (matrices, neutral) for the hosts' colour stage, or None.
    """

    name: str
    camera: CameraId
    mask: np.ndarray
    cfa: str = "RGGB"
    black_level: float = 0.0
    white_level: float = 1.0
    sensor_size: tuple[int, int] | None = None
    crop_offset: tuple[int, int] = (0, 0)
    primaries: int = 2
    measurement: dict[str, Any] = field(default_factory=dict)
    date: str = ""
    source: Path | None = None
    colour: DngColour | None = None

    def __post_init__(self) -> None:
        mask = np.asarray(self.mask, dtype=np.float32)
        if mask.ndim != 2:
            raise InvalidArgumentError(
                f"MaskCalibration: mask has shape {mask.shape}; expected H×W transmittance"
            )
        _check_mask(mask, tuple(mask.shape), f"calibration {self.name!r}: mask")
        mask = np.clip(mask, 0.0, 1.0)  # a new array: the caller's stays writable and unshared
        mask.flags.writeable = False
        object.__setattr__(self, "mask", mask)
        sensor = mask.shape if self.sensor_size is None else self.sensor_size
        for key, value in (("sensor_size", sensor), ("crop_offset", self.crop_offset)):
            try:
                pair = tuple(operator.index(v) for v in value)
            except TypeError as error:
                raise InvalidArgumentError(
                    f"calibration {self.name!r}: {key}={value!r}; expected two integers"
                ) from error
            object.__setattr__(self, key, pair)
        object.__setattr__(self, "cfa", _check_cfa(self.cfa, f"calibration {self.name!r}: cfa"))
        _check_fields(to_document(self, "mask.exr"), f"calibration {self.name!r}")

    @property
    def mask_size(self) -> tuple[int, int]:
        """``(height, width)`` of the mask and of the frames it applies to."""
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    def mask_for(self, height: int, width: int, where: str = "mask_for") -> np.ndarray:
        """The mask for frames of ``height×width``; refuses other sizes with both sizes named."""
        if (height, width) != self.mask_size:
            h, w = self.mask_size
            raise InvalidArgumentError(
                f"{where}: camera calibration {self.name!r} has a {h}×{w} mask but the frames are "
                f"{height}×{width}; expected frames of the calibrated size"
            )
        return self.mask

    def normalise(self, raw: np.ndarray) -> np.ndarray:
        """Raw values in this camera's units → float32 ``(raw − black) / (white − black)``."""
        scale = np.float32(1.0 / (self.white_level - self.black_level))
        return (np.asarray(raw, dtype=np.float32) - np.float32(self.black_level)) * scale


def to_document(calibration: MaskCalibration, mask_file: str) -> dict[str, Any]:
    """The current-version JSON document of ``calibration`` (mask stored as ``mask_file``)."""
    sensor = calibration.sensor_size or calibration.mask_size
    return {
        "schema": f"{SCHEMA_NAME}/{CURRENT_VERSION}",
        "name": calibration.name,
        "camera": calibration.camera.to_dict(),
        "mask_file": mask_file,
        "mask_size": list(calibration.mask_size),
        "cfa": calibration.cfa,
        "black_level": calibration.black_level,
        "white_level": calibration.white_level,
        "sensor_size": list(sensor),
        "crop_offset": list(calibration.crop_offset),
        "primaries": calibration.primaries,
        "measurement": calibration.measurement,
        "date": calibration.date,
        "colour": None if calibration.colour is None else calibration.colour.to_dict(),
    }


def save_calibration(
    calibration: MaskCalibration,
    path: str | os.PathLike[str],
    *,
    mask_path: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> Path:
    """Write the JSON document and its mask EXR (default ``NAME.mask.exr`` beside it), atomically.

    Raises:
        OutputExistsError: either file exists and ``force`` is False.
    """
    json_path = Path(path)
    mask_file = Path(mask_path) if mask_path is not None else json_path.with_suffix(".mask.exr")
    if mask_file.suffix.lower() != ".exr":
        raise InvalidArgumentError(f"save_calibration: mask_path={mask_file}; expected an .exr")
    for target in (json_path, mask_file):
        if target.exists() and not force:
            raise OutputExistsError(f"save_calibration: {target} exists; pass force=True (--force)")
    try:
        relative = os.path.relpath(mask_file.resolve(), json_path.resolve().parent)
    except ValueError:  # another drive
        relative = str(mask_file.resolve())
    attributes = {
        k: v
        for k, v in (
            ("cameraMake", calibration.camera.make),
            ("cameraModel", calibration.camera.model),
            ("cameraSerialNumber", calibration.camera.serial),
        )
        if v
    }
    write_exr(mask_file, calibration.mask, chromaticities=None, attributes=attributes, force=True)
    document = to_document(calibration, Path(relative).as_posix())
    write_text_atomic(json_path, json.dumps(document, indent=2) + "\n")
    return json_path


def read_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a calibration JSON, upgrade it to the current version and check its fields.

    The mask image is not read (see :func:`load_calibration`); its existence is checked.
    """
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"calibration file {p} does not exist or is not a file")
    try:
        document = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UnreadableFileError(f"calibration file {p} is not valid JSON ({error})") from error
    if not isinstance(document, dict):
        raise UnreadableFileError(f"calibration file {p} holds a {type(document).__name__}")
    document = upgrade_document(document, str(p))
    for key, default in _OPTIONAL.items():
        document.setdefault(key, default)
    _check_fields(document, str(p))
    mask_file = _mask_path(p, document)
    if not mask_file.is_file():
        raise UnreadableFileError(
            f"{p}: mask_file {document['mask_file']!r} ({mask_file}) does not exist"
        )
    return document


def load_calibration(path: str | os.PathLike[str]) -> MaskCalibration:
    """Load and check a calibration: schema, every field, the mask image and its size and range."""
    p = Path(path)
    document = read_document(p)
    mask_file = _mask_path(p, document)
    mask = read_image(mask_file)
    if mask.ndim != 2:
        raise UnreadableFileError(
            f"{p}: mask {mask_file} has shape {mask.shape}; expected one channel (H×W)"
        )
    _check_mask(mask, tuple(document["mask_size"]), f"{p}: mask {mask_file}")
    calibration = MaskCalibration(
        name=document["name"],
        camera=CameraId.from_dict(document["camera"], f"{p}: camera"),
        mask=mask,
        cfa=document["cfa"],
        black_level=float(document["black_level"]),
        white_level=float(document["white_level"]),
        sensor_size=(int(document["sensor_size"][0]), int(document["sensor_size"][1])),
        crop_offset=(int(document["crop_offset"][0]), int(document["crop_offset"][1])),
        primaries=int(document["primaries"]),
        measurement=dict(document["measurement"]),
        date=document["date"],
        colour=_colour(document["colour"], f"{p}: colour", document["name"]),
    )
    return replace(calibration, source=p.resolve())


def upgrade_document(document: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring a parsed document of any known version up to ``CURRENT_VERSION``."""
    schema = document.get("schema")
    family, _, version_text = str(schema).rpartition("/")
    if family != SCHEMA_NAME or not version_text.isdigit():
        raise UnreadableFileError(
            f"{where}: schema={schema!r}; expected '{SCHEMA_NAME}/N' (a vhdr calibration file)"
        )
    version = int(version_text)
    known = sorted({*UPGRADES, CURRENT_VERSION})
    if version > CURRENT_VERSION or (version < CURRENT_VERSION and version not in UPGRADES):
        raise UnreadableFileError(
            f"{where}: schema version {version} is unknown to this vhdr; known versions: "
            f"{', '.join(map(str, known))} (a newer vhdr may read it)"
        )
    while version < CURRENT_VERSION:
        document = UPGRADES[version](dict(document))
        version += 1
        document["schema"] = f"{SCHEMA_NAME}/{version}"
    return document


def _mask_path(json_path: Path, document: dict[str, Any]) -> Path:
    mask = Path(document["mask_file"])
    return mask if mask.is_absolute() else json_path.parent / mask


def _check_fields(doc: dict[str, Any], where: str) -> None:
    unknown = sorted(set(doc) - set(KEYS))
    missing = [k for k in KEYS if k not in doc]
    if unknown or missing:
        raise UnreadableFileError(
            f"{where}: unknown keys {unknown}, missing keys {missing}; "
            f"version {CURRENT_VERSION} has {', '.join(KEYS)}"
        )
    _colour(doc["colour"], f"{where}: colour", "")
    name = doc["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidArgumentError(
            f"{where}: name={name!r}; expected letters, digits and . _ + - (not first)"
        )
    if not isinstance(doc["mask_file"], str) or not doc["mask_file"]:
        raise InvalidArgumentError(f"{where}: mask_file={doc['mask_file']!r}; expected a file name")
    _check_cfa(doc["cfa"], f"{where}: cfa")
    mask_size = _pair(doc, "mask_size", where, minimum=1)
    sensor = _pair(doc, "sensor_size", where, minimum=1)
    offset = _pair(doc, "crop_offset", where, minimum=0)
    if any(o + m > s for o, m, s in zip(offset, mask_size, sensor)):
        raise InvalidArgumentError(
            f"{where}: crop_offset {offset} + mask_size {mask_size} exceeds sensor_size {sensor}"
        )
    black, white = doc["black_level"], doc["white_level"]
    if not all(_is_number(v) for v in (black, white)) or not black < white:
        raise InvalidArgumentError(
            f"{where}: black_level={black!r}, white_level={white!r}; expected numbers, black < white"
        )
    if not isinstance(doc["primaries"], int) or not 0 <= doc["primaries"] <= 255:
        raise InvalidArgumentError(
            f"{where}: primaries={doc['primaries']!r}; expected an H.273 code 0..255"
        )
    if not isinstance(doc["measurement"], dict):
        raise InvalidArgumentError(f"{where}: measurement={doc['measurement']!r}; expected object")
    if not isinstance(doc["date"], str):
        raise InvalidArgumentError(f"{where}: date={doc['date']!r}; expected an ISO 8601 string")
    CameraId.from_dict(doc["camera"], f"{where}: camera")


def _colour(value: Any, where: str, name: str) -> DngColour | None:
    """The ``colour`` section: null, or DNG colour fields with at least ``color_matrix_1``."""
    if value is None:
        return None
    colour = DngColour.from_dict(value, where, source=f"calibration {name!r}" if name else where)
    if not colour.has_matrices:
        raise InvalidArgumentError(
            f"{where}: no color_matrix_1; expected the camera's XYZ → camera matrix (or null)"
        )
    return colour


def _pair(doc: dict[str, Any], key: str, where: str, *, minimum: int) -> tuple[int, int]:
    value = doc[key]
    ok = isinstance(value, list | tuple) and len(value) == 2
    if not ok or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise InvalidArgumentError(f"{where}: {key}={value!r}; expected [height, width] integers")
    if min(value) < minimum:
        raise InvalidArgumentError(f"{where}: {key}={value!r}; expected values >= {minimum}")
    return (value[0], value[1])


def _check_mask(mask: np.ndarray, expected: tuple[int, ...], where: str) -> None:
    if mask.ndim != 2 or tuple(mask.shape) != expected:
        raise InvalidArgumentError(
            f"{where} is {'×'.join(map(str, mask.shape))} but mask_size says "
            f"{'×'.join(map(str, expected))}"
        )
    if not np.isfinite(mask).all():
        raise InvalidArgumentError(f"{where} has NaN or infinite values; expected [0, 1]")
    low, high = float(mask.min()), float(mask.max())
    if low < -_MASK_TOLERANCE or high > 1 + _MASK_TOLERANCE:
        raise InvalidArgumentError(
            f"{where} has values in [{low:.4g}, {high:.4g}]; expected transmittance in [0, 1]"
        )


def _check_cfa(cfa: str, where: str) -> str:
    from vs_vhdr.imaging.cfa import (
        check_cfa,
    )  # here: that module imports torch, loading plugins must not

    return check_cfa(cfa, where)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
