"""The simulator: exact physics with noise off, responses, exposure, records and replays, bad input."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.imaging.capture import (
    CaptureRecord,
    CaptureSettings,
    capture,
    replay,
    sample_capture_settings,
    simulate,
)
from vs_vhdr.imaging.cfa import CFA_PATTERNS, mosaic_np
from vs_vhdr.imaging.exposure import ExposureRule, expose, luminance, parse_exposure
from vs_vhdr.imaging.masks import make_mask, mask_settings
from vs_vhdr.imaging.noise import NOISE_RANGES, noise_preset
from vs_vhdr.imaging.response import Response, load_lut, parse_response

OFF = noise_preset("none")


def _hdr(frames: int = 3, height: int = 17, width: int = 19, seed: int = 0) -> np.ndarray:
    """Random HDR over ~12 stops, odd sizes."""
    rng = np.random.default_rng(seed)
    return np.exp2(rng.uniform(-8, 4, (frames, height, width, 3))).astype(np.float32)


def _quantise_np(x: np.ndarray, bits: int) -> np.ndarray:
    levels = np.float32(2**bits - 1)
    return np.round(x.astype(np.float32) * levels) / levels


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
@pytest.mark.parametrize("bits", [8, 12, 16])
def test_noise_off_is_exactly_quantised_clipped_coded_mosaic(cfa: str, bits: int) -> None:
    hdr = _hdr()
    mask = make_mask(mask_settings("uniform", seed=1), 17, 19)
    settings = CaptureSettings(cfa=cfa, bits=bits, noise=OFF, exposure=0.5)
    raw, record = capture(hdr, mask, settings)
    gt = expose(hdr, record.exposure_scale)
    expected = _quantise_np(np.clip(mosaic_np(gt, cfa) * mask, 0, 1), bits)
    assert raw.dtype == np.float32 and raw.shape == (3, 17, 19)
    np.testing.assert_array_equal(raw, expected)
    assert 0 < (raw == 1).mean() < 0.5  # some pixels saturate, most do not


def test_per_frame_mask_codes_each_frame() -> None:
    hdr = _hdr(frames=2)
    mask = np.stack([make_mask(mask_settings("binary", seed=s), 17, 19) for s in (1, 2)])
    raw, _ = capture(hdr, mask, CaptureSettings(noise=OFF, exposure=0.3))
    expected = _quantise_np(np.clip(mosaic_np(expose(hdr, 0.3)) * mask, 0, 1), 12)
    np.testing.assert_array_equal(raw, expected)


@pytest.mark.parametrize(
    ("text", "curve"),
    [
        ("gamma:2.4", lambda x: x ** (1 / 2.4)),
        ("srgb", lambda x: np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)),
    ],
)
def test_responses_follow_their_formulas(text: str, curve: object) -> None:
    hdr = _hdr()
    mask = make_mask(mask_settings("uniform", seed=3), 17, 19)
    settings = CaptureSettings(bits=16, noise=OFF, exposure=0.5, response=parse_response(text))
    raw, _ = capture(hdr, mask, settings)
    linear = np.clip(mosaic_np(expose(hdr, 0.5)) * mask, 0, 1).astype(np.float64)
    expected = np.round(curve(linear) * 65535) / 65535  # type: ignore[operator]
    np.testing.assert_allclose(raw, expected, atol=1.01 / 65535)


def test_lut_response_interpolates_a_user_curve(tmp_path: Path) -> None:
    table = np.sqrt(np.linspace(0, 1, 33))
    np.savetxt(tmp_path / "lut.txt", table)
    response = load_lut(tmp_path / "lut.txt")
    x = torch.linspace(0, 1, 1001, dtype=torch.float64)
    expected = np.interp(x.numpy(), np.linspace(0, 1, 33), table)
    np.testing.assert_allclose(response.apply(x).numpy(), expected, atol=1e-12)
    with pytest.raises(InvalidArgumentError, match="non-decreasing"):
        Response("lut", lut=(0.0, 0.8, 0.5))
    with pytest.raises(InvalidArgumentError, match="gamma:<number>"):
        parse_response("gamma:abc")
    with pytest.raises(UnreadableFileError, match="does not exist"):
        parse_response("lut:/nonexistent/lut.txt")


def test_automatic_exposure_maps_the_median_to_the_target() -> None:
    hdr = _hdr(frames=4, height=32, width=32)
    raw, record = capture(hdr, mask_settings("uniform"), CaptureSettings(noise=OFF))
    gt = expose(hdr, record.exposure_scale)
    assert np.median(luminance(gt)) == pytest.approx(0.18, rel=1e-4)
    rule = ExposureRule(percentile=99, target=1.0)
    _, bright = capture(hdr, mask_settings("uniform"), CaptureSettings(exposure_rule=rule))
    assert np.percentile(luminance(expose(hdr, bright.exposure_scale)), 99) == pytest.approx(
        1.0, rel=1e-4
    )
    assert parse_exposure("auto") is None and parse_exposure("2.5") == 2.5
    with pytest.raises(InvalidArgumentError, match="expected auto or a scale > 0"):
        parse_exposure("-1")
    with pytest.raises(InvalidArgumentError, match="percentile of luminance is 0"):
        capture(np.zeros((1, 4, 4, 3), np.float32), mask_settings("uniform"))


def test_record_saves_as_json_and_replays_bit_identically(tmp_path: Path) -> None:
    hdr = _hdr(frames=4)
    settings = CaptureSettings(cfa="GBRG", bits=10, noise=noise_preset("low-light"), noise_seed=5)
    mask = mask_settings("lowfreq", seed=9, distance_mm=0.02, f_number=2.0, pixel_pitch_um=2.5)
    raw, record = capture(hdr, mask, settings, source={"scene": "random"})
    record.save(tmp_path / "capture.json")
    loaded = CaptureRecord.load(tmp_path / "capture.json")
    assert loaded == record
    np.testing.assert_array_equal(replay(loaded, hdr), raw)
    # frames captured in two chunks equal the whole capture (a seed per frame)
    fixed = dataclasses.replace(settings, exposure=record.exposure_scale)
    first, _ = capture(hdr[:2], mask, fixed)
    second, _ = capture(hdr[2:], mask, fixed, first_frame=2)
    np.testing.assert_array_equal(np.concatenate([first, second]), raw)
    # another noise seed gives other frames; another mask is refused
    other, _ = capture(hdr, mask, dataclasses.replace(fixed, noise_seed=6))
    assert not np.array_equal(other, raw)
    with pytest.raises(InvalidArgumentError, match="mask differs"):
        replay(loaded, hdr, mask=np.full((17, 19), 0.5, np.float32))


def test_a_record_of_another_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"schema": "vhdr.Other/9"}')
    with pytest.raises(UnreadableFileError, match="vhdr.CaptureRecord/1"):
        CaptureRecord.load(tmp_path / "c.json")


def test_batched_torch_simulation_matches_per_frame_numpy() -> None:
    hdr = _hdr(frames=3)
    mask = make_mask(mask_settings("uniform", seed=2), 17, 19)
    settings = CaptureSettings(noise=OFF, exposure=1.0)
    batch = torch.from_numpy(np.stack([hdr, hdr * 2])).permute(0, 4, 1, 2, 3)
    raw = simulate(batch, torch.from_numpy(mask), settings)
    assert raw.shape == (2, 3, 17, 19)
    np.testing.assert_array_equal(raw[0].numpy(), capture(hdr, mask, settings)[0])
    np.testing.assert_array_equal(raw[1].numpy(), capture(hdr * 2, mask, settings)[0])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_simulation_follows_the_input_to_cuda() -> None:
    hdr = torch.from_numpy(_hdr()).permute(3, 0, 1, 2)
    mask = torch.from_numpy(make_mask(mask_settings("uniform", seed=2), 17, 19))
    settings = CaptureSettings(noise=OFF, exposure=1.0)
    on_gpu = simulate(hdr.cuda(), mask, settings)
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), simulate(hdr, mask, settings), rtol=0, atol=0)


def test_sampled_training_settings() -> None:
    rng = np.random.default_rng(1)
    draws = [sample_capture_settings(rng) for _ in range(30)]
    assert {d.bits for d in draws} == {10, 12, 14}
    assert len({d.noise_seed for d in draws}) == 30
    low, high = NOISE_RANGES["read_dn"]
    assert all(low <= d.noise.read_dn <= high for d in draws)


@pytest.mark.parametrize(
    ("hdr", "message"),
    [
        (np.full((1, 4, 4, 3), np.nan, np.float32), "NaN/Inf"),
        (np.full((1, 4, 4, 3), np.inf, np.float32), "NaN/Inf"),
        (np.full((1, 4, 4, 3), -1.0, np.float32), "negative values"),
        (np.ones((1, 4, 4), np.float32), r"expected \(T×\)H×W×3"),
        (np.ones((1, 4, 4, 3), np.int32), "floating-point"),
    ],
)
def test_bad_hdr_is_refused(hdr: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        capture(hdr, np.ones((4, 4), np.float32), CaptureSettings(exposure=1.0))


def test_bad_settings_and_masks_are_refused() -> None:
    hdr = _hdr(frames=1, height=4, width=4)
    with pytest.raises(InvalidArgumentError, match="cfa='RGBG'.*expected one of RGGB"):
        CaptureSettings(cfa="RGBG")
    with pytest.raises(InvalidArgumentError, match="bits=20"):
        CaptureSettings(bits=20)
    with pytest.raises(InvalidArgumentError, match=r"4×5 \(H×W\); expected 4×4"):
        capture(hdr, np.ones((4, 5), np.float32))
    with pytest.raises(InvalidArgumentError, match=r"span \[0, 2\]"):
        capture(hdr, np.array([[0, 2, 1, 1]] * 4, np.float32))
    with pytest.raises(InvalidArgumentError, match="mask has 3 frames"):
        capture(hdr, np.ones((3, 4, 4), np.float32))
