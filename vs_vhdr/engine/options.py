"""Engine settings (one frozen dataclass) and how ``device`` and ``precision`` resolve."""

from dataclasses import dataclass

import torch

from vs_vhdr.engine.windows import PAD_MODES
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import check_cfa

PRECISIONS: dict[str, torch.dtype] = {
    "fp32": torch.float32,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs a model over a clip.

    Attributes:
        model: registered model name (``vs_vhdr.list_models()``) or a weights file path.
        cfa: Bayer pattern of the raw frames, the letter at (row 0, col 0) first.
        window: frames per network pass (the paper's f = 8).
        overlap: frames shared by consecutive windows; None means ``window // 2``, so every frame
            is in two windows and blended (see ``vs_vhdr.engine.windows``).
        tile: spatial core size in pixels; 0 runs whole frames (no tiling).
        tile_margin: context pixels around each tile core; None means the model's receptive
            field. Smaller values are refused, since tiled output would then differ from untiled.
        pad: how the frames read past the clip's ends are filled, ``reflect`` or ``replicate``
            (``vs_vhdr.engine.windows``).
        device: ``auto`` (first CUDA device if present, else CPU), ``cpu``, ``cuda`` or ``cuda:N``.
        precision: ``auto`` (fp16 on CUDA, fp32 on CPU), ``fp32``, ``bf16`` or ``fp16``. Reduced
            precision runs the network under autocast; the exp back to linear is always fp32.
        cache_windows: network windows kept in the cache; 0 means the minimum for sequential
            access (enough that each window is computed once when frames are read in order).
        channels_last: use the channels-last-3d memory layout; None means yes (faster on CUDA
            and, through oneDNN, on the CPU); False keeps the contiguous layout.
        tile_batch: tiles of the same size run through the network together, up to this many
            per pass (more parallel work per pass on GPUs; more memory).
        compile: run the model through ``torch.compile`` (worth it on CUDA for long clips; the
            first pass of every new tile size compiles, tens of seconds).
    """

    model: str = "default"
    cfa: str = "RGGB"
    window: int = 8
    overlap: int | None = None
    tile: int = 0
    tile_margin: int | None = None
    pad: str = "reflect"
    device: str = "auto"
    precision: str = "auto"
    cache_windows: int = 0
    channels_last: bool | None = None
    tile_batch: int = 1
    compile: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model:
            raise InvalidArgumentError(
                f"EngineOptions: model={self.model!r}; expected a model name or weights path"
            )
        object.__setattr__(self, "cfa", check_cfa(self.cfa, "EngineOptions"))
        _check_int("window", self.window, 1)
        if self.overlap is None:
            object.__setattr__(self, "overlap", self.window // 2)
        elif not isinstance(self.overlap, int) or not 0 <= self.overlap < self.window:
            raise InvalidArgumentError(
                f"EngineOptions: overlap={self.overlap!r}; expected an int in [0, window={self.window})"
            )
        _check_int("tile", self.tile, 0)
        if self.tile_margin is not None:
            _check_int("tile_margin", self.tile_margin, 0)
        _check_int("cache_windows", self.cache_windows, 0)
        _check_int("tile_batch", self.tile_batch, 1)
        if not isinstance(self.compile, bool):
            raise InvalidArgumentError(f"EngineOptions: compile={self.compile!r}; expected a bool")
        if self.pad not in PAD_MODES:
            raise InvalidArgumentError(
                f"EngineOptions: pad={self.pad!r}; expected one of {', '.join(PAD_MODES)}"
            )
        if self.precision not in ("auto", *PRECISIONS):
            raise InvalidArgumentError(
                f"EngineOptions: precision={self.precision!r}; expected auto, {', '.join(PRECISIONS)}"
            )
        if not isinstance(self.device, str):
            raise InvalidArgumentError(
                f"EngineOptions: device={self.device!r}; expected auto, cpu, cuda or cuda:N"
            )


def resolve_device(device: str) -> torch.device:
    """``auto|cpu|cuda|cuda:N`` → a ``torch.device`` that exists on this machine."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or device.startswith("cuda:"):
        index_text = device.partition(":")[2]
        if index_text and not index_text.isdigit():
            raise InvalidArgumentError(
                f"EngineOptions: device={device!r}; expected auto, cpu, cuda or cuda:N"
            )
        if not torch.cuda.is_available():
            raise InvalidArgumentError(
                f"EngineOptions: device={device!r} but CUDA is not available here; use auto or cpu"
            )
        index = int(index_text) if index_text else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise InvalidArgumentError(
                f"EngineOptions: device={device!r}; this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
        return torch.device("cuda", index)
    raise InvalidArgumentError(
        f"EngineOptions: device={device!r}; expected auto, cpu, cuda or cuda:N"
    )


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """``auto|fp32|bf16|fp16`` → the compute dtype (``auto``: fp16 on CUDA, fp32 elsewhere)."""
    if precision == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    if precision not in PRECISIONS:
        raise InvalidArgumentError(
            f"EngineOptions: precision={precision!r}; expected auto, {', '.join(PRECISIONS)}"
        )
    return PRECISIONS[precision]


def _check_int(name: str, value: object, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise InvalidArgumentError(f"EngineOptions: {name}={value!r}; expected an int >= {low}")
