"""``core.vhdr.Reconstruct`` against the bare engine, with real VapourSynth and a real network."""

import random
from pathlib import Path

import numpy as np
import pytest
import vapoursynth as vs
from vs_support import ensure_namespace, gray_clip, render, save_small_model

from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.io.exr import write_exr
from vs_vhdr.vapoursynth import image_source, reconstruct

T, H, W = 6, 12, 16
WINDOW = 4


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("vhdr_vs")
    ensure_namespace(folder)
    return str(save_small_model(folder / "c3d.safetensors"))


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.random((T, H, W), dtype=np.float32), rng.uniform(0.05, 1, (H, W)).astype(np.float32)


def engine_output(weights: str, raw: np.ndarray, mask: np.ndarray, **options: object) -> np.ndarray:
    """The bare engine's frames for the same input (static ``H×W`` or per-frame ``T×H×W`` mask)."""
    per_frame = mask.ndim == 3
    engine = Reconstructor(
        EngineOptions(model=weights, window=WINDOW, **options), None if per_frame else mask
    )
    get_mask = (lambda i: mask[i]) if per_frame else None
    return np.stack(
        [engine.output_frame(n, len(raw), lambda i: raw[i], get_mask) for n in range(len(raw))]
    )


def write_mask(folder: Path, mask: np.ndarray) -> str:
    path = folder / "mask.exr"
    write_exr(path, mask)
    return str(path)


@pytest.mark.parametrize("tile", [0, 8])
def test_plugin_equals_engine_bit_for_bit(weights, data, tmp_path, tile):
    raw, mask = data
    out = vs.core.vhdr.Reconstruct(
        gray_clip(raw),
        mask_file=write_mask(tmp_path, mask),
        model=weights,
        window=WINDOW,
        tile=tile,
    )
    assert (out.format.id, out.width, out.height, out.num_frames) == (vs.RGBS, W, H, T)
    expected = engine_output(weights, raw, mask, tile=tile)
    assert np.array_equal(render(out), expected)
    assert np.all(expected > 0)


def test_python_function_and_namespace_agree(weights, data):
    raw, mask = data
    mask_clip = gray_clip(mask[None])
    via_python = reconstruct(gray_clip(raw), mask=mask_clip, model=weights, window=WINDOW)
    via_core = vs.core.vhdr.Reconstruct(
        gray_clip(raw), mask=mask_clip, model=weights, window=WINDOW
    )
    assert np.array_equal(render(via_python), render(via_core))


def test_random_access_equals_sequential(weights, data):
    raw, mask = data
    order = list(range(T))
    random.Random(3).shuffle(order)
    clips = [
        vs.core.vhdr.Reconstruct(
            gray_clip(raw), mask=gray_clip(mask[None]), model=weights, window=WINDOW
        )
        for _ in range(2)
    ]
    assert np.array_equal(render(clips[0]), render(clips[1], order=order[::-1] + order))


def test_one_thread_equals_four_and_windows_run_once(weights, data, monkeypatch):
    raw, mask = data
    computed: list[tuple[int, ...]] = []
    compute = Reconstructor._compute

    def counting(self, frames, get_raw, get_mask):
        computed.append(frames)
        return compute(self, frames, get_raw, get_mask)

    monkeypatch.setattr(Reconstructor, "_compute", counting)
    core = vs.core
    threads = core.num_threads
    results = []
    try:
        for count in (1, 4):
            core.num_threads = count
            computed.clear()
            out = core.vhdr.Reconstruct(
                gray_clip(raw), mask=gray_clip(mask[None]), model=weights, window=WINDOW
            )
            futures = [out.get_frame_async(n) for n in range(T)]
            frames = [f.result() for f in futures]
            results.append(
                np.stack([np.stack([np.asarray(f[p]) for p in range(3)], -1) for f in frames])
            )
            plan = Reconstructor(EngineOptions(model=weights, window=WINDOW), mask).plan(T)
            assert sorted(computed) == sorted(set(computed)), "a window was computed twice"
            assert len(computed) == len(plan.starts())
    finally:
        core.num_threads = threads
    assert np.array_equal(results[0], results[1])


def test_clip_shorter_than_window(weights, data, tmp_path):
    raw, mask = data
    short = raw[:5]
    out = vs.core.vhdr.Reconstruct(
        gray_clip(short), mask_file=write_mask(tmp_path, mask), model=weights, window=8
    )
    engine = Reconstructor(EngineOptions(model=weights, window=8), mask)
    expected = np.stack([engine.output_frame(n, 5, lambda i: short[i]) for n in range(5)])
    assert np.array_equal(render(out, order=[4, 0, 2, 1, 3]), expected)


def test_per_frame_mask_clip(weights, data):
    raw, mask = data
    masks = np.stack([np.roll(mask, k, axis=1) for k in range(T)])
    out = vs.core.vhdr.Reconstruct(
        gray_clip(raw), mask=gray_clip(masks), model=weights, window=WINDOW
    )
    assert np.array_equal(render(out), engine_output(weights, raw, masks))


