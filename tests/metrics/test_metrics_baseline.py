"""The naive baseline: exact at sampled sites, bilinear-accurate on smooth scenes, saturation."""

import numpy as np
import pytest

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import CFA_PATTERNS, cfa_channels, mosaic_np
from vs_vhdr.io.images import read_image
from vs_vhdr.metrics import log_mae, naive_reconstruct
from vs_vhdr.metrics.baseline import SATURATION_LEVEL
from vs_vhdr.scenes import __path__ as scenes_path

# Stated tolerances of the baseline on noiseless, unsaturated input (docs/metrics.md):
SMOOTH_INTERIOR_RELATIVE_ERROR = 0.005  # smooth scene: bilinear interpolation error only
SMOOTH_BORDER_RELATIVE_ERROR = 0.05  # one-sided interpolation on the outer 2 pixels
SMOOTH_LOG_MAE = 0.002
REAL_LOG_MAE = 0.05  # a real HDR photograph (edges, texture), 64×96 crop


def smooth_scene(frames: int, height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    planes = [0.35 + 0.15 * np.sin(xx / 15 + c) * np.cos(yy / 17 - c) for c in range(3)]
    scene = np.stack(planes, axis=-1)
    return np.stack([scene * (1 + 0.05 * t) for t in range(frames)])


def sampled_sites(cfa: str, height: int, width: int) -> np.ndarray:
    """H×W×3 bool: where each channel is sampled."""
    tile = cfa_channels(cfa)
    channel = tile[np.arange(height)[:, None] % 2, np.arange(width)[None, :] % 2]
    return np.stack([channel == c for c in range(3)], axis=-1)


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_noiseless_unsaturated_smooth_scene_is_reconstructed(cfa: str) -> None:
    rng = np.random.default_rng(0)
    scene = smooth_scene(2, 24, 30)
    mask = rng.uniform(0.2, 1.0, (24, 30))
    raw = mosaic_np(scene, cfa) * mask
    assert raw.max() < SATURATION_LEVEL
    out = naive_reconstruct(raw, mask, cfa)
    assert out.shape == scene.shape and out.dtype == np.float32
    relative = np.abs(out - scene) / scene
    sites = np.broadcast_to(sampled_sites(cfa, 24, 30), scene.shape)
    assert relative[sites].max() < 1e-5  # raw / mask is exact where sampled
    assert relative[:, 2:-2, 2:-2].max() < SMOOTH_INTERIOR_RELATIVE_ERROR
    assert relative.max() < SMOOTH_BORDER_RELATIVE_ERROR
    assert log_mae(out, scene) < SMOOTH_LOG_MAE


def test_real_photograph_crop_within_stated_tolerance() -> None:
    hdri = read_image(f"{scenes_path[0]}/hdri/courtyard.exr")[300:364, 500:596]
    scene = np.clip(hdri, 0, None) * (0.2 / np.median(hdri))
    rng = np.random.default_rng(1)
    mask = rng.uniform(0.2, 1.0, scene.shape[:2])
    raw = mosaic_np(scene, "RGGB") * mask
    assert raw.max() < SATURATION_LEVEL
    assert log_mae(naive_reconstruct(raw, mask), scene) < REAL_LOG_MAE


def test_saturated_and_opaque_sites_are_filled_from_neighbours() -> None:
    scene = smooth_scene(1, 32, 32)
    mask = np.full((32, 32), 0.8)
    mask[20:24, 20:24] = 0.0  # an opaque patch: no signal at all
    raw = mosaic_np(scene, "RGGB") * mask
    raw[0, 12:18, 12:18] = 1.0  # a clipped highlight
    out = naive_reconstruct(raw, mask)
    assert np.isfinite(out).all()
    bound = 1.0 / 0.8
    assert out[0, 12:18, 12:18].max() >= bound - 1e-6  # at least the clipped lower bound
    sites = sampled_sites("RGGB", 32, 32)
    assert (out[0, 12:18, 12:18][sites[12:18, 12:18]] >= bound - 1e-6).all()
    patch = np.abs(out[0, 20:24, 20:24] - scene[0, 20:24, 20:24]) / scene[0, 20:24, 20:24]
    assert patch.max() < 0.05  # smooth scene: neighbours predict the opaque patch well


def test_per_frame_mask_is_used_frame_by_frame() -> None:
    rng = np.random.default_rng(2)
    scene = smooth_scene(2, 16, 16)
    masks = rng.uniform(0.2, 1.0, (2, 16, 16))
    raw = mosaic_np(scene, "RGGB") * masks
    static = naive_reconstruct(raw, masks[0])
    per_frame = naive_reconstruct(raw, masks)
    assert log_mae(per_frame, scene) < SMOOTH_LOG_MAE < log_mae(static[1:], scene[1:])


def test_bad_input_is_refused() -> None:
    raw = np.full((2, 8, 8), 0.5)
    with pytest.raises(InvalidArgumentError, match=r"mask has shape \(6, 8\); expected 8×8"):
        naive_reconstruct(raw, np.ones((6, 8)))
    with pytest.raises(InvalidArgumentError, match=r"mask values span .*expected transmittance"):
        naive_reconstruct(raw, np.full((8, 8), 1.5))
    bad = raw.copy()
    bad[0, 1, 1] = np.nan
    with pytest.raises(InvalidArgumentError, match="raw has non-finite"):
        naive_reconstruct(bad, np.ones((8, 8)))
    with pytest.raises(InvalidArgumentError, match="not a Bayer pattern"):
        naive_reconstruct(raw, np.ones((8, 8)), "RGBG")
    with pytest.raises(InvalidArgumentError, match="expected T×H×W"):
        naive_reconstruct(np.ones((1, 2, 8, 8)), np.ones((8, 8)))
