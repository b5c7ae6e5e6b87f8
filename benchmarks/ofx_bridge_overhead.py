"""Transport cost of the OFX bridge: one window through the frame server with a no-op renderer.

    python -m benchmarks.ofx_bridge_overhead [--sizes 540x960,1080x1920] [--frames 8]
        [--repeat 5] [--force]

A ``FrameServer`` in this process answers ``RENDER`` with the target frame copied to RGB (no
network), and ``FrameClient`` plays the plugin: create the input segment, send, wait, map the
output, release. The median seconds per window are the bridge's own overhead (shared memory, copies,
socket, queue), to set against the engine's time per window (``benchmarks/bench_engine.py``).
Writes ``benchmarks/results/ofx_bridge_overhead.{json,md}`` (``--force`` replaces).
"""

import argparse
import json
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vs_vhdr.errors import OutputExistsError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.serve.client import FrameClient
from vs_vhdr.serve.jobs import Limits, RenderJob
from vs_vhdr.serve.server import FrameServer, ServeOptions

RESULTS = Path(__file__).resolve().parent / "results"


def copy_render(job: RenderJob) -> np.ndarray:
    """The target frame on three channels: the cheapest renderer with a full-size output."""
    return np.repeat(job.raw[job.target][..., None], 3, axis=2)


def time_window(client: FrameClient, raw: np.ndarray, repeat: int) -> list[float]:
    """Seconds per window round trip, ``repeat`` times after one warm-up."""
    client.render(raw, len(raw) // 2, mask_file="unused")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.render(raw, len(raw) // 2, mask_file="unused")
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="540x960,1080x1920", help="HxW list")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    out = RESULTS / "ofx_bridge_overhead.json"
    if out.exists() and not args.force:
        raise OutputExistsError(f"{out} exists; pass --force to replace it")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        options = ServeOptions(Path(folder) / "serve.sock", limits=Limits(max_bytes=8 << 30))
        server = FrameServer(options, copy_render)
        server.start()
        try:
            with FrameClient(options.socket_path) as client:
                for size in args.sizes.split(","):
                    height, width = (int(v) for v in size.split("x"))
                    raw = np.random.default_rng(0).random(
                        (args.frames, height, width), dtype=np.float32
                    )
                    times = time_window(client, raw, args.repeat)
                    moved = raw.nbytes + height * width * 3 * 4
                    median = statistics.median(times)
                    rows.append(
                        {
                            "frames": args.frames,
                            "height": height,
                            "width": width,
                            "median_s": round(median, 4),
                            "min_s": round(min(times), 4),
                            "mb_moved": round(moved / 1e6, 1),
                            "gb_per_s": round(moved / median / 1e9, 2),
                        }
                    )
                    print(rows[-1], flush=True)
        finally:
            server.close()
    record = {
        "benchmark": "ofx_bridge_overhead",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
        "repeat": args.repeat,
        "rows": rows,
    }
    table = ["| window | median s | min s | MB moved | GB/s |", "|---|---|---|---|---|"]
    table += [
        f"| {r['frames']}×{r['height']}×{r['width']} | {r['median_s']} | {r['min_s']} | "
        f"{r['mb_moved']} | {r['gb_per_s']} |"
        for r in rows
    ]
    RESULTS.mkdir(exist_ok=True)
    write_text_atomic(out, json.dumps(record, indent=2) + "\n")
    write_text_atomic(out.with_suffix(".md"), "\n".join([__doc__.splitlines()[0], "", *table, ""]))


if __name__ == "__main__":
    main()
