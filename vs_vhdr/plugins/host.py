"""The facade every host uses to resolve models, calibrations and presets through the plugins.

``get_host()`` returns the process-wide :class:`Host`. Plugins are loaded when it is created;
each registration hook runs once, the first time its registry is needed, and under a lock, so
hosts may call from several threads. Plugin failures become :class:`PluginProblem` entries
(``host.problems()``, ``vhdr plugins``) instead of exceptions.
"""

import argparse
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.schema import MaskCalibration
from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError, UnknownNameError, VhdrError
from vs_vhdr.plugins.manager import PluginInfo, PluginProblem, PluginSet
from vs_vhdr.plugins.registries import CalibrationRegistry, Preset, PresetRegistry

if TYPE_CHECKING:
    import numpy as np
    from torch import nn

    from vs_vhdr.nets.registry import ModelRegistry

CameraLike = str | os.PathLike[str] | CameraId


class Host:
    """Models, calibrations and presets from every active plugin."""

    def __init__(
        self,
        *,
        entry_points: bool = True,
        disabled: set[str] | None = None,
        plugins: Sequence[tuple[str, object]] = (),
    ) -> None:
        """Load plugins (see :class:`vs_vhdr.plugins.manager.PluginSet` for the arguments)."""
        self._set = PluginSet(entry_points=entry_points, disabled=disabled, extra=plugins)
        self._lock = threading.RLock()
        self._models: ModelRegistry | None = None
        self._model_owner: dict[str, str] = {}
        self._calibrations: CalibrationRegistry | None = None
        self._presets: PresetRegistry | None = None

    # plugins -------------------------------------------------------------------------------
    def plugins(self) -> list[PluginInfo]:
        """Every plugin found (active, disabled or failed), built-in first."""
        return self._set.infos()

    def problems(self) -> list[PluginProblem]:
        """Everything plugins got wrong so far (loading, registration, resolution)."""
        return list(self._set.problems)

    # models --------------------------------------------------------------------------------
    @property
    def model_registry(self) -> "ModelRegistry":
        """The registry filled by every plugin's ``vhdr_register_models``."""
        with self._lock:
            if self._models is None:
                self._models = self._collect_models()
            return self._models

    def models(self, *, include_aliases: bool = False) -> list[str]:
        """Registered model names, sorted."""
        return self.model_registry.names(include_aliases=include_aliases)

    def model_plugin(self, name: str) -> str:
        """The plugin that registered model ``name`` (or the alias)."""
        registry = self.model_registry
        return self._model_owner.get(name.lower()) or self._model_owner[registry.resolve(name)]

    def create_model(
        self,
        name_or_path: str | os.PathLike[str],
        weights: str | os.PathLike[str] | bool | None = None,
        **kwargs: Any,
    ) -> "nn.Module":
        """``vs_vhdr.nets.create_model`` over the plugins' registry (names, aliases, files)."""
        from vs_vhdr.nets.registry import create_model

        try:
            return create_model(name_or_path, weights, registry=self.model_registry, **kwargs)
        except UnknownNameError as error:
            raise UnknownNameError(f"{error}{self._problem_hint()}") from None

    # calibrations --------------------------------------------------------------------------
    @property
    def calibration_registry(self) -> CalibrationRegistry:
        """The registry filled by every plugin's ``vhdr_register_calibrations``."""
        with self._lock:
            if self._calibrations is None:
                self._calibrations = self._collect(
                    "vhdr_register_calibrations", CalibrationRegistry
                )
            return self._calibrations

    def list_calibrations(self) -> list[str]:
        """Registered calibration names, sorted."""
        return self.calibration_registry.names()

    def calibration(self, camera: CameraLike) -> MaskCalibration:
        """The mask calibration of ``camera``: a name, a calibration JSON path or a ``CameraId``.

        Raises:
            UnknownNameError: no plugin knows the camera; the message lists what is registered.
        """
        camera_id = _camera_id(camera)
        registry = self.calibration_registry
        for plugin, function, args in self._set.implementations("vhdr_resolve_calibration"):
            values = {"camera": camera_id, "registry": registry}
            try:
                result = function(**{a: values[a] for a in args})
            except VhdrError:
                raise  # the user's input (a broken file, an ambiguous camera): say so
            except Exception as error:  # a bug in a plugin: report, ask the next one
                self._set.report(plugin, "vhdr_resolve_calibration", _describe(error))
                continue
            if result is None:
                continue
            if isinstance(result, MaskCalibration):
                return result
            self._set.report(
                plugin,
                "vhdr_resolve_calibration",
                f"returned a {type(result).__name__}; expected a MaskCalibration or None",
            )
        known = "; ".join(
            f"{e.name} ({e.camera.describe()})" if e.camera.has_identity else e.name
            for e in registry.entries()
        )
        raise UnknownNameError(
            f"camera: no calibration for {camera_id.describe()}; registered calibrations: "
            f"{known or 'none'}; a calibration .json file path also works{self._problem_hint()}"
        )

    def camera_colour(
        self, camera: CameraLike, calibration: MaskCalibration | None = None
    ) -> DngColour | None:
        """The colour of ``camera``: a plugin's ``vhdr_camera_colour``, else its calibration's.

        Args:
            camera: a name, a calibration JSON path or a ``CameraId``.
            calibration: the calibration already resolved for the camera (saves a lookup).

        Returns:
            A ``DngColour`` with matrices, or None when nothing knows the camera's colour.
        """
        camera_id = _camera_id(camera)
        for plugin, function, args in self._set.implementations("vhdr_camera_colour"):
            try:
                result = function(**{a: camera_id for a in args if a == "camera"})
            except VhdrError:
                raise
            except Exception as error:  # a bug in a plugin: report, ask the next one
                self._set.report(plugin, "vhdr_camera_colour", _describe(error))
                continue
            if isinstance(result, DngColour) and result.has_matrices:
                return result
            if result is not None:
                self._set.report(
                    plugin,
                    "vhdr_camera_colour",
                    f"returned {type(result).__name__}; expected a DngColour with "
                    "color_matrix_1, or None",
                )
        if calibration is None:
            try:
                calibration = self.calibration(camera_id)
            except UnknownNameError:
                return None
        return calibration.colour

    # presets -------------------------------------------------------------------------------
    @property
    def preset_registry(self) -> PresetRegistry:
        """The registry filled by every plugin's ``vhdr_register_presets``."""
        with self._lock:
            if self._presets is None:
                self._presets = self._collect("vhdr_register_presets", PresetRegistry)
            return self._presets

    def presets(self, kind: str | None = None) -> list[Preset]:
        """Every preset, or those of one ``kind`` (e.g. ``noise``)."""
        found = self.preset_registry.all()
        return found if kind is None else [p for p in found if p.kind == kind.casefold()]

    def preset(self, kind: str, name: str) -> Preset:
        """One preset; ``UnknownNameError`` lists the names of that kind."""
        return self.preset_registry.get(kind, name)

    # command line --------------------------------------------------------------------------
    def add_cli_commands(
        self, subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]"
    ) -> None:
        """Let every plugin add ``vhdr`` sub-commands; a failing plugin is reported and skipped."""
        for plugin, function, _ in self._registration_order("vhdr_add_cli_commands"):
            try:
                function(subparsers=subparsers)
            except (Exception, SystemExit) as error:  # argparse clashes raise ArgumentError
                self._set.report(plugin, "vhdr_add_cli_commands", _describe(error))

    # internals -----------------------------------------------------------------------------
    def _collect_models(self) -> "ModelRegistry":
        from vs_vhdr.nets.registry import ModelRegistry

        main = ModelRegistry()
        for plugin, function, _ in self._registration_order("vhdr_register_models"):
            stage = _copy_models(main)  # builtins visible, so aliases to them work
            before, aliases = set(main.names()), main.aliases()
            if not self._call(plugin, "vhdr_register_models", function, stage):
                continue
            for name in sorted(set(stage.names()) - before):
                entry = stage.entry(name)
                main.register(name, entry.factory, description=entry.description)
                self._model_owner[name] = plugin
            for alias, target in stage.aliases().items():
                if aliases.get(alias) != target:
                    main.alias(alias, target, replace=True)
                    self._model_owner[alias] = plugin
        return main

    def _collect(self, hook: str, make: Callable[[str], Any]) -> Any:
        main = make("")
        for plugin, function, _ in self._registration_order(hook):
            stage = make(plugin)
            if self._call(plugin, hook, function, stage):
                for name in main.merge(stage):
                    self._set.report(
                        plugin, hook, f"{name!r} is already registered; kept the first"
                    )
        return main

    def _registration_order(self, hook: str) -> list[tuple[str, Callable[..., Any], list[str]]]:
        """Implementations in plugin load order (built-in first)."""
        order = {info.name: i for i, info in enumerate(self._set.infos())}
        return sorted(self._set.implementations(hook), key=lambda item: order[item[0]])

    def _call(self, plugin: str, hook: str, function: Callable[..., Any], registry: Any) -> bool:
        try:
            function(registry=registry)
        except Exception as error:  # third-party code: report it and drop what it registered
            self._set.report(plugin, hook, f"{_describe(error)}; nothing it registered is kept")
            return False
        return True

    def _problem_hint(self) -> str:
        count = len(self._set.problems)
        return f" ({count} plugin problem(s); run `vhdr plugins`)" if count else ""


