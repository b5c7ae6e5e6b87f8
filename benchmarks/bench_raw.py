"""Raw I/O cost: writing DNG frames, decoding them through LibRaw, opening sequences.

Run ``python -m benchmarks.bench_raw --help``. For each size: ``write_dng`` of one 12-bit frame,
``read_raw`` of it (LibRaw decode, levels, normalisation), ``read_raw_header`` (tags only, the
per-file check when a sequence opens), the same frame as a float EXR written and read for
comparison, and ``vhdr.RawSource`` rendering a short sequence in VapourSynth (all threads).
Medians of ``--repeats`` runs; prints Markdown rows.
"""

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from benchmarks.timing import median_seconds
from vs_vhdr.io.dng import write_dng
from vs_vhdr.io.exr import read_exr, write_exr
from vs_vhdr.io.raw import read_raw, read_raw_header


def raw_source_fps(pattern: str, frames: int) -> float:
    """Frames per second of ``vhdr.RawSource`` rendered in order (VapourSynth threads)."""
    from vs_vhdr.vapoursynth import raw_source

    clip = raw_source(pattern)
    start = time.perf_counter()
    for n, frame in enumerate(clip.frames()):
        frame.close()
        if n + 1 == frames:
            break
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1080x1920,2160x3840")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=8, help="RawSource sequence length")
    args = parser.parse_args()
    print("| step | size | ms per frame |\n|---|---|---|")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in args.sizes.split(","):
            height, width = (int(v) for v in size.split("x"))
            frame = (np.round(rng.random((height, width)) * 4095) / 4095).astype(np.float32)
            dng, exr = folder / f"{size}.dng", folder / f"{size}.exr"
            rows = {
                "write_dng (12-bit, uncompressed)": partial(write_dng, dng, frame, force=True),
                "read_raw (LibRaw decode + normalise)": partial(read_raw, dng),
                "read_raw_header (tags only)": partial(read_raw_header, dng),
                "write_exr (float Y, zip)": partial(write_exr, exr, frame),
                "read_exr (float Y, zip)": partial(read_exr, exr),
            }
            for label, run in rows.items():
                ms = 1000 * median_seconds(run, args.repeats)
                print(f"| {label} | {size} | {ms:.1f} |")
            for k in range(args.frames):
                write_dng(folder / f"seq{size}_{k:04d}.dng", frame, force=True)
            fps = raw_source_fps(str(folder / f"seq{size}_####.dng"), args.frames)
            print(f"| vhdr.RawSource, {args.frames} frames in order | {size} | {1000 / fps:.1f} |")


if __name__ == "__main__":
    main()
