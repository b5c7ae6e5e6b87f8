"""Cost of producing training samples next to the cost of a training step.

Run ``python -m benchmarks.bench_data --help``. Draws samples of the ``[data]`` section of a
training config (default ``configs/c3ded-m.toml``: every training shot, random masks, noise,
exposure, static and panning samples) at each ``--crops`` size, in one thread as one DataLoader
worker does, with and without the known motion; then times one training step (forward, L_VHDR
without VGG, backward; ``benchmarks.bench_nets``) of ``--model`` on a batch of ``--batch``
samples of the smallest crop with every thread. Prints a Markdown table and the share of a step
that simulating its batch takes in one worker.
"""

import argparse
from dataclasses import replace
from pathlib import Path

import torch

from benchmarks.bench_nets import measure
from benchmarks.timing import median_seconds
from vs_vhdr.data.dataset import SimulatedClips
from vs_vhdr.data.shots import open_shots
from vs_vhdr.train.config import load_config

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "c3ded-m.toml"


def sample_seconds(config_path: Path, crop: int, frames: int, count: int, motion: bool) -> float:
    """Median seconds per sample over samples ``1..count`` (one thread, after sample 0)."""
    data = replace(load_config(config_path).data, crop=crop, frames=frames, samples=10**6)
    clips = SimulatedClips(open_shots(data.shots, data, "data.shots"), data, seed=0, motion=motion)
    clips[0]
    indices = iter(range(1, count + 1))
    return median_seconds(lambda: clips[next(indices)], count)


def main() -> None:
    """Parse arguments, time samples and one step, print Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--crops", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--samples", type=int, default=60, help="samples timed per row")
    parser.add_argument("--model", default="c3ded-m")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5, help="timed training steps")
    args = parser.parse_args()
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, data of {args.config.name}\n")
    print("| crop | frames | motion | ms per sample (1 thread) |\n|---|---|---|---:|")
    per_sample = {}
    for crop in args.crops:
        for motion in (False, True):
            torch.set_num_threads(1)
            seconds = sample_seconds(args.config, crop, args.frames, args.samples, motion)
            torch.set_num_threads(threads)
            per_sample[crop, motion] = seconds
            print(f"| {crop} | {args.frames} | {'yes' if motion else 'no'} | {seconds * 1e3:.1f} |")
    crop = min(args.crops)
    shape = (args.batch, args.frames, crop, crop)
    step = measure(args.model, shape, torch.device("cpu"), args.repeats)["train_step_s"]
    batch = args.batch * per_sample[crop, True]
    print(
        f"\n{args.model} training step, batch {args.batch}×{args.frames}×{crop}², {threads} "
        f"threads: {step * 1e3:.0f} ms. Simulating its batch in one worker: {batch * 1e3:.0f} ms "
        f"= {100 * batch / step:.1f} % of the step."
    )


if __name__ == "__main__":
    main()
