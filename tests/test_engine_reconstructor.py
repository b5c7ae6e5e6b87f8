"""Reconstructor: blending, window cache and counters, random access, threads, masks, precision."""

import random
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from tests.engine_toy import ConstantLog, TinyNet, mask_of, raw_clip
from vs_vhdr.engine import EngineOptions, NonFiniteOutputError, Reconstructor
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.units import LOG_EPS, to_log

CPU = {"device": "cpu", "precision": "fp32"}


def make(model: torch.nn.Module | None = None, mask=None, **kw) -> Reconstructor:
    return Reconstructor(EngineOptions(**{**CPU, **kw}), mask, model=model or TinyNet())


def sequential(rec: Reconstructor, raw: np.ndarray) -> list[np.ndarray]:
    return [rec.output_frame(n, len(raw), raw.__getitem__) for n in range(len(raw))]


def blended_window_passes(rec: Reconstructor, raw: np.ndarray) -> list[torch.Tensor]:
    """Every output frame as the plan's tent blend (log) of one network pass per window."""
    plan = rec.plan(len(raw))
    logs = {
        s: to_log(torch.from_numpy(rec.reconstruct_window(raw[list(plan.window_frames(s))])))
        for s in plan.starts()
    }
    return [sum(w * logs[s][j] for s, j, w in plan.blend_weights(n)) for n in range(len(raw))]  # type: ignore[misc]


def test_output_is_the_tent_blend_of_window_passes() -> None:
    raw = raw_clip(13, 10, 12)
    rec = make()
    blended = blended_window_passes(rec, raw)
    for n in range(13):
        expected = blended[n]
        out = rec.output_frame(n, 13, raw.__getitem__)
        assert out.shape == (10, 12, 3) and out.dtype == np.float32
        assert (out >= 0).all()
        # compare in log where the value is well above LOG_EPS
        assert np.allclose(to_log(torch.from_numpy(out)).numpy(), expected.numpy(), atol=1e-4)


def test_each_window_computed_once_in_order() -> None:
    raw = raw_clip(21, 8, 8)
    rec = make()
    sequential(rec, raw)
    stats = rec.stats
    assert stats.windows_computed == len(rec.plan(21).starts()) == 7
    assert stats.output_frames == 21
    assert stats.network_frames == 7 * 8
    assert stats.network_frames_per_output == pytest.approx(56 / 21)
    assert stats.cache_hits == sum(len(rec.plan(21).windows_for_frame(n)) for n in range(21)) - 7


def test_random_access_equals_sequential() -> None:
    raw = raw_clip(17, 9, 11)
    reference = sequential(make(), raw)
    rec = make()
    order = list(range(17))
    random.Random(3).shuffle(order)
    for n in order:
        assert np.array_equal(rec.output_frame(n, 17, raw.__getitem__), reference[n]), n


def test_get_raw_reads_only_frames_needed() -> None:
    raw = raw_clip(30, 6, 6)
    rec = make()
    asked: set[int] = set()

    def get_raw(i: int) -> np.ndarray:
        asked.add(i)
        return raw[i]

    for n in (0, 14, 29):
        rec.clear_cache()
        asked.clear()
        rec.output_frame(n, 30, get_raw)
        assert asked == set(rec.frames_needed(n, 30))
        assert len(asked) <= 16


