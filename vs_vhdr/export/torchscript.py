"""Export a vhdr model as TorchScript for Nuke's Inference node (``vhdr export-nuke``).

The network is traced (at a size that makes its own padding traced, size-generic) and the
wrapper (:class:`~vs_vhdr.export.window_module.WindowModule`) is scripted, so its branches and
knobs stay live; ``vs_vhdr.export.portable`` writes the file so that old Torch reads it. Every
export is checked against the engine on a random window before it is written, and a JSON sidecar
records the export (torch version, TorchScript file-format version, knobs, check).
"""

import contextlib
import copy
import datetime
import json
import os
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from vs_vhdr import __version__
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.engine.tiling import round_up, tile_alignment
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.export.portable import save_portable
from vs_vhdr.export.window_module import WindowModule
from vs_vhdr.imaging.cfa import cfa_channels, check_cfa
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.units import to_log

SIDECAR_SCHEMA = "vhdr.NukeExport/1"
CHECK_TOLERANCE = 1e-3
"""Largest |Δ log| allowed between the exported module and the engine at export time."""

FUNC = "export_nuke"


@dataclass(frozen=True)
class NukeExport:
    """What ``export_nuke`` wrote: the TorchScript file, its sidecar and the check's result."""

    module_path: Path
    sidecar_path: Path
    max_abs_dlog: float
    sidecar: dict[str, Any]


def build_window_module(
    model: nn.Module,
    window: int,
    cfa: str = "RGGB",
    mask: np.ndarray | None = None,
    *,
    mask_from_input: bool = False,
) -> torch.jit.ScriptModule:
    """The scripted :class:`WindowModule` of ``model`` (a vhdr network with ``.spec``), on CPU.

    Args:
        model: the network; it is copied, the original is left as it is.
        window: frames in the wide input image (T).
        cfa: Bayer pattern of the raw frames, letter at the top-left pixel first.
        mask: static ``H×W`` mask in [0, 1] baked into the module (mask-conditioned models).
        mask_from_input: the mask comes in input channel 1 instead (then ``mask`` must be None).
    """
    spec = getattr(model, "spec", None)
    if spec is None:
        raise InvalidArgumentError(f"{FUNC}: model {type(model).__name__} has no .spec")
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise InvalidArgumentError(f"{FUNC}: window={window!r}; expected an int >= 1")
    cfa = check_cfa(cfa, FUNC)
    conditioned = bool(spec.mask_conditioned)
    if mask is not None and mask_from_input:
        raise InvalidArgumentError(f"{FUNC}: give a mask to bake or mask_from_input, not both")
    if conditioned and mask is None and not mask_from_input:
        raise InvalidArgumentError(
            f"{FUNC}: model {spec.name} is mask-conditioned; expected a mask (--mask or "
            "--camera) to bake, or --mask-from-input"
        )
    baked = torch.zeros(0, 0)
    if mask is not None and conditioned:
        array = np.asarray(mask, dtype=np.float32)
        if array.ndim != 2 or not np.isfinite(array).all():
            raise InvalidArgumentError(
                f"{FUNC}: mask has shape {array.shape}; expected a finite H×W transmittance"
            )
        baked = torch.from_numpy(np.clip(array, 0.0, 1.0).copy())
    align = tile_alignment(spec.spatial_multiple)
    field = max(int(spec.receptive_field[1]), int(spec.receptive_field[2]))
    wrapper = WindowModule(
        script_network(model, window),
        window,
        torch.from_numpy(cfa_channels(cfa)),
        conditioned,
        baked,
        mask_from_input and conditioned,
        round_up(field, align),
        align,
    )
    with _quiet():
        return torch.jit.script(wrapper.eval())


def script_network(model: nn.Module, window: int) -> torch.jit.ScriptModule:
    """Trace a CPU float32 copy of ``model`` on a random window of ``window`` frames."""
    spec: Any = getattr(model, "spec")  # noqa: B009
    network = copy.deepcopy(model).cpu().float().eval().requires_grad_(False)
    # A size that is not a multiple of spatial_multiple, so that the network's own padding
    # (computed from the input's size) is traced, and traced size-generic.
    side = 4 * max(int(spec.spatial_multiple), 2) + 1
    example = torch.rand(1, int(spec.in_channels), window, side, side)
    with torch.no_grad(), _quiet():
        return torch.jit.trace(network, example, check_trace=False)


