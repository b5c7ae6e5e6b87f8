"""Route A's cost: ``vhdr export-nuke`` and the exported module against the engine.

Run ``python -m benchmarks.bench_nuke_export --help``. For each model (random weights): the export
time (trace, script, check against the engine, save), the ``.pt`` size, the exported module's
time per output frame (one whole window per frame, as Nuke's Inference node runs it), the
engine's ``reconstruct_window`` (the same work), and the engine's time per output frame over a
clip read in order (each window computed once, shared by the frames it blends). Medians of
``--repeats`` runs; prints Markdown rows.
"""

import argparse
import tempfile
import time

import numpy as np
import torch

from benchmarks.timing import median_seconds
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.export.torchscript import export_nuke
from vs_vhdr.nets import create_model


def measure(name: str, size: tuple[int, int], window: int, clip: int, repeats: int) -> list[str]:
    """Markdown rows of one model."""
    height, width = size
    rng = np.random.default_rng(0)
    raw = rng.uniform(0, 1, (clip, height, width)).astype(np.float32)
    mask = rng.uniform(0.05, 1, (height, width)).astype(np.float32)
    model = create_model(name, weights=False)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = export_nuke(name, folder, window=window, mask=mask, model=model)
        export_s = time.perf_counter() - start
        size_mib = result.module_path.stat().st_size / 2**20
        module = torch.jit.load(str(result.module_path))
    module.wide_output = False
    planes = [np.concatenate(list(raw[:window]), axis=1)] * 3
    wide = torch.from_numpy(np.stack(planes)[None].copy())
    engine = Reconstructor(
        EngineOptions(model=name, window=window, device="cpu"), mask, model=model
    )

    def module_frame() -> object:
        with torch.no_grad():
            return module(wide)

    def clip_in_order() -> object:
        engine.clear_cache()
        return [engine.output_frame(n, clip, lambda i: raw[i]) for n in range(clip)]

    route_a = median_seconds(module_frame, repeats, warmup=True)
    window_s = median_seconds(
        lambda: engine.reconstruct_window(raw[:window], mask), repeats, warmup=True
    )
    engine_frame = median_seconds(clip_in_order, repeats, warmup=True) / clip
    where = f"{height}x{width}, T={window}"
    return [
        f"| {name} | {where} | export (trace, check, save) | {export_s:.2f} s, {size_mib:.1f} MiB |",
        f"| {name} | {where} | exported module, per output frame | {route_a * 1e3:.0f} ms |",
        f"| {name} | {where} | engine reconstruct_window (same work) | {window_s * 1e3:.0f} ms |",
        f"| {name} | {where} | engine, per output frame of a {clip}-frame clip | "
        f"{engine_frame * 1e3:.0f} ms |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["c3d", "c3ded", "c3ded-m"])
    parser.add_argument("--size", default="128x128", help="HxW of the frames")
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--clip", type=int, default=16, help="frames of the engine's clip")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print("| model | frames | step | time |\n|---|---|---|---|")
    for name in args.models:
        for row in measure(name, (height, width), args.window, args.clip, args.repeats):
            print(row, flush=True)


if __name__ == "__main__":
    main()
