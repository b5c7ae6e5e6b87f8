"""One benchmark configuration (model, size, tile, device, precision): every route, timed.

Routes ("modes"), all on the same random raw frames and mask:

* ``bare``: the model's forward alone on one window (``window`` frames), tile by tile as the
  engine cuts it, inputs already on the device: the ceiling the engine is measured against.
* ``chunk``: the engine streaming a clip with ``overlap=0`` (each frame through the network once).
* ``overlap``: the engine with the default half overlap (each frame through the network twice,
  blended).
* ``cli``: ``vhdr reconstruct --overlap 0`` end to end: EXR frames read, reconstructed, EXR
  frames written.
* ``vs``: ``vhdr.Reconstruct`` in VapourSynth, frames rendered in order (default overlap; the
  filter has no overlap argument).

Every mode is repeated ``repeats`` times, each run right after a ``bare`` run (bare, chunk, bare,
overlap, ...) so that load from other processes hits every mode and the bare forward alike; the
best run (fewest seconds, the least disturbed) is reported, with the median beside it. The conv3d
peak is measured in the same process at every repetition and at the end (the highest is kept), so
that each row's fraction of peak compares like with like on a shared machine. Speed does not
depend on weights, so models are random-initialised.
"""

import contextlib
import io
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.flops import count_flops
from benchmarks.memory import PeakMemory, current_rss_mib
from benchmarks.peak import conv3d_peak, synchronize
from vs_vhdr.engine import EngineOptions, Reconstructor, iter_reconstruct
from vs_vhdr.engine.network import tile_groups
from vs_vhdr.engine.tiling import plan_tiles
from vs_vhdr.engine.windows import WindowPlan
from vs_vhdr.nets import prepare_input

MODES = ("bare", "chunk", "overlap", "cli", "vs")

Timed = tuple[int, float, float]
"""(output frames, seconds, network frames per output frame) of one timed run."""


@dataclass(frozen=True)
class Config:
    """One benchmark configuration.

    Attributes:
        model: registered model name.
        height, width: frame size in pixels.
        tile: engine tile size (0: whole frames).
        device: ``cpu`` or ``cuda``.
        precision: ``fp32``, ``fp16`` or ``bf16``.
        frames: clip length of the engine modes.
        repeats: interleaved repetitions per mode (median reported).
        modes: routes to measure (see the module docstring).
        window: frames per network pass.
        engine: extra ``EngineOptions`` fields (``tile_batch``, ``compile``, ``channels_last``).
        io_threads: ``vhdr reconstruct --io-threads`` of the ``cli`` mode (None: its default).
        pinned: force the engine's pinned, non-blocking CUDA copies on or off (None: default).
        pass_threads: the engine's CPU threads for its elementwise passes (1, its default;
            None: torch's pool).
        peak: measure the conv3d peak before and after the modes, in the same process.
    """

    model: str
    height: int
    width: int
    tile: int = 0
    device: str = "cpu"
    precision: str = "fp32"
    frames: int = 16
    repeats: int = 1
    modes: tuple[str, ...] = ("bare", "chunk", "overlap", "cli")
    window: int = 8
    engine: dict[str, Any] = field(default_factory=dict)
    io_threads: int | None = None
    pinned: bool | None = None
    pass_threads: int | None = 1
    peak: bool = True

    def options(self, **changes: Any) -> EngineOptions:
        """The engine options of this configuration, with ``changes`` applied."""
        base = EngineOptions(
            model=self.model,
            window=self.window,
            tile=self.tile,
            device=self.device,
            precision=self.precision,
            **self.engine,
        )
        return replace(base, **changes)


