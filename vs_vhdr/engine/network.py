"""One tiled network pass: raw window ``T×H×W`` (+ mask) → log HDR ``T×H×W×3`` (float32).

Owns the model on its device, the compute precision and the tile plan. Inference runs under
``torch.inference_mode``, one tile at a time with batch 1 by default (``tile_batch`` groups tiles of
the same size into one batch; for a given configuration results never depend on how frames were
grouped, and CPU runs are deterministic); a lock serialises passes, so one runner may be shared by
threads. On CUDA, host-to-device copies are non-blocking and results come back through page-locked
(pinned) staging buffers, so the host queues the next tile while the GPU still computes; the
finite-output check synchronises once per window, not once per tile.
"""

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from vs_vhdr.engine.options import EngineOptions, resolve_device, resolve_precision
from vs_vhdr.engine.tiling import Tile, plan_tiles, round_up, tile_alignment
from vs_vhdr.errors import InvalidArgumentError, VhdrError

IN_FLIGHT = 2
"""Tile copies to the host queued ahead on CUDA before the oldest is waited for."""


class NonFiniteOutputError(VhdrError):
    """The network produced NaN or infinity (typically fp16 overflow)."""


def load_model(options: EngineOptions, model: nn.Module | None = None) -> tuple[nn.Module, Any]:
    """The model of ``options.model``, or ``model``, and its ``spec``.

    Names resolve through the plugin host (built-in and plugin models, aliases such as
    ``default``); a path loads a weights file.
    """
    if model is None:
        from vs_vhdr.plugins import get_host

        model = get_host().create_model(options.model)
    spec: Any = getattr(model, "spec", None)
    if spec is None:
        raise InvalidArgumentError(
            f"Reconstructor: model {type(model).__name__} has no .spec; expected a vhdr network"
        )
    return model, spec


