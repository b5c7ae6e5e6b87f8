"""Per-clip comparison of two held-out suite reports: is a candidate model fit to replace one?

Reads two ``vhdr.HeldoutSuite/1`` JSON files (``benchmarks/heldout_eval.py``) of the same clips
and compares one method of each, clip by clip: PU21-PSNR gain over the naive baseline (dB),
PU21-SSIM, overshoot (share of pixels above 2× the truth's luminance) and temporal ratio (the
exact-motion temporal error over the baseline's). A mean hides regressions, so it reports the
clips where the candidate is better and worse, its largest loss, the mean change per factor
(scene, motion, mask, noise, exposure) and the shipping checks the default model is held to:

- every clip above the naive baseline;
- overshoot at most 1 % on every clip (issue 15);
- mean and largest temporal ratio no worse than the reference's;
- mean gain above the reference's.

    python -m benchmarks.compare_suites benchmarks/results/heldout-suite-pmunet.json \\
        runs/candidate-suite.json

The method compared defaults to the last one of each report (the model after ``-m front end``);
``--reference-method`` / ``--candidate-method`` pick others.
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vs_vhdr.io.atomic import write_text_atomic

SCHEMA = "vhdr.HeldoutSuite/1"
FACTORS = ("scene", "motion", "mask", "noise", "exposure_stops")
OVERSHOOT_LIMIT = 0.01
"""Largest overshoot fraction accepted on a clip (issue 15)."""


def load_report(path: Path) -> dict[str, Any]:
    """A held-out suite report; ``ValueError`` naming the file if it is not one."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"compare_suites: cannot read {path} ({error})") from None
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        raise ValueError(f"compare_suites: {path} is not a {SCHEMA} report")
    return report


def pick_method(report: dict[str, Any], method: str | None, path: Path) -> str:
    """``method`` if the report holds it, else the report's last method."""
    methods = list(report["methods"])
    chosen = method if method is not None else (methods[-1] if methods else None)
    if chosen is None or chosen not in methods:
        raise ValueError(
            f"compare_suites: method {chosen!r} is not in {path}; expected one of {methods}"
        )
    return chosen


def compare(
    reference: dict[str, Any], ref_method: str, candidate: dict[str, Any], cand_method: str
) -> dict[str, Any]:
    """Clip-by-clip comparison of ``cand_method`` in ``candidate`` against ``ref_method``.

    Returns ``clips`` (per clip: both gains, their difference, the candidate's overshoot and
    temporal ratio), ``by_factor`` (mean gain difference per factor level), ``summary`` and
    ``checks`` (name -> passed).
    """
    ref_rows = {row["clip"]: row for row in reference["clips"]}
    cand_rows = {row["clip"]: row for row in candidate["clips"]}
    if set(ref_rows) != set(cand_rows):
        missing = sorted(set(ref_rows) ^ set(cand_rows))
        raise ValueError(
            f"compare_suites: the reports hold different clips ({len(missing)} differ, e.g."
            f" {missing[0]}); run both with the same --frames, --size and --quick"
        )
    clips = []
    for name, ref_row in ref_rows.items():
        ref = ref_row["methods"][ref_method]
        cand = cand_rows[name]["methods"][cand_method]
        clips.append(
            {
                "clip": name,
                **{factor: ref_row[factor] for factor in FACTORS},
                "reference_gain_db": ref["gain_db"],
                "candidate_gain_db": cand["gain_db"],
                "delta_db": cand["gain_db"] - ref["gain_db"],
                "candidate_ssim": cand["pu21_ssim"],
                "reference_ssim": ref["pu21_ssim"],
                "candidate_over_2x": cand["over_2x"],
                "reference_over_2x": ref["over_2x"],
                "candidate_temporal_ratio": cand["temporal_ratio"],
                "reference_temporal_ratio": ref["temporal_ratio"],
            }
        )
    by_factor: dict[str, dict[str, float]] = {}
    for factor in FACTORS:
        levels: dict[str, list[float]] = {}
        for clip in clips:
            levels.setdefault(str(clip[factor]), []).append(clip["delta_db"])
        by_factor[factor] = {level: _mean(deltas) for level, deltas in levels.items()}
    worst = min(clips, key=lambda clip: clip["delta_db"])
    summary = {
        "clips": len(clips),
        "better": sum(clip["delta_db"] > 0 for clip in clips),
        "worse": sum(clip["delta_db"] < 0 for clip in clips),
        "mean_delta_db": _mean([clip["delta_db"] for clip in clips]),
        "largest_loss_db": worst["delta_db"],
        "largest_loss_clip": worst["clip"],
    }
    for side in ("reference", "candidate"):
        summary[f"{side}_mean_gain_db"] = _mean([clip[f"{side}_gain_db"] for clip in clips])
        summary[f"{side}_worst_gain_db"] = min(clip[f"{side}_gain_db"] for clip in clips)
        summary[f"{side}_mean_ssim"] = _mean([clip[f"{side}_ssim"] for clip in clips])
        summary[f"{side}_max_over_2x"] = max(clip[f"{side}_over_2x"] for clip in clips)
        ratios = [clip[f"{side}_temporal_ratio"] for clip in clips]
        summary[f"{side}_mean_temporal_ratio"] = _mean(ratios)
        summary[f"{side}_max_temporal_ratio"] = max(ratios)
    summary["candidate_clips_over_1pct"] = sum(
        clip["candidate_over_2x"] > OVERSHOOT_LIMIT for clip in clips
    )
    checks = {
        "every clip above the baseline": summary["candidate_worst_gain_db"] > 0,
        "overshoot <= 1 % on every clip": summary["candidate_clips_over_1pct"] == 0,
        "mean temporal ratio no worse": summary["candidate_mean_temporal_ratio"]
        <= summary["reference_mean_temporal_ratio"],
        "largest temporal ratio no worse": summary["candidate_max_temporal_ratio"]
        <= summary["reference_max_temporal_ratio"],
        "mean gain higher": summary["candidate_mean_gain_db"] > summary["reference_mean_gain_db"],
    }
    return {"clips": clips, "by_factor": by_factor, "summary": summary, "checks": checks}


