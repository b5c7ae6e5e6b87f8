"""benchmarks.compare_suites: per-clip comparison of two held-out suite reports, shipping checks."""

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import compare_suites


def clip_row(name: str, scene: str, gain: float, over: float, ratio: float) -> dict[str, Any]:
    metrics = {"pu21_psnr": 30 + gain, "pu21_ssim": 0.9, "over_2x": over, "temporal_error": 0.01}
    return {
        "clip": name,
        "scene": scene,
        "motion": "static",
        "mask": "lowfreq",
        "noise": "iso100",
        "exposure_stops": 0,
        "methods": {
            "naive baseline": {**metrics, "over_2x": 0.0},
            "model": {**metrics, "gain_db": gain, "temporal_ratio": ratio},
        },
    }


def report(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"schema": compare_suites.SCHEMA, "methods": ["model"], "clips": list(rows)}


REFERENCE = report(
    clip_row("a", "builtin:forest", 3.0, 0.005, 0.6),
    clip_row("b", "builtin:city", 1.0, 0.008, 0.8),
)


def test_a_regression_on_one_clip_is_reported_even_when_the_mean_rises() -> None:
    candidate = report(
        clip_row("a", "builtin:forest", 6.0, 0.004, 0.5),
        clip_row("b", "builtin:city", 0.5, 0.008, 0.7),
    )
    result = compare_suites.compare(REFERENCE, "model", candidate, "model")
    summary = result["summary"]
    assert summary["better"] == 1 and summary["worse"] == 1
    assert summary["mean_delta_db"] == pytest.approx(1.25)
    assert summary["largest_loss_clip"] == "b" and summary["largest_loss_db"] == pytest.approx(-0.5)
    assert result["by_factor"]["scene"] == {
        "builtin:forest": pytest.approx(3.0),
        "builtin:city": pytest.approx(-0.5),
    }
    assert all(result["checks"].values())


def test_overshoot_and_flicker_fail_their_checks() -> None:
    candidate = report(
        clip_row("a", "builtin:forest", 4.0, 0.012, 0.6),
        clip_row("b", "builtin:city", 2.0, 0.001, 0.9),
    )
    checks = compare_suites.compare(REFERENCE, "model", candidate, "model")["checks"]
    assert checks["overshoot <= 1 % on every clip"] is False
    assert checks["largest temporal ratio no worse"] is False
    assert checks["mean gain higher"] is True
    assert checks["every clip above the baseline"] is True


def test_command_line_writes_both_files_and_exits_1_on_a_failed_check(tmp_path: Path) -> None:
    ref, cand = tmp_path / "ref.json", tmp_path / "cand.json"
    ref.write_text(json.dumps(REFERENCE))
    cand.write_text(
        json.dumps(
            report(
                clip_row("a", "builtin:forest", -1.0, 0, 0.5),
                clip_row("b", "builtin:city", 2.0, 0, 0.5),
            )
        )
    )
    out = tmp_path / "cmp"
    assert compare_suites.main([str(ref), str(cand), "--out", str(out)]) == 1
    markdown = out.with_suffix(".md").read_text()
    assert "| every clip above the baseline | no |" in markdown
    assert json.loads(out.with_suffix(".json").read_text())["summary"]["worse"] == 1


def test_reports_of_different_clips_or_unknown_methods_are_refused(tmp_path: Path) -> None:
    other = report(clip_row("c", "builtin:hall", 1.0, 0, 0.5))
    with pytest.raises(ValueError, match="different clips"):
        compare_suites.compare(REFERENCE, "model", other, "model")
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(REFERENCE))
    with pytest.raises(ValueError, match="'nope' is not in"):
        compare_suites.pick_method(REFERENCE, "nope", path)
    path.write_text("{}")
    with pytest.raises(ValueError, match="is not a vhdr.HeldoutSuite/1 report"):
        compare_suites.load_report(path)
