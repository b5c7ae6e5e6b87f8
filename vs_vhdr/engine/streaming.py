"""Streaming reconstruction: raw frames in, HDR frames out, memory bounded by the window.

The clip length need not be known. Output frame ``n`` is final once frame ``n + window`` has
arrived (no later window can contain it, see ``vs_vhdr.engine.windows``), so the iterator holds at
most about ``2 × window + 1`` raw frames and the reconstructor's few cached windows: a
10,000-frame 4K shot never sits in memory whole. Results equal ``Reconstructor.output_frame`` on
the whole clip.
"""

from collections.abc import Callable, Iterable, Iterator

import numpy as np
from torch import nn

from vs_vhdr.engine.options import EngineOptions
from vs_vhdr.engine.reconstructor import Reconstructor


def iter_reconstruct(
    frames: Iterable[np.ndarray],
    mask: np.ndarray | Callable[[int], np.ndarray] | None = None,
    options: EngineOptions | None = None,
    *,
    model: nn.Module | None = None,
    reconstructor: Reconstructor | None = None,
) -> Iterator[np.ndarray]:
    """Yield linear HDR frames (``H×W×3`` float32) for raw frames (``H×W`` in [0, 1]).

    Args:
        frames: raw frames in clip order (any iterable, e.g. a reader generator).
        mask: static ``H×W`` mask, or a callable returning the mask of a 0-based frame index.
        options: engine settings (ignored when ``reconstructor`` is given).
        model: an already built network instead of ``options.model``.
        reconstructor: reuse this reconstructor (its model, device and counters); its cache is
            cleared first.
    """
    get_mask = mask if callable(mask) else None
    if reconstructor is None:
        static = None if callable(mask) else mask
        reconstructor = Reconstructor(options, static, model=model)
    else:
        reconstructor.clear_cache()
    window = reconstructor.options.window
    buffer: dict[int, np.ndarray] = {}
    count = 0
    next_out = 0
    for index, frame in enumerate(frames):
        buffer[index] = np.array(frame, copy=True)
        count = index + 1
        while next_out + window < count:
            yield reconstructor.output_frame(next_out, count, buffer.__getitem__, get_mask)
            next_out += 1
            buffer.pop(next_out - window - 1, None)
    while next_out < count:
        yield reconstructor.output_frame(next_out, count, buffer.__getitem__, get_mask)
        next_out += 1
