"""The held-out robustness suite: models next to the naive baseline on scenes never trained on.

Clips (issue 15): every held-out map of :data:`vs_vhdr.scenes.holdout.HELDOUT_SCENES`
(``forest``, ``city``, ``hall``) × *static* (one frame held still, fresh noise every frame: the
temporal error is pure flicker) and *panning* (exact known motion) × a ``lowfreq`` (cells of
4 px, σ = 2 px) and a ``uniform`` mask × sensor noise ``iso100``, ``iso1600``, ``iso6400``
(:data:`vs_vhdr.imaging.noise.NOISE_PRESETS`, 12 bits, RGGB) × the automatic exposure (median
luminance at 0.18) and 2 stops brighter (clipped highlights): 72 clips of ``--frames`` frames of
``--size`` pixels (16 of 256×256 by default). ``--quick`` runs a fixed subset of 4 clips that
still covers every scene, mask, motion, noise level and exposure (smoke tests).

Every model runs through the engine (``vs_vhdr.engine.Reconstructor``, window 8, CPU; ``--overlap``
sets the frames consecutive windows share, 4 by default) on the same
raw frames as the naive baseline (``vs_vhdr.metrics.naive_reconstruct``). The row
``-m front end`` is the fixed, parameter-free part of the ``-m`` models alone
(``vs_vhdr.nets.conditioning``): what their learned layers add is the difference to it.

Per clip and method: PU21-PSNR and PU21-SSIM (CONTRACT §3), the *overshoot*: the fraction of
pixels (all frames) whose Rec. 709 **luminance** exceeds 2× the truth's (truth floored at
``OVERSHOOT_FLOOR``, PU21's black level, so noise in black areas does not count), and the
exact-motion temporal error; for models, the PU21 gain over the baseline and the temporal
error's ratio to the baseline's. Summary per method: mean gain, worst clip, clips below the
baseline, largest overshoot, clips over 1 % overshoot or over the baseline's own, mean and
largest temporal ratio.

    python -m benchmarks.heldout_eval --models default --out benchmarks/results/heldout

writes ``OUT.md``, ``OUT.json`` (schema ``vhdr.HeldoutSuite/1``) and ``OUT-worst.png``: one frame
of the first method's worst clip, tonemapped (truth | baseline | method | |Δ ln Y| error map,
0-2 in the inferno colour map), for ``docs/``.
"""

import argparse
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import torch

from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.imaging.capture import CaptureSettings, capture
from vs_vhdr.imaging.exposure import auto_exposure, expose, luminance
from vs_vhdr.imaging.masks import make_mask, mask_settings
from vs_vhdr.imaging.noise import noise_preset
from vs_vhdr.losses.overshoot import OVERSHOOT_FLOOR
from vs_vhdr.metrics import naive_reconstruct
from vs_vhdr.metrics.colour import luminance as luminance64
from vs_vhdr.metrics.figure import log_luminance_error
from vs_vhdr.metrics.inputs import as_clip, frame64
from vs_vhdr.metrics.motion import MotionLike, motion_steps, warp_previous
from vs_vhdr.metrics.pu21 import PU21_PEAK, pu21_frame
from vs_vhdr.metrics.ssim import ssim_map
from vs_vhdr.metrics.tonemap import contact_sheet
from vs_vhdr.nets.base import ModelSpec
from vs_vhdr.nets.conditioning import LogRatioConditioning
from vs_vhdr.nets.inputs import prepare_input
from vs_vhdr.nets.registry import create_model
from vs_vhdr.scenes.holdout import HELDOUT_SCENES
from vs_vhdr.scenes.shots import open_shot
from vs_vhdr.units import LOG_EPS, from_log

SCHEMA = "vhdr.HeldoutSuite/1"
BASELINE = "naive baseline"
FRONT_END = "-m front end"
MOTIONS = ("static", "panning")
MASKS = ("lowfreq", "uniform")
NOISES = ("iso100", "iso1600", "iso6400")
EXPOSURES = (0, 2)
"""Stops over the automatic exposure."""
BITS = 12
PATH_SEED = 7
"""Seed of every scene's panning path (static clips hold its first frame)."""
MASK_SEEDS = {"lowfreq": 11, "uniform": 12}
OVERSHOOT_FACTOR = 2.0
OVERSHOOT_LIMIT = 0.01
"""Largest overshoot fraction the issue accepts on a clip."""
ERROR_RANGE = 2.0
"""|Δ ln Y| shown as the top of the error map's colour scale."""
QUICK = (
    ("builtin:forest", "static", "lowfreq", "iso1600", 0),
    ("builtin:forest", "panning", "uniform", "iso6400", 2),
    ("builtin:city", "static", "uniform", "iso100", 2),
    ("builtin:hall", "panning", "lowfreq", "iso1600", 0),
)
"""The ``--quick`` subset: every scene, motion, mask, noise level and exposure at least once."""


