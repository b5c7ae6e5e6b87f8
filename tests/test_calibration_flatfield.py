"""Flat-field self-calibration on frames from the project's own simulator (known masks)."""

import numpy as np
import pytest

from vs_vhdr.calibration.flatfield import estimate_transmittance, mask_error
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.capture import CaptureSettings, capture
from vs_vhdr.imaging.masks import make_mask, mask_settings

HEIGHT, WIDTH = 192, 288
WHITE = np.array([0.7, 1.0, 0.8], np.float32)  # target colour: unequal CFA channel gains


def _vignetting() -> np.ndarray:
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    r2 = ((rows - HEIGHT / 2) / (HEIGHT / 2)) ** 2 + ((cols - WIDTH / 2) / (WIDTH / 2)) ** 2
    return (1 / (1 + 0.2 * r2) ** 2).astype(np.float32)  # about 36 % darker in the corners


def flat_fields(
    mask: np.ndarray, exposures: tuple[float, ...], seed: int, per_exposure: int = 4
) -> np.ndarray:
    """``per_exposure`` frames per exposure of a vignetted white target, default noise preset."""
    scene = np.repeat((_vignetting()[..., None] * WHITE)[None], per_exposure, axis=0)
    return np.concatenate(
        [
            capture(scene, mask, CaptureSettings(exposure=e, noise_seed=seed + i, camera_seed=7))[0]
            for i, e in enumerate(exposures)
        ]
    )


@pytest.fixture(scope="module")
def uniform() -> tuple[np.ndarray, np.ndarray]:
    mask = make_mask(mask_settings("uniform", seed=3), HEIGHT, WIDTH)
    return mask, flat_fields(mask, (0.45, 0.9), seed=0)


def test_uniform_mask_is_recovered_within_one_percent(uniform: tuple) -> None:
    mask, frames = uniform
    estimate = estimate_transmittance(frames)
    error = mask_error(estimate.transmittance, mask)
    assert error["rmse"] < 0.01 and error["correlation"] > 0.999
    # the reported noise is the right size: below the total error, not far below it
    assert (
        estimate.noise_rms is not None and 0.3 * error["rmse"] < estimate.noise_rms < error["rmse"]
    )
    np.testing.assert_allclose(estimate.exposures, [0.5] * 4 + [1.0] * 4, rtol=0.02)
    assert estimate.transmittance.dtype == np.float32 and estimate.transmittance.max() == 1.0


def test_removing_gains_and_vignetting_is_what_makes_it_work(uniform: tuple) -> None:
    mask, frames = uniform
    with_fit = mask_error(estimate_transmittance(frames).transmittance, mask)["rmse_scaled"]
    no_vignetting = estimate_transmittance(frames, degree=0).transmittance
    assert mask_error(no_vignetting, mask)["rmse_scaled"] > 4 * with_fit
    raw_ratio = frames[4:].mean(axis=0) / np.percentile(frames[4:].mean(axis=0), 99.5)
    assert mask_error(np.clip(raw_ratio, 0, 1), mask)["rmse_scaled"] > 10 * with_fit


def test_unmasked_frames_remove_the_mask_pattern_from_the_vignetting_fit() -> None:
    mask = make_mask(mask_settings("lowfreq", seed=4), HEIGHT, WIDTH)  # few, large cells
    frames = flat_fields(mask, (0.45, 0.9), seed=10)
    unmasked = flat_fields(np.ones_like(mask), (0.4,), seed=20, per_exposure=2)
    alone = mask_error(estimate_transmittance(frames).transmittance, mask)["rmse_scaled"]
    estimate = estimate_transmittance(frames, unmasked=unmasked)
    helped = mask_error(estimate.transmittance, mask)["rmse_scaled"]
    assert helped < 0.007 and alone > 3 * helped
    assert estimate.vignetting.endswith("fitted to 2 unmasked frame(s)")


def test_saturation_long_exposures_are_fine_if_a_short_one_resolves_them(uniform: tuple) -> None:
    mask, _ = uniform
    frames = flat_fields(mask, (0.45, 1.6), seed=30, per_exposure=2)  # long frames clip
    assert (frames[2:] >= 0.98).mean() > 0.1
    estimate = estimate_transmittance(frames)
    assert estimate.saturated_pixels == 0
    assert mask_error(estimate.transmittance, mask)["rmse"] < 0.01


def test_pixels_saturated_in_every_frame_are_counted_or_refused(uniform: tuple) -> None:
    mask, _ = uniform
    slightly = flat_fields(mask, (1.04,), seed=40, per_exposure=2)
    saturated = (slightly >= 0.98).all(axis=0)
    estimate = estimate_transmittance(slightly)
    assert estimate.saturated_pixels == int(saturated.sum()) > 0
    assert estimate.transmittance[saturated].min() > 0.9  # a lower bound, not a hole
    with pytest.raises(InvalidArgumentError, match=r"% of the pixels are saturated in every frame"):
        estimate_transmittance(flat_fields(mask, (1.6,), seed=40, per_exposure=1))


def test_one_frame_has_no_noise_estimate(uniform: tuple) -> None:
    _, frames = uniform
    assert estimate_transmittance(frames[0]).noise_rms is None


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (np.zeros((2, 4, 4)), "expected T×H×W raw mosaics with H, W >= 8"),
        (np.full((2, 16, 16), np.nan), "NaN or infinite"),
        (np.zeros((2, 16, 16)), "shares 0 lit, unsaturated pixels"),
        (np.ones((2, 16, 16)), "shares 0 lit, unsaturated pixels"),
    ],
)
def test_bad_flat_fields_are_refused(frames: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        estimate_transmittance(frames)


def test_bad_settings_are_refused(uniform: tuple) -> None:
    _, frames = uniform
    with pytest.raises(InvalidArgumentError, match="percentile=20"):
        estimate_transmittance(frames, percentile=20)
    with pytest.raises(InvalidArgumentError, match="unmasked frames are"):
        estimate_transmittance(frames, unmasked=frames[:, :-2])