def test_four_threads_equal_one_and_compute_each_window_once() -> None:
    raw = raw_clip(24, 12, 10)
    reference = sequential(make(), raw)
    rec = make(cache_windows=64)
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []
    order = list(range(24)) * 2
    random.Random(1).shuffle(order)

    def work(part: list[int]) -> None:
        try:
            for n in part:
                results[n] = rec.output_frame(n, 24, raw.__getitem__)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(order[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(np.array_equal(results[n], reference[n]) for n in range(24))
    assert rec.stats.windows_computed == len(rec.plan(24).starts())


@pytest.mark.parametrize("pad", ["reflect", "replicate"])
def test_clip_shorter_than_window(pad: str) -> None:
    raw = raw_clip(3, 8, 8)
    rec = make(pad=pad)
    frames = sequential(rec, raw)
    assert len(frames) == 3 and all(np.isfinite(f).all() for f in frames)
    assert rec.stats.windows_computed == len(rec.plan(3).starts()) == 2
    expected = blended_window_passes(make(pad=pad), raw)
    for n in range(3):
        assert np.allclose(
            to_log(torch.from_numpy(frames[n])).numpy(), expected[n].numpy(), atol=1e-4
        )


def test_reflect_and_replicate_differ_for_short_clips() -> None:
    raw = raw_clip(3, 8, 8)
    a = make(pad="reflect").output_frame(2, 3, raw.__getitem__)
    b = make(pad="replicate").output_frame(2, 3, raw.__getitem__)
    assert not np.allclose(a, b)


def test_static_and_per_frame_masks() -> None:
    raw, mask = raw_clip(9, 8, 10), mask_of(8, 10)
    model = TinyNet(mask_conditioned=True)
    static = make(model, mask).output_frame(4, 9, raw.__getitem__)
    callback = make(model).output_frame(4, 9, raw.__getitem__, lambda i: mask)
    assert np.array_equal(static, callback)
    other = make(model).output_frame(4, 9, raw.__getitem__, lambda i: mask_of(8, 10, seed=i))
    assert not np.allclose(static, other)
    with pytest.raises(InvalidArgumentError, match="mask-conditioned"):
        make(model).output_frame(0, 9, raw.__getitem__)


def test_fp16_does_not_overflow_in_the_exp() -> None:
    """log 12 in fp16 is fine, exp(12) = 162755 is not: the exp runs in fp32."""
    rec = make(ConstantLog(12.0), precision="fp16")
    out = rec.reconstruct_window(raw_clip(2, 4, 4))
    assert np.allclose(out, np.exp(12.0) - LOG_EPS, rtol=1e-3)


def test_bf16_close_to_fp32() -> None:
    raw = raw_clip(8, 12, 12)
    fp32 = to_log(torch.from_numpy(make().reconstruct_window(raw)))
    bf16 = to_log(torch.from_numpy(make(precision="bf16").reconstruct_window(raw)))
    assert (fp32 - bf16).abs().max() < 0.1


def test_non_finite_network_output_is_reported() -> None:
    rec = make(ConstantLog(float("inf")))
    with pytest.raises(NonFiniteOutputError, match="NaN/inf"):
        rec.reconstruct_window(raw_clip(2, 4, 4))


def test_cpu_runs_are_deterministic() -> None:
    raw = raw_clip(8, 16, 16)
    assert np.array_equal(make().reconstruct_window(raw), make().reconstruct_window(raw))


@pytest.mark.parametrize(
    ("frame", "word"),
    [
        (np.zeros((2, 8, 8), np.float32), "get_raw"),
        (np.full((8, 8), np.nan, np.float32), "NaN"),
        (np.full((8, 8), 4095.0, np.float32), r"expected \[0, 1\]"),
        (np.zeros((8, 8), np.uint16), "integer"),
        (np.zeros((8, 9), np.float32), "raw frame size 8×8"),
    ],
)
def test_bad_raw_frames(frame: np.ndarray, word: str) -> None:
    good = np.zeros((8, 8), np.float32)
    rec = make()
    with pytest.raises(InvalidArgumentError, match=word):
        rec.output_frame(0, 9, lambda i: frame if i == 3 else good)


def test_bad_masks_and_windows() -> None:
    raw = raw_clip(8, 8, 8)
    with pytest.raises(InvalidArgumentError, match="mask has size 8×9"):
        make(mask=mask_of(8, 9)).output_frame(0, 8, raw.__getitem__)
    with pytest.raises(InvalidArgumentError, match="get_mask"):
        make().output_frame(0, 8, raw.__getitem__, lambda i: mask_of(4, 4))
    with pytest.raises(InvalidArgumentError, match="raw has shape"):
        make().reconstruct_window(raw[0])
    with pytest.raises(InvalidArgumentError, match="mask has 3 frames"):
        make().reconstruct_window(raw, np.zeros((3, 8, 8), np.float32))


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"window": 0}, "window"),
        ({"overlap": 8}, "overlap"),
        ({"cfa": "RGBG"}, "cfa"),
        ({"precision": "fp8"}, "precision"),
        ({"tile": -1}, "tile"),
        ({"pad": "zero"}, "pad"),
    ],
)
def test_bad_options(kwargs: dict, word: str) -> None:
    with pytest.raises(InvalidArgumentError, match=word):
        EngineOptions(**kwargs)


@pytest.mark.parametrize(
    "device", ["tpu", "cuda:x"] + ([] if torch.cuda.is_available() else ["cuda"])
)
def test_bad_devices(device: str) -> None:
    with pytest.raises(InvalidArgumentError, match="device"):
        make(device=device)


def test_default_overlap_is_half_the_window() -> None:
    assert EngineOptions().overlap == 4
    assert EngineOptions(window=5).overlap == 2


def test_engine_import_leaves_hosts_out() -> None:
    code = (
        "import sys, vs_vhdr.engine;"
        "bad = [m for m in ('vapoursynth', 'nuke', 'OpenImageIO') if m in sys.modules];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
