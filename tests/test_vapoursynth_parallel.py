"""``frame_map``: per-frame Python callbacks that VapourSynth's threads run at the same time."""

import threading
import time

import numpy as np
import vapoursynth as vs
from vs_support import gray_clip

from vs_vhdr.vapoursynth.parallel import frame_map


def test_callbacks_run_concurrently_and_get_their_frames():
    core = vs.core
    threads = core.num_threads
    data = np.arange(8 * 4 * 4, dtype=np.float32).reshape(8, 4, 4)
    source = gray_clip(data)
    lock = threading.Lock()
    state = {"active": 0, "most": 0}
    seen: dict[int, float] = {}

    def render(n: int, frames):
        with lock:
            state["active"] += 1
            state["most"] = max(state["most"], state["active"])
        time.sleep(0.05)  # releases the GIL, as torch does while it computes
        with lock:
            state["active"] -= 1
            seen[n] = float(np.asarray(frames[1][0])[0, 0])
        return frames[0]

    try:
        core.num_threads = 4
        shifted = source[1:] + source[-1]
        out = frame_map(source, lambda n: [source, shifted], render)
        frames = [f.result() for f in [out.get_frame_async(n) for n in range(8)]]
    finally:
        core.num_threads = threads
    assert state["most"] > 1, "callbacks ran one at a time"
    assert seen == {n: data[min(n + 1, 7), 0, 0] for n in range(8)}
    assert all(np.array_equal(np.asarray(f[0]), data[n]) for n, f in enumerate(frames))
