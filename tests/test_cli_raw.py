"""``vhdr reconstruct`` and ``vhdr calibrate`` on DNG files: levels, CFA and camera from the files."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import OpenEXR
import pytest
import torch

from tests.engine_toy import mask_of, raw_clip
from vs_vhdr.calibration import CameraId, MaskCalibration, load_calibration, save_calibration
from vs_vhdr.cli.main import main
from vs_vhdr.cli.simulate import read_dir, replay_dir
from vs_vhdr.imaging.capture import CaptureSettings, capture
from vs_vhdr.imaging.masks import make_mask, mask_settings
from vs_vhdr.io.dng import write_dng
from vs_vhdr.io.exr import read_exr_rgb, write_exr
from vs_vhdr.io.raw import RawMetadata, read_raw
from vs_vhdr.nets import create_model, save_weights
from vs_vhdr.plugins import reset_host

FIRST, COUNT, H, W = 101, 5, 24, 28
CAMERA = RawMetadata("Acme", "Coded One", "A-17", 400.0, 1 / 50)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dng/A001_000101..105.dng (GBRG, black 128), the same frames as EXR, mask, C3D-M weights."""
    folder = tmp_path_factory.mktemp("rawshot")
    (folder / "dng").mkdir()
    for k, frame in enumerate(raw_clip(COUNT, H, W)):
        dng = folder / "dng" / f"A001_{FIRST + k:06d}.dng"
        write_dng(dng, frame, cfa="GBRG", black_level=128, metadata=CAMERA)
        write_exr(folder / f"raw.{FIRST + k:04d}.exr", read_raw(dng)[0])
    write_exr(folder / "mask.exr", mask_of(H, W))
    torch.manual_seed(0)
    save_weights(create_model("c3d-m"), folder / "c3d.safetensors")
    return folder


