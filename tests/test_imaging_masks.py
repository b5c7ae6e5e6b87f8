"""Masks: families, seeds, the σ-from-distance formula, blur physics, mask files and bad input."""

from pathlib import Path

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.imaging.masks import (
    MASK_KINDS,
    binary_pattern,
    blur_radius,
    gaussian_blur,
    load_mask,
    make_mask,
    mask_settings,
    sigma_from_distance,
)
from vs_vhdr.io.exr import write_exr


@pytest.mark.parametrize("kind", ["uniform", "binary", "lowfreq"])
def test_same_seed_same_mask_other_seed_other_mask(kind: str) -> None:
    first = make_mask(mask_settings(kind, seed=7), 40, 50)
    assert first.shape == (40, 50) and first.dtype == np.float32
    np.testing.assert_array_equal(first, make_mask(mask_settings(kind, seed=7), 40, 50))
    assert not np.array_equal(first, make_mask(mask_settings(kind, seed=8), 40, 50))
    assert 0.0 <= first.min() and first.max() <= 1.0


def test_uniform_mask_is_uniform_on_unit_interval() -> None:
    mask = make_mask(mask_settings("uniform", seed=1), 256, 256).astype(np.float64)
    assert abs(mask.mean() - 0.5) < 0.005
    assert abs(mask.var() - 1 / 12) < 0.002
    histogram, _ = np.histogram(mask, bins=10, range=(0, 1))
    assert histogram.min() > 0.9 * mask.size / 10


def test_binary_mask_has_open_fraction_p_and_square_cells() -> None:
    mask = make_mask(mask_settings("binary", seed=2, p=0.3, cell=4), 200, 240)
    assert set(np.unique(mask)) == {0.0, 1.0}
    assert abs(mask.mean() - 0.3) < 0.02
    cells = mask.reshape(50, 4, 60, 4)
    assert (cells == cells[:, :1, :, :1]).all()  # every 4×4 cell is one value


def test_sigma_from_distance_follows_the_formula() -> None:
    assert sigma_from_distance(0.05, 2.0, 2.0) == pytest.approx(3.125)
    for d, n, p in [(1.0, 2.8, 4.0), (1.5, 1.4, 1.2), (0.2, 8.0, 5.5)]:
        assert sigma_from_distance(d, n, p) == pytest.approx(d * 1000 / (4 * n * p))
    with pytest.raises(InvalidArgumentError, match="f_number"):
        sigma_from_distance(1.0, 0.0, 2.0)


def test_lowfreq_from_optics_equals_lowfreq_from_sigma() -> None:
    optics = mask_settings("lowfreq", seed=3, distance_mm=0.05, f_number=2, pixel_pitch_um=2)
    assert optics.sigma == pytest.approx(3.125)
    direct = mask_settings("lowfreq", seed=3, sigma=3.125)
    np.testing.assert_array_equal(make_mask(optics, 64, 64), make_mask(direct, 64, 64))


@pytest.mark.parametrize("sigma", [1.5, 3.125])
def test_lowfreq_variance_matches_blurred_bernoulli(sigma: float) -> None:
    """A Bernoulli(p) field blurred by kernel g has variance p(1−p)·Σg²: σ is in pixels."""
    settings = mask_settings("lowfreq", seed=4, p=0.5, cell=1, sigma=sigma)
    mask = make_mask(settings, 512, 512).astype(np.float64)
    radius = blur_radius(sigma)
    g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    g /= g.sum()
    expected = 0.25 * (g**2).sum() ** 2
    assert mask.var() == pytest.approx(expected, rel=0.08)
    assert mask.mean() == pytest.approx(0.5, abs=0.01)


def test_gaussian_blur_of_an_impulse_has_variance_sigma_squared() -> None:
    image = torch.zeros(61, 61, dtype=torch.float64)
    image[30, 30] = 1.0
    blurred = gaussian_blur(image, 4.0)
    assert blurred.sum().item() == pytest.approx(1.0)
    offsets = torch.arange(-30, 31, dtype=torch.float64)
    variance_rows = (blurred.sum(dim=1) * offsets**2).sum().item()
    assert variance_rows == pytest.approx(16.0, rel=0.01)