def to_markdown(result: dict[str, Any], reference: str, candidate: str) -> str:
    """The comparison as Markdown: summary, shipping checks, factors, the ten largest losses."""
    s = result["summary"]
    lines = [
        f"# {candidate} against {reference} ({s['clips']} held-out clips)",
        "",
        "| | reference | candidate |",
        "|---|---:|---:|",
        f"| mean PU21 gain over the baseline [dB] | {s['reference_mean_gain_db']:+.2f} |"
        f" {s['candidate_mean_gain_db']:+.2f} |",
        f"| worst clip's gain [dB] | {s['reference_worst_gain_db']:+.2f} |"
        f" {s['candidate_worst_gain_db']:+.2f} |",
        f"| mean PU21-SSIM | {s['reference_mean_ssim']:.4f} | {s['candidate_mean_ssim']:.4f} |",
        f"| largest overshoot | {100 * s['reference_max_over_2x']:.2f} % |"
        f" {100 * s['candidate_max_over_2x']:.2f} % |",
        f"| temporal ratio mean / max | {s['reference_mean_temporal_ratio']:.3f} /"
        f" {s['reference_max_temporal_ratio']:.2f} | {s['candidate_mean_temporal_ratio']:.3f} /"
        f" {s['candidate_max_temporal_ratio']:.2f} |",
        "",
        f"Candidate better on {s['better']} clips, worse on {s['worse']}; mean change"
        f" {s['mean_delta_db']:+.2f} dB, largest loss {s['largest_loss_db']:+.2f} dB"
        f" ({s['largest_loss_clip']}); {s['candidate_clips_over_1pct']} clips over 1 % overshoot.",
        "",
        "| shipping check | passed |",
        "|---|---|",
    ]
    lines += [f"| {name} | {'yes' if ok else 'no'} |" for name, ok in result["checks"].items()]
    lines += ["", "Mean gain change per factor level [dB]:", ""]
    for factor, levels in result["by_factor"].items():
        shown = ", ".join(f"{level} {delta:+.2f}" for level, delta in levels.items())
        lines.append(f"- {factor}: {shown}")
    lines += [
        "",
        "| largest losses | reference [dB] | candidate [dB] | change | overshoot | temporal ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for clip in sorted(result["clips"], key=lambda clip: clip["delta_db"])[:10]:
        lines.append(
            f"| {clip['clip']} | {clip['reference_gain_db']:+.2f} | {clip['candidate_gain_db']:+.2f}"
            f" | {clip['delta_db']:+.2f} | {100 * clip['candidate_over_2x']:.2f} % |"
            f" {clip['candidate_temporal_ratio']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module doc. Exit status 0 when every shipping check passes, else 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="suite JSON of the shipped model")
    parser.add_argument("candidate", type=Path, help="suite JSON of the candidate")
    parser.add_argument("--reference-method", default=None)
    parser.add_argument("--candidate-method", default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write OUT.md and OUT.json")
    args = parser.parse_args(argv)
    try:
        reference = load_report(args.reference)
        candidate = load_report(args.candidate)
        ref_method = pick_method(reference, args.reference_method, args.reference)
        cand_method = pick_method(candidate, args.candidate_method, args.candidate)
        result = compare(reference, ref_method, candidate, cand_method)
    except ValueError as error:
        parser.error(str(error))
    markdown = to_markdown(
        result, f"{args.reference.stem} ({ref_method})", f"{args.candidate.stem} ({cand_method})"
    )
    print(markdown, end="")
    if args.out is not None:
        write_text_atomic(args.out.with_suffix(".md"), markdown)
        write_text_atomic(args.out.with_suffix(".json"), json.dumps(result, indent=2) + "\n")
    return 0 if all(result["checks"].values()) else 1


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


if __name__ == "__main__":
    raise SystemExit(main())
