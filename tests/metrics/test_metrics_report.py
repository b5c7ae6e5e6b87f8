"""The metrics table: compute_metrics, means, Markdown/JSON rendering, notes, network layout."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.metrics import (
    METRICS,
    MetricsTable,
    compute_metrics,
    cvvdp_available,
    cvvdp_jod,
    log_mae,
    log_ssim,
    pu21_psnr,
    temporal_loss,
)
from vs_vhdr.metrics.colorvideovdp import UNAVAILABLE_NOTE
from vs_vhdr.metrics.report import clips_from_network
from vs_vhdr.units import LOG_EPS, to_log


def clip_pair(frames: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    gt = rng.uniform(0.01, 4.0, (frames, 12, 14, 3))
    return gt * rng.uniform(0.8, 1.2, gt.shape), gt


def test_compute_metrics_equals_the_single_metrics() -> None:
    pred, gt = clip_pair()
    values = compute_metrics(pred, gt, "static")
    assert list(values) == list(METRICS)
    assert values["log_mae"] == log_mae(pred, gt)
    assert values["log_ssim"] == log_ssim(pred, gt)
    assert values["temporal_loss"] == temporal_loss(pred, gt)
    assert values["pu21_psnr"] == pu21_psnr(pred, gt)
    assert values["temporal_error"] is not None and values["temporal_error"] > 0
    assert values["l_vgg"] is None and values["cvvdp_jod"] is None


def test_temporal_metrics_are_none_for_one_frame_or_unknown_motion() -> None:
    pred, gt = clip_pair(1)
    one = compute_metrics(pred, gt, "static")
    assert one["temporal_loss"] is None and one["temporal_error"] is None
    pred, gt = clip_pair(2)
    assert compute_metrics(pred, gt)["temporal_error"] is None


def test_table_means_markdown_and_json(tmp_path: Path) -> None:
    table = MetricsTable()
    table.add_row("a", "model", {"log_mae": 0.1, "pu21_psnr": 30.0})
    table.add_row("b", "model", {"log_mae": 0.3, "pu21_psnr": math.inf})
    table.add_row("a", "baseline", {"log_mae": 0.5})
    assert table.methods() == ["model", "baseline"]
    assert table.mean("model")["log_mae"] == pytest.approx(0.2)
    assert table.mean("model")["pu21_psnr"] == math.inf
    assert table.mean("baseline")["pu21_psnr"] is None
    assert table.columns() == ["log_mae", "pu21_psnr"]
    text = table.to_markdown()
    assert "| **mean** | model | 0.2000 | inf |" in text
    assert "| a | baseline | 0.5000 | – |" in text
    table.write_json(tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["schema"] == "vhdr.EvalReport/1"
    assert report["rows"][1]["metrics"]["pu21_psnr"] is None  # inf is not JSON
    assert report["mean"]["model"]["log_mae"] == pytest.approx(0.2)
    with pytest.raises(OutputExistsError):
        table.write_json(tmp_path / "r.json")
    table.write_json(tmp_path / "r.json", force=True)
    with pytest.raises(InvalidArgumentError, match=r"unknown metrics \['psnr'\]"):
        table.add_row("a", "model", {"psnr": 1.0})


def test_table_add_notes_unknown_motion_once() -> None:
    pred, gt = clip_pair()
    table = MetricsTable()
    table.add("clip", "model", pred, gt)
    table.add("clip", "model", pred, gt)
    table.add("clip", "baseline", gt, gt, "static")
    assert table.notes == ["clip (model): motion unknown, temporal error not computed"]
    assert table.rows[2].metrics["log_mae"] == 0.0
    assert "Notes:" in table.to_markdown()


def test_clips_from_network_converts_log_layout() -> None:
    linear = torch.rand(2, 3, 4, 5, 6, dtype=torch.float64) * 3
    clips = clips_from_network(to_log(linear))
    assert clips.shape == (2, 4, 5, 6, 3) and clips.dtype == np.float32
    assert np.allclose(clips[1, 2, 3, 4], linear[1, :, 2, 3, 4].numpy(), atol=10 * LOG_EPS)
    with pytest.raises(InvalidArgumentError, match="expected B×3×T×H×W"):
        clips_from_network(torch.zeros(1, 4, 2, 2, 2))


@pytest.mark.skipif(cvvdp_available(), reason="ColorVideoVDP is installed")
def test_cvvdp_missing_is_a_note_not_a_crash() -> None:
    pred, gt = clip_pair()
    with pytest.raises(InvalidArgumentError, match="cvvdp"):
        cvvdp_jod(pred, gt)
    table = MetricsTable()
    row = table.add("clip", "model", pred, gt, "static", cvvdp=True)
    assert row.metrics["cvvdp_jod"] is None
    assert UNAVAILABLE_NOTE in table.notes


@pytest.mark.skipif(not cvvdp_available(), reason="ColorVideoVDP (cvvdp) is not installed")
def test_cvvdp_identical_clips_score_ten_jod() -> None:
    _, gt = clip_pair()
    assert cvvdp_jod(gt, gt) == pytest.approx(10.0, abs=0.01)
