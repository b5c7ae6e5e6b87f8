"""``vhdr.RawSource``: DNG sequences as GRAYS clips with metadata props, feeding ``Reconstruct``."""

import os
import subprocess
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs

from tests.engine_toy import mask_of, raw_clip
from tests.vs_support import ROOT, build_shim, installed_plugin, render, save_small_model
from vs_vhdr.calibration import CameraId, MaskCalibration, save_calibration
from vs_vhdr.io.dng import write_dng
from vs_vhdr.io.raw import RawMetadata, read_raw
from vs_vhdr.plugins import reset_host
from vs_vhdr.vapoursynth import raw_source, reconstruct

COUNT, H, W = 5, 24, 28
CAMERA = RawMetadata("Acme", "Coded One", "A-17", 400.0, 0.02, Fraction(25))
VSPIPE = Path(sys.executable).parent / "vspipe"
SIGNATURE = "path:data;fpsnum:int:opt;fpsden:int:opt;black_level:float:opt;white_level:float:opt;"


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dng/A001_000011..15.dng (GBRG, per-position black), calibrations/acme.json, weights."""
    folder = tmp_path_factory.mktemp("vsraw")
    (folder / "dng").mkdir()
    for k, frame in enumerate(raw_clip(COUNT, H, W)):
        write_dng(folder / "dng" / f"A001_{11 + k:06d}.dng", frame, cfa="GBRG",
                  black_level=(100, 101, 102, 103), white_level=4198, metadata=CAMERA)  # fmt: skip
    (folder / "calibrations").mkdir()
    calibration = MaskCalibration(
        name="acme", camera=CameraId(make="Acme", model="Coded One"), mask=mask_of(H, W), cfa="GBRG"
    )
    save_calibration(calibration, folder / "calibrations" / "acme.json")
    save_small_model(folder / "c3d.safetensors")
    return folder


@pytest.fixture
def calibrated(shot: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("VHDR_CALIBRATION_PATH", str(shot / "calibrations"))
    reset_host()
    yield shot
    monkeypatch.undo()
    reset_host()


def test_raw_source_frames_props_and_rate(shot: Path) -> None:
    clip = raw_source(str(shot / "dng" / "A001_%06d.dng"))
    assert (clip.format.id, clip.width, clip.height, clip.num_frames) == (vs.GRAYS, W, H, COUNT)
    assert (clip.fps.numerator, clip.fps.denominator) == (25, 1)  # the CinemaDNG FrameRate tag
    for n in (3, 0, 4):  # any order: each frame decodes its own file
        frame = clip.get_frame(n)
        path = shot / "dng" / f"A001_{11 + n:06d}.dng"
        assert np.array_equal(np.asarray(frame[0]), read_raw(path)[0])
        props = dict(frame.props)
        assert props["CameraMake"] == "Acme" and props["CameraSerial"] == "A-17"
        assert props["ISO"] == 400.0 and props["ExposureTime"] == pytest.approx(0.02)
        assert props["CFA"] == "GBRG" and list(props["BlackLevel"]) == [100, 101, 102, 103]
        assert props["WhiteLevel"] == 4198 and props["vhdr_FrameNumber"] == 11 + n
        assert props["vhdr_Source"] == str(path)
    rate = raw_source(str(shot / "dng"), fpsnum=24000, fpsden=1001).fps
    assert (rate.numerator, rate.denominator) == (24000, 1001)


def test_raw_source_errors_name_the_function_and_the_problem(shot: Path, tmp_path: Path) -> None:
    for number in (1, 2, 5):
        (tmp_path / f"f{number}.dng").write_bytes((shot / "dng/A001_000011.dng").read_bytes())
    cases = [
        (str(tmp_path), "frame number(s) 3, 4; expected a sequence without gaps"),
        (str(tmp_path / "none_%04d.dng"), "matches no file"),
        (str(shot / "calibrations" / "acme.json"), "acme.json is not a camera raw file"),
    ]
    for path, message in cases:
        with pytest.raises(vs.Error, match="^vhdr.RawSource: ") as error:
            raw_source(path)
        assert message in str(error.value)
    with pytest.raises(vs.Error, match="fpsnum=-1"):
        raw_source(str(shot / "dng"), fpsnum=-1)


def test_reconstruct_takes_camera_and_cfa_from_the_props(calibrated: Path) -> None:
    model = str(calibrated / "c3d.safetensors")
    clip = raw_source(str(calibrated / "dng"))
    automatic = render(reconstruct(clip, model=model, window=4, device="cpu"))
    explicit = reconstruct(
        clip, camera="acme", cfa="GBRG", model=model, window=4, device="cpu"
    )  # the same calibration and CFA, named
    assert np.array_equal(automatic, render(explicit))
    assert np.isfinite(automatic).all() and automatic.std() > 0
    with pytest.raises(vs.Error, match="cfa='RGGB' but the camera calibration says GBRG"):
        reconstruct(clip, cfa="RGGB", model=model, window=4, device="cpu")


def test_native_raw_source_has_the_documented_signature(tmp_path: Path) -> None:
    if not hasattr(vs.core, "vhdr"):
        vs.core.std.LoadPlugin(str(installed_plugin() or build_shim(tmp_path)))
    if not hasattr(vs.core.vhdr, "RawSource"):
        pytest.fail("the installed vhdr VapourSynth plugin predates RawSource; run `make setup`")
    assert vs.core.vhdr.RawSource.signature == SIGNATURE


def test_vspipe_renders_raw_source_into_reconstruct(calibrated: Path, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "vapoursynth", "config"], check=True, env=env)
    if installed_plugin() is None:
        env["VAPOURSYNTH_EXTRA_PLUGIN_PATH"] = str(build_shim(tmp_path).parent)
    model = str(calibrated / "c3d.safetensors")
    pattern = str(calibrated / "dng" / "A001_%06d.dng")
    args = ["-a", f"shot={pattern}", "-a", f"model={model}", "-a", "window=4", "-a", "device=cpu"]
    script = ROOT / "examples" / "raw_reconstruct.vpy"
    command = [str(VSPIPE), *args, str(script), str(tmp_path / "hdr.rgbs")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    planes = np.fromfile(tmp_path / "hdr.rgbs", np.float32).reshape(COUNT, 3, H, W)
    rgb = planes[:, [2, 0, 1]].transpose(0, 2, 3, 1)  # vspipe writes RGB planes as G, B, R
    expected = render(reconstruct(raw_source(pattern), model=model, window=4, device="cpu"))
    assert np.array_equal(rgb, expected)