@pytest.fixture
def calibrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on ``VHDR_CALIBRATION_PATH``, the plugin host reloaded around the test."""
    folder = tmp_path / "calibrations"
    folder.mkdir()
    monkeypatch.setenv("VHDR_CALIBRATION_PATH", str(folder))
    reset_host()
    yield folder
    monkeypatch.undo()
    reset_host()


def reconstruct(shot: Path, inputs: str, out: Path, *extra: str) -> int:
    model = ["--model", str(shot / "c3d.safetensors"), "--device", "cpu", "--window", "4"]
    return main(["reconstruct", inputs, *model, "--out", str(out / "hdr.%04d.exr"), *extra])


def outputs(folder: Path) -> np.ndarray:
    return np.stack([read_exr_rgb(folder / f"hdr.{FIRST + k:04d}.exr") for k in range(COUNT)])


def test_dng_sequence_reconstructs_like_the_same_frames_as_exr(shot: Path, tmp_path: Path) -> None:
    mask = ["--mask", str(shot / "mask.exr")]
    assert (
        reconstruct(shot, str(shot / "raw.%04d.exr"), tmp_path / "exr", *mask, "--cfa", "GBRG") == 0
    )
    camera_rgb = ["--colorspace", "camera"]  # the DNGs carry a colour matrix: acescg by default
    assert reconstruct(shot, str(shot / "dng"), tmp_path / "dng", *mask, *camera_rgb) == 0
    assert np.array_equal(outputs(tmp_path / "dng"), outputs(tmp_path / "exr"))  # CFA from files
    assert (
        reconstruct(shot, str(shot / "dng"), tmp_path / "rggb", *mask, *camera_rgb, "--cfa", "RGGB")
        == 0
    )
    assert not np.array_equal(outputs(tmp_path / "rggb"), outputs(tmp_path / "exr"))  # --cfa wins
    with OpenEXR.File(str(tmp_path / "dng" / f"hdr.{FIRST:04d}.exr"), header_only=True) as exr:
        header = dict(exr.header())
    assert (header["cameraMake"], header["cameraSerialNumber"]) == ("Acme", "A-17")


def test_camera_identity_in_the_files_resolves_the_calibration(
    shot: Path, tmp_path: Path, calibrations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    camera = CameraId(make="ACME", model="coded  one")  # matching ignores case and spacing
    save_calibration(
        MaskCalibration(name="stage-b", camera=camera, mask=mask_of(H, W), cfa="GBRG"),
        calibrations / "stage-b.json",
    )
    assert reconstruct(shot, str(shot / "dng/A001_%06d.dng"), tmp_path / "auto") == 0
    assert "camera Acme Coded One #A-17 -> calibration 'stage-b'" in capsys.readouterr().err
    assert (
        reconstruct(shot, str(shot / "dng"), tmp_path / "mask", "--mask", str(shot / "mask.exr"))
        == 0
    )
    assert np.array_equal(outputs(tmp_path / "auto"), outputs(tmp_path / "mask"))


def test_raw_input_errors_are_one_line_and_name_what_is_wrong(
    shot: Path, tmp_path: Path, calibrations: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert reconstruct(shot, str(shot / "dng"), out) == 2
    assert "no calibration for Acme Coded One #A-17" in capsys.readouterr().err
    save_calibration(
        MaskCalibration(name="wrong-cfa", camera=CameraId(make="Acme", model="Coded One"),
                        mask=mask_of(H, W), cfa="RGGB"),
        calibrations / "wrong-cfa.json",
    )  # fmt: skip
    reset_host()
    assert reconstruct(shot, str(shot / "dng"), out) == 2
    assert "files' CFA is GBRG but calibration 'wrong-cfa' was measured with RGGB" in (
        capsys.readouterr().err
    )
    assert reconstruct(shot, str(shot / "raw.%04d.exr"), out, "--white-level", "4095") == 2
    assert "--black-level/--white-level apply to raw files" in capsys.readouterr().err
    assert reconstruct(shot, str(shot / "raw.%04d.exr"), out) == 2
    assert "expected --mask FILE or --camera NAME" in capsys.readouterr().err
    gap = tmp_path / "gap"
    gap.mkdir()
    for number in (1, 2, 4):
        (gap / f"f{number}.dng").write_bytes((shot / "dng" / f"A001_{FIRST:06d}.dng").read_bytes())
    assert reconstruct(shot, str(gap), out, "--mask", str(shot / "mask.exr")) == 2
    assert "frame number(s) 3; expected a sequence without gaps" in capsys.readouterr().err
    assert not out.exists()


def test_calibrate_reads_dng_flat_fields_with_their_cfa_levels_and_camera(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    height, width = 96, 128
    mask = make_mask(mask_settings("uniform", seed=5), height, width)
    white = np.full((4, height, width, 3), 0.8, np.float32)
    flats = tmp_path / "flats"
    flats.mkdir()
    for i, exposure in enumerate((0.5, 0.5, 1.0, 1.0)):
        settings = CaptureSettings(cfa="BGGR", exposure=exposure, noise_seed=i, camera_seed=7)
        frame = capture(white[i : i + 1], mask, settings)[0][0]
        write_dng(flats / f"IMG_{10 + 3 * i:04d}.dng", frame, cfa="BGGR",
                  black_level=(60, 62, 64, 66), white_level=4161, metadata=CAMERA)  # fmt: skip
    out = tmp_path / "cal.json"
    assert main(["calibrate", *map(str, sorted(flats.iterdir())), "--out", str(out)]) == 0
    assert "Acme Coded One #A-17, CFA BGGR" in capsys.readouterr().out
    calibration = load_calibration(out)
    assert calibration.cfa == "BGGR"
    assert (calibration.black_level, calibration.white_level) == (63.0, 4161.0)
    assert calibration.measurement["raw_black_levels"] == [60.0, 62.0, 64.0, 66.0]
    assert calibration.camera == CameraId(make="Acme", model="Coded One", serial="A-17")
    assert np.sqrt(np.mean((calibration.mask - mask) ** 2)) < 0.02


def test_simulate_writes_dng_captures_that_read_back_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    argv = [
        "simulate", "procedural:day", "--out", str(out), "--frames", "3", "--crop", "24x32",
        "--cfa", "GRBG", "--bits", "10", "--seed", "5", "--format", "dng",
    ]  # fmt: skip
    assert main(argv) == 0
    assert sorted(p.name for p in out.glob("raw.*")) == [f"raw.000{i}.dng" for i in range(3)]
    raw, _, mask = read_dir(out)
    replayed, _ = replay_dir(out)  # the simulator's frames, recomputed from capture.json
    np.testing.assert_allclose(raw, replayed, rtol=0, atol=1e-6)
    assert len(np.unique(raw)) > 100
    mosaic, info = read_raw(out / "raw.0001.dng")
    assert (info.cfa, info.white_level, info.black_levels) == ("GRBG", 1023.0, (0.0,) * 4)
    assert main(["reconstruct", str(out), "--mask", str(out / "mask.exr"), "--device", "cpu",
                 "--model", "c3d", "--window", "4", "--out", str(tmp_path / "hdr.%04d.exr")]) == 0  # fmt: skip
    assert read_exr_rgb(tmp_path / "hdr.0002.exr").shape == (24, 32, 3)
    capsys.readouterr()
    small = [*argv[:3], str(tmp_path / "sim16"), *argv[4:7], "16x16", *argv[8:]]
    assert main(small) == 2
    assert "--format dng: frames are 16x16; expected at least 22x22" in capsys.readouterr().err
    assert not (tmp_path / "sim16").exists()
