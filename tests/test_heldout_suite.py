"""The held-out robustness suite (benchmarks/heldout_eval.py): clip set, metrics, report files.

Runs the ``--quick`` path end to end on tiny clips with the ``-m`` front end only (no trained
weights needed).
"""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks import heldout_eval as suite
from vs_vhdr.metrics import motion_temporal_error, naive_reconstruct, pu21_psnr, pu21_ssim
from vs_vhdr.scenes.holdout import HELDOUT_SCENES


def test_the_full_suite_covers_every_factor_and_quick_covers_each_level() -> None:
    specs = suite.clip_specs()
    assert len(specs) == 72 and len({s.name for s in specs}) == 72
    assert {s.scene for s in specs} == set(HELDOUT_SCENES)
    quick = suite.clip_specs(quick=True)
    assert len(quick) == 4
    for field, levels in (
        ("scene", HELDOUT_SCENES),
        ("motion", suite.MOTIONS),
        ("mask", suite.MASKS),
        ("noise", suite.NOISES),
        ("stops", suite.EXPOSURES),
    ):
        assert {getattr(s, field) for s in quick} == set(levels), field


def test_batched_metrics_equal_the_metrics_module() -> None:
    spec = suite.ClipSpec("builtin:forest", "panning", "lowfreq", "iso6400", 2)
    clip = suite.simulate_clip(spec, 4, (24, 32))
    assert isinstance(clip.motion, np.ndarray) and clip.raw.max() == 1.0  # +2 EV clips
    baseline = naive_reconstruct(clip.raw, clip.mask)
    outputs = {"a": baseline, "b": baseline * 1.5}
    got = suite.clip_metrics(outputs, clip.gt, clip.motion)
    for name, pred in outputs.items():
        assert got[name]["pu21_psnr"] == pytest.approx(pu21_psnr(pred, clip.gt), rel=1e-9)
        assert got[name]["pu21_ssim"] == pytest.approx(pu21_ssim(pred, clip.gt), rel=1e-9)
        expected = motion_temporal_error(pred, clip.gt, clip.motion)
        assert got[name]["temporal_error"] == pytest.approx(expected, rel=1e-9)
    assert got["b"]["over_2x"] >= got["a"]["over_2x"]
    truth = clip.gt.copy()
    assert suite.overshoot(truth * 2.5, truth) > 0.9 and suite.overshoot(truth, truth) == 0


def test_static_clips_hold_the_truth_still_with_fresh_noise() -> None:
    spec = suite.ClipSpec("builtin:hall", "static", "uniform", "iso100", 0)
    clip = suite.simulate_clip(spec, 3, (16, 16))
    assert clip.motion == "static"
    np.testing.assert_array_equal(clip.gt[0], clip.gt[2])
    assert not np.array_equal(clip.raw[0], clip.raw[2])


def test_quick_suite_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "suite"
    suite.main(["--quick", "--models", "--frames", "3", "--size", "24x32", "--out", str(out)])
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["schema"] == suite.SCHEMA and report["quick"] is True
    assert report["overlap"] == 4 and "window 8, overlap 4" in out.with_suffix(".md").read_text()
    assert report["methods"] == [suite.FRONT_END] and len(report["clips"]) == 4
    for row in report["clips"]:
        assert {"clip", "scene", "motion", "mask", "noise", "exposure_stops"} <= set(row)
        assert set(row["methods"]) == {suite.BASELINE, suite.FRONT_END}
        front = row["methods"][suite.FRONT_END]
        assert {"pu21_psnr", "pu21_ssim", "over_2x", "temporal_error"} <= set(front)
        assert {"gain_db", "temporal_ratio"} <= set(front)
        assert 0 <= front["over_2x"] <= 1 and front["temporal_ratio"] >= 0
    summary = report["summary"][suite.FRONT_END]
    assert set(summary) >= {
        "mean_gain_db",
        "worst_clip",
        "worst_gain_db",
        "clips_below_baseline",
        "max_over_2x",
        "mean_temporal_ratio",
        "max_temporal_ratio",
    }
    gains = [row["methods"][suite.FRONT_END]["gain_db"] for row in report["clips"]]
    assert summary["worst_gain_db"] == pytest.approx(min(gains))
    assert summary["clips_below_baseline"] == sum(g < 0 for g in gains)
    assert report["worst_png"]["clip"] == summary["worst_clip"]
    markdown = out.with_suffix(".md").read_text()
    assert summary["worst_clip"] in markdown and "| -m front end |" in markdown
    png = tmp_path / report["worst_png"]["path"]
    image = cv2.imread(str(png))
    assert image is not None and image.shape == (24, 4 * 32, 3)


def test_overlap_changes_which_windows_blend_into_a_frame() -> None:
    """``--overlap`` reaches the engine: with 10 frames, overlap 4 and 7 cut different windows."""
    clip = suite.simulate_clip(suite.clip_specs(quick=True)[0], 10, (16, 16))
    default = suite.reconstruct("pmunet", clip.raw, clip.mask)
    dense = suite.reconstruct("pmunet", clip.raw, clip.mask, overlap=7)
    assert default.shape == dense.shape == (10, 16, 16, 3)
    np.testing.assert_array_equal(default, suite.reconstruct("pmunet", clip.raw, clip.mask, 4))
    assert not np.allclose(default, dense)