def random_frames(count: int, height: int, width: int, seed: int = 0) -> Iterator[np.ndarray]:
    """Random raw frames in [0, 1), made one at a time (a clip never sits in memory whole)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield rng.random((height, width), dtype=np.float32)


def prepare(config: Config) -> tuple[dict[str, Callable[[], Timed]], torch.device, Reconstructor]:
    """Every mode of ``config`` as a ready-to-time callable (warmed up), the device, an engine."""
    from vs_vhdr.plugins import get_host

    mask = np.random.default_rng(1).uniform(0.05, 1.0, (config.height, config.width))
    mask = mask.astype(np.float32)
    model = get_host().create_model(config.model)
    engines = {
        "bare": Reconstructor(config.options(), mask, model=model),
        "chunk": Reconstructor(config.options(overlap=0), mask, model=model),
        "overlap": Reconstructor(config.options(), mask, model=model),
    }
    for engine in engines.values():
        if config.pinned is not None:
            engine.runner.pinned = config.pinned and engine.device.type == "cuda"
        engine.runner.pass_threads = config.pass_threads
    runs: dict[str, Callable[[], Timed]] = {
        "bare": _bare_run(engines["bare"], config, mask) if "bare" in config.modes else _unused,
        "chunk": lambda: _engine_run(engines["chunk"], config),
        "overlap": lambda: _engine_run(engines["overlap"], config),
        "cli": lambda: _cli_run(config, mask),
        "vs": lambda: _vs_run(config, mask),
    }
    _warm_up({mode: engines[mode] for mode in engines if mode in config.modes}, config)
    return runs, engines["bare"].device, engines["bare"]


def measure(config: Config) -> dict[str, Any]:
    """Time every mode of ``config``; returns a JSON-ready record (seconds, frames/s, memory)."""
    runs, device, engine = prepare(config)
    best_peak = 0.0
    baseline = current_rss_mib()
    samples: dict[str, list[dict[str, Any]]] = {mode: [] for mode in config.modes}
    for _ in range(config.repeats):
        if config.peak:
            best_peak = max(best_peak, conv3d_peak(device, config.precision).flop_per_s)
        for mode in _paired(config.modes):
            with PeakMemory(device) as peak, ForwardTimer() as inside:
                out_frames, seconds, net_per_out = runs[mode]()
            samples[mode].append(
                {
                    "seconds": seconds,
                    "fps": out_frames / seconds,
                    "net_per_out": net_per_out,
                    "forward_share": inside.seconds / seconds if device.type == "cpu" else None,
                    "rss_mib": peak.result.rss_mib,
                    "gpu_mib": peak.result.gpu_mib,
                }
            )
    if config.peak:
        best_peak = max(best_peak, conv3d_peak(device, config.precision).flop_per_s)
    flops, tile_factor = _flops(engine, config)
    return {
        "config": asdict(config),
        "conv3d_peak": best_peak or None,
        "flops_per_frame": flops,
        "tile_flops_factor": tile_factor,
        "baseline_rss_mib": baseline,
        "modes": {mode: _summary(runs) for mode, runs in samples.items()},
    }


def _paired(modes: tuple[str, ...]) -> list[str]:
    """One repetition's order: each other mode right after a ``bare`` run (bare, chunk, bare,
    overlap, ...), so that every mode has a bare run from the same minute to be judged by."""
    if "bare" not in modes or len(modes) == 1:
        return list(modes)
    return [m for mode in modes if mode != "bare" for m in ("bare", mode)]


def _unused() -> Timed:
    raise RuntimeError("benchmarks.measure: mode not prepared")


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best run (fewest seconds: the least disturbed by other processes) and the medians.

    ``fps``, ``seconds`` and ``forward_share`` are the best run's; memory is the highest of any
    run; ``median_fps`` and every run's seconds are kept for judging the noise.
    """
    best = min(runs, key=lambda r: r["seconds"])
    return {
        "seconds": best["seconds"],
        "fps": best["fps"],
        "net_per_out": best["net_per_out"],
        "forward_share": best["forward_share"],
        "median_fps": statistics.median(r["fps"] for r in runs),
        "rss_mib": max(r["rss_mib"] for r in runs),
        "gpu_mib": max(r["gpu_mib"] for r in runs),
        "runs_s": [r["seconds"] for r in runs],
    }


class ForwardTimer:
    """Seconds spent inside vhdr networks' ``forward`` (any module with a ``spec``), any caller.

    Uses PyTorch's global module hooks, so it also sees the models that ``vhdr reconstruct`` and
    ``vhdr.Reconstruct`` build themselves. On the CPU a forward's time is its compute; the share
    of a run's wall time spent there is the run's throughput relative to the bare forward,
    measured within that one run (so load from other processes largely cancels out). Not
    meaningful on CUDA, where ``forward`` returns before the GPU is done.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started: dict[int, float] = {}
        self._lock = threading.Lock()
        self._handles: list[Any] = []

    def __enter__(self) -> "ForwardTimer":
        hooks = torch.nn.modules.module
        self._handles = [
            hooks.register_module_forward_pre_hook(self._pre),
            hooks.register_module_forward_hook(self._post),
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()

    def _pre(self, module: torch.nn.Module, _args: Any) -> None:
        if hasattr(module, "spec"):
            with self._lock:
                self._started[threading.get_ident()] = time.perf_counter()

    def _post(self, module: torch.nn.Module, _args: Any, _out: Any) -> None:
        if hasattr(module, "spec"):
            with self._lock:
                started = self._started.pop(threading.get_ident(), None)
                if started is not None:
                    self.seconds += time.perf_counter() - started


def _bare_run(engine: Reconstructor, config: Config, mask: np.ndarray) -> Callable[[], Timed]:
    """The model alone over one window's tiles, inputs prepared on the device beforehand."""
    runner = engine.runner
    raw = np.stack(list(random_frames(config.window, config.height, config.width, seed=2)))
    tiles = plan_tiles(config.height, config.width, config.tile, runner.margin, runner.align)
    inputs = []
    with torch.inference_mode():
        for group in tile_groups(tiles, runner.options.tile_batch):
            parts = []
            for tile in group:
                region = (slice(None), slice(tile.y0, tile.y1), slice(tile.x0, tile.x1))
                raw_t = torch.from_numpy(raw[region])[None].to(runner.device)
                mask_t = torch.from_numpy(mask[None][region])[None].to(runner.device)
                cfa = runner.options.cfa
                parts.append(prepare_input(raw_t, mask_t, cfa, runner.spec, tile.origin))
            inputs.append(torch.cat(parts).contiguous(memory_format=runner.memory_format))

    def run() -> Timed:
        start = time.perf_counter()
        autocast = torch.autocast(runner.device.type, runner.dtype, runner.dtype != torch.float32)
        with torch.inference_mode(), autocast:
            for x in inputs:
                runner.forward(x)
        synchronize(runner.device)
        return config.window, time.perf_counter() - start, 1.0

    return run


