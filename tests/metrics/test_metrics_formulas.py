"""Log-MAE/MSE, SSIM and PU21 against hand-computed values on small arrays; bad input."""

import math

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.metrics import log_mae, log_mse, log_ssim, pu21_encode, pu21_psnr, pu21_ssim
from vs_vhdr.metrics.ssim import K1, LOG_SSIM_DATA_RANGE, gaussian_window, ssim_map
from vs_vhdr.units import LOG_EPS

# PU21 banding_glare constants as published (Mantiuk & Azimi 2021; gfxdisp/pu21 pu21_encoder.m)
P = (
    0.353487901,
    0.3734658629,
    8.277049286e-05,
    0.9062562627,
    0.09150303166,
    0.9099517204,
    596.3148142,
)


def linear_for_log(value: float) -> float:
    """The linear value whose to_log is exactly ``value``."""
    return math.exp(value) - LOG_EPS


def test_log_mae_and_mse_hand_computed() -> None:
    gt = np.full((2, 2, 2, 3), linear_for_log(0.0))
    pred = gt.copy()
    pred[0] = linear_for_log(1.0)  # half the values 1 above in log
    pred[1] = linear_for_log(-2.0)  # the other half 2 below
    assert log_mae(pred, gt) == pytest.approx(1.5, abs=1e-9)
    assert log_mse(pred, gt) == pytest.approx(2.5, abs=1e-9)


def test_torch_and_numpy_single_frame_agree_and_negatives_clamp() -> None:
    rng = np.random.default_rng(1)
    gt = rng.uniform(0, 3, (5, 6, 3)).astype(np.float32)
    pred = gt + rng.normal(0, 0.1, gt.shape).astype(np.float32)
    assert log_mae(torch.from_numpy(pred), torch.from_numpy(gt)) == pytest.approx(
        log_mae(pred, gt), rel=1e-12
    )
    clamped = np.clip(pred, 0, None)
    assert (pred < 0).any()
    assert log_mse(pred, gt) == pytest.approx(log_mse(clamped, gt), rel=1e-12)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("metric", [log_mae, log_mse, log_ssim, pu21_psnr, pu21_ssim])
def test_non_finite_values_are_refused(bad: float, metric) -> None:  # type: ignore[no-untyped-def]
    gt = np.ones((1, 11, 11, 3), np.float32)
    pred = gt.copy()
    pred[0, 3, 4, 1] = bad
    with pytest.raises(InvalidArgumentError, match=rf"{metric.__name__}: pred has 1 non-finite"):
        metric(pred, gt)


def test_shape_mismatch_and_wrong_layout_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="log_mae: pred has shape .* but gt has"):
        log_mae(np.ones((2, 4, 4, 3)), np.ones((3, 4, 4, 3)))
    with pytest.raises(InvalidArgumentError, match="expected T×H×W×3"):
        log_mse(np.ones((2, 3, 4, 4)), np.ones((2, 3, 4, 4)))
    with pytest.raises(InvalidArgumentError, match="expected floating-point"):
        log_mae(np.ones((4, 4, 3), np.int32), np.ones((4, 4, 3), np.int32))


def test_gaussian_window_is_normalised_and_has_sigma_1_5() -> None:
    w = gaussian_window()
    assert w.shape == (11,) and float(w.sum()) == pytest.approx(1.0)
    k = torch.arange(11, dtype=torch.float64) - 5
    assert float((w * k**2).sum()) == pytest.approx(1.5**2, rel=0.02)  # variance of the tails cut


def test_ssim_of_constant_frames_is_the_luminance_term() -> None:
    a, b = linear_for_log(-1.0), linear_for_log(-3.0)
    pred = np.full((2, 11, 13, 3), a)
    gt = np.full((2, 11, 13, 3), b)
    c1 = (K1 * LOG_SSIM_DATA_RANGE) ** 2
    expected = (2 * -1.0 * -3.0 + c1) / (1.0 + 9.0 + c1)  # σ = 0: the contrast term is C2/C2
    assert log_ssim(pred, gt) == pytest.approx(expected, rel=1e-9)
    assert log_ssim(gt, gt) == pytest.approx(1.0, abs=1e-12)


def test_ssim_map_matches_the_formula_on_one_window() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 1, (2, 11, 11))
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
    cxy = (w * (x - mx) * (y - my)).sum()
    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    expected = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    got = ssim_map(torch.from_numpy(x)[None], torch.from_numpy(y)[None], 1.0)
    assert got.shape == (1, 1, 1)
    assert float(got) == pytest.approx(expected, rel=1e-9)


def test_ssim_refuses_frames_smaller_than_the_window() -> None:
    with pytest.raises(InvalidArgumentError, match="expected at least 11×11"):
        log_ssim(np.ones((1, 10, 20, 3)), np.ones((1, 10, 20, 3)))


@pytest.mark.parametrize("nits", [0.005, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0])
def test_pu21_matches_the_published_formula(nits: float) -> None:
    p1, p2, p3, p4, p5, p6, p7 = P
    expected = p7 * (((p1 + p2 * nits**p4) / (1 + p3 * nits**p4)) ** p5 - p6)
    got = float(pu21_encode(torch.tensor(nits, dtype=torch.float64)))
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-9)


def test_pu21_anchor_values_and_clamping() -> None:
    y = torch.tensor([0.0, 0.001, 0.005, 100.0, 10000.0, 1e6], dtype=torch.float64)
    v = pu21_encode(y)
    assert float(v[2]) == pytest.approx(0.0, abs=1e-6)  # black of the encoding
    assert float(v[3]) == pytest.approx(256.38, abs=0.01)  # 100 cd/m² ≈ the PSNR peak 256
    assert float(v[4]) == pytest.approx(595.39, abs=0.01)
    assert float(v[0]) == float(v[1]) == float(v[2])  # clamped below 0.005
    assert float(v[5]) == float(v[4])  # clamped above 10000
    assert bool((v[2:5].diff() > 0).all())


def test_pu21_psnr_hand_computed_on_grey_frames() -> None:
    # grey RGB (v, v, v) has Rec. 709 luminance v; 1.0 is shown at 100 cd/m²
    gt = np.full((2, 11, 11, 3), 1.0)
    pred = np.full((2, 11, 11, 3), 0.1)
    v_gt = float(pu21_encode(torch.tensor(100.0, dtype=torch.float64)))
    v_pred = float(pu21_encode(torch.tensor(10.0, dtype=torch.float64)))
    expected = 20 * math.log10(256 / abs(v_gt - v_pred))
    assert pu21_psnr(pred, gt) == pytest.approx(expected, rel=1e-9)
    assert pu21_psnr(gt, gt) == math.inf
    assert pu21_ssim(gt, gt) == pytest.approx(1.0)
    c1 = (0.01 * 256) ** 2
    assert pu21_ssim(pred, gt) == pytest.approx(
        (2 * v_gt * v_pred + c1) / (v_gt**2 + v_pred**2 + c1), rel=1e-9
    )


def test_pu21_uses_rec709_luminance() -> None:
    red = np.zeros((1, 11, 11, 3))
    red[..., 0] = 1.0
    grey = np.full((1, 11, 11, 3), 0.2126)  # same luminance as pure red at 1.0
    assert pu21_psnr(red, grey) == math.inf
