"""HDR scenes: dynamic range, determinism, exact motion, flicker, panned stills, sequences."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from vs_vhdr.errors import (
    InvalidArgumentError,
    NoMatchingFilesError,
    UnknownNameError,
    UnreadableFileError,
)
from vs_vhdr.imaging.exposure import luminance
from vs_vhdr.io.exr import write_exr
from vs_vhdr.scenes.base import Shot
from vs_vhdr.scenes.panned import PannedShot
from vs_vhdr.scenes.procedural import PRESETS, ProceduralConfig, ProceduralScene
from vs_vhdr.scenes.shots import (
    SequenceShot,
    builtin_map,
    builtin_names,
    builtin_shots,
    fill_negatives,
    open_shot,
)

EXTRA_MAPS = (
    "apartment", "bridge", "city", "dawn", "esplanade", "hall", "lab", "lobby", "park",
    "photo-studio", "sky", "sunset", "warehouse", "woods", "workshop",
)  # fmt: skip


def _warp(previous: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """Bilinear ``previous(p − d)``: frame t−1 moved to frame t (independent of the package)."""
    height, width = previous.shape[:2]
    y = np.clip(np.arange(height)[:, None] - displacement[..., 0], 0, height - 1)
    x = np.clip(np.arange(width)[None, :] - displacement[..., 1], 0, width - 1)
    y0 = np.minimum(np.floor(y).astype(int), height - 2)
    x0 = np.minimum(np.floor(x).astype(int), width - 2)
    fy, fx = (y - y0)[..., None], (x - x0)[..., None]
    p = previous.astype(np.float64)
    top = p[y0, x0] * (1 - fx) + p[y0, x0 + 1] * fx
    bottom = p[y0 + 1, x0] * (1 - fx) + p[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _log_lum(rgb: np.ndarray) -> np.ndarray:
    return np.log(luminance(rgb).astype(np.float64) + 1e-4)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_procedural_scenes_span_at_least_20_stops(preset: str, seed: int) -> None:
    scene = ProceduralScene(ProceduralConfig(preset, height=48, width=64, num_frames=4, seed=seed))
    frames = scene.frames()
    assert frames.shape == (4, 48, 64, 3) and frames.dtype == np.float32
    assert np.isfinite(frames).all() and frames.min() >= 0
    lum = luminance(frames)
    assert np.log2(lum.max() / lum[lum > 0].min()) >= 20


def test_procedural_scenes_are_deterministic() -> None:
    config = ProceduralConfig("mixed", height=32, width=40, num_frames=3, seed=4)
    np.testing.assert_array_equal(
        ProceduralScene(config).frames(), ProceduralScene(config).frames()
    )
    other = ProceduralConfig("mixed", height=32, width=40, num_frames=3, seed=5)
    assert not np.array_equal(ProceduralScene(config).frames(), ProceduralScene(other).frames())


@pytest.mark.parametrize("seed", [0, 3])
def test_whole_pixel_motion_warps_frames_exactly(seed: int) -> None:
    config = ProceduralConfig(
        "mixed", height=64, width=80, num_frames=4, seed=seed, flicker=0.0, integer_motion=True,
        camera_speed=2.0, object_speed=3.0,
    )  # fmt: skip
    scene = ProceduralScene(config)
    frames, motion = scene.frames(), scene.motion()
    assert motion is not None and motion.displacement.shape == (3, 64, 80, 2)
    for i in range(3):
        valid = motion.valid[i]
        assert valid.mean() > 0.6
        assert len(np.unique(motion.displacement[i][valid], axis=0)) >= 2  # camera and objects
        warped = _warp(frames[i], motion.displacement[i])
        np.testing.assert_array_equal(warped[valid].astype(np.float32), frames[i + 1][valid])


def test_subpixel_motion_predicts_the_next_frame() -> None:
    config = ProceduralConfig("day", height=64, width=96, num_frames=3, seed=2, flicker=0.0)
    scene = ProceduralScene(config)
    frames, motion = scene.frames(), scene.motion()
    assert motion is not None
    for i in range(2):
        valid = motion.valid[i]
        moved = np.abs(_log_lum(_warp(frames[i], motion.displacement[i])) - _log_lum(frames[i + 1]))
        still = np.abs(_log_lum(frames[i]) - _log_lum(frames[i + 1]))
        assert np.median(moved[valid]) < 0.25 * np.median(still[valid])


def test_fire_flickers_while_everything_else_stands_still() -> None:
    steady_config = ProceduralConfig(
        "night", height=48, width=64, num_frames=6, seed=1, flicker=0.0, integer_motion=True,
        camera_speed=0.0, object_speed=0.0,
    )  # fmt: skip
    steady = ProceduralScene(steady_config).frames()
    assert (steady == steady[0]).all()
    flickering = ProceduralScene(dataclasses.replace(steady_config, flicker=0.5)).frames()
    change = np.abs(flickering[1:] / np.maximum(flickering[:-1], 1e-9) - 1)
    assert change.max() > 0.05


def test_crops_match_the_full_frame() -> None:
    shots: list[Shot] = [
        ProceduralScene(ProceduralConfig("mixed", height=40, width=48, num_frames=3, seed=6)),
        builtin_shots(height=40, width=48, num_frames=3)[0],
    ]
    for shot in shots:
        full, crop = shot.frames(1, 2), shot.frames(1, 2, crop=(5, 7, 20, 30))
        np.testing.assert_array_equal(crop, full[:, 5:25, 7:37])
        whole, part = shot.motion(1, 2), shot.motion(1, 2, crop=(5, 7, 20, 30))
        assert whole is not None and part is not None
        np.testing.assert_allclose(part.displacement, whole.displacement[:, 5:25, 7:37], atol=1e-5)


def test_panned_motion_is_exact_on_a_linear_image() -> None:
    rows, cols = np.mgrid[0:120, 0:200].astype(np.float64)
    image = np.stack([1 + 0.5 * rows + 0.25 * cols, 2 + 0.1 * rows, 3 + 0.3 * cols], axis=-1)
    shot = PannedShot(image.astype(np.float32), height=64, width=80, num_frames=5, seed=3, zoom=0.3)
    frames, motion = shot.frames(), shot.motion()
    assert motion is not None
    scales = [shot.window(k)[1] for k in range(5)]
    assert max(scales) <= 1.0 and max(scales) - min(scales) > 0.01  # it zooms
    for i in range(4):
        valid = motion.valid[i]
        assert valid.mean() > 0.8
        warped = _warp(frames[i], motion.displacement[i])
        np.testing.assert_allclose(warped[valid], frames[i + 1][valid], rtol=1e-5)
        assert np.abs(frames[i] - frames[i + 1]).max() > 0.5  # it does move


def test_builtin_maps_are_real_hdr_with_known_motion() -> None:
    assert builtin_names() == sorted(("courtyard", "forest", "studio", "sunrise") + EXTRA_MAPS)
    for shot in builtin_shots(height=32, width=48, num_frames=2, seed=1):
        frames = shot.frames()
        assert shot.name.startswith("builtin:")
        assert frames.shape == (2, 32, 48, 3) and frames.min() >= 0 and np.isfinite(frames).all()
        assert shot.motion() is not None
    sunrise = open_shot("builtin:sunrise", height=512, width=1024, num_frames=1).frames()
    lum = luminance(sunrise)
    assert np.log2(lum.max() / lum[lum > 0].min()) > 16  # the sun over a dark foreground


def _write_sequence(folder: Path, count: int, shape: tuple[int, int] = (6, 8)) -> np.ndarray:
    frames = np.random.default_rng(0).random((count, *shape, 3)).astype(np.float32) * 100
    for i, frame in enumerate(frames):
        write_exr(folder / f"shot.{i + 1:04d}.exr", frame)
    return frames


def test_exr_sequence_reads_frames_and_crops(tmp_path: Path) -> None:
    frames = _write_sequence(tmp_path, 4)
    shot = open_shot(str(tmp_path / "shot.%04d.exr"))
    assert isinstance(shot, SequenceShot)
    assert (shot.num_frames, shot.height, shot.width) == (4, 6, 8)
    np.testing.assert_array_equal(shot.frames(), frames)
    np.testing.assert_array_equal(shot.frames(1, 2, crop=(1, 2, 3, 4)), frames[1:3, 1:4, 2:6])
    assert shot.motion() is None
    assert isinstance(open_shot(str(tmp_path / "shot.0001.exr")), PannedShot)  # a still


def test_exr_sequence_errors(tmp_path: Path) -> None:
    _write_sequence(tmp_path, 3)
    (tmp_path / "shot.0002.exr").unlink()
    with pytest.raises(InvalidArgumentError, match=r"frames \[2\] are missing"):
        SequenceShot(str(tmp_path / "shot.####.exr"))
    with pytest.raises(NoMatchingFilesError, match="matches no file"):
        SequenceShot(str(tmp_path / "none.%04d.exr"))
    write_exr(tmp_path / "shot.0002.exr", np.zeros((5, 8, 3), np.float32))
    with pytest.raises(UnreadableFileError, match="expected 6×8"):
        SequenceShot(str(tmp_path / "shot.%04d.exr")).frames()
    write_exr(tmp_path / "shot.0002.exr", np.full((6, 8, 3), np.nan, np.float32))
    with pytest.raises(InvalidArgumentError, match="NaN/Inf"):
        SequenceShot(str(tmp_path / "shot.%04d.exr")).frames(1, 1)
    write_exr(tmp_path / "shot.0002.exr", np.full((6, 8, 3), -5.0, np.float32))
    with pytest.raises(InvalidArgumentError, match="negative values"):
        SequenceShot(str(tmp_path / "shot.%04d.exr")).frames(1, 1)


@pytest.mark.parametrize("name", EXTRA_MAPS)
def test_extra_maps_give_default_256_crops_as_tall_as_the_map(name: str) -> None:
    image = builtin_map(name)
    assert image.shape == (256, 512, 3) and image.min() >= 0 and not image.flags.writeable
    shot = open_shot(f"builtin:{name}", num_frames=4, seed=2)  # default 256×256
    assert isinstance(shot, PannedShot) and (shot.height, shot.width) == (256, 256)
    frames, motion = shot.frames(), shot.motion()
    assert frames.shape == (4, 256, 256, 3) and np.isfinite(frames).all() and frames.min() >= 0
    assert motion is not None and motion.valid.mean() > 0.9
    scales = [shot.window(k)[1] for k in range(4)]
    assert 0.85 <= min(scales) and max(scales) <= 1.0  # magnified at most ~10 %, never minified
    for i in range(3):  # the known motion explains the next frame
        valid = motion.valid[i]
        warped = _warp(frames[i], motion.displacement[i])
        lum, ref = luminance(warped)[valid], luminance(frames[i + 1])[valid]
        assert np.median(np.abs(lum - ref) / (ref + 1e-3)) < 0.05


def test_larger_frames_than_a_map_magnify_it() -> None:
    shot = open_shot("builtin:city", height=300, width=600, num_frames=2)
    assert isinstance(shot, PannedShot) and shot.frames().shape == (2, 300, 600, 3)
    assert max(shot.window(k)[1] for k in range(2)) <= 255 / 299


def test_codec_negatives_are_filled_from_their_neighbours() -> None:
    image = np.full((9, 9, 3), 4.0, np.float32)
    image[4, 4, 0] = -2.0  # ringing next to a light
    image[4, 5, 0] = 8.0
    filled = fill_negatives(image)
    assert filled.min() >= 0 and filled[4, 4, 0] == pytest.approx((23 * 4.0 + 8.0) / 24)
    untouched = image >= 0
    np.testing.assert_array_equal(filled[untouched], image[untouched])
    lonely = np.full((3, 3, 1), -1.0, np.float32)
    assert (fill_negatives(lonely) == 0).all()


def test_tiny_negatives_of_lossy_codecs_are_clamped() -> None:
    image = np.full((8, 8, 3), 10.0, np.float32)
    image[0, 0] = -0.001  # well under 1e-3 × max
    shot = PannedShot(image, height=4, width=4, num_frames=1)
    assert shot.image.min() == 0.0


def test_names_and_windows_are_checked() -> None:
    with pytest.raises(UnknownNameError, match="'dusk'.*mixed, day, night"):
        open_shot("procedural:dusk")
    with pytest.raises(UnknownNameError, match="'moon'.*courtyard"):
        open_shot("builtin:moon")
    scene = open_shot("procedural:day", height=16, width=16, num_frames=4)
    with pytest.raises(InvalidArgumentError, match="start=3 count=2"):
        scene.frames(3, 2)
    with pytest.raises(InvalidArgumentError, match=r"crop=\(10, 0, 8, 8\)"):
        scene.frames(0, 1, crop=(10, 0, 8, 8))
