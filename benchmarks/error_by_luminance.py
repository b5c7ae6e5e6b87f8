"""Where the PU21 error is: each method's squared PU21 error split by the truth's luminance.

On clips of the held-out suite (``benchmarks.heldout_eval``, the same simulation), every pixel
is put in a band of its true Rec. 709 luminance (exposure-normalised linear units: 1.0
saturates an unmasked pixel; bands ``BAND_EDGES``). Per method and band: the share of pixels,
the share of the method's summed squared PU21 error (what PU21-PSNR is computed from), the
RMSE and the mean signed error (bias) in PU units. A band with a large error share and a
negative bias is one the method underestimates; that is where training should look.

    python -m benchmarks.error_by_luminance --models default --only iso1600 static \
        --out benchmarks/results/error-by-luminance

``--only`` keeps the clips whose name contains every given word (``city``, ``+2EV``, ...).
Writes ``OUT.md`` and ``OUT.json`` (schema ``vhdr.ErrorByLuminance/1``).
"""

import argparse
import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.heldout_eval import BASELINE, clip_specs, reconstruct, simulate_clip
from vs_vhdr.imaging.exposure import luminance
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.metrics import naive_reconstruct
from vs_vhdr.metrics.pu21 import pu21_frame

SCHEMA = "vhdr.ErrorByLuminance/1"
BAND_EDGES = (0.25, 1.0, 4.0, 16.0)
"""Upper edges of the truth-luminance bands; the last band is everything above 16."""


def band_names() -> list[str]:
    """``< 0.25``, ``0.25-1``, ..., ``>= 16``."""
    edges = [f"{edge:g}" for edge in BAND_EDGES]
    return [f"< {edges[0]}", *(f"{a}-{b}" for a, b in zip(edges, edges[1:])), f">= {edges[-1]}"]


def band_sums(pred: np.ndarray, gt: np.ndarray) -> dict[str, np.ndarray]:
    """Per band of ``gt``'s luminance: pixel count, Σ error², Σ error (PU units).

    ``pred``, ``gt``: ``T×H×W×3`` linear HDR. Returns arrays of ``len(BAND_EDGES) + 1``.
    """
    bands = np.digitize(luminance(gt), BAND_EDGES).ravel()
    error = (
        pu21_frame(torch.from_numpy(np.asarray(pred, np.float64)))
        - pu21_frame(torch.from_numpy(np.asarray(gt, np.float64)))
    ).numpy().ravel()  # fmt: skip
    count = len(BAND_EDGES) + 1
    return {
        "pixels": np.bincount(bands, minlength=count).astype(np.float64),
        "squared": np.bincount(bands, weights=error**2, minlength=count),
        "signed": np.bincount(bands, weights=error, minlength=count),
    }


def summarise(sums: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """Per band: pixel share, error share, RMSE and bias (PU units); empty bands give NaN."""
    pixels, squared, signed = sums["pixels"], sums["squared"], sums["signed"]
    with np.errstate(invalid="ignore", divide="ignore"):
        rmse, bias = np.sqrt(squared / pixels), signed / pixels
    return [
        {
            "band": name,
            "pixel_share": float(pixels[i] / pixels.sum()),
            "error_share": float(squared[i] / squared.sum()) if squared.sum() else 0.0,
            "rmse_pu": float(rmse[i]),
            "bias_pu": float(bias[i]),
        }
        for i, name in enumerate(band_names())
    ]


def evaluate(
    models: Sequence[str], frames: int, size: tuple[int, int], only: Sequence[str]
) -> dict[str, Any]:
    """Band sums of the baseline and every model over the suite's clips matching ``only``."""
    specs = [spec for spec in clip_specs() if all(word in spec.name for word in only)]
    if not specs:
        raise SystemExit(f"error_by_luminance: --only {' '.join(only)} matches no suite clip")
    totals: dict[str, dict[str, np.ndarray]] = {}
    for index, spec in enumerate(specs):
        start = time.perf_counter()
        clip = simulate_clip(spec, frames, size)
        outputs = {BASELINE: naive_reconstruct(clip.raw, clip.mask)}
        outputs |= {model: reconstruct(model, clip.raw, clip.mask) for model in models}
        for name, pred in outputs.items():
            sums = band_sums(pred, clip.gt)
            if name in totals:
                totals[name] = {key: totals[name][key] + sums[key] for key in sums}
            else:
                totals[name] = sums
        print(f"[{index + 1}/{len(specs)}] {spec.name} ({time.perf_counter() - start:.1f} s)")
    return {
        "schema": SCHEMA,
        "clips": [spec.name for spec in specs],
        "frames": frames,
        "size": f"{size[0]}x{size[1]}",
        "machine": f"{platform.machine()} CPU, {torch.get_num_threads()} threads",
        "methods": {name: summarise(sums) for name, sums in totals.items()},
    }


def to_markdown(report: dict[str, Any]) -> str:
    """One table per method: band, pixel share, error share, RMSE, bias."""
    lines = [
        f"Squared PU21 error by true luminance ({len(report['clips'])} held-out suite clips of "
        f"{report['frames']} frames of {report['size']}; {report['machine']}). Luminance in "
        "exposure-normalised units (1.0 saturates an unmasked pixel); RMSE and bias in PU units.",
    ]
    for name, rows in report["methods"].items():
        lines += [
            "",
            f"### {name}",
            "",
            "| true luminance | pixels | share of squared error | RMSE [PU] | bias [PU] |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['band']} | {100 * r['pixel_share']:.1f} % | {100 * r['error_share']:.1f} % "
            f"| {r['rmse_pu']:.1f} | {r['bias_pu']:+.1f} |"
            for r in rows
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=["default"], help="names or weights files")
    parser.add_argument("--only", nargs="*", default=[], help="words every clip name contains")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", default="256x256", help="HxW of every clip")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/error-by-luminance"))
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if len(size) != 2 or min(size) < 8 or args.frames < 2:
        parser.error(f"--size {args.size} --frames {args.frames}: expected HxW >= 8x8, >= 2 frames")
    report = evaluate(args.models, args.frames, (size[0], size[1]), args.only)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out.with_suffix(".md"), to_markdown(report))
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    print(to_markdown(report))


if __name__ == "__main__":
    main()
