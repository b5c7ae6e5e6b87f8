"""Plugin loading and flat-field calibration cost.

Run ``python -m benchmarks.bench_calibration --help``. Measures, in this process: creating the
plugin host (entry-point scan, plugin imports), its first model listing (imports torch and the
networks) and first calibration listing; then ``estimate_transmittance`` on synthetic flat fields
(uniform mask, vignetting, shot and read noise) at each size, with and without unmasked frames,
reporting seconds and the peak of numpy allocations (``tracemalloc``). Prints Markdown rows.
"""

import argparse
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import numpy as np

from vs_vhdr.calibration.flatfield import estimate_transmittance
from vs_vhdr.plugins import Host


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Seconds and peak traced MiB of one call of ``run``."""
    tracemalloc.start()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def flat_fields(height: int, width: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """``frames`` float32 flat fields at two exposures; 4000 e⁻ full well, 2 DN read noise."""
    rows, cols = np.mgrid[0:height, 0:width]
    r2 = ((rows - height / 2) / (height / 2)) ** 2 + ((cols - width / 2) / (width / 2)) ** 2
    signal = rng.random((height, width)) / (1 + 0.2 * r2) ** 2
    out = np.empty((frames, height, width), np.float32)
    for k in range(frames):
        level = 0.45 if k < frames // 2 else 0.9
        noisy = rng.poisson(signal * level * 4000) / 4000 + rng.normal(0, 2 / 4095, signal.shape)
        out[k] = np.clip(noisy, 0, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--sizes", default="540x960,1080x1920")
    args = parser.parse_args()
    print("| step | size | seconds | peak MiB (numpy) |\n|---|---|---|---|")
    start = time.perf_counter()
    host = Host()
    print(
        f"| create plugin host ({len(host.plugins())} plugins) | - | {time.perf_counter() - start:.3f} | - |"
    )
    start = time.perf_counter()
    host.models()
    print(f"| first model listing | - | {time.perf_counter() - start:.3f} | - |")
    start = time.perf_counter()
    host.list_calibrations()
    print(f"| first calibration listing | - | {time.perf_counter() - start:.3f} | - |")
    rng = np.random.default_rng(0)
    for size in args.sizes.split(","):
        height, width = (int(v) for v in size.split("x"))
        frames = flat_fields(height, width, args.frames, rng)
        unmasked = flat_fields(height, width, 2, rng)
        input_mib = frames.nbytes / 2**20
        for label, kwargs in (("masked only", {}), ("+ 2 unmasked", {"unmasked": unmasked})):
            seconds, peak = timed(partial(estimate_transmittance, frames, **kwargs))
            print(
                f"| estimate_transmittance, {args.frames} frames ({input_mib:.0f} MiB), {label} "
                f"| {size} | {seconds:.2f} | {peak:.0f} |"
            )


if __name__ == "__main__":
    main()