class NetworkRunner:
    """Runs one model over windows, tiled, on the chosen device and precision."""

    def __init__(self, options: EngineOptions, model: nn.Module | None = None) -> None:
        self.options = options
        self.device = resolve_device(options.device)
        self.dtype = resolve_precision(options.precision, self.device)
        loaded, self.spec = load_model(options, model)
        self.model = loaded.eval().requires_grad_(False).to(self.device)
        # channels-last-3d by default: faster with cuDNN and, measured, with oneDNN on the CPU
        # (benchmarks/results: C3D 1.4×, C3DED 1.3× at 256²)
        use_channels_last = options.channels_last is not False
        self.memory_format = (
            torch.channels_last_3d if use_channels_last else torch.contiguous_format
        )
        self.model = self.model.to(memory_format=self.memory_format)
        self.forward: nn.Module | Any = self.model
        if options.compile:
            self.forward = torch.compile(self.model, dynamic=False)
        if self.device.type == "cuda":
            # video passes repeat a few shapes: let cuDNN time its algorithms once per shape
            torch.backends.cudnn.benchmark = True
        self.pinned = self.device.type == "cuda"
        """Stage copies in page-locked memory, non-blocking (CUDA only; benchmarks turn it off)."""
        self.pass_threads: int | None = 1
        """CPU threads of the elementwise passes around the network (None: torch's pool)."""
        self.align = tile_alignment(self.spec.spatial_multiple)
        field = max(int(self.spec.receptive_field[1]), int(self.spec.receptive_field[2]))
        self.margin = round_up(field, self.align)
        if options.tile_margin is not None:
            if options.tile_margin < field:
                raise InvalidArgumentError(
                    f"EngineOptions: tile_margin={options.tile_margin} is smaller than the "
                    f"receptive field of {self.spec.name} ({field} px); expected >= {field}"
                )
            self.margin = round_up(options.tile_margin, self.align)
        self._lock = threading.Lock()

    @property
    def mask_conditioned(self) -> bool:
        """True when the model takes the mask as input."""
        return bool(self.spec.mask_conditioned)

    def run_log(self, raw: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """Log HDR (``T×H×W×3`` float32) of a checked raw window ``T×H×W``.

        ``mask`` is ``T×H×W`` or ``1×H×W`` (static) in [0, 1]; required for mask-conditioned
        models and ignored by the others.
        """
        frames, height, width = raw.shape
        if self.mask_conditioned and mask is None:
            raise InvalidArgumentError(
                f"Reconstructor: model {self.spec.name} is mask-conditioned; expected a mask"
            )
        out = np.empty((frames, height, width, 3), dtype=np.float32)
        tiles = plan_tiles(height, width, self.options.tile, self.margin, self.align)
        in_flight: deque[tuple[Tile, torch.Tensor, Any]] = deque()
        with self._lock, torch.inference_mode(), self._autocast():
            finite = torch.ones((), dtype=torch.bool, device=self.device)
            for group in tile_groups(tiles, self.options.tile_batch):
                x = torch.cat([self._input(raw, mask, tile) for tile in group])
                y = self.forward(x.contiguous(memory_format=self.memory_format))
                for index, tile in enumerate(group):
                    rows, cols = tile.core_in_region
                    core = y[index, :, :, rows, cols].float().permute(1, 2, 3, 0)
                    if self.device.type != "cpu":
                        finite &= torch.isfinite(core).all()
                    in_flight.append(self._start_copy(tile, core))
                    while len(in_flight) > (IN_FLIGHT if self.pinned else 0):
                        _finish_copy(out, *in_flight.popleft())
            while in_flight:
                _finish_copy(out, *in_flight.popleft())
            if self.device.type == "cpu":
                finite &= bool(np.isfinite(out).all())  # numpy: one thread, no pool to wait on
            if not bool(finite):  # one synchronisation per window
                raise NonFiniteOutputError(
                    f"Reconstructor: {self.spec.name} produced NaN/inf at "
                    f"precision={self.options.precision} ({self.dtype}); try precision='fp32'"
                )
        return out

    def _input(self, raw: np.ndarray, mask: np.ndarray | None, tile: Tile) -> torch.Tensor:
        """Network input ``1×C×T×h×w`` of one tile's region, on the device."""
        from vs_vhdr.nets import prepare_input

        region = (slice(None), slice(tile.y0, tile.y1), slice(tile.x0, tile.x1))
        raw_t = self._to_device(raw[region])
        mask_t = None if mask is None else self._to_device(mask[region])
        with _pass_threads(self.device, self.pass_threads):
            return prepare_input(raw_t, mask_t, self.options.cfa, self.spec, origin=tile.origin)

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        """``1×...`` tensor of a numpy region on the device (pinned, non-blocking on CUDA)."""
        tensor = torch.from_numpy(np.ascontiguousarray(array))[None]
        if self.pinned:
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor.to(self.device)

    def _start_copy(self, tile: Tile, core: torch.Tensor) -> tuple[Tile, torch.Tensor, Any]:
        """Queue the copy of a tile's core (``T×h×w×3``) to the host; returns what finishes it."""
        if not self.pinned:
            return tile, core.cpu(), None
        host = torch.empty(core.shape, dtype=core.dtype, pin_memory=True)
        host.copy_(core, non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        return tile, host, done

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)


@contextlib.contextmanager
def _pass_threads(device: torch.device, threads: int | None) -> Iterator[None]:
    """On the CPU, run the enclosed (small, elementwise) torch work on ``threads`` threads.

    Input checks and the CFA spread are a few passes over the window; with the intra-op pool
    each pass waits for every pool thread, which on a busy machine cost 20-40 ms per pass
    (measured: 100× one thread's time). The convolutions keep the whole pool.
    """
    if device.type != "cpu" or threads is None:
        yield
        return
    pool = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(pool)


def _finish_copy(out: np.ndarray, tile: Tile, host: torch.Tensor, done: Any) -> None:
    """Wait for a queued copy (if any) and write the tile's core into ``out``."""
    if done is not None:
        done.synchronize()
    out[:, tile.cy0 : tile.cy1, tile.cx0 : tile.cx1] = host.numpy()


def tile_groups(tiles: list[Tile], batch: int) -> list[list[Tile]]:
    """Consecutive tiles of equal region size (and Bayer phase), at most ``batch`` per group."""
    groups: list[list[Tile]] = []
    for tile in tiles:
        key = (tile.y1 - tile.y0, tile.x1 - tile.x0, tile.y0 % 2, tile.x0 % 2)
        last = groups[-1] if groups else None
        if last is not None and len(last) < batch and _key(last[0]) == key:
            last.append(tile)
        else:
            groups.append([tile])
    return groups


def _key(tile: Tile) -> tuple[int, int, int, int]:
    return (tile.y1 - tile.y0, tile.x1 - tile.x0, tile.y0 % 2, tile.x0 % 2)
