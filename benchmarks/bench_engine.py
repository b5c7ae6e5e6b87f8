"""Engine throughput and memory: frames/s of ``iter_reconstruct`` per model, tile and precision.

Run ``python -m benchmarks.bench_engine --help``. Random raw frames and a random mask; the model
is random-initialised (speed does not depend on the weights). Prints one Markdown row per setting:
frames/s, network frames per output frame, windows computed, peak memory (RSS, and GPU on CUDA).
"""

import argparse
import resource
import time
from collections.abc import Iterator

import numpy as np
import torch

from vs_vhdr.engine import EngineOptions, Reconstructor, iter_reconstruct


def frames(count: int, height: int, width: int) -> Iterator[np.ndarray]:
    """Random coded raw frames, made one at a time (the clip never sits in memory)."""
    rng = np.random.default_rng(0)
    for _ in range(count):
        yield rng.random((height, width), dtype=np.float32)


def measure(options: EngineOptions, count: int, height: int, width: int) -> dict[str, float]:
    """Reconstruct ``count`` frames once (after one warm-up window); timings in seconds."""
    mask = np.random.default_rng(1).random((height, width), dtype=np.float32)
    rec = Reconstructor(options, mask)
    rec.reconstruct_window(next(frames(1, height, width))[None].repeat(options.window, 0))
    rec.reset_stats()
    if rec.device.type == "cuda":
        torch.cuda.synchronize(rec.device)
        torch.cuda.reset_peak_memory_stats(rec.device)
    start = time.perf_counter()
    for _ in iter_reconstruct(frames(count, height, width), reconstructor=rec):
        pass
    if rec.device.type == "cuda":
        torch.cuda.synchronize(rec.device)
    seconds = time.perf_counter() - start
    stats = rec.stats
    gpu = torch.cuda.max_memory_allocated(rec.device) / 2**20 if rec.device.type == "cuda" else 0
    return {
        "fps": count / seconds,
        "net_per_out": stats.network_frames_per_output,
        "windows": stats.windows_computed,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gpu_mib": gpu,
    }


def main() -> None:
    """Parse arguments, run every (model, tile, precision) combination, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=["c3d", "dc3d", "c3ded"])
    parser.add_argument("--size", default="128x128", help="HxW")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--tiles", nargs="+", type=int, default=[0])
    parser.add_argument("--precisions", nargs="+", default=["auto"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--window", type=int, default=8)
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {args.size}")
    print(
        "| model | tile | precision | device | frames/s | net frames/out | windows | RSS MiB | GPU MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for model in args.models:
        for tile in args.tiles:
            for precision in args.precisions:
                options = EngineOptions(
                    model=model,
                    tile=tile,
                    precision=precision,
                    device=args.device,
                    window=args.window,
                )
                r = measure(options, args.frames, height, width)
                device = "cuda" if torch.cuda.is_available() and args.device != "cpu" else "cpu"
                print(
                    f"| {model} | {tile} | {precision} | {device} | {r['fps']:.2f} | "
                    f"{r['net_per_out']:.2f} | {r['windows']:.0f} | {r['rss_mib']:.0f} | "
                    f"{r['gpu_mib']:.0f} |"
                )


if __name__ == "__main__":
    main()
