"""Scene ACEScg -> camera raw -> DNG -> reconstruct -> ACEScg: a 24-patch chart comes back."""

import json
from pathlib import Path

import numpy as np
import pytest
from colour_support import camera_5d2

from vs_vhdr.cli.main import main
from vs_vhdr.colour import COLORSPACES
from vs_vhdr.io.exr import read_exr_rgb, write_exr
from vs_vhdr.io.raw import read_raw

PATCH, ROWS, COLS = 10, 4, 6


def chart_image(chart: np.ndarray) -> np.ndarray:
    """``40×60×3``: the 24 patches, 10×10 pixels each, row by row as on the chart."""
    tiles = chart.reshape(ROWS, COLS, 1, 1, 3)
    image = np.broadcast_to(tiles, (ROWS, COLS, PATCH, PATCH, 3))
    return image.transpose(0, 2, 1, 3, 4).reshape(ROWS * PATCH, COLS * PATCH, 3).copy()


def patch_means(image: np.ndarray) -> np.ndarray:
    """``24×3``: the mean of each patch's central 4×4 pixels."""
    tiles = image.reshape(ROWS, PATCH, COLS, PATCH, 3).transpose(0, 2, 1, 3, 4)
    return tiles[:, :, 3:7, 3:7].reshape(ROWS * COLS, -1, 3).mean(axis=1)


def test_chart_round_trip_through_a_simulated_dng_camera(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("colour")
    from colour_support import chart_acescg, delta_e_2000

    chart = chart_acescg().astype(np.float32)
    write_exr(tmp_path / "chart.exr", chart_image(chart), chromaticities=None)
    (tmp_path / "camera.json").write_text(json.dumps(camera_5d2().to_dict()))
    write_exr(tmp_path / "ones.exr", np.ones((ROWS * PATCH, COLS * PATCH), np.float32))
    shot = tmp_path / "shot"
    simulate = [
        "simulate", str(tmp_path / "chart.exr"), "--out", str(shot), "--format", "dng",
        "--camera-colour", str(tmp_path / "camera.json"), "--mask", str(tmp_path / "ones.exr"),
        "--noise", "none", "--exposure", "1", "--frames", "3", "--bits", "16", "--crop", "40x60",
    ]  # fmt: skip
    assert main(simulate) == 0
    _, info = read_raw(shot / "raw.0000.dng")
    assert info.colour is not None and info.colour.as_shot_neutral == pytest.approx(
        camera_5d2().as_shot_neutral, abs=1e-4
    )
    out = tmp_path / "hdr"
    command = ["reconstruct", str(shot / "raw.%04d.dng"), "--mask", str(shot / "mask.exr")]
    assert main([*command, "--out", str(out / "hdr.%04d.exr"), "--device", "cpu"]) == 0
    assert "colorspace acescg" in capsys.readouterr().err
    result = patch_means(read_exr_rgb(out / "hdr.0001.exr"))
    truth = patch_means(read_exr_rgb(shot / "gt.0001.exr"))
    assert np.allclose(truth, chart, atol=1e-5)  # gt is the ACEScg scene
    unclipped = truth.max(axis=1) < 0.95
    errors = delta_e_2000(result[unclipped], truth[unclipped])
    print(f"chart round trip: mean CIEDE2000 {errors.mean():.3f}, max {errors.max():.3f}")
    assert errors.mean() <= 1.0, errors
    assert np.allclose(COLORSPACES["acescg"].chromaticities[:2], (0.713, 0.293))
