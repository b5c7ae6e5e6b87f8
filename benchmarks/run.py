"""``make bench``: speed and memory of every model against the machine's measured peak.

    python -m benchmarks.run [--full] [--models c3ded c3d] [--sizes 256 1080p 4k HxW@TILE]
        [--device auto|cpu|cuda] [--precisions fp32 bf16] [--frames 16] [--repeats 3]
        [--modes bare chunk overlap cli vs] [--no-compare] [--tag NAME] [--force]

Measures the conv3d peak of the device (and on CUDA a bf16 matmul), then each configuration
(model × size × precision) in its own subprocess, so that each has its own peak memory; then the
engine's before/after comparisons (``benchmarks/ab.py``); then the peaks again (the report keeps
the higher). Writes ``benchmarks/results/bench-<device>[-TAG].{json,md}``; ``--force`` replaces.

The default CPU run suits a small shared machine (5-10 minutes on 2 busy cores): 256×256 frames,
C3DED-M (the shipped default) through every mode, C3DED, C3D and DC3D bare and in chunk mode,
three interleaved repetitions (the best kept). On CUDA the default is every model at 256², 1080p
and 4K in fp16 and bf16.
``--full`` is the whole sweep (every model and mode; 256², 1080p and 4K tiled; every precision),
which on a CPU takes many hours at 1080p and 4K.
"""

import argparse
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from benchmarks.ab import Change, compare, default_changes
from benchmarks.measure import MODES, Config, measure
from benchmarks.peak import conv3d_peak, matmul_peak
from benchmarks.report import machine, markdown, rows
from benchmarks.targets import check
from vs_vhdr.engine.options import resolve_device
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.io.atomic import write_text_atomic

RESULTS = Path(__file__).resolve().parent / "results"

SIZES = {"256": (256, 256, 0), "1080p": (1080, 1920, 0), "4k": (2160, 3840, 512)}
"""Named sizes: (height, width, tile). 4K runs tiled (512-pixel cores)."""


def parse_size(text: str) -> tuple[int, int, int]:
    """``256``, ``1080p``, ``4k`` or ``HxW`` / ``HxW@TILE`` → (height, width, tile)."""
    if text.lower() in SIZES:
        return SIZES[text.lower()]
    size, _, tile = text.lower().partition("@")
    try:
        height, width = (int(v) for v in size.split("x"))
        return height, width, int(tile or 0)
    except ValueError:
        raise InvalidArgumentError(
            f"benchmarks.run: --sizes {text!r}; expected 256, 1080p, 4k, HxW or HxW@TILE"
        ) from None


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--full", action="store_true", help="the whole sweep (hours on a CPU)")
    p.add_argument("--models", nargs="+", help="default: pmunet c3ded-m c3ded c3d dc3d")
    p.add_argument("--sizes", nargs="+", help="default: 256 (full: 256 1080p 4k)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--precisions", nargs="+", help="default: fp32 on CPU, fp16 bf16 on CUDA")
    p.add_argument("--frames", type=int, help="clip length of the engine modes (default 16)")
    p.add_argument("--repeats", type=int, help="interleaved repetitions, best kept (default 3)")
    p.add_argument("--modes", nargs="+", choices=MODES, help="default: bare chunk overlap cli")
    p.add_argument("--no-compare", action="store_true", help="skip the before/after section")
    p.add_argument("--tag", help="suffix of the result files")
    p.add_argument("--force", action="store_true", help="replace earlier results")
    p.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    return p


