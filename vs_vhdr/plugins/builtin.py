"""The built-in plugin: vhdr's own models, noise presets and calibrations, through the hooks.

- models: :func:`vs_vhdr.nets.registry.register_builtin_models` (c3d, dc3d, c3ded, ``-m``
  variants, ``default``);
- presets: ``noise`` presets from :data:`vs_vhdr.imaging.noise.NOISE_PRESETS`;
- calibrations: every ``*.json`` in the folders of ``VHDR_CALIBRATION_PATH`` (``os.pathsep``
  separated), so a studio can share calibrations without writing a plugin;
- resolution (tried after every other plugin): a registered name, then a camera identity, then
  the path of a calibration JSON file.

Heavy modules (torch) are imported inside the hooks, so loading plugins stays cheap.
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.schema import MaskCalibration, load_calibration
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.plugins.hookspecs import hookimpl
from vs_vhdr.plugins.registries import CalibrationRegistry, PresetRegistry

if TYPE_CHECKING:
    from vs_vhdr.nets.registry import ModelRegistry

CALIBRATION_PATH_VARIABLE = "VHDR_CALIBRATION_PATH"


@hookimpl
def vhdr_register_models(registry: "ModelRegistry") -> None:
    """The paper's networks and their mask-conditioned variants."""
    from vs_vhdr.nets.registry import register_builtin_models

    register_builtin_models(registry)


@hookimpl
def vhdr_register_presets(registry: PresetRegistry) -> None:
    """The simulator's noise presets (kind ``noise``)."""
    from vs_vhdr.imaging.noise import NOISE_PRESETS

    for name, params in NOISE_PRESETS.items():
        registry.add("noise", name, params, "sensor noise of vs_vhdr.imaging.noise")


@hookimpl
def vhdr_register_calibrations(registry: CalibrationRegistry) -> None:
    """Calibration files in the folders named by ``VHDR_CALIBRATION_PATH``."""
    for folder in os.environ.get(CALIBRATION_PATH_VARIABLE, "").split(os.pathsep):
        if folder.strip():
            registry.add_folder(folder.strip())


@hookimpl(trylast=True)
def vhdr_resolve_calibration(
    camera: CameraId, registry: CalibrationRegistry
) -> MaskCalibration | None:
    """A registered name, else a unique identity match, else a calibration JSON path."""
    if camera.name is not None:
        if camera.name in registry:
            return registry.get(camera.name)
        path = Path(camera.name)
        if path.suffix.lower() == ".json" and path.is_file():
            return load_calibration(path)
        return None
    names = registry.match(camera)
    if len(names) > 1:
        raise InvalidArgumentError(
            f"camera {camera.describe()} matches several calibrations: {', '.join(names)}; "
            "pass one of these names (camera=NAME / --camera NAME)"
        )
    return registry.get(names[0]) if names else None
