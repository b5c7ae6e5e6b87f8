"""Camera colour from plugins and calibration files (vhdr.MaskCalibration/2)."""

import json
import types
from pathlib import Path

import numpy as np
import pytest
from colour_support import camera_5d2

from vs_vhdr.calibration import CameraId, MaskCalibration, load_calibration, save_calibration
from vs_vhdr.colour import DngColour
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.plugins import Host, hookimpl

CANON = CameraId(make="Canon", model="EOS 5D Mark II")


def _host(*plugins: tuple[str, object]) -> Host:
    return Host(entry_points=False, disabled=set(), plugins=plugins)


def _plugin(function: object) -> types.ModuleType:
    module = types.ModuleType("colour_plugin")
    module.vhdr_camera_colour = hookimpl(function)  # type: ignore[attr-defined]
    return module


def test_a_camera_plugin_gives_the_colour_and_broken_ones_are_reported() -> None:
    def studio(camera: CameraId) -> DngColour | None:
        return camera_5d2() if camera.model == "EOS 5D Mark II" else None

    def broken(camera: CameraId) -> DngColour:
        raise RuntimeError("database down")

    host = _host(("studio", _plugin(studio)), ("broken", _plugin(broken)))
    assert host.camera_colour(CANON) == camera_5d2()
    assert host.camera_colour(CameraId(make="Other", model="Cam")) is None
    assert [(p.plugin, p.stage) for p in host.problems()] == [
        ("broken", "vhdr_camera_colour"),
        ("broken", "vhdr_camera_colour"),
    ]


def test_calibration_colour_section_round_trips_and_serves_as_fallback(tmp_path: Path) -> None:
    calibration = MaskCalibration(
        name="five-d", camera=CANON, mask=np.ones((4, 6), np.float32), colour=camera_5d2()
    )
    path = save_calibration(calibration, tmp_path / "five-d.json")
    document = json.loads(path.read_text())
    assert document["schema"] == "vhdr.MaskCalibration/2"
    assert document["colour"]["color_matrix_1"][0] == pytest.approx([0.4716, 0.0603, -0.083])
    loaded = load_calibration(path)
    assert loaded.colour is not None and loaded.colour.to_dict() == camera_5d2().to_dict()
    assert _host().camera_colour(str(path)) == loaded.colour
    assert _host().camera_colour("no-such-camera") is None


def test_version_1_files_upgrade_to_no_colour_and_bad_sections_are_refused(tmp_path: Path) -> None:
    path = save_calibration(
        MaskCalibration(name="old", camera=CANON, mask=np.ones((4, 6), np.float32)),
        tmp_path / "old.json",
    )
    document = json.loads(path.read_text())
    del document["colour"]
    document["schema"] = "vhdr.MaskCalibration/1"
    path.write_text(json.dumps(document))
    assert load_calibration(path).colour is None
    document["schema"] = "vhdr.MaskCalibration/2"
    document["colour"] = {"illuminant_1": 21}
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidArgumentError, match="no color_matrix_1"):
        load_calibration(path)
