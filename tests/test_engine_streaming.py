"""Streaming: iter_reconstruct equals random access on the whole clip, with bounded look-ahead."""

import tracemalloc
from collections.abc import Iterator

import numpy as np
import pytest

from tests.engine_toy import TinyNet, mask_of, raw_clip
from vs_vhdr.engine import EngineOptions, Reconstructor, iter_reconstruct

OPTIONS = EngineOptions(device="cpu", precision="fp32")


@pytest.mark.parametrize("num_frames", [1, 5, 8, 9, 23])
def test_stream_equals_whole_clip(num_frames: int) -> None:
    raw = raw_clip(num_frames, 9, 10)
    model = TinyNet()
    whole = Reconstructor(OPTIONS, model=model)
    expected = [whole.output_frame(n, num_frames, raw.__getitem__) for n in range(num_frames)]
    streamed = list(iter_reconstruct(iter(raw), None, OPTIONS, model=model))
    assert len(streamed) == num_frames
    assert all(np.array_equal(a, b) for a, b in zip(streamed, expected, strict=True))


def test_look_ahead_and_memory_are_bounded() -> None:
    """Output n comes out once frame n + window is read; frames are pulled lazily."""
    window, num_frames = 8, 40
    raw = raw_clip(num_frames, 6, 6)
    read = 0

    def frames() -> Iterator[np.ndarray]:
        nonlocal read
        for frame in raw:
            read += 1
            yield frame

    rec = Reconstructor(OPTIONS, model=TinyNet())
    for n, _ in enumerate(iter_reconstruct(frames(), None, reconstructor=rec)):
        assert read <= n + window + 1
        assert read == min(num_frames, n + window + 1)
    assert rec.stats.windows_computed == len(rec.plan(num_frames).starts())
    assert rec.cache_capacity <= 3


def test_memory_does_not_grow_with_clip_length() -> None:
    def peak(num_frames: int) -> int:
        frames = (raw_clip(1, 32, 32, seed=i)[0] for i in range(num_frames))
        tracemalloc.start()
        for _ in iter_reconstruct(frames, None, OPTIONS, model=TinyNet()):
            pass
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    short, long = peak(30), peak(150)  # 150 frames of 4 KiB raw + 12 KiB output each
    assert long < short * 1.2 + 64 * 1024


def test_stream_with_per_frame_mask_callback() -> None:
    raw = raw_clip(11, 8, 8)
    model = TinyNet(mask_conditioned=True)

    def get_mask(i: int) -> np.ndarray:
        return mask_of(8, 8, seed=i)

    whole = Reconstructor(OPTIONS, model=model)
    expected = [whole.output_frame(n, 11, raw.__getitem__, get_mask) for n in range(11)]
    streamed = list(iter_reconstruct(raw, get_mask, OPTIONS, model=model))
    assert all(np.array_equal(a, b) for a, b in zip(streamed, expected, strict=True))


def test_empty_stream() -> None:
    assert list(iter_reconstruct([], None, OPTIONS, model=TinyNet())) == []