def test_mask_file_round_trip_and_size_check(tmp_path: Path) -> None:
    mask = make_mask(mask_settings("uniform", seed=5), 12, 16)
    write_exr(tmp_path / "m.exr", mask)
    np.testing.assert_array_equal(load_mask(tmp_path / "m.exr", 12, 16), mask)
    np.testing.assert_array_equal(
        make_mask(mask_settings("file", path=str(tmp_path / "m.exr")), 12, 16), mask
    )
    with pytest.raises(InvalidArgumentError, match=r"12×16 \(H×W\); expected 10×16"):
        load_mask(tmp_path / "m.exr", 10, 16)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            np.full((4, 4), 1.5, np.float32),
            r"span \[1\.5, 1\.5\]; expected transmittance in \[0, 1\]",
        ),
        (np.full((4, 4), -0.1, np.float32), r"expected transmittance in \[0, 1\]"),
        (np.full((4, 4), np.nan, np.float32), "NaN/Inf"),
        (np.zeros((4, 4, 3), np.float32), "expected one channel"),
    ],
)
def test_bad_mask_files_are_refused(tmp_path: Path, values: np.ndarray, message: str) -> None:
    np.save(tmp_path / "m.npy", values)
    with pytest.raises(InvalidArgumentError, match=message):
        load_mask(tmp_path / "m.npy")


def test_missing_and_corrupt_mask_files(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="does not exist"):
        load_mask(tmp_path / "none.exr")
    (tmp_path / "bad.exr").write_bytes(b"v/1\x01 not an exr")
    with pytest.raises(UnreadableFileError, match="not a readable OpenEXR"):
        load_mask(tmp_path / "bad.exr")


def test_mask_settings_refuse_bad_values() -> None:
    assert set(MASK_KINDS) == {"uniform", "lowfreq", "binary", "file"}
    with pytest.raises(InvalidArgumentError, match="kind='striped'"):
        mask_settings("striped")
    with pytest.raises(InvalidArgumentError, match=r"p=1\.5"):
        mask_settings("binary", p=1.5)
    with pytest.raises(InvalidArgumentError, match="either sigma or all of"):
        mask_settings("lowfreq", sigma=2.0, distance_mm=1.0)
    with pytest.raises(InvalidArgumentError, match="either sigma or all of"):
        mask_settings("lowfreq", distance_mm=1.0, f_number=2.0)
    with pytest.raises(InvalidArgumentError, match="not blurred"):
        mask_settings("uniform", sigma=1.0)
    with pytest.raises(InvalidArgumentError, match="needs path"):
        mask_settings("file")


@pytest.mark.parametrize("kind", ["binary", "lowfreq"])
def test_dark_regions_close_large_areas(kind: str) -> None:
    plain = make_mask(mask_settings(kind, seed=4), 128, 128)
    dark = mask_settings(kind, seed=4, dark_fraction=0.4, dark_cell=16)
    assert dark.dark_cell == 16 and mask_settings(kind, dark_fraction=0.2).dark_cell == 16
    mask = make_mask(dark, 128, 128)
    np.testing.assert_array_equal(mask, make_mask(dark, 128, 128))  # same seed, same mask
    assert mask.mean() < 0.8 * plain.mean()
    if kind == "binary":
        np.testing.assert_array_equal(mask, plain * (mask > 0) * 1.0)  # only closes cells
    closed = _opaque_9x9(mask)  # pixels whose whole 9×9 neighbourhood is (almost) opaque
    assert (0.1 if kind == "binary" else 0.02) < closed < 0.7
    assert _opaque_9x9(plain) == 0


def _opaque_9x9(mask: np.ndarray) -> float:
    windows = np.lib.stride_tricks.sliding_window_view(mask, (9, 9))
    return float((windows.max(axis=(-1, -2)) < 0.05).mean())


def test_masks_without_dark_regions_are_unchanged_by_the_option() -> None:
    """Records written before dark regions existed still replay: no extra random draws."""
    for kind in ("binary", "lowfreq"):
        settings = mask_settings(kind, seed=9, cell=2)
        assert (settings.dark_fraction, settings.dark_cell) == (0.0, 0)
        rng = np.random.default_rng(9)
        if kind == "binary":
            np.testing.assert_array_equal(
                make_mask(settings, 30, 40), binary_pattern(rng, 30, 40, cell=2)
            )


def test_dark_region_settings_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="dark_fraction=1.0"):
        mask_settings("lowfreq", dark_fraction=1.0)
    with pytest.raises(InvalidArgumentError, match="dark regions are for binary and lowfreq"):
        mask_settings("uniform", dark_fraction=0.2)
    with pytest.raises(InvalidArgumentError, match="dark_cell=2; expected an integer >= cell=4"):
        mask_settings("lowfreq", dark_fraction=0.2, dark_cell=2)
    with pytest.raises(InvalidArgumentError, match="without dark_fraction"):
        mask_settings("binary", dark_cell=8)
