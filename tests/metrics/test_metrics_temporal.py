"""L_T (Eq. 7) and the exact-motion temporal error against hand-computed values; motion input."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.metrics import motion_temporal_error, temporal_loss
from vs_vhdr.metrics.motion import load_motion, motion_steps, warp_previous
from vs_vhdr.metrics.temporal import temporal_loss_terms
from vs_vhdr.units import LOG_EPS


def linear_for_log(value: float | np.ndarray) -> np.ndarray:
    return np.exp(value) - LOG_EPS


def test_temporal_loss_hand_computed_on_a_static_scene() -> None:
    gt = linear_for_log(np.zeros((3, 4, 5, 3)))  # static: every visibility weight is 1
    pred = linear_for_log(np.array([0.0, 1.0, 3.0])[:, None, None, None] * np.ones((3, 4, 5, 3)))
    short, long = temporal_loss_terms(pred, gt)
    assert short == pytest.approx((1 + 2) / 2)  # |1-0|, |3-1|
    assert long == pytest.approx((1 + 3) / 2)  # |1-0|, |3-0|
    assert temporal_loss(pred, gt) == pytest.approx(3.5)
    assert temporal_loss(pred, gt, lambda_short=0.001, lambda_long=0.001) == pytest.approx(0.0035)


def test_temporal_loss_weights_follow_the_ground_truth_change() -> None:
    # ground truth brightens by 0.01 in log per frame: w = exp(-100 * 0.01) = 1/e (losses' Eq. 5)
    steps = np.array([0.0, 0.01])[:, None, None, None] * np.ones((2, 3, 3, 3))
    gt = linear_for_log(steps)
    pred = linear_for_log(2 * steps)  # output changes by 0.02
    assert temporal_loss(pred, gt) == pytest.approx(2 * math.exp(-1.0) * 0.02, rel=1e-6)


def test_motion_error_is_pure_flicker_on_a_static_clip() -> None:
    grey = 0.5
    gt = np.full((3, 4, 4, 3), grey)
    gains = np.array([1.0, 1.2, 0.9])
    pred = gt * gains[:, None, None, None]
    log_y = np.log(grey * gains + LOG_EPS)
    expected = (abs(log_y[1] - log_y[0]) + abs(log_y[2] - log_y[1])) / 2
    assert motion_temporal_error(pred, gt, "static") == pytest.approx(expected, rel=1e-9)
    assert motion_temporal_error(gt, gt, "static") == 0.0


def panning_clip(frames: int, step: tuple[int, int], world: np.ndarray) -> np.ndarray:
    """Crops of ``world`` whose content moves by ``step`` (dy, dx) each frame."""
    crops = []
    for t in range(frames):
        y, x = 10 - t * step[0], 10 - t * step[1]  # the camera moves against the content
        crops.append(world[y : y + 16, x : x + 20])
    return np.stack(crops)


def test_motion_error_is_zero_for_an_output_that_follows_the_known_motion() -> None:
    rng = np.random.default_rng(3)
    world = rng.uniform(0.05, 2.0, (40, 40, 3))
    gt = panning_clip(4, (1, -2), world)
    # errors stuck to the content (e.g. a wrong texture) move with it: no temporal error
    pred = panning_clip(4, (1, -2), world * rng.uniform(0.5, 2.0, world.shape))
    motion = np.array([[0, 0], [1, -2], [1, -2], [1, -2]], dtype=float)
    exact = motion_temporal_error(pred, gt, motion)
    assert exact < 1e-12
    assert motion_temporal_error(pred, gt, "static") > 0.1  # wrong motion: looks like flicker
    dense = np.broadcast_to(motion[:, None, None, :], (4, 16, 20, 2))
    assert motion_temporal_error(pred, gt, dense) == pytest.approx(exact, abs=1e-12)
    assert motion_temporal_error(pred, gt, motion[1:]) == pytest.approx(exact, abs=1e-12)
    flicker = pred * np.array([1.0, 1.5, 1.0, 1.5])[:, None, None, None]
    assert motion_temporal_error(flicker, gt, motion) > 0.1


def test_warp_previous_integer_and_half_pixel_shifts() -> None:
    ramp = torch.arange(12, dtype=torch.float64).reshape(1, 3, 4)
    warped, valid = warp_previous(ramp, torch.tensor([0.0, 1.0]))
    assert torch.equal(valid[:, 0], torch.zeros(3, dtype=torch.bool))
    assert bool(valid[:, 1:].all())
    assert torch.allclose(warped[0, :, 1:], ramp[0, :, :3])
    half, _ = warp_previous(ramp, torch.tensor([0.0, 0.5]))
    assert torch.allclose(half[0, :, 1:], ramp[0, :, :3] + 0.5)


def test_motion_input_is_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="expected 'static' or an array"):
        motion_steps("pan", 3, 4, 4)
    with pytest.raises(InvalidArgumentError, match="motion: shape"):
        motion_steps(np.zeros((3, 3)), 3, 4, 4)
    with pytest.raises(InvalidArgumentError, match="5 entries for a clip of 3 frames"):
        motion_steps(np.zeros((5, 2)), 3, 4, 4)
    with pytest.raises(InvalidArgumentError, match="non-finite"):
        motion_steps(np.array([[0, 0], [np.nan, 0]]), 2, 4, 4)
    with pytest.raises(InvalidArgumentError, match="1 frame\\(s\\); expected at least 2"):
        motion_temporal_error(np.ones((1, 4, 4, 3)), np.ones((1, 4, 4, 3)))
    with pytest.raises(InvalidArgumentError, match="every pixel out of the frame"):
        motion_temporal_error(np.ones((2, 4, 4, 3)), np.ones((2, 4, 4, 3)), np.array([[0, 9.0]]))


def test_load_motion_npy_and_json(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.array([[0.0, 0.0], [1.0, 2.0]]))
    (tmp_path / "m.json").write_text(json.dumps({"motion": [[0, 0], [1, 2]]}))
    assert np.array_equal(load_motion(tmp_path / "m.npy"), load_motion(tmp_path / "m.json"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(UnreadableFileError, match='no "motion" key'):
        load_motion(tmp_path / "bad.json")
    with pytest.raises(UnreadableFileError, match="does not exist"):
        load_motion(tmp_path / "missing.npy")
