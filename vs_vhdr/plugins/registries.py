"""Registrars handed to the registration hooks: calibrations and presets.

Each validates what it is given and refuses a name it already holds (tox-4 style: a registrar
object, not collected return values). Models use ``vs_vhdr.nets.registry.ModelRegistry``.
Names are matched case-insensitively.
"""

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.schema import MaskCalibration, load_calibration, read_document
from vs_vhdr.errors import InvalidArgumentError, UnknownNameError


@dataclass(frozen=True)
class CalibrationEntry:
    """A registered calibration: from a file (``path``) or built in code (``loaded``)."""

    name: str
    camera: CameraId
    path: Path | None = None
    loaded: MaskCalibration | None = None
    plugin: str = ""


class CalibrationRegistry:
    """Calibration names → files or objects; files are checked when added, loaded on first use."""

    def __init__(self, plugin: str = "") -> None:
        self.plugin = plugin
        self._entries: dict[str, CalibrationEntry] = {}
        self._cache: dict[str, MaskCalibration] = {}
        self._lock = threading.Lock()

    def add_file(self, path: str | os.PathLike[str], *, name: str | None = None) -> str:
        """Register a ``vhdr.MaskCalibration`` JSON file (schema and fields checked now).

        Args:
            path: the JSON file; its mask image must exist.
            name: register under this name instead of the file's ``name``.

        Returns:
            The registered name.
        """
        file = Path(path).resolve()
        document = read_document(file)
        entry = CalibrationEntry(
            name=name or document["name"],
            camera=CameraId.from_dict(document["camera"], f"{file}: camera"),
            path=file,
            plugin=self.plugin,
        )
        return self._insert(entry)

    def add_folder(self, folder: str | os.PathLike[str]) -> list[str]:
        """Register every ``*.json`` calibration in ``folder`` (not recursive); their names."""
        directory = Path(folder)
        if not directory.is_dir():
            raise InvalidArgumentError(f"add_folder: {directory} is not a folder")
        return [self.add_file(p) for p in sorted(directory.glob("*.json"))]

    def add(self, calibration: MaskCalibration) -> str:
        """Register a calibration built in code; its ``name``."""
        if not isinstance(calibration, MaskCalibration):
            raise InvalidArgumentError(
                f"add: got a {type(calibration).__name__}; expected a MaskCalibration "
                "(use add_file for a JSON file)"
            )
        entry = CalibrationEntry(
            calibration.name, calibration.camera, calibration.source, calibration, self.plugin
        )
        return self._insert(entry)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(e.name for e in self._entries.values())

    def entries(self) -> list[CalibrationEntry]:
        """Registered entries, sorted by name."""
        return sorted(self._entries.values(), key=lambda e: e.name.casefold())

    def entry(self, name: str) -> CalibrationEntry:
        """The entry of ``name`` (any case); ``UnknownNameError`` lists the known names."""
        key = name.casefold() if isinstance(name, str) else name
        if key not in self._entries:
            raise UnknownNameError(
                f"calibration {name!r} is not registered; registered: {self._known()}"
            )
        return self._entries[key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._entries

    def get(self, name: str) -> MaskCalibration:
        """The loaded, checked calibration of ``name`` (files are read once and kept)."""
        entry = self.entry(name)
        if entry.loaded is not None:
            return entry.loaded
        with self._lock:
            key = entry.name.casefold()
            if key not in self._cache:
                assert entry.path is not None
                calibration = load_calibration(entry.path)
                if calibration.name != entry.name:  # registered under another name
                    calibration = replace(calibration, name=entry.name)
                self._cache[key] = calibration
            return self._cache[key]

    def match(self, camera: CameraId) -> list[str]:
        """Names whose camera identity matches ``camera`` best (several means ambiguous)."""
        scores = [(e.camera.match_score(camera), e.name) for e in self.entries()]
        best = max((s for s, _ in scores), default=0)
        return [n for s, n in scores if s == best and s > 0]

    def merge(self, other: "CalibrationRegistry") -> list[str]:
        """Take every entry of ``other``; the names refused because they are taken here."""
        refused = []
        for entry in other.entries():
            if entry.name.casefold() in self._entries:
                refused.append(entry.name)
            else:
                self._entries[entry.name.casefold()] = entry
        return refused

    def describe(self) -> list[str]:
        """One line per calibration: name, camera, plugin, file."""
        return [
            f"{e.name}: {e.camera.describe()} [{e.plugin or '?'}] {e.path or '(in code)'}"
            for e in self.entries()
        ]

    def _insert(self, entry: CalibrationEntry) -> str:
        key = entry.name.casefold()
        if key in self._entries:
            other = self._entries[key]
            raise InvalidArgumentError(
                f"calibration name {entry.name!r} is already registered"
                f" (from {other.path or 'code'}); expected a new name"
            )
        self._entries[key] = entry
        return entry.name

    def _known(self) -> str:
        return ", ".join(self.names()) or "none"


@dataclass(frozen=True)
class Preset:
    """A named preset of some ``kind`` (e.g. ``noise``); ``value`` is what the kind's user reads."""

    kind: str
    name: str
    value: Any
    description: str = ""
    plugin: str = ""


class PresetRegistry:
    """Presets grouped by kind; ``(kind, name)`` pairs are unique."""

    def __init__(self, plugin: str = "") -> None:
        self.plugin = plugin
        self._presets: dict[tuple[str, str], Preset] = {}

    def add(self, kind: str, name: str, value: Any, description: str = "") -> None:
        """Register ``value`` as preset ``name`` of ``kind``; refuse a taken ``(kind, name)``."""
        for label, text in (("kind", kind), ("name", name)):
            if not isinstance(text, str) or not text.strip():
                raise InvalidArgumentError(f"add: preset {label}={text!r}; expected a string")
        key = (kind.casefold(), name.casefold())
        if key in self._presets:
            raise InvalidArgumentError(f"{kind} preset {name!r} is already registered")
        self._presets[key] = Preset(kind, name, value, description, self.plugin)

    def get(self, kind: str, name: str) -> Preset:
        """The preset; ``UnknownNameError`` lists the names of that kind."""
        key = (kind.casefold(), name.casefold())
        if key not in self._presets:
            known = ", ".join(self.names(kind)) or "none"
            raise UnknownNameError(f"{kind} preset {name!r} is not registered; registered: {known}")
        return self._presets[key]

    def names(self, kind: str) -> list[str]:
        """Names of the presets of ``kind``, sorted."""
        return sorted(p.name for (k, _), p in self._presets.items() if k == kind.casefold())

    def kinds(self) -> list[str]:
        """Kinds that have presets, sorted."""
        return sorted({p.kind for p in self._presets.values()})

    def all(self) -> list[Preset]:
        """Every preset, sorted by kind then name."""
        return sorted(self._presets.values(), key=lambda p: (p.kind, p.name))

    def merge(self, other: "PresetRegistry") -> list[str]:
        """Take every preset of ``other``; ``kind/name`` of those refused as taken here."""
        refused = []
        for key, preset in other._presets.items():
            if key in self._presets:
                refused.append(f"{preset.kind}/{preset.name}")
            else:
                self._presets[key] = preset
        return refused