@dataclass(frozen=True)
class ClipSpec:
    """One clip of the suite."""

    scene: str
    motion: str
    mask: str
    noise: str
    stops: int

    @property
    def name(self) -> str:
        """``forest/static/lowfreq/iso1600/+0EV``."""
        scene = self.scene.split(":", 1)[-1]
        return f"{scene}/{self.motion}/{self.mask}/{self.noise}/{self.stops:+d}EV"


@dataclass
class Clip:
    """A simulated clip: raw ``T×H×W``, mask ``H×W``, truth ``T×H×W×3`` and its motion."""

    spec: ClipSpec
    raw: np.ndarray
    mask: np.ndarray
    gt: np.ndarray
    motion: np.ndarray | str


def clip_specs(quick: bool = False) -> list[ClipSpec]:
    """The suite's clips in a fixed order (``quick``: the ``QUICK`` subset)."""
    if quick:
        return [ClipSpec(*row) for row in QUICK]
    return [
        ClipSpec(scene, motion, mask, noise, stops)
        for scene in HELDOUT_SCENES
        for motion in MOTIONS
        for mask in MASKS
        for noise in NOISES
        for stops in EXPOSURES
    ]


def simulate_clip(spec: ClipSpec, frames: int, size: tuple[int, int]) -> Clip:
    """Simulate one clip; the same scene, mask and noise seeds for both exposures."""
    shot = open_shot(spec.scene, height=size[0], width=size[1], num_frames=frames, seed=PATH_SEED)
    motion: np.ndarray | str
    if spec.motion == "static":
        hdr = np.repeat(shot.frames(0, 1), frames, axis=0)
        motion = "static"
    else:
        hdr = shot.frames(0, frames)
        field = shot.motion(0, frames)
        assert field is not None  # panned maps know their motion
        motion = field.displacement
    mask = make_mask(mask_settings(spec.mask, seed=MASK_SEEDS[spec.mask]), *size)
    seeds = np.random.SeedSequence(
        [HELDOUT_SCENES.index(spec.scene) if spec.scene in HELDOUT_SCENES else 99,
         MOTIONS.index(spec.motion), MASKS.index(spec.mask), NOISES.index(spec.noise)]
    ).generate_state(2)  # fmt: skip
    scale = auto_exposure(luminance(hdr)) * 2.0**spec.stops
    settings = CaptureSettings(
        bits=BITS,
        exposure=scale,
        noise=noise_preset(spec.noise),
        noise_seed=int(seeds[0]),
        camera_seed=int(seeds[1]),
    )
    raw, record = capture(hdr, mask, settings, source={"clip": spec.name})
    return Clip(spec, raw, mask, expose(hdr, record.exposure_scale), motion)


def simulate_clips(frames: int, size: tuple[int, int], quick: bool = False) -> dict[str, Clip]:
    """Every clip of the suite by name (72 at 16×256² hold about 1 GB; see :func:`evaluate`)."""
    return {spec.name: simulate_clip(spec, frames, size) for spec in clip_specs(quick)}


def reconstruct(
    model: str, raw: np.ndarray, mask: np.ndarray, overlap: int | None = None
) -> np.ndarray:
    """Every frame of ``raw`` (``T×H×W``) through the engine (window 8, ``overlap`` frames shared
    by consecutive windows, None = the engine's default 4): ``T×H×W×3`` linear HDR."""
    engine = Reconstructor(EngineOptions(model=model, device="cpu", overlap=overlap), mask)
    count = raw.shape[0]
    return np.stack([engine.output_frame(n, count, lambda i: raw[i]) for n in range(count)])


