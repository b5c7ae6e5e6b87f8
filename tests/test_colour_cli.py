"""The colour stage on the command line: a grey card DNG comes out grey, EXRs name their space."""

from pathlib import Path

import numpy as np
import OpenEXR
import pytest
from colour_support import D65_NEUTRAL, camera_5d2

from vs_vhdr.cli.main import main
from vs_vhdr.colour import COLORSPACES, DngColour
from vs_vhdr.io.dng import write_dng
from vs_vhdr.io.exr import read_exr_rgb, write_exr
from vs_vhdr.io.raw import RawMetadata

H, W, FRAMES = 32, 40, 3
CFA = "RGGB"


def grey_card_mosaic(level: float, neutral: tuple[float, ...] = D65_NEUTRAL) -> np.ndarray:
    """A grey card's raw ``H×W`` mosaic: camera RGB ``level · neutral`` at every site."""
    values = {letter: level * n for letter, n in zip("RGB", neutral)}
    letters = np.array(list(CFA)).reshape(2, 2)
    sites = np.tile(letters, (H // 2, W // 2))
    return np.vectorize(values.get)(sites).astype(np.float32)


def write_shot(folder: Path, colour: DngColour | None, mosaic: np.ndarray) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    meta = RawMetadata("Canon", "EOS 5D Mark II", "0001")
    for k in range(FRAMES):
        write_dng(
            folder / f"shot.{k:04d}.dng", mosaic, cfa=CFA, bits=14, metadata=meta, colour=colour
        )
    write_exr(folder / "ones.exr", np.ones((H, W), np.float32), chromaticities=None)
    return str(folder / "shot.%04d.dng")


def reconstruct(pattern: str, out: Path, *extra: str) -> int:
    mask = str(Path(pattern).parent / "ones.exr")
    args = ["reconstruct", pattern, "--mask", mask, "--out", str(out / "hdr.%04d.exr")]
    return main([*args, "--device", "cpu", *extra])


def header(path: Path) -> dict:
    with OpenEXR.File(str(path), header_only=True) as exr:
        return dict(exr.header())


@pytest.fixture(scope="module")
def grey_card(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("greycard")
    return write_shot(folder, camera_5d2(), grey_card_mosaic(0.4))


def test_done_when_grey_card_dng_comes_out_grey_in_acescg(
    grey_card: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert reconstruct(grey_card, tmp_path) == 0  # no colour options
    assert "colorspace acescg" in capsys.readouterr().err
    image = read_exr_rgb(tmp_path / "hdr.0001.exr")
    centre = image[4:-4, 4:-4].reshape(-1, 3).mean(axis=0)
    assert np.all(np.abs(centre / centre.mean() - 1) < 0.02), centre
    head = header(tmp_path / "hdr.0001.exr")
    assert np.allclose(head["chromaticities"], COLORSPACES["acescg"].chromaticities, atol=1e-6)
    assert head["vhdrColorspace"] == "acescg"


@pytest.mark.parametrize("space", ["aces2065-1", "rec709"])
def test_every_space_writes_its_chromaticities(grey_card: str, tmp_path: Path, space: str) -> None:
    assert reconstruct(grey_card, tmp_path, "--colorspace", space, "--frames", "1") == 0
    head = header(tmp_path / "hdr.0001.exr")
    assert np.allclose(head["chromaticities"], COLORSPACES[space].chromaticities, atol=1e-6)
    image = read_exr_rgb(tmp_path / "hdr.0001.exr")[4:-4, 4:-4].reshape(-1, 3).mean(axis=0)
    assert np.all(np.abs(image / image.mean() - 1) < 0.02), image


def test_dng_without_matrices_keeps_camera_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern = write_shot(tmp_path / "in", None, grey_card_mosaic(0.4))
    for path in sorted((tmp_path / "in").glob("*.dng")):
        _strip_colour_matrix(path)
    assert reconstruct(pattern, tmp_path / "out") == 0
    err = capsys.readouterr().err
    assert "colorspace camera" in err and "no camera matrices" in err
    head = header(tmp_path / "out" / "hdr.0000.exr")
    assert "chromaticities" not in head and head["vhdrColorspace"] == "camera"
    assert reconstruct(pattern, tmp_path / "x", "--colorspace", "acescg") == 2
    assert "needs the camera's colour matrices" in capsys.readouterr().err


def test_clipped_grey_card_stays_neutral(tmp_path: Path) -> None:
    mosaic = grey_card_mosaic(0.4)
    mosaic[8:24, 10:30] = 1.0  # a clipped highlight: every channel at white
    pattern = write_shot(tmp_path / "in", camera_5d2(), mosaic)
    assert reconstruct(pattern, tmp_path / "out") == 0
    centre = read_exr_rgb(tmp_path / "out" / "hdr.0001.exr")[12:20, 16:24].reshape(-1, 3)
    ratio = centre.max(axis=1) / centre.min(axis=1)
    assert np.all(ratio < 1.05), centre  # not magenta


def _strip_colour_matrix(path: Path) -> None:
    """Rewrite a DNG without ColorMatrix1 (tag 50721) by renaming the tag to a private code."""
    data = bytearray(path.read_bytes())
    code = (50721).to_bytes(2, "little")
    index = data.find(code + (10).to_bytes(2, "little"))
    assert index > 0
    data[index : index + 2] = (65000).to_bytes(2, "little")
    path.write_bytes(bytes(data))
