"""Plugins: pluggy hooks (``hookspecs``), their loading (``manager``) and the facade (``host``).

Hosts resolve models, camera calibrations and presets with ``get_host()``::

    from vs_vhdr.plugins import get_host
    calibration = get_host().calibration("studio-a")      # or a CameraId, or a .json path
    model = get_host().create_model("default")

A plugin marks its functions with :data:`hookimpl` and is found through the ``vhdr`` entry-point
group; see docs/plugins.md.
"""

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.plugins.hookspecs import hook_names, hookimpl
from vs_vhdr.plugins.host import (
    Host,
    create_model,
    get_host,
    list_models,
    reset_host,
    resolve_camera_mask,
)
from vs_vhdr.plugins.manager import PluginInfo, PluginProblem
from vs_vhdr.plugins.registries import CalibrationRegistry, Preset, PresetRegistry

__all__ = [
    "CalibrationRegistry",
    "CameraId",
    "Host",
    "PluginInfo",
    "PluginProblem",
    "Preset",
    "PresetRegistry",
    "create_model",
    "get_host",
    "hook_names",
    "hookimpl",
    "list_models",
    "reset_host",
    "resolve_camera_mask",
]
