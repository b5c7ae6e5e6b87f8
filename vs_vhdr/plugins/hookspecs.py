"""Every plugin hook of vhdr, in one place (pluggy project name ``vhdr``).

A plugin is a module or object with functions marked by ``pluggy.HookimplMarker("vhdr")``
(also available as ``vs_vhdr.plugins.hookimpl``), found through the ``vhdr`` entry-point group.
An implementation may accept any subset of a hook's arguments, by name. vhdr calls each
implementation on its own, so one that raises is reported (``vhdr plugins``) and skipped while the
others keep working; hook wrappers are not supported. The built-in models, presets and calibrations
are registered by the plugin ``builtin`` through these same hooks.
"""

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from vs_vhdr.calibration.camera import CameraId
    from vs_vhdr.calibration.schema import MaskCalibration
    from vs_vhdr.colour.camera import DngColour
    from vs_vhdr.nets.registry import ModelRegistry
    from vs_vhdr.plugins.registries import CalibrationRegistry, PresetRegistry

PROJECT = "vhdr"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def vhdr_register_models(registry: "ModelRegistry") -> None:
    """Register model architectures, fine-tuned weights and aliases.

    Called once per process, the first time a model name is needed (``create_model``,
    ``list_models``, ``vhdr plugins``). Call ``registry.register(name, factory, description=...,
    aliases=...)`` and ``registry.alias(alias, target)``; a factory returns a ``torch.nn.Module``
    with a ``ModelSpec`` in ``model.spec`` (and may load weights into it). The built-in models are
    already there, so aliases may point at them. A name that is taken, or an exception, drops
    everything this implementation registered and is reported naming the plugin.

    Returns:
        Nothing; the return value is ignored.
    """


@hookspec
def vhdr_register_calibrations(registry: "CalibrationRegistry") -> None:
    """Register camera mask calibrations.

    Called once per process, the first time a calibration is listed or resolved. Call
    ``registry.add_file(path)`` for a ``vhdr.MaskCalibration`` JSON file (checked now, mask pixels
    read when first used), ``registry.add_folder(folder)`` for every ``*.json`` in a folder, or
    ``registry.add(calibration)`` for a ``MaskCalibration`` built in code. A name another plugin
    already registered is reported and the first registration kept; an exception drops everything
    this implementation registered.

    Returns:
        Nothing; the return value is ignored.
    """


@hookspec
def vhdr_register_presets(registry: "PresetRegistry") -> None:
    """Register named presets: noise models, sensors, simulation settings.

    Called once per process, the first time presets are asked for. Call
    ``registry.add(kind, name, value, description="")``; ``kind`` groups presets (``"noise"`` is
    what ``vhdr simulate --noise NAME`` looks up; ``"sensor"`` for sensor descriptions). Duplicates
    and exceptions are handled as for calibrations.

    Returns:
        Nothing; the return value is ignored.
    """


@hookspec
def vhdr_add_cli_commands(
    subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    """Add sub-commands to the ``vhdr`` command line.

    Called each time the ``vhdr`` argument parser is built, after the built-in sub-commands.
    Create a parser with ``subparsers.add_parser(name, help=...)`` and set its handler with
    ``parser.set_defaults(run=function)``, where ``function(args) -> int`` returns the exit status
    and raises ``VhdrError`` for bad input. A name that clashes with an existing command, or an
    exception, is reported (``vhdr plugins``); commands the plugin added before it stay.

    Returns:
        Nothing; the return value is ignored.
    """


@hookspec(firstresult=True)
def vhdr_resolve_calibration(
    camera: "CameraId", registry: "CalibrationRegistry"
) -> "MaskCalibration | None":
    """Find the mask calibration of a camera (``camera=`` in the hosts, ``--camera`` on the CLI).

    Called each time a calibration is asked for. ``camera`` holds a user-given ``name`` and/or the
    ``make``, ``model`` and ``serial`` read from frame props or EXR metadata; ``registry`` holds
    every registered calibration (``registry.get(name)``, ``registry.match(camera)``). Plugins
    are asked before the built-in resolver (registered name, then camera identity, then a path to
    a calibration JSON file), so a plugin may look cameras up elsewhere, e.g. a studio database.

    Returns:
        A ``MaskCalibration``, or None to let the next implementation try. First non-None wins.
    """


@hookspec(firstresult=True)
def vhdr_camera_colour(camera: "CameraId") -> "DngColour | None":
    """Give a camera's colour: its DNG-style matrices and white (docs/colour.md).

    Called when a host needs the colour of footage that does not carry it (EXR raw frames, DNGs
    without ``ColorMatrix1``), once per clip. ``camera`` holds the user's ``camera=`` / ``--camera``
    name and/or the ``make``, ``model`` and ``serial`` of the files. Return a
    ``vs_vhdr.colour.DngColour`` with at least ``color_matrix_1`` (XYZ → camera RGB) and
    ``illuminant_1``, and ``as_shot_neutral`` (or ``as_shot_white_xy``) for the shot's white.
    When no plugin answers, the camera's calibration file's ``colour`` section is used.

    Returns:
        A ``DngColour``, or None to let the next implementation try. First non-None wins.
    """


def hook_names() -> list[str]:
    """Names of every hook defined here, sorted."""
    return sorted(name for name, value in globals().items() if _is_spec(name, value))


def _is_spec(name: str, value: Any) -> bool:
    return name.startswith("vhdr_") and hasattr(value, f"{PROJECT}_spec")
