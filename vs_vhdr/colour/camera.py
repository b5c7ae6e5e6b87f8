"""A camera's colour: the DNG-style description (matrices, illuminants, as-shot white) and its
resolution into one white balance and one camera RGB → XYZ (D50) matrix.

:class:`DngColour` holds what a DNG says (the tags of DNG 1.4, chapter 6), or the same fields from
a calibration file's ``colour`` section or a camera plugin. :meth:`DngColour.resolve` applies the
specification's procedure (see :mod:`vs_vhdr.colour.dng`) and returns a :class:`CameraColour`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

Matrix = tuple[float, ...]
"""A 3×3 matrix as 9 floats, row by row."""

_MATRICES = (
    "color_matrix_1",
    "color_matrix_2",
    "forward_matrix_1",
    "forward_matrix_2",
    "camera_calibration_1",
    "camera_calibration_2",
)
_VECTORS = {"analog_balance": 3, "as_shot_neutral": 3, "as_shot_white_xy": 2}
_CODES = ("illuminant_1", "illuminant_2")


@dataclass(frozen=True)
class DngColour:
    """A camera's colour description in the terms of the DNG specification (1.4, chapter 6).

    Attributes:
        color_matrix_1, color_matrix_2: ``ColorMatrix1/2``, XYZ → reference camera RGB under
            ``illuminant_1/2`` (9 floats, row by row).
        forward_matrix_1, forward_matrix_2: ``ForwardMatrix1/2``, white-balanced camera RGB →
            XYZ D50, or None.
        camera_calibration_1, camera_calibration_2: ``CameraCalibration1/2`` (this camera against
            the reference camera), or None (identity).
        analog_balance: ``AnalogBalance`` (3 gains), or None (ones).
        illuminant_1, illuminant_2: ``CalibrationIlluminant1/2``, EXIF ``LightSource`` codes
            (21 = D65, 17 = Standard light A, ...); 0 = unknown.
        as_shot_neutral: ``AsShotNeutral``, camera RGB of a neutral in the scene, or None.
        as_shot_white_xy: ``AsShotWhiteXY``, CIE xy of the scene's white, or None.
        source: where the description came from, in words (for logs and frame props).
    """

    color_matrix_1: Matrix | None = None
    color_matrix_2: Matrix | None = None
    forward_matrix_1: Matrix | None = None
    forward_matrix_2: Matrix | None = None
    camera_calibration_1: Matrix | None = None
    camera_calibration_2: Matrix | None = None
    analog_balance: tuple[float, ...] | None = None
    illuminant_1: int = 0
    illuminant_2: int = 0
    as_shot_neutral: tuple[float, ...] | None = None
    as_shot_white_xy: tuple[float, ...] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        where = f"camera colour ({self.source or 'DngColour'})"
        for name in _MATRICES:
            object.__setattr__(self, name, _floats(getattr(self, name), 9, f"{where}: {name}"))
        for name, size in _VECTORS.items():
            object.__setattr__(self, name, _floats(getattr(self, name), size, f"{where}: {name}"))
        for name in _CODES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise InvalidArgumentError(
                    f"{where}: {name}={value!r}; expected an EXIF LightSource code (21 = D65)"
                )
            object.__setattr__(self, name, int(value))
        neutral = self.as_shot_neutral
        if neutral is not None and not min(neutral) > 0:
            raise InvalidArgumentError(
                f"{where}: as_shot_neutral={list(neutral)}; expected three values > 0"
            )

    @property
    def has_matrices(self) -> bool:
        """True when ``ColorMatrix1`` is there: the least the specification needs."""
        return self.color_matrix_1 is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (None and the defaults left out, matrices as 3 rows)."""
        out: dict[str, Any] = {}
        for name, value in asdict(self).items():
            if value is None or (name in _CODES and value == 0) or name == "source":
                continue
            out[name] = [list(value[i : i + 3]) for i in (0, 3, 6)] if name in _MATRICES else value
        return out

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], where: str = "colour", source: str = ""
    ) -> "DngColour":
        """Read :meth:`to_dict`'s form (a matrix as 3 rows or 9 numbers).

        Raises:
            InvalidArgumentError: unknown keys or values of the wrong shape, naming ``where``.
        """
        if not isinstance(data, Mapping):
            raise InvalidArgumentError(
                f"{where}: {data!r}; expected an object of DNG colour fields"
            )
        known = {f.name for f in fields(cls)} - {"source"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidArgumentError(
                f"{where}: unknown keys {unknown}; expected some of {', '.join(sorted(known))}"
            )
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in _MATRICES and value is not None:
                value = _flat(value, f"{where}: {name}")
            values[name] = value
        return cls(**values, source=source or where)

    def resolve(self) -> "CameraColour":
        """White balance and camera → XYZ (D50) by the DNG procedure (:mod:`vs_vhdr.colour.dng`).

        Raises:
            InvalidArgumentError: no ``color_matrix_1``, or matrices that cannot be inverted.
        """
        from vs_vhdr.colour.dng import resolve_dng_colour

        return resolve_dng_colour(self)


@dataclass(frozen=True)
class CameraColour:
    """A camera's resolved colour for one shot.

    Attributes:
        neutral: camera RGB of the scene's white, largest value 1 (``(3,)`` float64); dividing
            camera RGB by it is the white balance.
        camera_to_xyz: ``3×3`` float64, camera RGB → CIE XYZ relative to D50 (the DNG profile
            connection space), scaled so that ``neutral`` maps to the D50 white with ``Y = 1``.
        white_xy: CIE xy of the scene's white.
        cct: its correlated colour temperature in kelvin.
        source: where it came from, in words.
    """

    neutral: np.ndarray
    camera_to_xyz: np.ndarray
    white_xy: tuple[float, float]
    cct: float
    source: str

    def describe(self) -> str:
        """E.g. ``DNG ColorMatrix1 (D65), AsShotNeutral; white 5200 K``."""
        return f"{self.source}; white {self.cct:.0f} K"


def _floats(value: Any, size: int, where: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        array = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError) as error:
        raise InvalidArgumentError(f"{where}={value!r}; expected {size} numbers") from error
    if array.size != size or not np.all(np.isfinite(array)):
        raise InvalidArgumentError(f"{where}={value!r}; expected {size} finite numbers")
    return tuple(float(v) for v in array)


def _flat(value: Any, where: str) -> Sequence[float]:
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(row, list | tuple) for row in value)
    ):
        return [v for row in value for v in row]
    return list(value) if isinstance(value, list | tuple) else value
