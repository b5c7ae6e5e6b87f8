"""Camera identity: which physical camera (and so which mask) a clip was shot with.

A camera is named either by the user (``camera="studio-a"``, a calibration name or a calibration
file path) or by its identity read from the footage: VapourSynth frame props (``CameraMake``,
``CameraModel``, ``CameraSerial``) or the OpenEXR standard attributes (``cameraMake``,
``cameraModel``, ``cameraSerialNumber``).

Matching an identity against a calibration's identity (:meth:`CameraId.match_score`): make and
model must both be known and equal after case folding and whitespace collapsing; then equal serial
numbers score 2, a serial missing on either side scores 1, different serials never match.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vs_vhdr.errors import InvalidArgumentError

_PROP_KEYS = {
    "name": ("vhdrcamera",),
    "make": ("cameramake", "make"),
    "model": ("cameramodel", "model"),
    "serial": ("cameraserial", "cameraserialnumber", "serialnumber", "serial"),
}
"""Accepted frame-prop / header keys per field, compared case-folded with ``_`` removed."""


@dataclass(frozen=True)
class CameraId:
    """A camera: a user-given ``name`` and/or its ``make``, ``model`` and ``serial``.

    Empty strings are stored as None. A name alone means "the calibration of that name (or file)".
    """

    name: str | None = None
    make: str | None = None
    model: str | None = None
    serial: str | None = None

    def __post_init__(self) -> None:
        for field in ("name", "make", "model", "serial"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, str):
                raise InvalidArgumentError(
                    f"CameraId: {field}={value!r} is a {type(value).__name__}; expected a string"
                )
            if isinstance(value, str) and not value.strip():
                object.__setattr__(self, field, None)
            elif isinstance(value, str):
                object.__setattr__(self, field, value.strip())

    @property
    def has_identity(self) -> bool:
        """True when make and model are both known (needed to match by identity)."""
        return self.make is not None and self.model is not None

    def match_score(self, other: "CameraId") -> int:
        """How well ``other`` matches this identity: 0 no match, 1 make+model, 2 also serial."""
        if not (self.has_identity and other.has_identity):
            return 0
        if (_norm(self.make), _norm(self.model)) != (_norm(other.make), _norm(other.model)):
            return 0
        if self.serial is None or other.serial is None:
            return 1
        return 2 if _norm(self.serial) == _norm(other.serial) else 0

    def describe(self) -> str:
        """Human-readable form, e.g. ``'studio-a' (ARRI Alexa 35 #A123)``."""
        identity = " ".join(p for p in (self.make, self.model) if p)
        if self.serial:
            identity = f"{identity} #{self.serial}".strip()
        if self.name and identity:
            return f"{self.name!r} ({identity})"
        return repr(self.name) if self.name else (identity or "an unidentified camera")

    def to_dict(self) -> dict[str, str]:
        """The identity fields that are set (``name`` excluded), for JSON files."""
        return {
            k: v
            for k, v in (("make", self.make), ("model", self.model), ("serial", self.serial))
            if v
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "camera") -> "CameraId":
        """Build from ``{"make": ..., "model": ..., "serial": ...}``; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise InvalidArgumentError(f"{where}: {data!r} is not an object with make/model/serial")
        unknown = sorted(set(data) - {"make", "model", "serial"})
        if unknown:
            raise InvalidArgumentError(
                f"{where}: unknown key(s) {unknown}; expected make, model, serial"
            )
        return cls(make=data.get("make"), model=data.get("model"), serial=data.get("serial"))

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> "CameraId":
        """Read an identity from VapourSynth frame props or an EXR header (keys as listed above).

        Byte strings (how VapourSynth returns string props) are decoded as UTF-8; other keys are
        ignored.
        """
        found: dict[str, str] = {}
        for key, value in metadata.items():
            folded = str(key).casefold().replace("_", "")
            for field, keys in _PROP_KEYS.items():
                if folded in keys and field not in found:
                    text = _as_text(value)
                    if text:
                        found[field] = text
        return cls(**found)


def _as_text(value: Any) -> str | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())