def _copy_models(registry: "ModelRegistry") -> "ModelRegistry":
    copy = type(registry)()
    for name in registry.names():
        entry = registry.entry(name)
        copy.register(name, entry.factory, description=entry.description)
    for alias, target in registry.aliases().items():
        copy.alias(alias, target)
    return copy


def _camera_id(camera: CameraLike) -> CameraId:
    if isinstance(camera, CameraId):
        return camera
    if isinstance(camera, str | os.PathLike):
        return CameraId(name=os.fspath(camera))
    raise InvalidArgumentError(
        f"camera={camera!r}; expected a calibration name, a calibration .json path or a CameraId"
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


_HOST: Host | None = None
_HOST_LOCK = threading.Lock()


def get_host() -> Host:
    """The process-wide host (plugins loaded on the first call)."""
    global _HOST
    with _HOST_LOCK:
        if _HOST is None:
            _HOST = Host()
        return _HOST


def create_model(
    name_or_path: str | os.PathLike[str],
    weights: str | os.PathLike[str] | bool | None = None,
    **kwargs: Any,
) -> "nn.Module":
    """``vs_vhdr.create_model``: a model by name, alias or weights file, plugin models included."""
    return get_host().create_model(name_or_path, weights, **kwargs)


def list_models(*, include_aliases: bool = False) -> list[str]:
    """``vs_vhdr.list_models``: every registered model name (built-in and plugins'), sorted."""
    return get_host().models(include_aliases=include_aliases)


def resolve_camera_mask(camera: CameraLike) -> "np.ndarray":
    """The ``H×W`` float32 mask of a camera's calibration (for hosts that need only the mask)."""
    return get_host().calibration(camera).mask


def reset_host() -> None:
    """Forget the process-wide host; the next ``get_host()`` loads plugins again."""
    global _HOST
    with _HOST_LOCK:
        _HOST = None