def settings(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """Sweeps (models × modes × clip length), sizes, precisions and repetitions after defaults.

    The default CPU run is two sweeps: the shipped default model (PMUNet) and C3DED-M through
    every mode on 16-frame clips, and C3DED, C3D and DC3D through ``bare`` and ``chunk`` on
    8-frame clips (one window). Any of ``--models``, ``--modes`` or ``--frames`` makes it one sweep.
    """
    cuda = device.type == "cuda"
    every = ["pmunet", "c3ded-m", "c3ded", "c3d", "dc3d"]
    modes = ["bare", "chunk", "overlap", "cli"] + (["vs"] if args.full else [])
    if args.full or cuda or args.models or args.modes or args.frames:
        sweeps = [
            {
                "models": args.models or every,
                "modes": args.modes or modes,
                "frames": args.frames or 16,
            }
        ]
    else:
        sweeps = [
            {"models": ["pmunet", "c3ded-m"], "modes": modes, "frames": 16},
            {"models": ["c3ded", "c3d", "dc3d"], "modes": ["bare", "chunk"], "frames": 8},
        ]
    sizes = args.sizes or (["256", "1080p", "4k"] if args.full or cuda else ["256"])
    precisions = args.precisions or (
        (["fp16", "bf16", "fp32"] if args.full else ["fp16", "bf16"])
        if cuda
        else (["fp32", "bf16"] if args.full else ["fp32"])
    )
    return {
        "sweeps": sweeps,
        "sizes": [parse_size(s) for s in sizes],
        "precisions": precisions,
        "repeats": args.repeats or 3,
    }


def in_subprocess(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job (``measure`` or ``compare``) in a fresh interpreter; its JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark job {job} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(text: str) -> None:
    """Entry point of a job subprocess: print its JSON result as the last line."""
    job = json.loads(text)
    config = Config(**{**job["config"], "modes": tuple(job["config"]["modes"])})
    if job["kind"] == "measure":
        result = measure(config)
    else:
        result = compare(Change(job["name"], config, job["before"], job["after"]))
    print(json.dumps(result))


def measure_peaks(device: torch.device, precisions: list[str]) -> list[dict[str, Any]]:
    """conv3d peak per precision, plus the bf16 matmul peak on CUDA."""
    peaks = [asdict(conv3d_peak(device, precision)) for precision in precisions]
    if device.type == "cuda":
        peaks.append(asdict(matmul_peak(device, "bf16")))
    return peaks


def best_peaks(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The higher of two measurements of each peak."""
    return [max(a, b, key=lambda p: p["flop_per_s"]) for a, b in zip(first, second, strict=True)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write JSON and Markdown under ``benchmarks/results``."""
    args = parser().parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    device = resolve_device(args.device)
    chosen = settings(args, device)
    name = f"bench-{device.type}" + (f"-{args.tag}" if args.tag else "")
    json_path, md_path = args.out / f"{name}.json", args.out / f"{name}.md"
    if not args.force and (json_path.exists() or md_path.exists()):
        raise OutputExistsError(f"benchmarks.run: {json_path} exists; pass --force to replace it")
    print(f"peaks on {device} ...", flush=True)
    peaks = measure_peaks(device, chosen["precisions"])
    records = []
    for sweep in chosen["sweeps"]:
        for model in sweep["models"]:
            for height, width, tile in chosen["sizes"]:
                for precision in chosen["precisions"]:
                    config = Config(
                        model,
                        height,
                        width,
                        tile=tile,
                        device=device.type,
                        precision=precision,
                        frames=sweep["frames"],
                        repeats=chosen["repeats"],
                        modes=tuple(sweep["modes"]),
                    )
                    print(f"{model} {height}x{width} tile {tile} {precision} ...", flush=True)
                    records.append(in_subprocess({"kind": "measure", "config": asdict(config)}))
    comparisons = []
    if not args.no_compare:
        height, width, _ = chosen["sizes"][0]
        for change in default_changes(
            device.type,
            chosen["precisions"][0],
            height,
            width,
            chosen["repeats"],
            chosen["sweeps"][-1]["frames"],
        ):
            print(f"compare: {change.name} ...", flush=True)
            job = {"kind": "compare", "name": change.name, "config": asdict(change.config)}
            comparisons.append(
                in_subprocess({**job, "before": change.before, "after": change.after})
            )
    peaks = best_peaks(peaks, measure_peaks(device, chosen["precisions"]))
    peak_rates = {f"{p['op']}/{p['device']}/{p['precision']}": p["flop_per_s"] for p in peaks}
    result: dict[str, Any] = {
        "title": f"{device.type}" + (f" ({args.tag})" if args.tag else ""),
        "command": "python -m benchmarks.run "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "note": "Timings share the machine with whatever else runs; modes and before/after "
        "sides are interleaved so that load hits them alike, and the best of the repetitions "
        "is kept.",
        "machine": machine(),
        "settings": {**chosen, "sizes": [list(s) for s in chosen["sizes"]]},
        "peaks": peaks,
        "records": records,
        "comparisons": comparisons,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(json_path, json.dumps(result, indent=2) + "\n")  # the measurements first
    result["rows"] = rows(records, peak_rates)
    result["targets"] = check(result["rows"], peak_rates)
    write_text_atomic(json_path, json.dumps(result, indent=2) + "\n")
    write_text_atomic(md_path, markdown(result))
    print(markdown(result))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
