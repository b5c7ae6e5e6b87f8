"""Squared PU21 error by true luminance (benchmarks/error_by_luminance.py)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import error_by_luminance as bands
from benchmarks.heldout_eval import ClipSpec, simulate_clip
from vs_vhdr.metrics import naive_reconstruct, pu21_psnr
from vs_vhdr.metrics.pu21 import PU21_PEAK, pu21_frame


def grey(levels: list[float]) -> np.ndarray:
    """One frame of one row of grey pixels at ``levels``: ``1×1×N×3``."""
    return np.repeat(np.asarray(levels, np.float64)[None, None, :, None], 3, axis=3)


def test_pixels_fall_in_the_band_of_their_true_luminance() -> None:
    gt = grey([0.1, 0.5, 2.0, 8.0, 20.0, 40.0])
    sums = bands.band_sums(gt, gt)
    assert sums["pixels"].tolist() == [1, 1, 1, 1, 2]
    assert not sums["squared"].any() and not sums["signed"].any()
    assert bands.band_names() == ["< 0.25", "0.25-1", "1-4", "4-16", ">= 16"]


def test_an_underestimated_highlight_carries_the_error_with_a_negative_bias() -> None:
    gt = grey([0.1, 0.5, 20.0, 40.0])
    pred = gt.copy()
    pred[..., 2:, :] /= 4.0  # the two highlights two stops too dark
    rows = bands.summarise(bands.band_sums(pred, gt))
    top = rows[-1]
    assert top["pixel_share"] == 0.5 and top["error_share"] == pytest.approx(1.0)
    assert top["bias_pu"] < 0 and top["rmse_pu"] == pytest.approx(-top["bias_pu"], rel=0.2)
    assert math.isnan(rows[2]["rmse_pu"])  # no pixel in 1-4
    expected = (pu21_frame(torch.from_numpy(pred)) - pu21_frame(torch.from_numpy(gt))).numpy()
    assert top["bias_pu"] == pytest.approx(expected[0, 0, 2:].mean())


def test_the_error_shares_recompose_the_clip_psnr(tmp_path: Path) -> None:
    out = tmp_path / "bands"
    bands.main(
        ["--models", "--only", "forest/static/lowfreq/iso100/+2EV", "--frames", "2",
         "--size", "24x32", "--out", str(out)]
    )  # fmt: skip
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["schema"] == bands.SCHEMA
    assert report["clips"] == ["forest/static/lowfreq/iso100/+2EV"]
    rows = report["methods"][bands.BASELINE]
    assert sum(r["pixel_share"] for r in rows) == pytest.approx(1.0)
    assert sum(r["error_share"] for r in rows) == pytest.approx(1.0)
    mse = sum(r["pixel_share"] * r["rmse_pu"] ** 2 for r in rows if r["pixel_share"])
    clip = simulate_clip(ClipSpec("builtin:forest", "static", "lowfreq", "iso100", 2), 2, (24, 32))
    expected = pu21_psnr(naive_reconstruct(clip.raw, clip.mask), clip.gt)
    assert 10 * math.log10(PU21_PEAK**2 / mse) == pytest.approx(expected, abs=1e-6)
    assert "| >= 16 |" in out.with_suffix(".md").read_text()


def test_a_filter_that_matches_no_clip_is_named() -> None:
    with pytest.raises(SystemExit, match="--only nowhere matches no suite clip"):
        bands.main(["--models", "--only", "nowhere"])
