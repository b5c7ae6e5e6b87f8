"""A per-frame Python callback that VapourSynth may run on several threads at once.

Plain ``std.ModifyFrame`` runs its callback for one frame at a time. ``std.FrameEval`` returning a
``ModifyFrame`` made for that one frame lets VapourSynth's threads run callbacks concurrently (the
callbacks must be thread-safe). The callback never calls ``get_frame``: every frame it needs
arrives in its list, requested from the clips that ``inputs(n)`` names.
"""

from collections.abc import Callable, Sequence
from functools import partial

import vapoursynth as vs

Render = Callable[[int, Sequence[vs.VideoFrame]], vs.VideoFrame]
"""``render(n, frames)``: output frame ``n`` from the frames ``n`` of the clips of ``inputs(n)``."""


def frame_map(
    template: vs.VideoNode,
    inputs: Callable[[int], Sequence[vs.VideoNode]],
    render: Render,
) -> vs.VideoNode:
    """A clip shaped like ``template`` whose frame ``n`` is ``render(n, frames)``.

    Args:
        template: format, size, length and frame rate of the result.
        inputs: for frame ``n``, the clips whose frame ``n`` the callback needs (at least one).
        render: thread-safe; returns a frame of ``template``'s format and size.
    """
    core = vs.core

    def per_frame(n: int) -> vs.VideoNode:
        return core.std.ModifyFrame(template, list(inputs(n)), partial(_call, render))

    return core.std.FrameEval(template, per_frame)


def _call(render: Render, n: int, f: vs.VideoFrame | list[vs.VideoFrame]) -> vs.VideoFrame:
    # ModifyFrame hands over one frame, not a list, when given one clip.
    return render(n, f if isinstance(f, list) else [f])
