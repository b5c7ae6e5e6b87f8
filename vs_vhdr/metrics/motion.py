"""Known scene motion for the exact-motion temporal error: representation, files, warping.

Motion says where the content of frame ``t−1`` went in frame ``t``, in pixels, as ``(dy, dx)``
(rows down, columns right), so that ``frame_t(p) ≈ frame_{t−1}(p − d)``:

- global translation: shape ``(T, 2)`` (row 0, frame 0's motion, is ignored) or ``(T−1, 2)``;
- dense displacement: shape ``(T, H, W, 2)`` or ``(T−1, H, W, 2)``, ``d`` per pixel of frame t;
- ``"static"``: no motion (the temporal error then measures pure flicker).

Files: ``.npy`` holding one of those arrays, or ``.json`` holding ``{"motion": [[dy, dx], ...]}``.
"""

import json
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError

MotionLike = np.ndarray | torch.Tensor | str
"""Motion as accepted by the metrics: an array as described above or ``"static"``."""


def motion_steps(motion: MotionLike, num_frames: int, height: int, width: int) -> torch.Tensor:
    """Motion as a float64 tensor of ``T−1`` steps, ``(T−1, 2)`` or ``(T−1, H, W, 2)``.

    Step ``k`` moves frame ``k`` to frame ``k+1``.

    Raises:
        InvalidArgumentError: an unknown keyword or a shape that fits neither layout.
    """
    if isinstance(motion, str):
        if motion == "static":
            return torch.zeros(max(num_frames - 1, 0), 2, dtype=torch.float64)
        raise InvalidArgumentError(
            f"motion: {motion!r} is not a motion; expected 'static' or an array"
        )
    if not isinstance(motion, np.ndarray | torch.Tensor):
        raise InvalidArgumentError(
            f"motion: a {type(motion).__name__}; expected 'static', a numpy array or a tensor"
        )
    if isinstance(motion, np.ndarray):
        steps = torch.tensor(np.asarray(motion, dtype=np.float64))  # a copy: views may be read-only
    else:
        steps = motion.detach().to(dtype=torch.float64, device="cpu")
    dense = steps.dim() == 4 and tuple(steps.shape[1:]) == (height, width, 2)
    if not (dense or (steps.dim() == 2 and steps.shape[1] == 2)):
        raise InvalidArgumentError(
            f"motion: shape {tuple(steps.shape)}; expected (T, 2) or (T, {height}, {width}, 2) "
            f"with T = {num_frames} or {num_frames - 1}"
        )
    if steps.shape[0] == num_frames:
        steps = steps[1:]
    if steps.shape[0] != num_frames - 1:
        raise InvalidArgumentError(
            f"motion: {steps.shape[0]} entries for a clip of {num_frames} frames; "
            f"expected {num_frames} or {num_frames - 1}"
        )
    if not bool(torch.isfinite(steps).all()):
        raise InvalidArgumentError("motion: has non-finite values (nan/inf); expected pixels")
    return steps


def load_motion(path: str | os.PathLike[str]) -> np.ndarray:
    """Read motion from ``.npy`` (an array) or ``.json`` (``{"motion": [[dy, dx], ...]}``)."""
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"load_motion: {p} does not exist or is not a file")
    try:
        if p.suffix.lower() == ".npy":
            return np.load(p, allow_pickle=False).astype(np.float64)
        if p.suffix.lower() == ".json":
            document = json.loads(p.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or "motion" not in document:
                raise UnreadableFileError(f'load_motion: {p} has no "motion" key')
            return np.asarray(document["motion"], dtype=np.float64)
    except (ValueError, OSError, TypeError) as error:
        raise UnreadableFileError(f"load_motion: {p} is not readable motion ({error})") from error
    raise UnreadableFileError(
        f"load_motion: {p} has extension {p.suffix!r}; expected .npy or .json"
    )


def warp_previous(previous: torch.Tensor, step: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move frame ``t−1`` to frame ``t`` by bilinear sampling at ``p − d``.

    Args:
        previous: ``C×H×W`` float64 planes of frame ``t−1`` (H, W ≥ 2).
        step: ``(2,)`` translation or ``H×W×2`` displacement, ``(dy, dx)`` in pixels.

    Returns:
        The warped ``C×H×W`` planes and an ``H×W`` bool map of pixels whose source lies inside.
    """
    _, height, width = previous.shape
    if height < 2 or width < 2:
        raise InvalidArgumentError(
            f"warp_previous: frames are {height}×{width}; expected at least 2×2 pixels"
        )
    rows = torch.arange(height, dtype=previous.dtype, device=previous.device)[:, None]
    cols = torch.arange(width, dtype=previous.dtype, device=previous.device)[None, :]
    d = step.to(device=previous.device, dtype=previous.dtype)
    src_y = (rows - d[..., 0]).expand(height, width)
    src_x = (cols - d[..., 1]).expand(height, width)
    tolerance = 1e-6
    valid = (
        (src_y >= -tolerance)
        & (src_y <= height - 1 + tolerance)
        & (src_x >= -tolerance)
        & (src_x <= width - 1 + tolerance)
    )
    grid = torch.stack([2 * src_x / (width - 1) - 1, 2 * src_y / (height - 1) - 1], dim=-1)
    warped = F.grid_sample(
        previous.unsqueeze(0), grid.unsqueeze(0), mode="bilinear", align_corners=True
    )
    return warped[0], valid
