"""``vhdr calibrate`` end to end: simulated flat-field EXR / 16-bit PNG files → calibration file."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.test_calibration_flatfield import HEIGHT, WIDTH, flat_fields
from vs_vhdr.calibration.schema import load_calibration
from vs_vhdr.cli.main import main
from vs_vhdr.imaging.masks import make_mask, mask_settings
from vs_vhdr.io.exr import write_exr

CAMERA = {"cameraMake": "ARRI", "cameraModel": "Alexa 35", "cameraSerialNumber": "A123"}


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    """A folder of flat-field EXRs carrying the camera's identity, the mask and the frames."""
    folder = tmp_path_factory.mktemp("flat")
    mask = make_mask(mask_settings("uniform", seed=5), HEIGHT, WIDTH)
    frames = flat_fields(mask, (0.45, 0.9), seed=50, per_exposure=3)
    for i, frame in enumerate(frames):
        write_exr(folder / f"flat.{i:04d}.exr", frame, attributes=CAMERA)
    write_exr(folder / "truth.exr", mask)
    return folder, mask, frames


def test_calibrate_writes_a_checked_calibration_and_reports_the_error(
    shoot: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, mask, _ = shoot
    out, report = tmp_path / "stage-a.json", tmp_path / "report.json"
    argv = [
        "calibrate", str(folder / "flat.%04d.exr"), "--out", str(out), "--cfa", "RGGB",
        "--reference-mask", str(folder / "truth.exr"), "--json", str(report),
    ]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "ARRI Alexa 35 #A123" in printed and "error vs reference mask: RMSE 0.00" in printed
    calibration = load_calibration(out)  # every field checked again on the way in
    assert calibration.name == "stage-a" and calibration.camera.serial == "A123"
    assert calibration.mask_size == (HEIGHT, WIDTH) and calibration.measurement["frames"] == 6
    errors = json.loads(report.read_text())["reference_error"]
    assert errors["rmse"] < 0.01
    assert calibration.measurement["reference_error"] == errors
    assert np.sqrt(np.mean((calibration.mask - mask) ** 2)) == pytest.approx(errors["rmse"], 1e-4)


def test_existing_outputs_need_force(
    shoot: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, _ = shoot
    argv = ["calibrate", str(folder / "flat.000[0-2].exr"), "--out", str(tmp_path / "a.json")]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) == 2
    assert "a.json already exists; pass --force" in capsys.readouterr().err
    assert main([*argv, "--force", "--camera-serial", "B7"]) == 0
    assert load_calibration(tmp_path / "a.json").camera.serial == "B7"  # flags beat metadata


def test_integer_png_frames_use_black_and_white_levels(shoot: tuple, tmp_path: Path) -> None:
    folder, mask, frames = shoot
    black, white = 256, 4095  # 12-bit data with a pedestal, stored in 16-bit PNGs
    for i, frame in enumerate(frames):
        dn = np.round(black + frame * (white - black)).astype(np.uint16)
        assert cv2.imwrite(str(tmp_path / f"raw{i}.png"), dn)
    out = tmp_path / "png.json"
    argv = ["calibrate", str(tmp_path / "raw*.png"), "--out", str(out),
            "--black-level", str(black), "--white-level", str(white)]  # fmt: skip
    assert main(argv) == 0
    calibration = load_calibration(out)
    assert (calibration.black_level, calibration.white_level) == (256.0, 4095.0)
    assert np.sqrt(np.mean((calibration.mask - mask) ** 2)) < 0.012


def test_bad_arguments_are_one_line_errors(
    shoot: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _, _ = shoot
    frames = str(folder / "flat.%04d.exr")
    assert main(["calibrate", frames, "--out", str(tmp_path / "a.txt")]) == 2
    assert main(["calibrate", frames, "--out", str(tmp_path / "b.json"), "--cfa", "RGBG"]) == 2
    assert (
        main(["calibrate", str(tmp_path / "none.%04d.exr"), "--out", str(tmp_path / "c.json")]) == 2
    )
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(e.startswith("vhdr calibrate: error:") for e in errors)
    assert (
        "expected a .json" in errors[0] and "RGBG" in errors[1] and "matches no file" in errors[2]
    )
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "b.mask.exr").exists()
