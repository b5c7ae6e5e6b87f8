"""Throughput of ``vhdr.Reconstruct`` in VapourSynth against the bare engine on the same clip.

    python -m benchmarks.vapoursynth_overhead [--size 256x256] [--frames 32] [--model c3d]
        [--window 8] [--device auto] [--precision auto] [--threads 1,2,4] [--repeat 3] [--force]

The bare engine reads numpy frames in order (``Reconstructor.output_frame``); the plugin renders
the same frames from a VapourSynth clip with 1..N threads (``clip.frames()``, as ``vspipe`` does).
Both run after a warm-up pass with the model loaded; each time is the median of ``--repeat``
interleaved runs. The ratio plugin/engine is the cost of the host: frame conversion, the
shifted-clip graph, callbacks and the GIL (the source clip's own render time is reported too).
Writes ``benchmarks/results/vapoursynth_overhead-<device>.{json,md}`` (``--force`` replaces).
"""

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import vapoursynth as vs

from benchmarks import report
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.engine.options import resolve_device
from vs_vhdr.errors import OutputExistsError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.vapoursynth import reconstruct
from vs_vhdr.vapoursynth.frames import gray_array_to_frame

RESULTS = Path(__file__).resolve().parent / "results"


def numpy_clip(frames: np.ndarray) -> vs.VideoNode:
    """A ``GRAYS`` clip serving the ``T×H×W`` array (a copy per frame, no file I/O)."""
    count, height, width = frames.shape
    blank = vs.core.std.BlankClip(
        format=vs.GRAYS, width=width, height=height, length=count, keep=True
    )
    return vs.core.std.ModifyFrame(blank, blank, lambda n, f: gray_array_to_frame(frames[n], f))


def time_engine(options: EngineOptions, raw: np.ndarray, mask: np.ndarray) -> float:
    """Seconds for the bare engine to return every frame in order (a fresh window cache)."""
    engine = Reconstructor(options, mask)
    start = time.perf_counter()
    for n in range(len(raw)):
        engine.output_frame(n, len(raw), lambda i: raw[i])
    return time.perf_counter() - start


def time_clip(clip: vs.VideoNode) -> float:
    """Seconds to render every frame of ``clip`` in order with the core's threads."""
    start = time.perf_counter()
    for _ in clip.frames():
        pass
    return time.perf_counter() - start


def time_plugin(args: argparse.Namespace, raw: np.ndarray, mask: np.ndarray, threads: int) -> float:
    """Seconds for ``vhdr.Reconstruct`` to render the clip with ``threads`` VapourSynth threads."""
    vs.core.num_threads = threads
    mask_clip = numpy_clip(mask[None])
    kwargs: dict[str, Any] = {
        "model": args.model,
        "window": args.window,
        "device": args.device,
        "precision": args.precision,
    }
    time_clip(reconstruct(numpy_clip(raw), mask=mask_clip, **kwargs))  # warm-up
    return time_clip(reconstruct(numpy_clip(raw), mask=mask_clip, **kwargs))


def machine(device: torch.device) -> dict[str, Any]:
    """What ran the benchmark: ``benchmarks.report.machine`` plus the device and VapourSynth."""
    return report.machine() | {
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "vapoursynth": str(vs.core.core_version),
    }


def markdown(result: dict[str, Any]) -> str:
    """The result as a Markdown report."""
    m, s = result["machine"], result["settings"]
    lines = [
        "# vhdr.Reconstruct overhead: VapourSynth plugin vs bare engine",
        "",
        f"Machine: {m['host']}, {m['cpu']} ({m['cpu_count']} CPUs), device {m['device']}"
        + (f" ({m['gpu']})" if m["gpu"] else "")
        + f"; torch {m['torch']}, VapourSynth {m['vapoursynth']}. Date {result['date']}.",
        "",
        f"Clip: {s['frames']} frames of {s['height']}×{s['width']}, model {s['model']}, "
        f"window {s['window']}, precision {s['precision']}; median of {s['repeat']} runs.",
        "",
        "| route | VS threads | seconds | frames/s | plugin / engine |",
        "|---|---|---|---|---|",
        f"| bare engine (numpy, in order) | - | {result['engine_s']:.3f} | "
        f"{result['engine_fps']:.2f} | 1.00 |",
    ]
    for row in result["plugin"]:
        lines.append(
            f"| vhdr.Reconstruct | {row['threads']} | {row['seconds']:.3f} | {row['fps']:.2f} | "
            f"{row['ratio']:.2f} |"
        )
    lines += [
        "",
        f"Rendering the source clip alone: {result['source_s']:.3f} s. "
        "Ratio = plugin frames/s ÷ engine frames/s (1.00 = no overhead).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="256x256", help="HxW of the frames")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--model", default="c3d")
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--threads", default="1,2,4", help="comma-separated VapourSynth threads")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per route (median)")
    parser.add_argument("--force", action="store_true", help="replace earlier results")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    rng = np.random.default_rng(0)
    raw = rng.random((args.frames, height, width), dtype=np.float32)
    mask = rng.uniform(0.05, 1.0, (height, width)).astype(np.float32)
    options = EngineOptions(
        model=args.model, window=args.window, device=args.device, precision=args.precision
    )
    device = resolve_device(args.device)
    json_path, md_path = (
        RESULTS / f"vapoursynth_overhead-{device.type}{ext}" for ext in (".json", ".md")
    )
    if not args.force and (json_path.exists() or md_path.exists()):
        raise OutputExistsError(f"{json_path} exists; pass --force to replace it")
    time_engine(options, raw, mask)  # warm-up: kernels, allocator, autotuning
    thread_counts = [int(t) for t in args.threads.split(",")]
    engine_runs: list[float] = []
    plugin_runs: dict[int, list[float]] = {t: [] for t in thread_counts}
    for _ in range(args.repeat):  # interleaved, so load changes hit every route alike
        engine_runs.append(time_engine(options, raw, mask))
        for threads in thread_counts:
            plugin_runs[threads].append(time_plugin(args, raw, mask, threads))
    engine_s = float(np.median(engine_runs))
    source_s = time_clip(numpy_clip(raw))
    rows = [
        {
            "threads": threads,
            "seconds": float(np.median(runs)),
            "runs": runs,
            "fps": args.frames / float(np.median(runs)),
            "ratio": engine_s / float(np.median(runs)),
        }
        for threads, runs in plugin_runs.items()
    ]
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(device),
        "settings": {
            "frames": args.frames,
            "height": height,
            "width": width,
            "model": args.model,
            "window": args.window,
            "precision": args.precision,
            "repeat": args.repeat,
        },
        "engine_s": engine_s,
        "engine_runs": engine_runs,
        "engine_fps": args.frames / engine_s,
        "source_s": source_s,
        "plugin": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_text_atomic(json_path, json.dumps(result, indent=2) + "\n")
    write_text_atomic(md_path, markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
