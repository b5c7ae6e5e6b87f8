"""Sensor noise: statistics over many samples against the parameters, fixed pattern, presets."""

import math

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError, UnknownNameError
from vs_vhdr.imaging.capture import CaptureSettings, simulate
from vs_vhdr.imaging.noise import (
    NOISE_PRESETS,
    NOISE_RANGES,
    NoiseParams,
    noise_preset,
    sample_noise_params,
)

SIZE = 256  # 65536 samples per statistic: ~0.6 % standard error on a variance


def _flat_capture(level: float, noise: NoiseParams, *, bits: int = 16, seed: int = 0) -> np.ndarray:
    """Raw frame of a flat grey scene at ``level`` through an open mask (Φ = 1)."""
    hdr = torch.full((3, 1, SIZE, SIZE), level)
    settings = CaptureSettings(bits=bits, noise=noise, noise_seed=seed, camera_seed=11)
    generator = torch.Generator().manual_seed(seed)
    raw = simulate(hdr, torch.ones(SIZE, SIZE), settings, generator=generator)
    return raw[0].numpy().astype(np.float64)


@pytest.mark.parametrize("model", ["poisson", "gaussian"])
@pytest.mark.parametrize(("level", "a"), [(0.3, 1e-4), (0.05, 1e-3)])
def test_shot_noise_mean_and_variance(model: str, level: float, a: float) -> None:
    raw = _flat_capture(level, NoiseParams(shot=a, shot_model=model))
    quantisation = (1 / 65535) ** 2 / 12
    assert raw.mean() == pytest.approx(level, rel=2e-3)
    assert raw.var() == pytest.approx(a * level + quantisation, rel=0.03)


def test_poisson_counts_are_whole_electrons() -> None:
    a = 1e-3  # 1000 e⁻ full well: a signal of 0.05 is 50 electrons
    raw = _flat_capture(0.05, NoiseParams(shot=a), bits=16)
    electrons = raw / a
    levels = np.unique(np.round(electrons))
    assert len(levels) > 20 and np.abs(electrons - np.round(electrons)).max() < 0.04


def test_read_noise_in_dn() -> None:
    raw = _flat_capture(0.2, NoiseParams(read_dn=3.0), bits=12)
    dn = 1 / 4095
    assert raw.mean() == pytest.approx(0.2, rel=1e-3)
    assert raw.var() == pytest.approx((3.0 * dn) ** 2 + dn**2 / 12, rel=0.03)
    assert np.allclose(raw / dn, np.round(raw / dn), atol=1e-3)  # whole DN


def test_dark_current_adds_mean_and_shot_noise() -> None:
    params = NoiseParams(shot=1e-4, dark_e_per_s=1000.0, exposure_time_s=0.1)
    assert params.dark_level == pytest.approx(0.01)
    raw = _flat_capture(0.1, params)
    assert raw.mean() == pytest.approx(0.11, rel=2e-3)
    assert raw.var() == pytest.approx(1e-4 * 0.11, rel=0.03)


def test_fixed_pattern_is_fixed_per_camera_and_matches_prnu_dsnu() -> None:
    params = NoiseParams(prnu=0.01, dsnu_dn=2.0)
    first = _flat_capture(0.5, params, bits=16, seed=1)
    again = _flat_capture(0.5, params, bits=16, seed=2)  # other temporal seed, same camera
    np.testing.assert_array_equal(first, again)
    expected_sd = math.hypot(0.01 * 0.5, 2.0 / 65535)
    assert first.std() == pytest.approx(expected_sd, rel=0.03)
    hdr = torch.full((3, 1, SIZE, SIZE), 0.5)
    other = simulate(
        hdr, torch.ones(SIZE, SIZE), CaptureSettings(bits=16, noise=params, camera_seed=12)
    )
    assert not np.array_equal(other[0].numpy(), first)


def test_presets_lie_in_the_documented_ranges() -> None:
    assert noise_preset("none").is_off and NoiseParams().is_off
    assert {"none", "default", "low-light", "iso100", "iso1600", "iso6400"} <= set(NOISE_PRESETS)
    trained = ("default", "iso100", "iso1600", "iso6400")  # clean / low-light: outside on purpose
    for name in trained:
        for field, (low, high) in NOISE_RANGES.items():
            assert low <= getattr(NOISE_PRESETS[name], field) <= high, (name, field)
    assert NOISE_PRESETS["iso100"].shot == NOISE_RANGES["shot"][0]
    assert NOISE_PRESETS["iso6400"].shot == NOISE_RANGES["shot"][1]
    levels = [NOISE_PRESETS[n] for n in ("iso100", "iso1600", "iso6400")]
    assert all(a.shot < b.shot and a.read_dn < b.read_dn for a, b in zip(levels, levels[1:]))
    with pytest.raises(UnknownNameError, match="'bright'.*none, clean, default, low-light"):
        noise_preset("bright")


def test_sampled_noise_covers_the_ranges() -> None:
    rng = np.random.default_rng(0)
    draws = [sample_noise_params(rng) for _ in range(300)]
    shots = np.log10([d.shot for d in draws])
    low, high = np.log10(NOISE_RANGES["shot"])  # ISO 100 to 6400
    assert shots.min() < low + 0.1 and shots.max() > high - 0.1
    third = (high - low) / 3  # log-uniform: each third of the log range holds about a third
    counts = np.histogram(shots, bins=[low, low + third, high - third, high])[0]
    assert counts.min() > 70
    reads = np.log2([d.read_dn for d in draws])  # 1 to 8 DN, log-uniform
    assert reads.min() < 0.2 and reads.max() > 2.8 and 1.2 < np.median(reads) < 1.8
    for field, (low, high) in NOISE_RANGES.items():
        values = [getattr(d, field) for d in draws]
        assert low <= min(values) and max(values) <= high
    assert all(d.shot_model == "gaussian" for d in draws)


def test_bad_noise_parameters() -> None:
    with pytest.raises(InvalidArgumentError, match="read_dn=-1"):
        NoiseParams(read_dn=-1)
    with pytest.raises(InvalidArgumentError, match="shot_model='binomial'"):
        NoiseParams(shot_model="binomial")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_noise_statistics_on_cuda() -> None:
    hdr = torch.full((2, 3, 2, SIZE, SIZE), 0.3, device="cuda")
    settings = CaptureSettings(bits=16, noise=NoiseParams(shot=1e-4, read_dn=2.0, prnu=0.005))
    generator = torch.Generator(device="cuda").manual_seed(0)
    raw = simulate(hdr, torch.ones(SIZE, SIZE), settings, generator=generator)
    assert raw.device.type == "cuda" and raw.shape == (2, 2, SIZE, SIZE)
    expected = 1e-4 * 0.3 + (2 / 65535) ** 2 + (0.005 * 0.3) ** 2
    assert raw.double().var().item() == pytest.approx(expected, rel=0.03)
