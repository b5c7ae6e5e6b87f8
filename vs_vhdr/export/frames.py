"""The one window each output frame gets when a host runs one network pass per frame.

Nuke's Inference node (and the frame-server route of the Nuke node) computes output frame ``n``
from a single window of ``window`` frames: the window centred on ``n`` (``n`` at position
``window // 2``), shifted to stay inside the clip at its ends, and filled past the end of clips
shorter than the window by the engine's edge padding. Its frames are then exactly the frames of
a network window, so the result equals ``Reconstructor.reconstruct_window`` on them; the
engine's own output (``vs_vhdr.engine.windows``) also blends the overlapping windows of ``n`` and
pads the clip's ends by mirroring, which a one-pass-per-frame host does not.
"""

from vs_vhdr.engine.windows import pad_index
from vs_vhdr.errors import InvalidArgumentError


def window_start(n: int, num_frames: int, window: int) -> int:
    """0-based clip index of the first frame of output frame ``n``'s window."""
    for name, value, low in (("num_frames", num_frames, 1), ("window", window, 1)):
        if not isinstance(value, int) or value < low:
            raise InvalidArgumentError(f"window_start: {name}={value!r}; expected an int >= {low}")
    if not isinstance(n, int) or not 0 <= n < num_frames:
        raise InvalidArgumentError(f"window_start: n={n!r}; expected 0 <= n < {num_frames}")
    return min(max(n - window // 2, 0), max(0, num_frames - window))


def centred_window(
    n: int, num_frames: int, window: int, pad: str = "reflect"
) -> tuple[tuple[int, ...], int]:
    """Clip indices of output frame ``n``'s window, and ``n``'s position in it.

    Args:
        n: 0-based output frame.
        num_frames: clip length.
        window: frames per window.
        pad: ``reflect`` or ``replicate`` padding of clips shorter than the window.
    """
    start = window_start(n, num_frames, window)
    frames = tuple(pad_index(start + j, num_frames, pad) for j in range(window))
    return frames, n - start
