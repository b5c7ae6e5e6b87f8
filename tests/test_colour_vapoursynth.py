"""The colour stage in VapourSynth: RawSource's DNG colour reaches Reconstruct, props say the space."""

from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs
from colour_support import camera_5d2
from test_colour_cli import _strip_colour_matrix, grey_card_mosaic, write_shot
from vs_support import ensure_namespace

from vs_vhdr.calibration import CameraId, MaskCalibration, save_calibration
from vs_vhdr.plugins import reset_host
from vs_vhdr.vapoursynth import raw_source, reconstruct


def render(node: vs.VideoNode, n: int = 1) -> tuple[np.ndarray, dict]:
    frame = node.get_frame(n)
    rgb = np.stack([np.asarray(frame[p]) for p in range(3)], axis=-1)
    return rgb, dict(frame.props)


def grey(rgb: np.ndarray) -> np.ndarray:
    centre = rgb[4:-4, 4:-4].reshape(-1, 3).mean(axis=0)
    return np.abs(centre / centre.mean() - 1)


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vscard")
    write_shot(folder, camera_5d2(), grey_card_mosaic(0.4))
    return folder


def test_grey_card_dng_is_grey_acescg_with_props(card: Path, tmp_path: Path) -> None:
    ensure_namespace(tmp_path)
    clip = vs.core.vhdr.RawSource(str(card / "shot.%04d.dng"))
    hdr = vs.core.vhdr.Reconstruct(clip, mask_file=str(card / "ones.exr"), device="cpu")
    rgb, props = render(hdr)
    assert np.all(grey(rgb) < 0.02), rgb[8, 8]
    assert props["vhdr_Colorspace"] == "acescg" and props["_Primaries"] == 2
    assert "ColorMatrix1 (D65)" in props["vhdr_ColourSource"]
    rec709 = reconstruct(clip, mask_file=str(card / "ones.exr"), device="cpu", colorspace="rec709")
    rgb709, props709 = render(rec709)
    assert props709["_Primaries"] == 1 and props709["vhdr_Colorspace"] == "rec709"
    assert np.all(grey(rgb709) < 0.02)
    camera, props_cam = render(reconstruct(clip, mask_file=str(card / "ones.exr"), device="cpu",
                                           colorspace="camera"))  # fmt: skip
    assert props_cam["vhdr_Colorspace"] == "camera" and grey(camera).max() > 0.3  # magenta-green


def test_dng_without_matrices_stays_camera_and_says_so(tmp_path: Path) -> None:
    write_shot(tmp_path, None, grey_card_mosaic(0.4))
    for path in tmp_path.glob("*.dng"):
        _strip_colour_matrix(path)
    clip = raw_source(str(tmp_path / "shot.%04d.dng"))
    _, props = render(reconstruct(clip, mask_file=str(tmp_path / "ones.exr"), device="cpu"))
    assert props["vhdr_Colorspace"] == "camera" and props["_Primaries"] == 2
    assert "no camera matrices" in props["vhdr_ColourSource"]
    with pytest.raises(vs.Error, match="^vhdr.Reconstruct: colorspace: colorspace='acescg' needs"):
        reconstruct(clip, mask_file=str(tmp_path / "ones.exr"), colorspace="acescg")
    with pytest.raises(vs.Error, match="expected one of acescg, aces2065-1, rec709, camera"):
        reconstruct(clip, mask_file=str(tmp_path / "ones.exr"), colorspace="srgb")


def test_calibration_colour_section_gives_the_matrices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_shot(tmp_path, None, grey_card_mosaic(0.4))
    for path in tmp_path.glob("*.dng"):
        _strip_colour_matrix(path)
    calibration = MaskCalibration(
        name="card-cam",
        camera=CameraId(make="Canon", model="EOS 5D Mark II"),
        mask=np.ones((32, 40), np.float32),
        colour=camera_5d2(),
    )
    (tmp_path / "cal").mkdir()
    save_calibration(calibration, tmp_path / "cal" / "card-cam.json")
    monkeypatch.setenv("VHDR_CALIBRATION_PATH", str(tmp_path / "cal"))
    reset_host()
    try:
        clip = raw_source(str(tmp_path / "shot.%04d.dng"))
        rgb, props = render(reconstruct(clip, device="cpu"))  # camera found from the DNG identity
        assert props["vhdr_Colorspace"] == "acescg" and np.all(grey(rgb) < 0.02)
    finally:
        monkeypatch.undo()
        reset_host()