def _engine_run(engine: Reconstructor, config: Config) -> Timed:
    """Stream ``config.frames`` random frames through the engine."""
    engine.reset_stats()
    frames = random_frames(config.frames, config.height, config.width)
    start = time.perf_counter()
    count = sum(1 for _ in iter_reconstruct(frames, reconstructor=engine))
    synchronize(engine.device)
    return count, time.perf_counter() - start, engine.stats.network_frames_per_output


def _network_frames_per_output(config: Config, overlap: int | None) -> float:
    """Network frames per output frame of the engine's window plan for ``config.frames``."""
    options = config.options(overlap=overlap)
    plan = WindowPlan(options.window, int(options.overlap or 0), config.frames, options.pad)
    return len(plan.starts()) * options.window / config.frames


def _cli_run(config: Config, mask: np.ndarray) -> Timed:
    """``vhdr reconstruct --overlap 0`` on EXR frames written beforehand (writing not timed)."""
    from vs_vhdr.cli.main import main
    from vs_vhdr.io.exr import write_exr

    with tempfile.TemporaryDirectory(prefix="vhdr-bench-") as tmp:
        folder = Path(tmp)
        write_exr(folder / "mask.exr", mask)
        for i, frame in enumerate(random_frames(config.frames, config.height, config.width)):
            write_exr(folder / f"raw.{i:04d}.exr", frame)
        argv = [
            "reconstruct",
            str(folder / "raw.%04d.exr"),
            *("--mask", str(folder / "mask.exr"), "--out", str(folder / "out" / "hdr.%04d.exr")),
            *("--model", config.model, "--window", str(config.window), "--overlap", "0"),
            *("--tile", str(config.tile), "--device", config.device),
            *("--precision", config.precision),
            *(() if config.io_threads is None else ("--io-threads", str(config.io_threads))),
        ]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = main(argv)
        seconds = time.perf_counter() - start
        if status != 0:
            raise RuntimeError(f"vhdr {' '.join(argv)} exited with {status}")
        written = len(list((folder / "out").glob("hdr.*.exr")))
    return written, seconds, _network_frames_per_output(config, 0)


def _vs_run(config: Config, mask: np.ndarray) -> Timed:
    """``vhdr.Reconstruct`` over an in-memory clip, every frame rendered in order."""
    import vapoursynth as vs

    from vs_vhdr.vapoursynth import reconstruct
    from vs_vhdr.vapoursynth.frames import gray_array_to_frame

    def clip(frames: np.ndarray) -> vs.VideoNode:
        blank = vs.core.std.BlankClip(
            format=vs.GRAYS, width=config.width, height=config.height, length=len(frames)
        )
        return vs.core.std.ModifyFrame(blank, blank, lambda n, f: gray_array_to_frame(frames[n], f))

    raw = np.stack(list(random_frames(config.frames, config.height, config.width)))
    node = reconstruct(
        clip(raw),
        mask=clip(mask[None]),
        model=config.model,
        window=config.window,
        tile=config.tile,
        device=config.device,
        precision=config.precision,
    )
    start = time.perf_counter()
    count = sum(1 for _ in node.frames())
    return count, time.perf_counter() - start, _network_frames_per_output(config, None)


def _warm_up(engines: dict[str, Reconstructor], config: Config) -> None:
    """Thread pools, kernels and allocators: a small pass on CPU, full-size passes on CUDA."""
    for engine in engines.values():
        size = (config.height, config.width)
        if engine.device.type != "cuda":
            size = (min(64, config.height), min(64, config.width))
        raw = np.stack(list(random_frames(config.window, *size, seed=3)))
        mask = np.ones(size, dtype=np.float32)
        engine.reconstruct_window(raw, mask)


def _flops(engine: Reconstructor, config: Config) -> tuple[float, float]:
    """Model FLOPs per frame at the full size, and computed/useful FLOPs of the tile plan."""
    runner = engine.runner
    channels = int(runner.spec.in_channels)
    shape = (1, channels, config.window, config.height, config.width)
    useful = sum(layer.flops for layer in count_flops(runner.model, shape))
    tiles = plan_tiles(config.height, config.width, config.tile, runner.margin, runner.align)
    by_region: dict[tuple[int, int], int] = {}
    computed = 0
    for tile in tiles:
        region = (tile.y1 - tile.y0, tile.x1 - tile.x0)
        if region not in by_region:
            layers = count_flops(runner.model, (1, channels, config.window, *region))
            by_region[region] = sum(layer.flops for layer in layers)
        computed += by_region[region]
    return useful / config.window, computed / useful