def test_mask_from_an_image_source_clip(weights, data, tmp_path):
    raw, mask = data
    mask_clip = image_source(write_mask(tmp_path, mask))
    out = vs.core.vhdr.Reconstruct(gray_clip(raw), mask=mask_clip, model=weights, window=WINDOW)
    assert np.array_equal(render(out), engine_output(weights, raw, mask))


@pytest.mark.parametrize(
    ("fmt", "bits", "white_level"), [(vs.GRAY16, 16, 4000), (vs.GRAY12, 12, 0)]
)
def test_integer_raw_is_normalised_by_white_level(weights, data, tmp_path, fmt, bits, white_level):
    raw, mask = data
    white = white_level or (1 << bits) - 1
    digital = np.round(raw * (white + 60)).clip(0, (1 << bits) - 1).astype(np.uint16)
    out = vs.core.vhdr.Reconstruct(
        gray_clip(digital, fmt),
        mask_file=write_mask(tmp_path, mask),
        model=weights,
        window=WINDOW,
        white_level=white_level,
    )
    normalised = np.minimum(digital.astype(np.float32) / np.float32(white), 1.0)
    assert np.array_equal(render(out), engine_output(weights, normalised, mask))


def test_frame_props_kept_and_set(weights, data, tmp_path):
    raw, mask = data
    clip = vs.core.std.SetFrameProps(gray_clip(raw), CameraSerial="A-17", vhdr_Take=3)
    out = vs.core.vhdr.Reconstruct(
        clip, mask_file=write_mask(tmp_path, mask), model=weights, window=WINDOW
    )
    props = out.get_frame(2).props
    assert props["CameraSerial"] == "A-17" and props["vhdr_Take"] == 3
    assert (props["_Transfer"], props["_Primaries"], props["_Matrix"]) == (8, 2, 0)
    assert props["_Range"] == vs.RANGE_FULL  # the former _ColorRange=0


@pytest.fixture
def calibration(data, tmp_path) -> str:
    """A camera calibration file: GRBG, raw levels 64..4000 DN, BT.709 primaries."""
    from vs_vhdr.calibration import CameraId, MaskCalibration, save_calibration

    _, mask = data
    camera = CameraId(make="Test", model="Coded", serial="7")
    measured = MaskCalibration(
        "test-coded", camera, mask, cfa="GRBG", black_level=64, white_level=4000, primaries=1
    )
    return str(save_calibration(measured, tmp_path / "test-coded.json"))


def test_camera_calibration_gives_mask_cfa_levels_and_primaries(weights, data, calibration):
    raw, mask = data
    digital = np.round(64 + raw * 4100).astype(np.uint16)
    out = vs.core.vhdr.Reconstruct(
        gray_clip(digital, vs.GRAY12), camera=calibration, model=weights, window=WINDOW
    )
    normalised = np.clip((digital.astype(np.float32) - np.float32(64)) / np.float32(3936), 0, 1)
    assert np.array_equal(render(out), engine_output(weights, normalised, mask, cfa="GRBG"))
    assert out.get_frame(0).props["_Primaries"] == 1
    with pytest.raises(vs.Error, match="cfa='RGGB' but the camera calibration says GRBG"):
        vs.core.vhdr.Reconstruct(gray_clip(digital, vs.GRAY12), camera=calibration, cfa="RGGB")
    with pytest.raises(vs.Error, match=r"has a 12×16 mask but the frames are 12×8"):
        vs.core.vhdr.Reconstruct(gray_clip(digital[:, :, :8], vs.GRAY12), camera=calibration)


def test_weights_below_the_baseline_are_reported_in_the_log(data, tmp_path: Path) -> None:
    """Weights whose record scores below the naive baseline: a VapourSynth warning names them."""
    from vs_vhdr.nets import C3D, save_weights

    path = tmp_path / "weak.safetensors"
    scores = {"validation": {"pu21_psnr": 20.0}, "naive_baseline": {"pu21_psnr": 27.0}}
    save_weights(C3D(), path, metrics=scores)
    raw, mask = data
    messages: list[tuple[int, str]] = []
    handle = vs.core.add_log_handler(lambda kind, text: messages.append((kind, text)))
    try:
        vs.core.vhdr.Reconstruct(gray_clip(raw), mask=gray_clip(mask[None]), model=str(path))
    finally:
        vs.core.remove_log_handler(handle)
    warnings = [text for kind, text in messages if kind == vs.MESSAGE_TYPE_WARNING]
    assert any("below the naive baseline" in text for text in warnings), messages


def test_overlap_reaches_the_engine(weights, data):
    """``overlap`` picks the windows blended into each frame, as in the engine; -1 is the
    default (window // 2)."""
    raw, mask = data
    clip = gray_clip(raw)
    kwargs = {"mask": gray_clip(mask[None]), "model": weights, "window": WINDOW}
    dense = render(vs.core.vhdr.Reconstruct(clip, overlap=3, **kwargs))
    assert np.array_equal(dense, engine_output(weights, raw, mask, overlap=3))
    default = render(vs.core.vhdr.Reconstruct(clip, **kwargs))
    assert np.array_equal(default, render(vs.core.vhdr.Reconstruct(clip, overlap=-1, **kwargs)))
    assert np.array_equal(default, engine_output(weights, raw, mask, overlap=WINDOW // 2))
    assert not np.array_equal(dense, default)
