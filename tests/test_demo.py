"""``vhdr demo`` end to end: simulate held-out clips, vspipe + core.vhdr.Reconstruct, metrics."""

import json
import subprocess
import sys
from pathlib import Path

import cv2

from vs_vhdr.cli.demo import CLIP_FRAMES, CLIP_SIZE, CLIPS, MODEL
from vs_vhdr.cli.simulate import read_dir


def test_demo_runs_end_to_end(tmp_path: Path, vspipe_env: dict[str, str]) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "vs_vhdr", "demo", "--out", str(out)],
        env=vspipe_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for step in ("simulate", "reconstruct", "evaluate", "preview"):
        assert f"vhdr demo: {step}:" in done.stdout
    for name in CLIPS:
        assert len(list((out / name / "hdr").glob("hdr.*.exr"))) == CLIP_FRAMES
        assert (out / name / "reconstruct.vpy").is_file()
    bright = [name for name, (_, stops) in CLIPS.items() if stops > 0]
    for name in bright:  # the brighter clip has highlights to recover
        raw, _, _ = read_dir(out / name / "simulated")
        assert float((raw >= 0.99).mean()) > 0.01, name
    assert bright
    report = json.loads((out / "metrics.json").read_text())
    rows = {(row["clip"], row["method"]): row["metrics"] for row in report["rows"]}
    assert set(rows) == {(c, m) for c in CLIPS for m in ("naive baseline", MODEL)}
    for metrics in rows.values():
        assert metrics["pu21_psnr"] is not None and metrics["temporal_error"] is not None
    assert "PU21-PSNR" in (out / "metrics.md").read_text()
    preview = cv2.imread(str(out / "preview.png"))
    assert preview.shape == (CLIP_SIZE[0] * len(CLIPS), CLIP_SIZE[1] * 3, 3)
