"""Calibration files (vhdr.MaskCalibration/2): round trip, every refusal, upgrades, camera ids."""

import json
from pathlib import Path

import numpy as np
import pytest

from vs_vhdr.calibration import schema
from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.schema import MaskCalibration, load_calibration, save_calibration
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError, UnreadableFileError
from vs_vhdr.io.exr import read_exr_channels, write_exr

CAMERA = CameraId(make="ARRI", model="Alexa 35", serial="A123")


def _calibration(height: int = 6, width: int = 10) -> MaskCalibration:
    mask = np.random.default_rng(0).random((height, width), dtype=np.float32)
    return MaskCalibration(
        name="studio-a",
        camera=CAMERA,
        mask=mask,
        cfa="GRBG",
        black_level=256.0,
        white_level=4095.0,
        sensor_size=(12, 20),
        crop_offset=(2, 4),
        primaries=1,
        measurement={"method": "test"},
        date="2026-11-25T12:00:00+00:00",
    )


def _document(path: Path) -> dict:
    return json.loads(path.read_text())


def _rewrite(path: Path, **changes: object) -> None:
    document = _document(path)
    document.update(changes)
    path.write_text(json.dumps(document))


def test_round_trip_keeps_every_field_and_the_mask(tmp_path: Path) -> None:
    original = _calibration()
    written = save_calibration(original, tmp_path / "studio-a.json")
    document = _document(written)
    assert document["schema"] == "vhdr.MaskCalibration/2"
    assert document["mask_file"] == "studio-a.mask.exr"  # relative: the folder can move
    loaded = load_calibration(written)
    np.testing.assert_array_equal(loaded.mask, original.mask)
    assert not loaded.mask.flags.writeable
    assert (loaded.name, loaded.cfa, loaded.primaries) == ("studio-a", "GRBG", 1)
    assert (loaded.black_level, loaded.white_level) == (256.0, 4095.0)
    assert (loaded.sensor_size, loaded.crop_offset, loaded.mask_size) == ((12, 20), (2, 4), (6, 10))
    assert loaded.camera == CAMERA
    assert loaded.measurement == {"method": "test"} and loaded.source == written.resolve()
    _, header = read_exr_channels(tmp_path / "studio-a.mask.exr")
    assert header["cameraSerialNumber"] == "A123"  # the mask file names its camera too


def test_normalise_uses_the_levels() -> None:
    calibration = _calibration()
    np.testing.assert_allclose(
        calibration.normalise(np.array([256.0, 4095.0, 2175.5])), [0, 1, 0.5]
    )


def test_outputs_are_not_overwritten_without_force(tmp_path: Path) -> None:
    save_calibration(_calibration(), tmp_path / "a.json")
    with pytest.raises(OutputExistsError, match="a.json exists"):
        save_calibration(_calibration(), tmp_path / "a.json")
    save_calibration(_calibration(), tmp_path / "a.json", force=True)


def test_unknown_schema_version_lists_the_known_ones(tmp_path: Path) -> None:
    path = save_calibration(_calibration(), tmp_path / "a.json")
    _rewrite(path, schema="vhdr.MaskCalibration/7")
    with pytest.raises(UnreadableFileError, match="schema version 7 is unknown.*known versions: 1"):
        load_calibration(path)
    _rewrite(path, schema="something.Else/1")
    with pytest.raises(UnreadableFileError, match="expected 'vhdr.MaskCalibration/N'"):
        load_calibration(path)


def test_upgrade_functions_run_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_calibration(_calibration(), tmp_path / "a.json")
    document = _document(path)
    document["schema"] = "vhdr.MaskCalibration/0"
    document["mask"] = document.pop("mask_file")  # pretend version 0 called it "mask"

    def zero_to_one(doc: dict) -> dict:
        doc["mask_file"] = doc.pop("mask")
        return doc

    path.write_text(json.dumps(document))
    with pytest.raises(UnreadableFileError, match="schema version 0 is unknown"):
        load_calibration(path)
    monkeypatch.setitem(schema.UPGRADES, 0, zero_to_one)
    assert load_calibration(path).mask_size == (6, 10)


def test_missing_and_unknown_keys_are_listed(tmp_path: Path) -> None:
    path = save_calibration(_calibration(), tmp_path / "a.json")
    document = _document(path)
    del document["cfa"]
    document["flavour"] = "red"
    path.write_text(json.dumps(document))
    with pytest.raises(
        UnreadableFileError, match=r"unknown keys \['flavour'\], missing keys \['cfa'\]"
    ):
        load_calibration(path)


def test_mask_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    path = save_calibration(_calibration(), tmp_path / "a.json")
    write_exr(tmp_path / "a.mask.exr", np.zeros((6, 12), np.float32))
    with pytest.raises(InvalidArgumentError, match="is 6×12 but mask_size says 6×10"):
        load_calibration(path)


def test_missing_mask_file_names_it(tmp_path: Path) -> None:
    path = save_calibration(_calibration(), tmp_path / "a.json")
    (tmp_path / "a.mask.exr").unlink()
    with pytest.raises(UnreadableFileError, match="mask_file 'a.mask.exr'.*does not exist"):
        load_calibration(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cfa": "RGBG"}, "RGBG"),
        ({"crop_offset": [8, 4]}, "exceeds sensor_size"),
        ({"white_level": 100}, "black < white"),
        ({"mask_size": [6]}, r"expected \[height, width\]"),
        ({"name": "-bad name"}, "name='-bad name'"),
        ({"camera": {"maker": "x"}}, r"unknown key\(s\) \['maker'\]"),
    ],
)
def test_bad_fields_are_refused(tmp_path: Path, change: dict, message: str) -> None:
    path = save_calibration(_calibration(), tmp_path / "a.json")
    _rewrite(path, **change)
    with pytest.raises((InvalidArgumentError, UnreadableFileError), match=message):
        load_calibration(path)


def test_mask_values_outside_zero_one_are_refused() -> None:
    with pytest.raises(
        InvalidArgumentError, match=r"values in \[1.5, 1.5\]; expected transmittance in \[0, 1\]"
    ):
        MaskCalibration(name="x", camera=CameraId(), mask=np.full((4, 4), 1.5, np.float32))


def test_mask_for_other_frame_sizes_says_both_sizes() -> None:
    calibration = _calibration()
    assert calibration.mask_for(6, 10) is calibration.mask
    with pytest.raises(InvalidArgumentError, match="6×10 mask but the frames are 8×10"):
        calibration.mask_for(8, 10)


def test_camera_matching_rules() -> None:
    assert CAMERA.match_score(CameraId(make="arri", model="ALEXA  35", serial="a123")) == 2
    assert CAMERA.match_score(CameraId(make="ARRI", model="Alexa 35")) == 1
    assert CAMERA.match_score(CameraId(make="ARRI", model="Alexa 35", serial="B9")) == 0
    assert CAMERA.match_score(CameraId(make="ARRI", model="Alexa Mini")) == 0
    assert CAMERA.match_score(CameraId(name="studio-a")) == 0  # a name is not an identity


def test_camera_identity_from_frame_props_and_exr_headers() -> None:
    props = {"CameraMake": b"ARRI", "CameraModel": b"Alexa 35", "CameraSerial": 123, "_Matrix": 0}
    assert CameraId.from_metadata(props) == CameraId(make="ARRI", model="Alexa 35", serial="123")
    header = {"cameraMake": "RED", "cameraModel": "V-Raptor", "cameraSerialNumber": "7"}
    assert CameraId.from_metadata(header).describe() == "RED V-Raptor #7"
    assert not CameraId.from_metadata({"compression": 3}).has_identity
