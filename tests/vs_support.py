"""Helpers of the VapourSynth tests: the ``vhdr`` namespace, tiny clips and a small model.

The namespace comes from the installed plugin (``make setup``); where it is not installed the
shim is compiled from the source tree and loaded, so the filter tests also run from a checkout.
"""

import shlex
import subprocess
import sysconfig
from pathlib import Path

import numpy as np
import torch
import vapoursynth as vs

from vs_vhdr.nets import create_model, save_weights
from vs_vhdr.vapoursynth.frames import gray_array_to_frame

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "vs_vhdr" / "vapoursynth" / "shim.c"


def installed_plugin() -> Path | None:
    """The plugin ``pip install .`` put where VapourSynth auto-loads plugins, if any."""
    found = sorted((Path(vs.__file__).parent / "plugins" / "vs_vhdr").glob("vhdr*.so"))
    return found[0] if found else None


def build_shim(folder: Path) -> Path:
    """Compile ``shim.c`` into ``folder/vhdr.so`` with the interpreter's C compiler."""
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    target = folder / "vhdr.so"
    command = [
        *compiler,
        "-shared",
        "-fPIC",
        "-O2",
        "-std=c11",
        f"-I{sysconfig.get_paths()['include']}",
        f"-I{vs.get_include()}",
        str(SHIM),
        "-o",
        str(target),
    ]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return target


def ensure_namespace(folder: Path) -> None:
    """Make ``vs.core.vhdr`` exist in this process (installed, or built into ``folder``)."""
    if not hasattr(vs.core, "vhdr"):
        vs.core.std.LoadPlugin(str(build_shim(folder)))


def gray_clip(frames: np.ndarray, fmt: vs.PresetVideoFormat = vs.GRAYS) -> vs.VideoNode:
    """A clip of ``frames`` (``T×H×W``), GRAYS or an integer GRAY format."""
    count, height, width = frames.shape
    blank = vs.core.std.BlankClip(format=fmt, width=width, height=height, length=count, keep=True)
    return vs.core.std.ModifyFrame(blank, blank, lambda n, f: gray_array_to_frame(frames[n], f))


def save_small_model(path: Path, name: str = "c3d") -> Path:
    """Random (seeded) weights of ``name`` saved as a weights file; returns ``path``."""
    torch.manual_seed(0)
    save_weights(create_model(name, weights=False), path, window=4)
    return path


def render(clip: vs.VideoNode, order: list[int] | None = None) -> np.ndarray:
    """Frames of an ``RGBS`` clip as ``T×H×W×3``, requested in ``order`` (default: in order)."""
    order = list(range(clip.num_frames)) if order is None else order
    out = np.zeros((clip.num_frames, clip.height, clip.width, 3), np.float32)
    for n in order:
        frame = clip.get_frame(n)
        out[n] = np.stack([np.asarray(frame[p]) for p in range(3)], axis=-1)
    return out