def export_nuke(
    model_name: str,
    out_dir: str | os.PathLike[str],
    *,
    window: int = 8,
    cfa: str = "RGGB",
    mask: np.ndarray | None = None,
    mask_source: str = "none",
    mask_from_input: bool = False,
    stem: str | None = None,
    force: bool = False,
    model: nn.Module | None = None,
    check_size: tuple[int, int] = (22, 30),
) -> NukeExport:
    """Write ``OUT/STEM.pt`` (TorchScript) and ``OUT/STEM.json`` (sidecar) for Nuke's Inference.

    Args:
        model_name: registered model name or weights path (resolved through the plugins).
        out_dir: folder to write into (created if missing).
        window: frames in the wide image (T).
        cfa: Bayer pattern of the raw frames.
        mask: static ``H×W`` mask baked into mask-conditioned models.
        mask_source: how the mask was given, for the sidecar (``file PATH``, ``camera NAME``...).
        mask_from_input: the module reads the mask from input channel 1.
        stem: file name stem; default ``vhdr_<model>_w<window>``.
        force: replace existing files (else ``OutputExistsError``).
        model: an already built network to export instead of loading ``model_name``.
        check_size: ``(H, W)`` of the random window checked against the engine (the baked
            mask's size is used when there is one).
    """
    options = EngineOptions(model=model_name, cfa=cfa, window=window, device="cpu")
    engine = Reconstructor(options, model=model)
    spec: Any = engine.spec
    module = build_window_module(
        engine.runner.model, window, cfa, mask, mask_from_input=mask_from_input
    )
    out = Path(out_dir)
    stem = stem or f"vhdr_{_safe(spec.name)}_w{window}"
    module_path, sidecar_path = out / f"{stem}.pt", out / f"{stem}.json"
    if not force:
        for path in (module_path, sidecar_path):
            if path.exists():
                raise OutputExistsError(f"{FUNC}: {path} exists; pass --force to replace it")
    size = check_size
    if module.mask.numel() > 0:
        size = (int(module.mask.shape[0]), int(module.mask.shape[1]))
    max_dlog = check_against_engine(module, engine, window, size, mask_from_input)
    if not max_dlog < CHECK_TOLERANCE:
        raise InvalidArgumentError(
            f"{FUNC}: the exported {spec.name} differs from the engine by {max_dlog:.3g} in log "
            f"(limit {CHECK_TOLERANCE}); the model's forward may not trace (data-dependent code)"
        )
    out.mkdir(parents=True, exist_ok=True)
    save_portable(module, module_path, force=force)
    sidecar = _sidecar(spec, module, window, cfa, mask_source, mask_from_input, max_dlog, size)
    sidecar["file_format_version"] = file_format_version(module_path)
    write_text_atomic(sidecar_path, json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
    return NukeExport(module_path, sidecar_path, max_dlog, sidecar)


def check_against_engine(
    module: torch.jit.ScriptModule,
    engine: Reconstructor,
    window: int,
    size: tuple[int, int],
    mask_from_input: bool = False,
    seed: int = 0,
) -> float:
    """Max |Δ log| between ``module`` and ``engine.reconstruct_window`` on a random window."""
    rng = np.random.default_rng(seed)
    height, width = size
    raw = rng.uniform(0.0, 1.0, (window, height, width)).astype(np.float32)
    baked = module.mask.numel() > 0
    mask = module.mask.numpy() if baked else rng.uniform(0.05, 1.0, (height, width))
    mask = mask.astype(np.float32)
    expected = engine.reconstruct_window(raw, mask)[window // 2]
    planes = [np.concatenate(list(raw), axis=1)]
    if mask_from_input:
        planes.append(np.concatenate([mask] * window, axis=1))
    wide = torch.from_numpy(np.stack(planes)[None])
    module.wide_output = False
    with torch.no_grad():
        got = module(wide)[0].permute(1, 2, 0).numpy()
    module.wide_output = True
    diff = to_log(torch.from_numpy(got)) - to_log(torch.from_numpy(expected))
    return float(diff.abs().max())


def file_format_version(path: str | os.PathLike[str]) -> int:
    """The TorchScript archive's file-format version (the ``version`` record of the zip)."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.endswith("/version") and n.count("/") == 1]
        if not names:
            raise InvalidArgumentError(f"{FUNC}: {path} has no version record")
        return int(archive.read(names[0]).decode().strip())


def _sidecar(
    spec: Any,
    module: torch.jit.ScriptModule,
    window: int,
    cfa: str,
    mask_source: str,
    mask_from_input: bool,
    max_dlog: float,
    size: tuple[int, int],
) -> dict[str, Any]:
    baked = module.mask.numel() > 0
    mask = "input channel 1" if module.mask_from_input else mask_source if baked else "not used"
    return {
        "schema": SIDECAR_SCHEMA,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "vhdr_version": __version__,
        "torch_version": torch.__version__,
        "model": {
            "name": spec.name,
            "family": spec.family,
            "mask_conditioned": bool(spec.mask_conditioned),
            "weights_loaded": bool(spec.weights_loaded),
            "weights_source": spec.weights_source,
            "receptive_field": list(spec.receptive_field),
        },
        "window": window,
        "cfa": check_cfa(cfa, FUNC),
        "mask": mask,
        "mask_size": list(module.mask.shape) if baked else None,
        "mask_from_input": bool(mask_from_input and module.mask_from_input),
        "input": f"1×C×H×({window}·W): window frames side by side, raw in channel 0"
        + (", mask in channel 1" if module.mask_from_input else ""),
        "output": "1×3×H×W linear HDR of frame `target` (wide_output: in a 1×3×H×(T·W) image)",
        "knobs": {
            "target": module.target,
            "exposure": module.exposure,
            "bottom_up": module.bottom_up,
            "wide_output": module.wide_output,
            "tile": module.tile,
        },
        "check": {"max_abs_dlog": max_dlog, "size": list(size), "limit": CHECK_TOLERANCE},
        "margin": module.margin,
    }


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence TorchScript's deprecation notices and the tracer's notes on input checks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        yield


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
