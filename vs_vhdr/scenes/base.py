"""The ``Shot`` interface shared by every HDR video source, and known motion.

A shot is a finite HDR video: ``name``, ``num_frames``, ``height``, ``width`` and

- ``frames(start, count, crop)`` → ``count×h×w×3`` float32 linear HDR (scene units, any scale,
  finite, >= 0), frames ``start .. start+count-1``, optionally cropped;
- ``motion(start, count, crop)`` → a :class:`MotionField` over those frames when the shot's motion
  is known exactly (procedural and panned shots), else None.

``crop`` is ``(top, left, height, width)`` in pixels of the full frame. Everything is read or
rendered on demand, so a shot is cheap to create and safe to share across data-loader workers.

Motion follows the convention of :mod:`vs_vhdr.metrics.motion`: ``displacement[i]`` (``dy, dx``
in pixels, per pixel of the later frame) says where content of frame ``start+i`` went in frame
``start+i+1``, i.e. ``frame[i+1](p) ≈ frame[i](p − d(p))``.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

Crop = tuple[int, int, int, int]
"""``(top, left, height, width)`` of a window of the full frame, in pixels."""


@dataclass(frozen=True)
class MotionField:
    """Exact motion between consecutive frames of a clip of ``T`` frames.

    Attributes:
        displacement: ``(T−1)×H×W×2`` float32 ``(dy, dx)``: ``frame[i+1](p) ≈ frame[i](p − d)``.
        valid: ``(T−1)×H×W`` bool: the point ``p − d`` lies inside frame ``i`` and it and its
            1-pixel neighbourhood show the same surface in both frames (no occlusion, safe for
            bilinear warping). Brightness may still change there where a light flickers.
    """

    displacement: np.ndarray
    valid: np.ndarray


class Shot(ABC):
    """An HDR video of ``num_frames`` frames of ``height×width`` pixels; see the module doc."""

    name: str
    num_frames: int
    height: int
    width: int

    def frames(
        self, start: int = 0, count: int | None = None, crop: Crop | None = None
    ) -> np.ndarray:
        """Frames ``start .. start+count-1`` (default: to the end) as ``T×h×w×3`` float32."""
        count, crop = self._check_window(start, count, crop)
        return self._frames(start, count, crop)

    def motion(
        self, start: int = 0, count: int | None = None, crop: Crop | None = None
    ) -> MotionField | None:
        """Known motion over the same window as :meth:`frames`, or None if it is not known."""
        count, crop = self._check_window(start, count, crop)
        found = self._motion(start, count, crop)
        if found is None:
            return None
        displacement, valid = found
        _, _, height, width = crop
        rows = np.arange(height, dtype=np.float64)[:, None] - displacement[..., 0]
        cols = np.arange(width, dtype=np.float64)[None, :] - displacement[..., 1]
        inside = (rows >= 0) & (rows <= height - 1) & (cols >= 0) & (cols <= width - 1)
        return MotionField(displacement.astype(np.float32), valid & inside)

    @abstractmethod
    def _frames(self, start: int, count: int, crop: Crop) -> np.ndarray:
        """Render or read a checked window."""

    def _motion(self, start: int, count: int, crop: Crop) -> tuple[np.ndarray, np.ndarray] | None:
        """``(displacement, visible)`` of a checked window, or None (motion unknown)."""
        return None

    def _check_window(self, start: int, count: int | None, crop: Crop | None) -> tuple[int, Crop]:
        if count is None:
            count = self.num_frames - start
        if not (0 <= start and 1 <= count and start + count <= self.num_frames):
            raise InvalidArgumentError(
                f"{self.name}: frames start={start} count={count}; expected a window inside "
                f"0..{self.num_frames - 1}"
            )
        if crop is None:
            return count, (0, 0, self.height, self.width)
        top, left, height, width = (int(v) for v in crop)
        if not (
            0 <= top and 0 <= left and height >= 1 and width >= 1
            and top + height <= self.height and left + width <= self.width
        ):  # fmt: skip
            raise InvalidArgumentError(
                f"{self.name}: crop={tuple(crop)} (top, left, height, width); expected a window "
                f"inside {self.height}×{self.width}"
            )
        return count, (top, left, height, width)


def pixel_grid(crop: Crop) -> tuple[np.ndarray, np.ndarray]:
    """Row (``h×1``) and column (``1×w``) float64 coordinates of a crop's pixels in the frame."""
    top, left, height, width = crop
    rows = np.arange(top, top + height, dtype=np.float64)[:, None]
    cols = np.arange(left, left + width, dtype=np.float64)[None, :]
    return rows, cols
