"""``vhdr reconstruct``: real EXR sequences, a real C3D weights file, farm chunks, resume, errors."""

from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from tests.engine_toy import mask_of, raw_clip, write_shot
from vs_vhdr.calibration import CameraId, MaskCalibration, save_calibration
from vs_vhdr.cli.main import main
from vs_vhdr.io.exr import read_exr, read_exr_rgb, write_exr

FIRST, COUNT, H, W = 101, 11, 8, 10


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """raw.0101-0111.exr (channel Y), mask.exr and a seeded C3D-M (mask-conditioned) weights file."""
    return write_shot(tmp_path_factory.mktemp("shot"), COUNT, H, W, first=FIRST, model="c3d-m")


def reconstruct(shot: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "reconstruct",
            str(shot / "raw.%04d.exr"),
            "--mask",
            str(shot / "mask.exr"),
            "--model",
            str(shot / "c3d.safetensors"),
            "--device",
            "cpu",
            "--out",
            str(out / "hdr.%04d.exr"),
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def whole(shot: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole")
    assert reconstruct(shot, out) == 0
    return out


def frame(folder: Path, number: int) -> np.ndarray:
    return read_exr_rgb(folder / f"hdr.{number:04d}.exr")


def test_writes_rgb_exr_per_input_frame(whole: Path, capsys: pytest.CaptureFixture) -> None:
    names = sorted(p.name for p in whole.glob("*.exr"))
    assert names == [f"hdr.{FIRST + k:04d}.exr" for k in range(COUNT)]
    image = read_exr(whole / names[0])
    assert image.shape == (H, W, 3) and image.dtype == np.float32 and np.isfinite(image).all()
    with OpenEXR.File(str(whole / names[0]), header_only=True) as exr:
        header = dict(exr.header())
    assert "chromaticities" not in header  # camera RGB of unknown primaries: none is honest
    assert header["vhdrColorspace"] == "camera"
    assert not list(whole.glob(".*tmp*"))


def test_farm_chunks_stitch_into_the_whole_run(shot: Path, whole: Path, tmp_path: Path) -> None:
    for chunk in ("101-104", "105-105", "106-111"):
        assert reconstruct(shot, tmp_path, "--frames", chunk) == 0
    for k in range(COUNT):
        assert np.array_equal(frame(tmp_path, FIRST + k), frame(whole, FIRST + k)), k


def test_resume_writes_only_missing_frames(shot: Path, whole: Path, tmp_path: Path) -> None:
    assert reconstruct(shot, tmp_path, "--frames", "101-108") == 0
    (tmp_path / "hdr.0103.exr").unlink()
    (tmp_path / "hdr.0105.exr").write_bytes(b"truncated")  # not a readable EXR: redone
    kept = {
        p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.exr") if p.name != "hdr.0105.exr"
    }
    assert reconstruct(shot, tmp_path, "--resume") == 0
    for name, mtime in kept.items():
        assert (tmp_path / name).stat().st_mtime_ns == mtime, name
    for k in range(COUNT):
        assert np.array_equal(frame(tmp_path, FIRST + k), frame(whole, FIRST + k)), k


def test_existing_outputs_need_force(
    shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert reconstruct(shot, tmp_path, "--frames", "101") == 0
    capsys.readouterr()
    assert reconstruct(shot, tmp_path, "--frames", "101") == 2
    assert "--force" in capsys.readouterr().err
    before = (tmp_path / "hdr.0101.exr").stat().st_mtime_ns
    assert reconstruct(shot, tmp_path, "--frames", "101", "--force", "--half") == 0
    assert (tmp_path / "hdr.0101.exr").stat().st_mtime_ns != before


def test_summary_line(shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert reconstruct(shot, tmp_path, "--frames", "110-111", "--window", "4") == 0
    out = capsys.readouterr().out
    assert "2 frame(s) written, 0 skipped" in out
    assert "frames/s" in out and "peak memory" in out and "network window(s)" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--frames", "90-95"], "outside the input's frames 101-111"),
        (["--frames", "5-x"], "expected START-END"),
        (["--window", "0"], "window=0"),
        (["--cfa", "RGBG"], "not a Bayer pattern"),
        (["--device", "tpu"], "device='tpu'"),
    ],
)
def test_bad_arguments(
    shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture, change: list[str], message: str
) -> None:
    assert reconstruct(shot, tmp_path, *change) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_mask_of_another_size(shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_exr(tmp_path / "small.exr", mask_of(4, 4))
    args = ["reconstruct", str(shot / "raw.%04d.exr"), "--mask", str(tmp_path / "small.exr")]
    args += ["--model", str(shot / "c3d.safetensors"), "--out", str(tmp_path / "o.%04d.exr")]
    assert main(args) == 2
    assert "mask has size 4×4" in capsys.readouterr().err


def test_unknown_camera(shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["reconstruct", str(shot / "raw.%04d.exr"), "--camera", "nosuchcam"]
    args += ["--out", str(tmp_path / "o.%04d.exr")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "no calibration" in err and "nosuchcam" in err


def test_gaps_and_rgb_raw_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for number in (1, 2, 4):
        write_exr(tmp_path / f"raw.{number:04d}.exr", raw_clip(1, 4, 4)[0])
    write_exr(tmp_path / "mask.exr", mask_of(4, 4))
    args = ["reconstruct", str(tmp_path / "raw.%04d.exr"), "--mask", str(tmp_path / "mask.exr")]
    assert main([*args, "--out", str(tmp_path / "o.%04d.exr")]) == 2
    assert "missing frames (3)" in capsys.readouterr().err
    write_exr(tmp_path / "raw.0003.exr", np.zeros((4, 4, 3), np.float32))
    assert main([*args, "--model", "c3d", "--out", str(tmp_path / "o.%04d.exr")]) == 2
    assert "RGB channels" in capsys.readouterr().err


def test_camera_calibration_file_equals_mask_file(shot: Path, whole: Path, tmp_path: Path) -> None:
    calibration = MaskCalibration(name="testcam", camera=CameraId(), mask=mask_of(H, W))
    path = save_calibration(calibration, tmp_path / "testcam.json")
    args = ["reconstruct", str(shot / "raw.%04d.exr"), "--camera", str(path), "--frames", "106"]
    args += ["--model", str(shot / "c3d.safetensors"), "--out", str(tmp_path / "hdr.%04d.exr")]
    assert main([*args, "--device", "cpu"]) == 0
    assert np.array_equal(frame(tmp_path, 106), frame(whole, 106))
