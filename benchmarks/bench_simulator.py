"""Simulator cost: seconds per frame of scene generation and of the Eq. 1 capture.

Run ``python -m benchmarks.bench_simulator --help``. Times, at each frame size: rendering a
procedural scene (``mixed``), panning a bundled map, the numpy ``capture_frames`` path (per-frame
seeds, CPU, ``default`` noise) and the batched torch ``simulate`` (Poisson and Gaussian shot noise)
on the CPU and, when present, on CUDA. Prints one Markdown row per measurement.
"""

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import torch

from vs_vhdr.imaging.capture import CaptureSettings, capture_frames, simulate
from vs_vhdr.imaging.masks import make_mask, mask_settings
from vs_vhdr.imaging.noise import NOISE_PRESETS
from vs_vhdr.scenes.procedural import ProceduralConfig, ProceduralScene
from vs_vhdr.scenes.shots import builtin_shot


def per_frame(run: Callable[[], object], frames: int, repeats: int) -> float:
    """Best-of-``repeats`` seconds per frame of ``run`` (which makes ``frames`` frames)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best / frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--sizes", default="256x256,1080x1920")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print("| size | step | s/frame | frames/s |\n|---|---|---|---|")
    for size in args.sizes.split(","):
        height, width = (int(v) for v in size.split("x"))
        t = args.frames
        scene = ProceduralScene(ProceduralConfig("mixed", height=height, width=width, num_frames=t))
        panned = builtin_shot(
            "courtyard", height=min(height, 511), width=min(width, 1023), num_frames=t
        )
        hdr = scene.frames()
        mask = make_mask(mask_settings("uniform"), height, width)
        settings = CaptureSettings(exposure=1.0)
        rows: list[tuple[str, Callable[[], object]]] = [
            ("procedural scene", scene.frames),
            ("panned builtin map (≤511×1023)", panned.frames),
            ("capture_frames (numpy, CPU)", partial(capture_frames, hdr, mask, settings)),
        ]
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for device in devices:
            x = torch.from_numpy(hdr).permute(3, 0, 1, 2)[None].to(device)
            phi = torch.from_numpy(mask).to(device)
            for model in ("poisson", "gaussian"):
                s = CaptureSettings(noise=replace(NOISE_PRESETS["default"], shot_model=model))
                rows.append((f"simulate ({device}, {model})", partial(simulate, x, phi, s)))
        for name, run in rows:
            seconds = per_frame(run, t, args.repeats)
            print(f"| {height}×{width} | {name} | {seconds:.4f} | {1 / seconds:.1f} |")


if __name__ == "__main__":
    main()
