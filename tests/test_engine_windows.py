"""Temporal window plan: starts, coverage, blending weights, short clips, padding, bad input."""

import pytest

from vs_vhdr.engine.windows import WindowPlan, pad_index, tent_weight
from vs_vhdr.errors import InvalidArgumentError

CASES = [(8, 4, n) for n in (1, 3, 7, 8, 9, 12, 13, 21, 40)] + [
    (8, 0, 20),
    (8, 7, 15),
    (5, 2, 17),
    (1, 0, 4),
]


def test_starts_grid_from_the_padding_plus_end_window() -> None:
    assert WindowPlan(8, 4, 20).starts() == [-4, 0, 4, 8, 12, 16]
    assert WindowPlan(8, 4, 21).starts() == [-4, 0, 4, 8, 12, 16, 17]
    assert WindowPlan(8, 4, 8).starts() == [-4, 0, 4]
    assert WindowPlan(8, 4, 3).starts() == [-4, -1]
    assert WindowPlan(8, 0, 20).starts() == [0, 8, 12]
    assert WindowPlan(8, 6, 10).starts() == [-6, -4, -2, 0, 2, 4, 6, 8]


@pytest.mark.parametrize(("window", "overlap", "num_frames"), CASES)
def test_every_frame_covered_and_weights_sum_to_one(
    window: int, overlap: int, num_frames: int
) -> None:
    plan = WindowPlan(window, overlap, num_frames)
    starts = plan.starts()
    for n in range(num_frames):
        found = plan.windows_for_frame(n)
        assert found, n
        assert found == [s for s in starts if s <= n < s + window]
        weights = plan.blend_weights(n)
        assert sum(w for _, _, w in weights) == pytest.approx(1.0)
        assert all(0 <= j < window for _, j, _ in weights)
        needed = plan.frames_needed(n)
        assert needed.start >= 0 and needed.stop <= num_frames
        for s in found:  # every real frame a window reads is in frames_needed
            assert set(plan.window_frames(s)) <= set(needed)


@pytest.mark.parametrize(("window", "overlap", "num_frames"), CASES)
def test_windows_read_consecutive_frames_and_mirror_at_the_edges(
    window: int, overlap: int, num_frames: int
) -> None:
    plan = WindowPlan(window, overlap, num_frames)
    for s in plan.starts():
        frames = plan.window_frames(s)
        assert len(frames) == window
        if num_frames > overlap:  # the padding mirrors frames 1.. and ..N-2
            expected = [
                abs(i) if i < num_frames else 2 * (num_frames - 1) - i for i in range(s, s + window)
            ]
            assert frames == tuple(expected)


def test_edge_frames_are_blended_like_middle_frames() -> None:
    """Frame 0 and the last frame get the window positions and weights of any frame of their phase
    on the grid: a still shot comes out the same at its ends as in its middle."""
    plan = WindowPlan(8, 4, 40)

    def positions(n: int) -> list[tuple[int, float]]:
        return [(j, w) for _, j, w in plan.blend_weights(n)]

    assert positions(0) == positions(4) == positions(36)
    assert positions(1) == positions(5)
    assert positions(39) == positions(35)
    assert plan.window_frames(-4) == (4, 3, 2, 1, 0, 1, 2, 3)
    assert plan.window_frames(36) == (36, 37, 38, 39, 38, 37, 36, 35)
    assert WindowPlan(8, 4, 40, "replicate").window_frames(-4) == (0, 0, 0, 0, 0, 1, 2, 3)


def test_context_on_both_sides_where_it_exists() -> None:
    """Default half overlap: the windows of a frame span >= 3 frames each side."""
    window, overlap, num_frames = 8, 4, 40
    plan = WindowPlan(window, overlap, num_frames)
    for n in range(num_frames):
        starts = plan.windows_for_frame(n)
        before = n - starts[0]
        after = starts[-1] + window - 1 - n
        assert before >= overlap - 1 and after >= overlap - 1, n
        # the dominant window sees >= 2 frames on each side (mirrored ones at the clip's ends)
        s, j, _ = max(plan.blend_weights(n), key=lambda t: t[2])
        assert min(j, window - 1 - j) >= 2, n


def test_blending_is_a_linear_cross_fade() -> None:
    plan = WindowPlan(8, 4, 40)
    weights = {n: {s: w for s, _, w in plan.blend_weights(n)} for n in range(8, 12)}
    # frames 8..11 lie in windows 4 and 8; the share of window 8 grows by 1/5 a frame
    assert [weights[n][8] for n in range(8, 12)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert [tent_weight(j, 8) for j in range(8)] == [1, 2, 3, 4, 4, 3, 2, 1]


def test_plan_does_not_depend_on_length_far_from_the_end() -> None:
    """What streaming and farm chunks rely on: frame n's windows are fixed once n + window < N."""
    window, overlap = 8, 4
    for n in range(30):
        reference = WindowPlan(window, overlap, n + window + 1)
        for longer in (n + window + 2, n + 40):
            plan = WindowPlan(window, overlap, longer)
            assert plan.blend_weights(n) == reference.blend_weights(n)
            for s in plan.windows_for_frame(n):
                assert plan.window_frames(s) == reference.window_frames(s)


def test_short_clip_padding() -> None:
    assert WindowPlan(8, 4, 3, "reflect").window_frames(0) == (0, 1, 2, 1, 0, 1, 2, 1)
    assert WindowPlan(8, 4, 3, "replicate").window_frames(0) == (0, 1, 2, 2, 2, 2, 2, 2)
    assert WindowPlan(8, 4, 1).window_frames(0) == (0,) * 8
    assert WindowPlan(8, 4, 2).window_frames(0) == (0, 1, 0, 1, 0, 1, 0, 1)
    assert [pad_index(i, 4) for i in range(4, 10)] == [2, 1, 0, 1, 2, 3]
    assert [pad_index(i, 4) for i in range(-6, 0)] == [0, 1, 2, 3, 2, 1]
    assert [pad_index(i, 4, "replicate") for i in (-3, -1, 4, 9)] == [0, 0, 3, 3]


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"window": 0, "overlap": 0, "num_frames": 5}, "window"),
        ({"window": 8, "overlap": 8, "num_frames": 5}, "overlap"),
        ({"window": 8, "overlap": -1, "num_frames": 5}, "overlap"),
        ({"window": 8, "overlap": 4, "num_frames": 0}, "num_frames"),
        ({"window": 8, "overlap": 4, "num_frames": 5, "pad": "zeros"}, "pad"),
    ],
)
def test_bad_plan_arguments(kwargs: dict, word: str) -> None:
    with pytest.raises(InvalidArgumentError, match=word):
        WindowPlan(**kwargs)


def test_frame_outside_clip_is_refused() -> None:
    plan = WindowPlan(8, 4, 10)
    for n in (-1, 10):
        with pytest.raises(InvalidArgumentError, match="outside the clip"):
            plan.windows_for_frame(n)
