"""One tiled network pass: raw window ``T×H×W`` (+ mask) → log HDR ``T×H×W×3`` (float32).

Owns the model on its device, the compute precision and the tile plan. Inference runs under
``torch.inference_mode``, one tile at a time with batch 1 (so results never depend on how frames
were grouped, and CPU runs are deterministic); a lock serialises passes, so one runner may be shared
by threads.
"""

import contextlib
import threading
from typing import Any

import numpy as np
import torch
from torch import nn

from vs_vhdr.engine.options import EngineOptions, resolve_device, resolve_precision
from vs_vhdr.engine.tiling import plan_tiles, round_up, tile_alignment
from vs_vhdr.errors import InvalidArgumentError, VhdrError


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
        use_channels_last = options.channels_last
        if use_channels_last is None:
            use_channels_last = self.device.type == "cuda"
        self.memory_format = (
            torch.channels_last_3d if use_channels_last else torch.contiguous_format
        )
        self.model = self.model.to(memory_format=self.memory_format)
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
        from vs_vhdr.nets import prepare_input

        frames, height, width = raw.shape
        if self.mask_conditioned and mask is None:
            raise InvalidArgumentError(
                f"Reconstructor: model {self.spec.name} is mask-conditioned; expected a mask"
            )
        out = np.empty((frames, height, width, 3), dtype=np.float32)
        tiles = plan_tiles(height, width, self.options.tile, self.margin, self.align)
        with self._lock, torch.inference_mode(), self._autocast():
            for tile in tiles:
                region = (slice(None), slice(tile.y0, tile.y1), slice(tile.x0, tile.x1))
                raw_t = torch.from_numpy(np.ascontiguousarray(raw[region]))[None].to(self.device)
                mask_t = None
                if mask is not None:
                    mask_t = torch.from_numpy(np.ascontiguousarray(mask[region]))[None]
                    mask_t = mask_t.to(self.device)
                x = prepare_input(raw_t, mask_t, self.options.cfa, self.spec, origin=tile.origin)
                y = self.model(x.contiguous(memory_format=self.memory_format))
                rows, cols = tile.core_in_region
                core = y[0, :, :, rows, cols].float()
                if not bool(torch.isfinite(core).all()):
                    raise NonFiniteOutputError(
                        f"Reconstructor: {self.spec.name} produced NaN/inf at "
                        f"precision={self.options.precision} ({self.dtype}); try precision='fp32'"
                    )
                out[:, tile.cy0 : tile.cy1, tile.cx0 : tile.cx1] = (
                    core.permute(1, 2, 3, 0).cpu().numpy()
                )
        return out

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.dtype == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)
