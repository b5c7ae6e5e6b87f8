"""Evaluation cost: seconds per frame of each metric and of the naive baseline.

Run ``python -m benchmarks.bench_metrics --help``. A procedural-looking random clip (smooth
log-normal HDR, a random mask, an output with 10 % multiplicative error); every metric of
``vs_vhdr.metrics.report`` on the CPU, in float64 as ``vhdr eval`` runs them. Prints one Markdown
row per metric: seconds per frame and frames per second.
"""

import argparse
import time
from collections.abc import Callable

import numpy as np

from vs_vhdr.imaging.cfa import mosaic_np
from vs_vhdr.metrics import (
    log_mae,
    log_mse,
    log_ssim,
    motion_temporal_error,
    naive_reconstruct,
    pu21_psnr,
    pu21_ssim,
    temporal_loss,
)


def clip(frames: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pred, gt, raw)`` float32 clips and the mask used for ``raw``."""
    rng = np.random.default_rng(0)
    gt = np.exp(rng.normal(-1.0, 1.5, (frames, height, width, 3))).astype(np.float32)
    pred = (gt * rng.uniform(0.9, 1.1, gt.shape)).astype(np.float32)
    mask = rng.uniform(0.0, 1.0, (height, width)).astype(np.float32)
    raw = np.clip(mosaic_np(gt) * mask, 0, 1).astype(np.float32)
    return pred, gt, np.stack([raw, np.broadcast_to(mask, raw.shape)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--size", default="540x960", help="HxW")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    pred, gt, raw_and_mask = clip(args.frames, height, width)
    raw, mask = raw_and_mask[0], raw_and_mask[1, 0]
    cases: dict[str, Callable[[], object]] = {
        "log_mae": lambda: log_mae(pred, gt),
        "log_mse": lambda: log_mse(pred, gt),
        "log_ssim": lambda: log_ssim(pred, gt),
        "temporal_loss": lambda: temporal_loss(pred, gt),
        "pu21_psnr": lambda: pu21_psnr(pred, gt),
        "pu21_ssim": lambda: pu21_ssim(pred, gt),
        "temporal_error (static)": lambda: motion_temporal_error(pred, gt, "static"),
        "naive baseline": lambda: naive_reconstruct(raw, mask),
    }
    print(f"clip {args.frames}×{height}×{width}, best of {args.repeat}\n")
    print("| metric | s/frame | frames/s |\n|---|---|---|")
    for name, run in cases.items():
        best = min(_seconds(run) for _ in range(args.repeat))
        print(f"| {name} | {best / args.frames:.4f} | {args.frames / best:.2f} |")


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
