"""Checks and conversions shared by every metric: clips in, float64 frames out.

A *clip* is linear, exposure-normalised HDR (CONTRACT §1) shaped ``T×H×W×3`` (a single ``H×W×3``
frame is a one-frame clip), as a numpy array or a torch tensor on any device. Metrics refuse
non-finite values and mismatched shapes with an ``InvalidArgumentError`` naming the metric.
"""

import numpy as np
import torch

from vs_vhdr.errors import InvalidArgumentError

ClipLike = np.ndarray | torch.Tensor
"""A ``T×H×W×3`` (or ``H×W×3``) linear HDR clip, numpy or torch."""


def as_clip(x: ClipLike, func: str, name: str) -> torch.Tensor:
    """``x`` as a ``T×H×W×3`` tensor (no copy when possible), checked to be finite.

    Raises:
        InvalidArgumentError: wrong type, shape or non-finite values; the message names ``func``.
    """
    if isinstance(x, np.ndarray):
        array = np.ascontiguousarray(x)
        tensor = torch.from_numpy(array if array.flags.writeable else array.copy())
    elif isinstance(x, torch.Tensor):
        tensor = x.detach()
    else:
        raise InvalidArgumentError(
            f"{func}: {name} is a {type(x).__name__}; expected a numpy array or torch tensor"
        )
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[-1] != 3:
        raise InvalidArgumentError(
            f"{func}: {name} has shape {tuple(x.shape)}; expected T×H×W×3 (or H×W×3) linear RGB"
        )
    if not tensor.is_floating_point():
        raise InvalidArgumentError(
            f"{func}: {name} has dtype {tensor.dtype}; expected floating-point linear HDR"
        )
    bad = int((~torch.isfinite(tensor)).sum())
    if bad:
        raise InvalidArgumentError(
            f"{func}: {name} has {bad} non-finite values (nan/inf); expected finite linear HDR"
        )
    return tensor


def as_pair(pred: ClipLike, gt: ClipLike, func: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Both clips checked by :func:`as_clip` and required to have one shape."""
    p = as_clip(pred, func, "pred")
    g = as_clip(gt, func, "gt")
    if p.shape != g.shape:
        raise InvalidArgumentError(
            f"{func}: pred has shape {tuple(p.shape)} but gt has {tuple(g.shape)}; "
            "expected equal T×H×W×3 shapes"
        )
    return p, g


def frame64(clip: torch.Tensor, t: int) -> torch.Tensor:
    """Frame ``t`` of a clip as ``float64`` ``H×W×3`` on the CPU, negative values clamped to 0.

    Metrics run frame by frame on the CPU in float64 (exact sums, bounded memory on long clips).
    """
    return clip[t].to(device="cpu", dtype=torch.float64).clamp_min(0)


def require_frames(clip: torch.Tensor, minimum: int, func: str) -> None:
    """Refuse a clip shorter than ``minimum`` frames (temporal metrics need pairs)."""
    if clip.shape[0] < minimum:
        raise InvalidArgumentError(
            f"{func}: the clip has {clip.shape[0]} frame(s); expected at least {minimum}"
        )
