"""``vhdr eval`` end to end on small EXR sequences: numbers, files, baseline, errors."""

import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from vs_vhdr.cli.main import main
from vs_vhdr.imaging.cfa import mosaic_np
from vs_vhdr.io.exr import write_exr
from vs_vhdr.units import LOG_EPS

OFFSET = 0.1  # every prediction is exactly 0.1 above the ground truth in the log domain


def write_clip(folder: Path, gt: np.ndarray, first_pred_number: int = 0) -> None:
    """gt.%04d.exr, pred.%04d.exr (log offset OFFSET), raw.%04d.exr (GBRG) and mask.exr."""
    folder.mkdir()
    mask = np.random.default_rng(6).uniform(0.3, 1.0, gt.shape[1:3]).astype(np.float32)
    write_exr(folder / "mask.exr", mask)
    pred = (gt + LOG_EPS) * math.exp(OFFSET) - LOG_EPS
    for t in range(gt.shape[0]):
        write_exr(folder / f"gt.{t:04d}.exr", gt[t])
        write_exr(folder / f"pred.{t + first_pred_number:04d}.exr", pred[t])
        raw = (mosaic_np(gt[t], "GBRG") * mask).astype(np.float32)
        write_exr(folder / f"raw.{t:04d}.exr", raw, attributes={"vhdrCfa": "GBRG"})


@pytest.fixture
def clips(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:16, 0:20]
    base = np.stack([0.3 + 0.1 * np.sin(xx / 5 + c) * np.cos(yy / 6) for c in range(3)], -1)
    write_clip(tmp_path / "one", np.stack([base, base, base]).astype(np.float32))
    write_clip(tmp_path / "two", rng.uniform(0.05, 0.9, (2, 16, 20, 3)).astype(np.float32), 1)
    return tmp_path


def test_eval_numbers_files_and_baseline(clips: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = clips / "out"
    out.mkdir()
    args = [
        "eval",
        "--method",
        "c3d",
        "--json",
        str(out / "r.json"),
        "--figure",
        str(out / "f.png"),
    ]
    args += ["--markdown", str(out / "r.md")]
    for name in ("one", "two"):
        args += [
            "--gt",
            str(clips / name / "gt.%04d.exr"),
            "--pred",
            str(clips / name / "pred.####.exr"),
        ]
        args += ["--baseline", str(clips / name / "raw.%04d.exr"), "--motion", "static"]
    args += ["--mask", str(clips / "one" / "mask.exr"), "--mask", str(clips / "two" / "mask.exr")]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "| one | c3d | 0.1000 | 0.0100 |" in printed
    assert printed == (out / "r.md").read_text()
    report = json.loads((out / "r.json").read_text())
    rows = {(r["clip"], r["method"]): r["metrics"] for r in report["rows"]}
    assert set(rows) == {("one", "c3d"), ("one", "baseline"), ("two", "c3d"), ("two", "baseline")}
    for clip in ("one", "two"):
        model = rows[(clip, "c3d")]
        assert model["log_mae"] == pytest.approx(OFFSET, abs=1e-5)  # hand-computed
        assert model["log_mse"] == pytest.approx(OFFSET**2, abs=1e-5)
        assert model["temporal_error"] == pytest.approx(0.0, abs=1e-5)  # a constant gain
    assert rows[("one", "c3d")]["temporal_loss"] == pytest.approx(0.0, abs=1e-6)
    # noiseless, unsaturated, smooth; the CFA comes from the raw EXRs' vhdrCfa attribute
    assert rows[("one", "baseline")]["log_mae"] < 0.01
    assert report["mean"]["c3d"]["log_mae"] == pytest.approx(OFFSET, abs=1e-5)
    figure = cv2.imread(str(out / "f.png"))
    assert figure is not None and figure.shape[0] > 300 and figure.shape[1] > 300


def test_eval_refuses_bad_options(clips: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt, pred = str(clips / "one" / "gt.%04d.exr"), str(clips / "one" / "pred.%04d.exr")
    assert main(["eval", "--gt", gt, "--pred", pred, "--pred", pred]) == 2
    assert "--pred given 2 times for 1 clip(s)" in capsys.readouterr().err
    assert main(["eval", "--gt", gt]) == 2
    assert "expected at least one" in capsys.readouterr().err
    assert main(["eval", "--gt", gt, "--baseline", gt]) == 2
    assert "--mask given 0 times" in capsys.readouterr().err
    short = str(clips / "two" / "pred.%04d.exr")
    assert main(["eval", "--gt", gt, "--pred", short]) == 2
    assert "--pred has 2 frames (1–2) but --gt has 3 (0–2)" in capsys.readouterr().err
    (clips / "r.json").write_text("{}")
    assert main(["eval", "--gt", gt, "--pred", pred, "--json", str(clips / "r.json")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (clips / "r.json").read_text() == "{}"
    raw = str(clips / "one" / "raw.%04d.exr")
    assert main(["eval", "--gt", gt, "--pred", raw]) == 2
    assert "expected RGB" in capsys.readouterr().err
    broken = np.full((16, 20, 3), np.nan, np.float32)
    write_exr(clips / "one" / "pred.0001.exr", broken)
    assert main(["eval", "--gt", gt, "--pred", pred, "--motion", "static"]) == 2
    assert "clip one (model): compute_metrics: pred has 960 non-finite" in capsys.readouterr().err


def test_metrics_and_engine_free_of_vapoursynth() -> None:
    code = "import sys, vs_vhdr.metrics, vs_vhdr.metrics.figure, vs_vhdr.cli.eval; "
    code += "print('vapoursynth' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