def front_end_only(raw: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ``-m`` models' base estimate (no learned layer): ``T×H×W×3`` linear HDR."""
    spec = cast(ModelSpec, create_model("c3ded-m", weights=False).spec)
    network_input = prepare_input(torch.from_numpy(raw)[None], torch.from_numpy(mask), "RGGB", spec)
    with torch.no_grad():
        _, base = LogRatioConditioning()(network_input)
    return from_log(base[0]).permute(1, 2, 3, 0).numpy()


def overshoot(pred: np.ndarray, gt: np.ndarray) -> float:
    """Fraction of pixels whose luminance exceeds ``OVERSHOOT_FACTOR`` × the truth's."""
    truth = np.maximum(luminance(gt), OVERSHOOT_FLOOR)
    return float((luminance(pred) > OVERSHOOT_FACTOR * truth).mean())


def clip_metrics(
    outputs: dict[str, np.ndarray], gt: np.ndarray, motion: MotionLike
) -> dict[str, dict[str, float]]:
    """PU21-PSNR, PU21-SSIM, overshoot and temporal error of every output of one clip.

    The same numbers as :func:`vs_vhdr.metrics.pu21_psnr`, :func:`~vs_vhdr.metrics.pu21_ssim`
    and :func:`~vs_vhdr.metrics.motion_temporal_error` (tested), from the same building blocks,
    but the truth is encoded and warped once per frame and all methods go through each step
    together: a third of the time of calling them per method.
    """
    names = list(outputs)
    clips = [as_clip(outputs[name], "heldout_eval", name) for name in names]
    truth = as_clip(gt, "heldout_eval", "gt")
    frames, height, width = truth.shape[:3]
    steps = motion_steps(motion, frames, height, width)
    squared = torch.zeros(len(names), dtype=torch.float64)
    ssim = torch.zeros(len(names), dtype=torch.float64)
    change_error = torch.zeros(len(names), dtype=torch.float64)
    count = 0
    previous: torch.Tensor | None = None
    for t in range(frames):
        rgb = torch.stack([frame64(clip, t) for clip in clips] + [frame64(truth, t)])
        encoded = pu21_frame(rgb)
        squared += ((encoded[:-1] - encoded[-1]) ** 2).sum(dim=(1, 2))
        reference = encoded[-1:].expand_as(encoded[:-1])
        ssim += ssim_map(encoded[:-1], reference, PU21_PEAK).mean(dim=(1, 2))
        log_lum = torch.log(luminance64(rgb) + LOG_EPS)
        if previous is not None:
            warped, valid = warp_previous(previous, steps[t - 1])
            change = log_lum - warped
            change_error += (change[:-1] - change[-1]).abs()[:, valid].sum(dim=1)
            count += int(valid.sum())
        previous = log_lum
    pixels = frames * height * width
    result = {}
    for index, name in enumerate(names):
        mse = float(squared[index]) / pixels
        result[name] = {
            "pu21_psnr": float("inf") if mse == 0 else float(10 * np.log10(PU21_PEAK**2 / mse)),
            "pu21_ssim": float(ssim[index]) / frames,
            "over_2x": overshoot(outputs[name], gt),
            "temporal_error": float(change_error[index]) / max(count, 1),
        }
    return result


def evaluate(
    models: Sequence[str],
    frames: int,
    size: tuple[int, int],
    *,
    quick: bool = False,
    progress: bool = False,
    overlap: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray] | None]:
    """Rows (one per clip) of every method's metrics, and frames of the worst clip.

    Clips are simulated one at a time (memory stays at one clip). The worst clip is the one
    with the lowest PU21 gain of the first model (of the front end when no model is given);
    its middle frame is returned per method (``truth``, ``BASELINE``, that method).
    """
    lead = models[0] if models else FRONT_END
    rows: list[dict[str, Any]] = []
    worst: dict[str, np.ndarray] | None = None
    worst_gain = np.inf
    specs = clip_specs(quick)
    for index, spec in enumerate(specs):
        start = time.perf_counter()
        clip = simulate_clip(spec, frames, size)
        outputs = {
            BASELINE: naive_reconstruct(clip.raw, clip.mask),
            FRONT_END: front_end_only(clip.raw, clip.mask),
        }
        for model in models:
            outputs[model] = reconstruct(model, clip.raw, clip.mask, overlap)
        methods = clip_metrics(outputs, clip.gt, clip.motion)
        base = methods[BASELINE]
        for name, values in methods.items():
            if name != BASELINE:
                values["gain_db"] = values["pu21_psnr"] - base["pu21_psnr"]
                values["temporal_ratio"] = values["temporal_error"] / max(
                    base["temporal_error"], 1e-12
                )
        rows.append(
            {
                "clip": spec.name,
                "scene": spec.scene,
                "motion": spec.motion,
                "mask": spec.mask,
                "noise": spec.noise,
                "exposure_stops": spec.stops,
                "clipped_raw": float((clip.raw >= 1.0 - 0.5 / (2**BITS - 1)).mean()),
                "methods": methods,
            }
        )
        if methods[lead]["gain_db"] < worst_gain:
            worst_gain = methods[lead]["gain_db"]
            middle = frames // 2
            worst = {"clip": np.array(spec.name), "truth": clip.gt[middle]}
            worst |= {BASELINE: outputs[BASELINE][middle], lead: outputs[lead][middle]}
        if progress:
            gain = methods[lead]["gain_db"]
            print(
                f"[{index + 1}/{len(specs)}] {spec.name}: {lead} {gain:+.2f} dB "
                f"({time.perf_counter() - start:.1f} s)",
                flush=True,
            )
    return rows, worst


