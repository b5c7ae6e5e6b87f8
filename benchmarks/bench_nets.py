"""Network cost per model: parameters, forward and training-step time, peak memory.

Run ``python -m benchmarks.bench_nets --help``. Random-initialised models on random spread
input ``B×C×T×H×W``; a training step is forward + L_VHDR (without the VGG term) + backward.
Prints one Markdown row per model; the first repetitions are a warm-up and not timed.
"""

import argparse
import resource
import time
from collections.abc import Callable
from typing import cast

import torch

from vs_vhdr.losses import vhdr_loss
from vs_vhdr.nets import ModelSpec, create_model


def _timed(step: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Median seconds of ``step`` over ``repeats`` runs, after two warm-up runs."""
    for _ in range(2):
        step()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def measure(name: str, shape: tuple[int, int, int, int], device: torch.device, repeats: int):
    """Parameters, forward seconds, training-step seconds and peak MiB of model ``name``."""
    batch, frames, height, width = shape
    model = create_model(name, weights=False).to(device)
    spec = cast(ModelSpec, model.spec)
    x = torch.rand(batch, spec.in_channels, frames, height, width, device=device)
    target = torch.randn(batch, 3, frames, height, width, device=device)

    def forward() -> None:
        with torch.inference_mode():
            model(x)

    def train_step() -> None:
        model.zero_grad(set_to_none=True)
        vhdr_loss(model(x), target, lambdas=(1.0, 0.0, 0.001, 0.001))["loss"].backward()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    row = {
        "params": sum(p.numel() for p in model.parameters()),
        "forward_s": _timed(forward, device, repeats),
        "train_step_s": _timed(train_step, device, repeats),
    }
    if device.type == "cuda":
        row["peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def main() -> None:
    """Parse arguments, measure every model, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--models", nargs="+", default=["pmunet", "c3ded-m", "c3d", "dc3d", "c3ded"]
    )
    parser.add_argument("--shape", default="1x8x64x64", help="BxTxHxW")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    batch, frames, height, width = (int(v) for v in args.shape.lower().split("x"))
    device = torch.device(args.device)
    print(f"device {device}, input {args.shape}, torch {torch.__version__}")
    print("| model | parameters | forward ms | train step ms | peak MiB |")
    print("|---|---:|---:|---:|---:|")
    for name in args.models:
        row = measure(name, (batch, frames, height, width), device, args.repeats)
        print(
            f"| {name} | {row['params']:,} | {row['forward_s'] * 1e3:.1f} |"
            f" {row['train_step_s'] * 1e3:.1f} | {row['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
