"""Image sequences as VapourSynth clips: ``image_source`` and ``write_images``."""

import numpy as np
import pytest
import vapoursynth as vs
from vs_support import gray_clip

from vs_vhdr.io.exr import read_exr, write_exr
from vs_vhdr.vapoursynth import image_source, write_images


def planes(frame: vs.VideoFrame) -> np.ndarray:
    stacked = np.stack([np.asarray(frame[p]) for p in range(frame.format.num_planes)], axis=-1)
    return stacked[..., 0] if stacked.shape[-1] == 1 else stacked


def test_source_reads_mono_and_rgb_sequences(tmp_path):
    rng = np.random.default_rng(1)
    mono = rng.random((3, 6, 10), dtype=np.float32) * 4
    rgb = rng.random((2, 6, 10, 3), dtype=np.float32)
    for i in range(3):
        write_exr(tmp_path / f"raw.{i + 10:04d}.exr", mono[i])
    for i in range(2):
        write_exr(tmp_path / f"gt.{i:04d}.exr", rgb[i])
    raw = image_source(tmp_path / "raw.%04d.exr", fpsnum=30)
    assert (raw.format.id, raw.width, raw.height, raw.num_frames) == (vs.GRAYS, 10, 6, 3)
    assert raw.fps == 30
    for n in (2, 0, 1):
        frame = raw.get_frame(n)
        assert np.array_equal(planes(frame), mono[n])
        assert frame.props["vhdr_Source"] == str(tmp_path / f"raw.{n + 10:04d}.exr")
    colour = image_source(str(tmp_path / "gt.####.exr"))
    assert colour.format.id == vs.RGBS
    assert np.array_equal(planes(colour.get_frame(1)), rgb[1])


def test_source_refuses_gaps_missing_files_and_size_changes(tmp_path):
    for i in (0, 1, 3):
        write_exr(tmp_path / f"raw.{i:04d}.exr", np.zeros((4, 4), np.float32))
    with pytest.raises(vs.Error, match=r"^image_source: pattern .* lacks frame\(s\) \[2\]"):
        image_source(tmp_path / "raw.%04d.exr")
    with pytest.raises(vs.Error, match=r"^image_source: expand: pattern .* matches no file"):
        image_source(tmp_path / "none.%04d.exr")
    write_exr(tmp_path / "raw.0002.exr", np.zeros((4, 6), np.float32))
    clip = image_source(tmp_path / "raw.%04d.exr")
    with pytest.raises(
        vs.Error, match=r"image_source: frame 2: .* has shape \(4, 6\); expected \(4, 4\)"
    ):
        clip.get_frame(2)


def test_writer_writes_rendered_frames_and_protects_existing_files(tmp_path):
    data = np.random.default_rng(2).random((3, 5, 7), dtype=np.float32)
    pattern = str(tmp_path / "out" / "y.%04d.exr")
    written = write_images(gray_clip(data), pattern, start=1)
    for n in range(3):
        assert np.array_equal(planes(written.get_frame(n)), data[n])
        assert np.array_equal(read_exr(tmp_path / "out" / f"y.{n + 1:04d}.exr"), data[n])
    with pytest.raises(
        vs.Error, match=r"^write_images: .*y\.0001\.exr and 2 more exist; pass force"
    ):
        write_images(gray_clip(data), pattern, start=1)
    replaced = write_images(gray_clip(data[::-1].copy()), pattern, start=1, force=True, half=True)
    replaced.get_frame(0)
    assert np.array_equal(read_exr(tmp_path / "out" / "y.0001.exr"), data[2].astype(np.float16))


def test_writer_refuses_other_formats_and_patterns(tmp_path):
    yuv = vs.core.std.BlankClip(format=vs.YUV420P8, length=1)
    with pytest.raises(
        vs.Error, match=r"^write_images: clip has format YUV420P8; expected GRAYS or RGBS"
    ):
        write_images(yuv, tmp_path / "a.%04d.exr")
    with pytest.raises(
        vs.Error, match=r"^write_images: format_frame: pattern=.* has no frame field"
    ):
        write_images(gray_clip(np.zeros((1, 2, 2), np.float32)), tmp_path / "a.exr")