def summarise(rows: list[dict[str, Any]], methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per method (not the baseline): the suite's summary numbers (see the module doc)."""
    result: dict[str, dict[str, Any]] = {}
    base = [row["methods"][BASELINE] for row in rows]
    result[BASELINE] = {
        "mean_pu21_psnr": float(np.mean([b["pu21_psnr"] for b in base])),
        "mean_pu21_ssim": float(np.mean([b["pu21_ssim"] for b in base])),
        "max_over_2x": float(max(b["over_2x"] for b in base)),
        "mean_temporal_error": float(np.mean([b["temporal_error"] for b in base])),
    }
    for method in methods:
        values = [row["methods"][method] for row in rows]
        gains = [v["gain_db"] for v in values]
        ratios = [v["temporal_ratio"] for v in values]
        worst = int(np.argmin(gains))
        over = [v["over_2x"] for v in values]
        result[method] = {
            "mean_gain_db": float(np.mean(gains)),
            "worst_clip": rows[worst]["clip"],
            "worst_gain_db": float(gains[worst]),
            "clips_below_baseline": int(sum(g < 0 for g in gains)),
            "mean_pu21_psnr": float(np.mean([v["pu21_psnr"] for v in values])),
            "mean_pu21_ssim": float(np.mean([v["pu21_ssim"] for v in values])),
            "max_over_2x": float(max(over)),
            "max_over_2x_clip": rows[int(np.argmax(over))]["clip"],
            "clips_over_limit": int(
                sum(
                    o > OVERSHOOT_LIMIT or o > b["over_2x"] for o, b in zip(over, base, strict=True)
                )
            ),
            "mean_temporal_ratio": float(np.mean(ratios)),
            "max_temporal_ratio": float(max(ratios)),
            "max_temporal_ratio_clip": rows[int(np.argmax(ratios))]["clip"],
        }
    return result


def to_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: header, summary table, one per-clip table per method."""
    methods = report["methods"]
    lines = [
        f"Held-out robustness suite ({len(report['clips'])} clips of {report['frames']} frames "
        f"of {report['size']}; {', '.join(s.split(':')[-1] for s in report['scenes'])}; "
        f"{report['machine']}; engine window 8, overlap {report['overlap']}; "
        f"{report['seconds']:.0f} s). Overshoot: share of pixels whose "
        "luminance is above 2× the truth's. Temporal ratio: exact-motion temporal error over "
        "the baseline's.",
        "",
        "| method | mean PU21-PSNR gain [dB] | worst clip (gain) | clips below baseline | "
        "PU21-SSIM | max overshoot | clips > 1 % or > baseline's overshoot | temporal ratio "
        "mean / max |",
        "|---|---:|---|---:|---:|---:|---:|---|",
    ]
    base = report["summary"][BASELINE]
    lines.append(
        f"| {BASELINE} | 0 (PU21-PSNR {base['mean_pu21_psnr']:.2f}) | | | "
        f"{base['mean_pu21_ssim']:.4f} | {100 * base['max_over_2x']:.2f} % | | 1 / 1 |"
    )
    for method in methods:
        s = report["summary"][method]
        lines.append(
            f"| {method} | {s['mean_gain_db']:+.2f} | {s['worst_clip']} "
            f"({s['worst_gain_db']:+.2f}) | {s['clips_below_baseline']} | "
            f"{s['mean_pu21_ssim']:.4f} | {100 * s['max_over_2x']:.2f} % | "
            f"{s['clips_over_limit']} | {s['mean_temporal_ratio']:.2f} / "
            f"{s['max_temporal_ratio']:.2f} |"
        )
    for method in methods:
        lines += [
            "",
            f"### {method}",
            "",
            "| clip | raw clipped | PU21 baseline | PU21 method | gain [dB] | over 2× baseline | "
            "over 2× method | t-err baseline | t-err method | ratio |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in report["clips"]:
            b, m = row["methods"][BASELINE], row["methods"][method]
            lines.append(
                f"| {row['clip']} | {100 * row['clipped_raw']:.1f} % | {b['pu21_psnr']:.2f} | "
                f"{m['pu21_psnr']:.2f} | {m['gain_db']:+.2f} | {100 * b['over_2x']:.2f} % | "
                f"{100 * m['over_2x']:.2f} % | {b['temporal_error']:.4f} | "
                f"{m['temporal_error']:.4f} | {m['temporal_ratio']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def worst_clip_sheet(worst: dict[str, np.ndarray], method: str) -> np.ndarray:
    """``uint8`` RGB: truth | baseline | method (tonemapped alike) | |Δ ln Y| of the method."""
    images = [worst["truth"], worst[BASELINE], worst[method]]
    labels = ["truth", BASELINE, method]
    sheet = contact_sheet(images, labels=labels)
    error = log_luminance_error(worst[method], worst["truth"])
    level = np.round(np.clip(error / ERROR_RANGE, 0, 1) * 255).astype(np.uint8)
    heat = cv2.applyColorMap(level, cv2.COLORMAP_INFERNO)[..., ::-1]
    heat = np.ascontiguousarray(heat)
    scale = max(0.3, heat.shape[0] / 400)
    for colour, width in (((0, 0, 0), 3), ((255, 255, 255), 1)):
        cv2.putText(
            heat, f"|d ln Y| 0-{ERROR_RANGE:g}", (4, int(4 + 22 * scale)),
            cv2.FONT_HERSHEY_SIMPLEX, scale, colour, width,
        )  # fmt: skip
    return np.concatenate([sheet, heat], axis=1)


def run_suite(
    models: Sequence[str],
    frames: int,
    size: tuple[int, int],
    out: Path,
    *,
    quick: bool = False,
    progress: bool = False,
    overlap: int | None = None,
) -> dict[str, Any]:
    """Evaluate, write ``OUT.md``, ``OUT.json``, ``OUT-worst.png``; return the report."""
    start = time.perf_counter()
    rows, worst = evaluate(models, frames, size, quick=quick, progress=progress, overlap=overlap)
    methods = [FRONT_END, *models]
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "frames": frames,
        "size": f"{size[0]}x{size[1]}",
        "quick": quick,
        "overlap": EngineOptions(overlap=overlap).overlap,
        "scenes": sorted({row["scene"] for row in rows}, key=HELDOUT_SCENES.index),
        "overshoot": f"luminance > {OVERSHOOT_FACTOR:g}× max(truth, {OVERSHOOT_FLOOR:g})",
        "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads",
        "methods": methods,
        "clips": rows,
        "summary": summarise(rows, methods),
        "seconds": time.perf_counter() - start,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    if worst is not None:
        lead = models[0] if models else FRONT_END
        png = out.with_name(out.name + "-worst.png")
        sheet = worst_clip_sheet(worst, lead)
        if not cv2.imwrite(str(png), np.ascontiguousarray(sheet[..., ::-1])):
            raise OSError(f"heldout_eval: OpenCV could not write {png}")
        report["worst_png"] = {"path": png.name, "method": lead, "clip": str(worst["clip"])}
    out.with_suffix(".md").write_text(to_markdown(report), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="*", default=["default"], help="registered names or weights files"
    )
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", default="256x256", help="HxW of every clip")
    parser.add_argument("--quick", action="store_true", help="4 clips covering every factor")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/heldout"))
    parser.add_argument(
        "--overlap",
        type=int,
        default=None,
        help="frames shared by consecutive engine windows (default: the engine's, 4 of 8)",
    )
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if len(size) != 2 or min(size) < 8 or args.frames < 2:
        parser.error(f"--size {args.size} --frames {args.frames}: expected HxW >= 8x8, >= 2 frames")
    report = run_suite(
        args.models,
        args.frames,
        (size[0], size[1]),
        args.out,
        quick=args.quick,
        progress=True,
        overlap=args.overlap,
    )
    print(to_markdown(report))


if __name__ == "__main__":
    main()
