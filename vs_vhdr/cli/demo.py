"""``vhdr demo``: the README's first command, a short tour that runs from nothing.

The demo is a list of steps (``DEMO_STEPS``); each takes the demo folder and returns one line
saying what it made. Later steps (reconstruction, metrics) are appended to the list.
"""

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vs_vhdr.cli.simulate import simulate_to_dir

DEFAULT_OUT = Path("demo_out")


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: ``run(folder) -> one-line summary``."""

    name: str
    run: Callable[[Path], str]


def simulate_step(folder: Path) -> str:
    """Simulate 16 frames of a procedural HDR scene into ``folder/simulated``."""
    out = folder / "simulated"
    record = simulate_to_dir(
        ["procedural:mixed"], out, frames=16, crop=(192, 256), mask="uniform", force=True
    )
    return (
        f"{record.num_frames} coded raw frames {record.height}x{record.width} with mask and "
        f"ground truth in {out}"
    )


DEMO_STEPS: list[DemoStep] = [DemoStep("simulate", simulate_step)]


def run_demo(folder: Path = DEFAULT_OUT, steps: Sequence[DemoStep] | None = None) -> list[str]:
    """Run the demo steps in order into ``folder``; returns their summaries."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for step in DEMO_STEPS if steps is None else steps:
        start = time.perf_counter()
        summary = step.run(folder)
        lines.append(f"{step.name}: {summary} ({time.perf_counter() - start:.1f} s)")
        print(f"vhdr demo: {lines[-1]}", flush=True)
    return lines


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr demo``."""
    parser = subparsers.add_parser(
        "demo", help="run the demo (simulate a procedural HDR scene)", description=__doc__
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="demo folder (demo_out)")
    parser.set_defaults(run=lambda args: 0 if run_demo(args.out) else 1)
