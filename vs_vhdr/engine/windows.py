"""Temporal window plan: which network windows an output frame is blended from.

The networks see ``window`` consecutive frames at a time (the paper's f = 8). Over a clip of
``num_frames`` frames the plan is:

* **Edges.** The clip is read as if it went on for ``overlap`` frames past each end, filled by
  edge padding: ``reflect`` (mirror without repeating the edge: ... 2 1 | 0 1 2 ... ) or
  ``replicate`` (repeat the edge frame). So the first and last frames are blended from the same
  window positions as every other frame: without this they came from one window each, at its
  edge, where a network sees least context, and their output differed from the middle frames'
  (flicker at the start and end of every shot, ``models/pmunet.md``).
* **Starts.** Windows start on a regular grid ``-overlap, -overlap + s, ...`` with stride
  ``s = window - overlap``, as long as they fit in the padded clip
  (``start + window <= num_frames + overlap``), plus one end-aligned window at
  ``num_frames + overlap - window``. The plan depends on ``num_frames`` only through that last
  window, so a frame ``n`` with ``n + window < num_frames`` has the same windows whatever the
  clip length (this is what makes streaming and farm chunks agree with one whole run). A clip
  shorter than the window is padded the same way, periodically if need be (0 1 2 1 0 1 ...).
* **Blending.** Output frame ``n`` is the weighted mean, in the log domain, of the windows that
  contain it, with a tent weight ``min(j + 1, window - j)`` for position ``j`` in the window. The
  window in which ``n`` sits most centrally dominates, so every frame gets context on both sides,
  and consecutive windows cross-fade linearly (no seams in time).

Everything here is pure integer arithmetic; indices are 0-based positions in the clip, negative
for the padding before its first frame.
"""

from dataclasses import dataclass
from numbers import Integral

from vs_vhdr.errors import InvalidArgumentError

PAD_MODES: tuple[str, ...] = ("reflect", "replicate")


def pad_index(i: int, num_frames: int, mode: str = "reflect") -> int:
    """Map a frame index ``i`` before the clip's start or past its end into ``[0, num_frames)``."""
    if num_frames < 1:
        raise InvalidArgumentError(f"pad_index: num_frames={num_frames}; expected >= 1")
    if mode not in PAD_MODES:
        raise InvalidArgumentError(f"pad_index: mode={mode!r}; expected one of {PAD_MODES}")
    if 0 <= i < num_frames:
        return i
    if mode == "replicate" or num_frames == 1:
        return 0 if i < 0 else num_frames - 1
    period = 2 * (num_frames - 1)
    k = i % period
    return k if k < num_frames else period - k


def tent_weight(position: int, window: int) -> int:
    """Blending weight of window position ``position`` (0-based): ``min(position + 1, window - position)``."""
    return min(position + 1, window - position)


@dataclass(frozen=True)
class WindowPlan:
    """The windows of one clip.

    Attributes:
        window: frames per network pass (>= 1).
        overlap: frames shared by consecutive grid windows (0 <= overlap < window), and frames
            of padding read before the clip's start and past its end.
        num_frames: clip length (>= 1).
        pad: how the padding is filled, ``reflect`` or ``replicate``.
    """

    window: int
    overlap: int
    num_frames: int
    pad: str = "reflect"

    def __post_init__(self) -> None:
        if not isinstance(self.window, int) or self.window < 1:
            raise InvalidArgumentError(f"WindowPlan: window={self.window!r}; expected an int >= 1")
        if not isinstance(self.overlap, int) or not 0 <= self.overlap < self.window:
            raise InvalidArgumentError(
                f"WindowPlan: overlap={self.overlap!r}; expected an int in [0, window={self.window})"
            )
        if not isinstance(self.num_frames, int) or self.num_frames < 1:
            raise InvalidArgumentError(
                f"WindowPlan: num_frames={self.num_frames!r}; expected an int >= 1"
            )
        if self.pad not in PAD_MODES:
            raise InvalidArgumentError(
                f"WindowPlan: pad={self.pad!r}; expected one of {', '.join(PAD_MODES)}"
            )

    @property
    def stride(self) -> int:
        """Frames between consecutive grid windows."""
        return self.window - self.overlap

    @property
    def first_start(self) -> int:
        """Start of the first window (``-overlap``: it begins in the padding)."""
        return -self.overlap

    @property
    def last_start(self) -> int:
        """Start of the end-aligned window (the first window's for very short clips)."""
        return max(self.first_start, self.num_frames + self.overlap - self.window)

    def starts(self) -> list[int]:
        """Start of every window of the clip, ascending."""
        grid = list(range(self.first_start, self.last_start + 1, self.stride))
        return grid if grid[-1] == self.last_start else [*grid, self.last_start]

    def windows_for_frame(self, n: int) -> list[int]:
        """Starts of the windows that contain output frame ``n``, ascending."""
        self._check_frame(n)
        first = max(self.first_start, n - self.window + 1)
        steps = -(-(first - self.first_start) // self.stride)  # first grid start >= first
        low = self.first_start + steps * self.stride
        found = list(range(low, min(n, self.last_start) + 1, self.stride))
        if self.last_start <= n and (not found or found[-1] != self.last_start):
            found.append(self.last_start)
        return found

    def window_frames(self, start: int) -> tuple[int, ...]:
        """Clip indices fed to the window at ``start`` (padding mapped into the clip)."""
        return tuple(pad_index(start + j, self.num_frames, self.pad) for j in range(self.window))

    def blend_weights(self, n: int) -> list[tuple[int, int, float]]:
        """``(start, position, weight)`` of each window of frame ``n``; the weights sum to 1."""
        terms = [(s, n - s, tent_weight(n - s, self.window)) for s in self.windows_for_frame(n)]
        total = sum(w for _, _, w in terms)
        return [(s, j, w / total) for s, j, w in terms]

    def frames_needed(self, n: int) -> range:
        """Clip indices that output frame ``n`` reads (the span of its windows' frames)."""
        read = {i for s in self.windows_for_frame(n) for i in self.window_frames(s)}
        return range(min(read), max(read) + 1)

    def _check_frame(self, n: int) -> None:
        if not isinstance(n, Integral) or not 0 <= n < self.num_frames:
            raise InvalidArgumentError(
                f"WindowPlan: frame n={n!r} is outside the clip; expected 0 <= n < {self.num_frames}"
            )
