"""Random-access reconstruction of a clip: output frame ``n`` from the windows that contain it.

The hosts (VapourSynth filter, OFX frame server, CLI) ask for frames in any order and from any
thread. Each network window is computed once and kept in a bounded LRU cache of log outputs;
threads that need a window being computed wait for it instead of computing it again. Output
frames blend the windows' log outputs as ``vs_vhdr.engine.windows`` documents, then go back to
linear HDR in float32, so random access gives exactly the pixels of sequential access.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from vs_vhdr.engine.checks import check_unit_array
from vs_vhdr.engine.network import NetworkRunner
from vs_vhdr.engine.options import EngineOptions
from vs_vhdr.engine.windows import WindowPlan
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.units import LOG_EPS


def linear_from_log(log: np.ndarray) -> np.ndarray:
    """``vs_vhdr.units.from_log`` in numpy: ``max(exp(log) - LOG_EPS, 0)``, float32.

    numpy, not torch: these per-frame elementwise passes are too small for a thread pool, and
    on a busy CPU torch's pool made them 100× slower than one thread (benchmarks/results).
    """
    linear = np.exp(log, dtype=np.float32)
    linear -= np.float32(LOG_EPS)
    return np.maximum(linear, 0, out=linear)


FrameGetter = Callable[[int], np.ndarray]
"""Returns the ``H×W`` raw frame (or mask) at a 0-based clip index."""


@dataclass(frozen=True)
class EngineStats:
    """Counters since the reconstructor was made (or ``reset_stats``).

    Attributes:
        output_frames: frames returned by ``output_frame``.
        windows_computed: network windows run (a window is ``window`` frames, all tiles).
        network_frames: frames passed through the network (``windows_computed × window``).
        cache_hits: windows taken from the cache (or from another thread computing them).
    """

    output_frames: int = 0
    windows_computed: int = 0
    network_frames: int = 0
    cache_hits: int = 0

    @property
    def network_frames_per_output(self) -> float:
        """Network frames computed per output frame (2.0 for the default half overlap)."""
        return self.network_frames / self.output_frames if self.output_frames else 0.0


class Reconstructor:
    """Reconstructs HDR frames of one clip, in any order, from any thread.

    Args:
        options: engine settings (model, CFA, window, tiling, device, precision).
        mask: static mask ``H×W`` in [0, 1], used when ``output_frame`` gets no ``get_mask``.
        model: an already built network (with ``.spec``) instead of loading ``options.model``;
            it is moved to the engine's device.

    Use one reconstructor per clip: cached windows are keyed by frame indices only (call
    ``clear_cache`` before reusing it on other frames).
    """

    def __init__(
        self,
        options: EngineOptions | None = None,
        mask: np.ndarray | None = None,
        *,
        model: nn.Module | None = None,
    ) -> None:
        self.options = options if options is not None else EngineOptions()
        self.runner = NetworkRunner(self.options, model)
        self.mask = None if mask is None else check_unit_array(mask, "mask", 2)
        self._frame_size: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._pending: dict[tuple[int, ...], Future[np.ndarray]] = {}
        self._counts = {"output_frames": 0, "windows_computed": 0, "cache_hits": 0}
        stride = self.options.window - int(self.options.overlap or 0)
        self.cache_capacity = self.options.cache_windows or -(-self.options.window // stride) + 1

    @property
    def spec(self) -> object:
        """The model's ``ModelSpec``."""
        return self.runner.spec

    @property
    def device(self) -> torch.device:
        """Where the network runs."""
        return self.runner.device

    @property
    def stats(self) -> EngineStats:
        """A snapshot of the counters."""
        with self._lock:
            counts = dict(self._counts)
        return EngineStats(
            network_frames=counts["windows_computed"] * self.options.window, **counts
        )

    def reset_stats(self) -> None:
        """Set every counter back to 0."""
        with self._lock:
            self._counts = dict.fromkeys(self._counts, 0)

    def clear_cache(self) -> None:
        """Forget every cached window (e.g. before reading another clip)."""
        with self._lock:
            self._cache.clear()
            self._frame_size = None

    def plan(self, num_frames: int) -> WindowPlan:
        """The window plan of a clip of ``num_frames`` frames."""
        return WindowPlan(
            self.options.window, int(self.options.overlap or 0), num_frames, self.options.pad
        )

    def frames_needed(self, n: int, num_frames: int) -> range:
        """Raw frame indices that output frame ``n`` of a ``num_frames`` clip reads."""
        return self.plan(num_frames).frames_needed(n)

    def output_frame(
        self,
        n: int,
        num_frames: int,
        get_raw: FrameGetter,
        get_mask: FrameGetter | None = None,
    ) -> np.ndarray:
        """Linear HDR frame ``n`` (``H×W×3`` float32, CONTRACT §1 units).

        Args:
            n: 0-based output frame index.
            num_frames: clip length.
            get_raw: raw frame (``H×W`` float in [0, 1]) at a clip index; called only for
                ``frames_needed(n, num_frames)``.
            get_mask: per-frame mask at a clip index; None uses the static ``mask``.
        """
        plan = self.plan(num_frames)
        blended: np.ndarray | None = None
        for start, position, weight in plan.blend_weights(n):
            log = self._window_log(plan.window_frames(start), get_raw, get_mask)[position]
            if weight == 1.0:  # one window (chunk mode, clip edges): no blending pass
                blended = log
            elif blended is None:
                blended = log * np.float32(weight)
            else:
                blended += log * np.float32(weight)
        assert blended is not None  # every frame lies in at least one window
        with self._lock:
            self._counts["output_frames"] += 1
        return linear_from_log(blended)

    def reconstruct_window(self, raw: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """One network pass (tiled as configured): raw ``T×H×W`` → linear HDR ``T×H×W×3``.

        ``mask`` is ``H×W`` (static) or ``T×H×W``; None uses the reconstructor's static mask.
        """
        raw = check_unit_array(raw, "raw", 3)
        size = (raw.shape[1], raw.shape[2])
        if mask is None:
            mask_t = self._static_mask(size)
        else:
            ndim = 3 if np.ndim(mask) == 3 else 2
            mask_t = check_unit_array(mask, "mask", ndim, size)
            if ndim == 2:
                mask_t = mask_t[None]
            elif mask_t.shape[0] != raw.shape[0]:
                raise InvalidArgumentError(
                    f"reconstruct_window: mask has {mask_t.shape[0]} frames; expected 1 or the "
                    f"raw's {raw.shape[0]}"
                )
        log = self.runner.run_log(raw, mask_t)
        return linear_from_log(log)

    def _window_log(
        self, frames: tuple[int, ...], get_raw: FrameGetter, get_mask: FrameGetter | None
    ) -> np.ndarray:
        """Log output ``T×H×W×3`` of the window reading clip indices ``frames`` (cached)."""
        with self._lock:
            cached = self._cache.get(frames)
            if cached is not None:
                self._cache.move_to_end(frames)
                self._counts["cache_hits"] += 1
                return cached
            future = self._pending.get(frames)
            owner = future is None
            if future is None:
                future = self._pending[frames] = Future()
            else:
                self._counts["cache_hits"] += 1
        if not owner:
            return future.result()
        try:
            log = self._compute(frames, get_raw, get_mask)
        except BaseException as error:
            with self._lock:
                del self._pending[frames]
            future.set_exception(error)
            raise
        with self._lock:
            self._cache[frames] = log
            while len(self._cache) > self.cache_capacity:
                self._cache.popitem(last=False)
            del self._pending[frames]
            self._counts["windows_computed"] += 1
        future.set_result(log)
        return log

    def _compute(
        self, frames: tuple[int, ...], get_raw: FrameGetter, get_mask: FrameGetter | None
    ) -> np.ndarray:
        raws: dict[int, np.ndarray] = {}
        for i in frames:
            if i not in raws:
                raws[i] = check_unit_array(get_raw(i), f"get_raw({i})", 2, self._frame_size)
                self._remember_size(raws[i].shape)
        raw = np.stack([raws[i] for i in frames])
        size = (raw.shape[1], raw.shape[2])
        if get_mask is None:
            mask = self._static_mask(size)
        else:
            masks = {i: check_unit_array(get_mask(i), f"get_mask({i})", 2, size) for i in raws}
            mask = np.stack([masks[i] for i in frames])
        return self.runner.run_log(raw, mask)

    def _static_mask(self, size: tuple[int, int]) -> np.ndarray | None:
        if self.mask is None:
            return None
        if self.mask.shape != size:
            raise InvalidArgumentError(
                f"Reconstructor: mask has size {self.mask.shape[0]}×{self.mask.shape[1]} (H×W); "
                f"expected the raw frame size {size[0]}×{size[1]}"
            )
        return self.mask[None]

    def _remember_size(self, shape: tuple[int, ...]) -> None:
        with self._lock:
            if self._frame_size is None:
                self._frame_size = (shape[0], shape[1])
