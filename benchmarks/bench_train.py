"""Training overheads: sample simulation throughput and checkpoint cost.

Run ``python -m benchmarks.bench_train --help``. Measures, on this machine:

- samples/s of :class:`vs_vhdr.data.dataset.SimulatedClips` per shot kind and crop (one process;
  a DataLoader with N workers scales it by about N), to compare with the network's training-step
  time from ``benchmarks.bench_nets`` (a batch of 4 must be simulated faster than one step);
- seconds and MiB of one checkpoint (model + Adam state + RNG) of each shipped architecture.

Prints Markdown tables. Timings are medians over ``--repeats`` after one warm-up.
"""

import argparse
import tempfile
import time
from pathlib import Path

import torch

from vs_vhdr.data.config import DataConfig
from vs_vhdr.data.dataset import SimulatedClips
from vs_vhdr.data.shots import open_shots
from vs_vhdr.nets import create_model
from vs_vhdr.train import checkpoint

SOURCES = {
    "procedural": ("procedural:mixed@0",),
    "builtin (panned HDR map)": ("builtin:courtyard",),
}


def sample_rate(source: tuple[str, ...], crop: int, frames: int, repeats: int) -> float:
    """Simulated samples per second (noise and exposure drawn per sample)."""
    config = DataConfig(shots=source, holdout=(), crop=crop, frames=frames, samples=10**6)
    clips = SimulatedClips(open_shots(source, config, "shots"), config, seed=0)
    clips[0]
    times = []
    for index in range(1, repeats + 1):
        start = time.perf_counter()
        clips[index]
        times.append(time.perf_counter() - start)
    return 1.0 / sorted(times)[len(times) // 2]


def checkpoint_cost(name: str, folder: Path, repeats: int) -> tuple[float, float]:
    """Median seconds to write one checkpoint of ``name`` after one Adam step, and its MiB."""
    model = create_model(name, weights=False)
    optimizer = torch.optim.Adam(model.parameters())
    for parameter in model.parameters():
        parameter.grad = torch.zeros_like(parameter)
    optimizer.step()
    path = folder / f"{name}.pt"
    times = []
    for step in range(repeats + 1):
        start = time.perf_counter()
        checkpoint.save_checkpoint(
            path, step=step, model=model, optimizer=optimizer, model_name=name, config={}
        )
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[len(times[1:]) // 2], path.stat().st_size / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crops", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["c3d", "dc3d", "c3ded"])
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads\n")
    print("| source | crop | frames | samples/s |\n|---|---|---|---|")
    for label, source in SOURCES.items():
        for crop in args.crops:
            rate = sample_rate(source, crop, args.frames, args.repeats)
            print(f"| {label} | {crop} | {args.frames} | {rate:.1f} |")
    print("\n| model | checkpoint s | checkpoint MiB |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            seconds, mib = checkpoint_cost(name, Path(folder), args.repeats)
            print(f"| {name} | {seconds:.3f} | {mib:.1f} |")


if __name__ == "__main__":
    main()
