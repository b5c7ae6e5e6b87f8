"""Held-out evaluation of shipped models next to the naive baseline (the model cards' table).

Content: ``builtin:forest``, the real HDR map every training config holds out. Eight clips, each
``--frames`` frames of ``--size`` pixels with the simulator's ``default`` noise: a *static* clip
(one crop, fresh noise every frame: the temporal error is pure flicker) and a *panning* clip
(exact known motion), each under a low-frequency and a uniform mask, each at the automatic
exposure and 2 stops brighter (clipped highlights). Every model runs through the engine
(``vs_vhdr.engine.Reconstructor``, window 8) on the same raw frames as the baseline. The row
``-m front end`` is the fixed, parameter-free part of the ``-m`` models alone
(``vs_vhdr.nets.conditioning``): what their learned stacks add is the difference to it.

    python -m benchmarks.heldout_eval --models default c3ded-m --out benchmarks/results/heldout

writes ``OUT.md`` and ``OUT.json`` (a ``vhdr.EvalReport/1`` table) and prints the table, with
each model's PU21-PSNR gain over the baseline and its temporal-error ratio to the baseline's.
"""

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vs_vhdr.cli.simulate import MOTION_FILE, read_dir, simulate_to_dir
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.io.exr import write_exr
from vs_vhdr.metrics.baseline import naive_reconstruct
from vs_vhdr.metrics.motion import load_motion
from vs_vhdr.metrics.report import MetricsTable
from vs_vhdr.nets.conditioning import LogRatioConditioning
from vs_vhdr.nets.inputs import prepare_input
from vs_vhdr.nets.registry import create_model
from vs_vhdr.scenes.shots import builtin_shot
from vs_vhdr.units import from_log

SCENE = "forest"
BASELINE = "naive baseline"
FRONT_END = "-m front end"
BRIGHT_STOPS = 2


def simulate_clips(folder: Path, frames: int, size: tuple[int, int]) -> dict[str, Path]:
    """The held-out clips in ``vhdr simulate`` layout; returns name → folder.

    Each clip also comes ``BRIGHT_STOPS`` stops brighter than the automatic exposure, so that
    the sky and the sunlit leaves clip and the reconstruction has highlights to recover.
    """
    clips: dict[str, Path] = {}
    still = builtin_shot(SCENE, height=size[0], width=size[1], num_frames=1, seed=7).frames(0, 1)
    (folder / "static").mkdir(parents=True)
    for i in range(frames):  # a static scene: the same HDR frame, the simulator adds fresh noise
        write_exr(folder / "static" / f"{i:04d}.exr", still[0])
    sources = {
        "static": ([str(folder / "static" / "%04d.exr")], {}),
        "panning": ([f"builtin:{SCENE}"], {"frames": frames, "crop": size}),
    }
    for seed, mask in enumerate(("lowfreq", "uniform"), start=11):
        for motion, (inputs, options) in sources.items():
            name = f"{SCENE}-{motion}-{mask}"
            clips[name] = folder / name
            record = simulate_to_dir(inputs, clips[name], mask=mask, seed=seed, **options)
            bright = f"{SCENE}+{BRIGHT_STOPS}EV-{motion}-{mask}"
            clips[bright] = folder / bright
            scale = f"{record.exposure_scale * 2.0**BRIGHT_STOPS:.6g}"
            simulate_to_dir(inputs, clips[bright], mask=mask, seed=seed, exposure=scale, **options)
    return clips


def reconstruct(model: str, raw: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Every frame of ``raw`` (``T×H×W``) through the engine: ``T×H×W×3`` linear HDR."""
    engine = Reconstructor(EngineOptions(model=model, device="cpu"), mask)
    count = raw.shape[0]
    return np.stack([engine.output_frame(n, count, lambda i: raw[i]) for n in range(count)])


def front_end_only(raw: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ``-m`` models' base estimate (no learned layer): ``T×H×W×3`` linear HDR."""
    spec = create_model("c3ded-m", weights=False).spec
    network_input = prepare_input(torch.from_numpy(raw)[None], torch.from_numpy(mask), "RGGB", spec)
    with torch.no_grad():
        _, base = LogRatioConditioning()(network_input)
    return from_log(base[0]).permute(1, 2, 3, 0).numpy()


def evaluate(models: list[str], frames: int, size: tuple[int, int]) -> MetricsTable:
    """Metrics of the baseline and each model on every held-out clip."""
    table = MetricsTable()
    with tempfile.TemporaryDirectory(prefix="vhdr-heldout-") as tmp:
        for name, folder in simulate_clips(Path(tmp), frames, size).items():
            raw, gt, mask = read_dir(folder)
            motion_file = folder / MOTION_FILE
            motion = load_motion(motion_file) if motion_file.is_file() else "static"
            table.add(name, BASELINE, naive_reconstruct(raw, mask), gt, motion)
            table.add(name, FRONT_END, front_end_only(raw, mask), gt, motion)
            for model in models:
                table.add(name, model, reconstruct(model, raw, mask), gt, motion)
    return table


def summary(table: MetricsTable, models: list[str]) -> list[str]:
    """One line per model: PU21-PSNR gain and temporal-error ratio against the baseline."""
    base = table.mean(BASELINE)
    lines = []
    for model in [FRONT_END, *models]:
        mean = table.mean(model)
        gain = (mean["pu21_psnr"] or 0.0) - (base["pu21_psnr"] or 0.0)
        ratio = (mean["temporal_error"] or 0.0) / max(base["temporal_error"] or 1e-12, 1e-12)
        lines.append(
            f"- {model}: PU21-PSNR {gain:+.2f} dB against the baseline, PU21-SSIM "
            f"{mean['pu21_ssim']:.4f}, temporal error {ratio:.2f}× the baseline's"
        )
    return lines


def main() -> None:
    """Command line: see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["default"])
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", default="128x192", help="HxW of every clip")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/heldout"))
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    start = time.perf_counter()
    table = evaluate(args.models, args.frames, (size[0], size[1]))
    lines = summary(table, args.models)
    machine = f"{platform.machine()} CPU, {platform.node()}"
    header = (
        f"Held-out `{SCENE}`, {args.frames} frames of {args.size}, default noise; engine on CPU "
        f"({machine}); {time.perf_counter() - start:.0f} s.\n\n"
    )
    markdown = header + table.to_markdown() + "\n" + "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(markdown, encoding="utf-8")
    report = table.to_dict() | {"summary": lines, "frames": args.frames, "size": args.size}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(markdown)


if __name__ == "__main__":
    main()
