"""``vhdr demo``: the README's first command, end to end on held-out content.

Steps (``DEMO_STEPS``), each a function of the demo folder returning one summary line:

1. ``simulate``: three coded clips of the held-out real HDR map ``forest`` (never trained on): a
   low-frequency mask and a uniform mask at the automatic exposure, and the low-frequency clip 2
   stops brighter, where sky and sunlit leaves clip (``vhdr simulate``'s layout, motion kept).
2. ``reconstruct``: a ``.vpy`` script written next to them runs ``core.vhdr.Reconstruct`` with the
   ``default`` model under ``vspipe`` (the real VapourSynth host), writing EXR sequences.
3. ``evaluate``: the naive baseline next to the model, metrics of CONTRACT §3 (with the scene's
   exact motion), written as ``metrics.md`` / ``metrics.json`` and printed.
4. ``preview``: a tonemapped PNG contact sheet, ground truth | naive baseline | model.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vs_vhdr.cli.simulate import MOTION_FILE, read_dir, simulate_to_dir
from vs_vhdr.errors import VhdrError
from vs_vhdr.io.exr import read_exr_rgb
from vs_vhdr.io.sequence import expand

DEFAULT_OUT = Path("demo_out")
HELD_OUT_SCENE = "builtin:forest"
"""Real HDR content the shipped models never saw in training (``configs/*.toml`` hold-out)."""
CLIPS: dict[str, tuple[str, int]] = {
    "forest-lowfreq": ("lowfreq", 0),
    "forest-uniform": ("uniform", 0),
    "forest-lowfreq+2EV": ("lowfreq", 2),
}
"""Demo clip name → (mask family, stops above the automatic exposure of that mask's clip)."""
MASK_SEEDS = {"lowfreq": 1, "uniform": 2}
"""Simulation seed per mask family: a brighter clip shows the same noise draw and path."""
CLIP_FRAMES, CLIP_SIZE = 12, (128, 192)
MODEL = "default"

VPY_SCRIPT = '''\
"""Written by `vhdr demo`: reconstruct one simulated clip with core.vhdr.Reconstruct."""
import vapoursynth as vs

from vs_vhdr.vapoursynth import image_source, write_images

raw = image_source("{raw}")  # GRAYS coded raw mosaic in [0, 1]
hdr = vs.core.vhdr.Reconstruct(raw, mask_file="{mask}", model="{model}", cfa="RGGB")
write_images(hdr, "{out}", start=0, force=True).set_output()
'''


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: ``run(folder) -> one-line summary``."""

    name: str
    run: Callable[[Path], str]


def simulate_step(folder: Path) -> str:
    """Simulate the demo clips of the held-out scene into ``folder/NAME/simulated``."""
    auto_scale: dict[str, float] = {}
    for name, (mask, stops) in sorted(CLIPS.items(), key=lambda item: item[1][1]):  # auto first
        exposure = f"{auto_scale[mask] * 2.0**stops:.6g}" if stops else "auto"
        record = simulate_to_dir(
            [HELD_OUT_SCENE],
            folder / name / "simulated",
            frames=CLIP_FRAMES,
            crop=CLIP_SIZE,
            mask=mask,
            exposure=exposure,
            seed=MASK_SEEDS[mask],
            force=True,
        )
        auto_scale.setdefault(mask, record.exposure_scale)
    height, width = CLIP_SIZE
    return f"{len(CLIPS)} clips of {CLIP_FRAMES} coded frames {height}x{width} ({HELD_OUT_SCENE})"


def reconstruct_step(folder: Path) -> str:
    """Reconstruct every clip through VapourSynth: write a .vpy per clip and run ``vspipe``."""
    vspipe = _vspipe()
    notice = _weights_notice()
    for name in CLIPS:
        clip = (folder / name).resolve()
        (clip / "hdr").mkdir(exist_ok=True)
        script = clip / "reconstruct.vpy"
        script.write_text(
            VPY_SCRIPT.format(
                raw=clip / "simulated" / "raw.%04d.exr",
                mask=clip / "simulated" / "mask.exr",
                model=MODEL,
                out=clip / "hdr" / "hdr.%04d.exr",
            ),
            encoding="utf-8",
        )
        done = subprocess.run(
            [vspipe, str(script), "--"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise VhdrError(f"demo: vspipe failed on {script}:\n{done.stderr.strip()}")
    return f"model {MODEL!r} via vspipe + core.vhdr.Reconstruct into NAME/hdr/{notice}"


def evaluate_step(folder: Path) -> str:
    """Metrics of the model and of the naive baseline against the ground truth."""
    from vs_vhdr.metrics.baseline import naive_reconstruct
    from vs_vhdr.metrics.motion import load_motion
    from vs_vhdr.metrics.report import MetricsTable

    table = MetricsTable()
    for name in CLIPS:
        raw, gt, mask = read_dir(folder / name / "simulated")
        motion = load_motion(folder / name / "simulated" / MOTION_FILE)
        table.add(name, "naive baseline", naive_reconstruct(raw, mask), gt, motion)
        table.add(name, MODEL, _read_sequence(folder / name / "hdr" / "hdr.%04d.exr"), gt, motion)
    markdown = table.to_markdown()
    (folder / "metrics.md").write_text(markdown, encoding="utf-8")
    table.write_json(folder / "metrics.json", force=True)
    print(markdown, flush=True)
    return f"metrics table in {folder / 'metrics.md'} and {folder / 'metrics.json'}"


def preview_step(folder: Path) -> str:
    """Tonemapped contact sheet of the middle frame: ground truth | baseline | model, per clip."""
    from vs_vhdr.metrics.baseline import naive_reconstruct
    from vs_vhdr.metrics.tonemap import write_contact_sheet

    images, labels = [], []
    middle = CLIP_FRAMES // 2
    for name in CLIPS:
        raw, gt, mask = read_dir(folder / name / "simulated")
        model = read_exr_rgb(folder / name / "hdr" / f"hdr.{middle:04d}.exr")
        images += [gt[middle], naive_reconstruct(raw[middle], mask)[0], model]
        labels += [f"{name}: ground truth", "naive baseline", f"model {MODEL}"]
    write_contact_sheet(folder / "preview.png", images, labels=labels, columns=3, force=True)
    return f"tonemapped comparison in {folder / 'preview.png'}"


DEMO_STEPS: list[DemoStep] = [
    DemoStep("simulate", simulate_step),
    DemoStep("reconstruct", reconstruct_step),
    DemoStep("evaluate", evaluate_step),
    DemoStep("preview", preview_step),
]


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
        "demo",
        help="simulate held-out HDR clips, reconstruct them through VapourSynth, report metrics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="demo folder (demo_out)")
    parser.set_defaults(run=lambda args: 0 if run_demo(args.out) else 1)


def _read_sequence(pattern: Path) -> np.ndarray:
    return np.stack([read_exr_rgb(path) for _, path in expand(str(pattern))])


def _vspipe() -> str:
    """``vspipe`` of this environment (beside the Python running us), else the one on PATH."""
    beside = Path(sys.executable).parent / "vspipe"
    found = str(beside) if beside.is_file() else shutil.which("vspipe")
    if found is None:
        raise VhdrError("demo: vspipe not found beside Python or on PATH; run `make setup`")
    if not os.access(found, os.X_OK):
        raise VhdrError(f"demo: {found} is not executable")
    return found


def _weights_notice() -> str:
    from vs_vhdr.nets.weights import quality_warning
    from vs_vhdr.plugins import get_host

    warning = quality_warning(get_host().create_model(MODEL))
    return f" — NOTE: {warning}" if warning else ""
