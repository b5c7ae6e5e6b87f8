"""EXR / image I/O and frame patterns against independent readers and on bad input."""

import os
from pathlib import Path

import numpy as np
import OpenEXR
import OpenImageIO
import pytest

from vs_vhdr.errors import NoMatchingFilesError, OutputExistsError, UnreadableFileError
from vs_vhdr.io.exr import read_exr, read_exr_channels, write_exr
from vs_vhdr.io.images import read_image, write_image
from vs_vhdr.io.sequence import expand, format_frame, missing_frames


def _hdr_image(shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (rng.random(shape, dtype=np.float32) * 1000.0).astype(np.float32)


@pytest.mark.parametrize("half", [False, True])
def test_exr_round_trip_and_openimageio_reads_same_pixels(tmp_path: Path, half: bool) -> None:
    image = _hdr_image((6, 7, 3))
    stored = image.astype(np.float16).astype(np.float32) if half else image
    write_exr(tmp_path / "a.exr", image, half=half)
    np.testing.assert_array_equal(read_exr(tmp_path / "a.exr"), stored)
    other = OpenImageIO.ImageBuf(str(tmp_path / "a.exr"))  # an independent EXR reader
    assert other.spec().channelnames == ("R", "G", "B")
    np.testing.assert_array_equal(other.get_pixels(OpenImageIO.FLOAT), stored)


def test_exr_half_and_single_channel(tmp_path: Path) -> None:
    mono = _hdr_image((5, 4))
    write_exr(tmp_path / "y.exr", mono, half=True, compression="piz")
    channels, header = read_exr_channels(tmp_path / "y.exr")
    assert list(channels) == ["Y"]
    assert header["compression"] == OpenEXR.PIZ_COMPRESSION
    np.testing.assert_array_equal(
        read_exr(tmp_path / "y.exr"), mono.astype(np.float16).astype(np.float32)
    )
    assert len(header["chromaticities"]) == 8


def test_exr_layer_prefixed_lowercase_channels_are_read(tmp_path: Path) -> None:
    image = _hdr_image((3, 3, 3))
    channels = {f"beauty.{c}": image[..., i].copy() for i, c in enumerate("rgb")}
    OpenEXR.File(
        {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}, channels
    ).write(str(tmp_path / "l.exr"))
    np.testing.assert_array_equal(read_exr(tmp_path / "l.exr"), image)


def test_truncated_exr_is_a_clear_error(tmp_path: Path) -> None:
    write_exr(tmp_path / "a.exr", _hdr_image((8, 8, 3)))
    (tmp_path / "b.exr").write_bytes((tmp_path / "a.exr").read_bytes()[:100])
    with pytest.raises(UnreadableFileError, match="b.exr"):
        read_exr(tmp_path / "b.exr")


def test_no_overwrite_without_force_and_no_temp_left(tmp_path: Path) -> None:
    write_exr(tmp_path / "a.exr", _hdr_image((2, 2, 3)))
    with pytest.raises(OutputExistsError):
        write_exr(tmp_path / "a.exr", _hdr_image((2, 2, 3)), force=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.exr"]


def test_atomic_outputs_get_the_usual_file_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_exr(tmp_path / "a.exr", _hdr_image((2, 2, 3)))
    finally:
        os.umask(previous)
    assert (tmp_path / "a.exr").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("suffix", [".npy", ".hdr", ".png"])
def test_other_formats_round_trip(tmp_path: Path, suffix: str) -> None:
    image = np.random.default_rng(2).random((4, 6, 3), dtype=np.float32)
    write_image(tmp_path / f"x{suffix}", image)
    back = read_image(tmp_path / f"x{suffix}")
    tolerance = {".npy": 0.0, ".hdr": 0.02, ".png": 1 / 65535}[suffix]
    np.testing.assert_allclose(back, image, atol=tolerance, rtol=tolerance)


def test_patterns_keep_frame_numbers(tmp_path: Path) -> None:
    for n in (101, 102, 104):
        (tmp_path / f"raw.{n:04d}.exr").write_bytes(b"")
    printf = expand(str(tmp_path / "raw.%04d.exr"))
    hashes = expand(str(tmp_path / "raw.####.exr"))
    globbed = expand(str(tmp_path / "raw.*.exr"))
    assert (
        [n for n, _ in printf]
        == [n for n, _ in hashes]
        == [n for n, _ in globbed]
        == [101, 102, 104]
    )
    assert missing_frames(printf) == [103]
    assert format_frame("a/raw.####.exr", 7) == "a/raw.0007.exr"
    assert format_frame("a/raw.%06d.exr", 7) == "a/raw.000007.exr"


def test_pattern_that_matches_nothing(tmp_path: Path) -> None:
    with pytest.raises(NoMatchingFilesError, match="matches no file"):
        expand(str(tmp_path / "none.%04d.exr"))
