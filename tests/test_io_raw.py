"""Raw files in and out: our DNG writer, read back through the real decoder (LibRaw via rawpy)."""

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import tifffile
from raw_support import QUAD_BAYER, XTRANS, camera_dng

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.errors import (
    InvalidArgumentError,
    NoMatchingFilesError,
    OutputExistsError,
    UnreadableFileError,
)
from vs_vhdr.imaging.capture import CaptureSettings, capture
from vs_vhdr.imaging.cfa import CFA_PATTERNS, mosaic_np
from vs_vhdr.io.dng import write_dng
from vs_vhdr.io.exr import write_exr
from vs_vhdr.io.raw import RawMetadata, read_raw
from vs_vhdr.io.raw_sequence import open_raw_input, open_raw_sequence, raw_frames

META = RawMetadata("Acme", "Coded One", "A-17", 800.0, 1 / 48, Fraction(24000, 1001))


def _frames(count: int = 3, cfa: str = "RGGB", bits: int = 12) -> np.ndarray:
    """Simulated coded raw frames (default noise), ``count×24×30``, quantised to ``bits``."""
    rng = np.random.default_rng(3)
    hdr = (rng.random((count, 24, 30, 3)) ** 4 * 40).astype(np.float32)
    mask = rng.uniform(0.05, 1.0, (24, 30)).astype(np.float32)
    raw, _ = capture(hdr, mask, CaptureSettings(cfa=cfa, bits=bits, exposure=1.0))
    return raw


@pytest.mark.parametrize("bits", [10, 12, 14])
def test_simulator_frames_through_dng_and_libraw_come_back_exactly(tmp_path, bits):
    raw = _frames(bits=bits)
    assert raw.max() == 1.0 and len(np.unique(raw)) > 300  # many levels, clipped highlights
    for i, frame in enumerate(raw):
        write_dng(tmp_path / f"f{i}.dng", frame, bits=bits, black_level=256, metadata=META)
    for i, frame in enumerate(raw):
        mosaic, info = read_raw(tmp_path / f"f{i}.dng")
        assert (info.black_levels, info.white_level) == ((256.0,) * 4, 256.0 + 2**bits - 1)
        np.testing.assert_allclose(mosaic, frame, rtol=0, atol=1e-6)  # exact but for float32


def test_per_position_black_levels_round_trip_within_half_a_step(tmp_path):
    frame = _frames(1)[0]
    black, white = (200, 210, 220, 230), 4095
    write_dng(tmp_path / "b.dng", frame, black_level=black, white_level=white)
    mosaic, info = read_raw(tmp_path / "b.dng")
    assert info.black_levels == tuple(float(b) for b in black)
    assert info.white_level == white
    np.testing.assert_allclose(mosaic, frame, rtol=0, atol=0.5 / (white - max(black)) + 1e-6)
    assert not np.allclose(mosaic[0::2, 0::2], frame[0::2, 0::2], atol=1e-7)  # really rescaled


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_cfa_and_levels_are_read_from_the_file_for_every_bayer_layout(tmp_path, cfa):
    colour = np.broadcast_to(np.array([0.2, 0.5, 0.8], np.float32), (24, 26, 3))
    frame = mosaic_np(np.ascontiguousarray(colour), cfa)
    black = (64, 65, 66, 67)
    write_dng(tmp_path / "c.dng", frame, cfa=cfa, bits=10, black_level=black, white_level=1023)
    mosaic, info = read_raw(tmp_path / "c.dng")
    assert info.cfa == cfa
    assert info.black_levels == (64.0, 65.0, 66.0, 67.0)
    assert info.white_level == 1023.0
    expected = {"R": 0.2, "G": 0.5, "B": 0.8}
    for position, letter in enumerate(cfa):
        values = mosaic[position // 2 :: 2, position % 2 :: 2]
        np.testing.assert_allclose(values, expected[letter], atol=0.5 / (1023 - 67) + 1e-6)


def test_metadata_round_trip_and_camera_identity(tmp_path):
    write_dng(tmp_path / "m.dng", _frames(1)[0], metadata=META)
    _, info = read_raw(tmp_path / "m.dng")
    assert info.metadata == META
    assert info.file_format == "DNG"
    camera = CameraId.from_metadata(info.metadata.attributes())
    assert (camera.make, camera.model, camera.serial) == ("Acme", "Coded One", "A-17")
    with tifffile.TiffFile(tmp_path / "m.dng") as tif:  # an independent reader sees a DNG
        page = tif.pages.first
        assert page.is_dng and page.photometric == 32803
        assert page.tags["UniqueCameraModel"].value == "Acme Coded One"
        assert page.tags["CameraSerialNumber"].value == "A-17"


def test_camera_layout_dng_raw_in_subifd_with_exif(tmp_path):
    data = np.random.default_rng(0).integers(64, 1024, (24, 28)).astype(np.uint16)
    path = camera_dng(tmp_path / "cam.dng", data, cfa=bytes([1, 0, 2, 1]), black=(64, 60, 62, 66))
    mosaic, info = read_raw(path)
    assert info.cfa == "GRBG"
    assert info.black_levels == (64.0, 60.0, 62.0, 66.0)
    assert info.metadata == RawMetadata("Acme", "Coded One", "0042", 400.0, 0.02, Fraction(25))
    expected = np.clip((data[0, 1] - 60) / (1023 - 60), 0, 1)
    assert mosaic[0, 1] == pytest.approx(expected, abs=1e-6)
    assert mosaic.min() == 0.0  # values below black clip to 0


def test_level_overrides(tmp_path):
    write_dng(tmp_path / "o.dng", np.full((24, 24), 0.5, np.float32), black_level=100)
    mosaic, info = read_raw(tmp_path / "o.dng", black_level=0, white_level=8190)
    assert info.black_levels == (0.0,) * 4 and info.white_level == 8190.0
    np.testing.assert_allclose(mosaic, (100 + round(0.5 * 4095)) / 8190, atol=1e-6)
    with pytest.raises(InvalidArgumentError, match="white_level"):
        read_raw(tmp_path / "o.dng", white_level=50)
    with pytest.raises(InvalidArgumentError, match="black_level"):
        read_raw(tmp_path / "o.dng", black_level=(1, 2))
    with pytest.raises(InvalidArgumentError, match="black_level"):
        read_raw(tmp_path / "o.dng", black_level="dark")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cfa": XTRANS, "cfa_dims": (6, 6)}, r"6×6 CFA \(X-Trans\)"),
        ({"cfa": QUAD_BAYER, "cfa_dims": (4, 4)}, r"4×4 CFA \(quad Bayer\)"),
        ({"photometric": 34892}, "linear DNG"),
        ({"photometric": 1}, "PhotometricInterpretation 1"),
        ({"cfa": bytes([0, 1, 1, 1])}, "CFA pattern 'RGGG'"),
    ],
)
def test_unsupported_dngs_are_refused_naming_the_file(tmp_path, kwargs, message):
    shape = (24, 24, 3) if kwargs.get("photometric") == 34892 else (24, 24)
    path = camera_dng(tmp_path / "bad.dng", np.zeros(shape, np.uint16), **kwargs)
    with pytest.raises(UnreadableFileError, match=message) as error:
        read_raw(path)
    assert "bad.dng" in str(error.value)


def test_non_raw_and_missing_files_are_refused(tmp_path):
    write_exr(tmp_path / "a.exr", np.zeros((24, 24), np.float32))
    (tmp_path / "text.dng").write_text("not a raw file")
    for path in (tmp_path / "a.exr", tmp_path / "text.dng"):
        with pytest.raises(UnreadableFileError, match=f"LibRaw cannot decode .*{path.name}"):
            read_raw(path)
    with pytest.raises(UnreadableFileError, match="does not exist"):
        read_raw(tmp_path / "none.dng")


def test_writer_refuses_bad_input_and_existing_files(tmp_path):
    frame = np.zeros((24, 24), np.float32)
    write_dng(tmp_path / "w.dng", frame)
    with pytest.raises(OutputExistsError):
        write_dng(tmp_path / "w.dng", frame)
    write_dng(tmp_path / "w.dng", frame + 1, force=True)
    assert read_raw(tmp_path / "w.dng")[0].min() == 1.0
    bad = [
        ({"mosaic": np.zeros((8, 8), np.float32)}, "H, W >= 22"),
        ({"mosaic": frame + 2}, r"expected normalised raw in \[0, 1\]"),
        ({"mosaic": frame, "white_level": 10, "black_level": 20}, "white_level=10"),
        ({"mosaic": frame, "cfa": "RGBG"}, "not a Bayer pattern"),
        ({"mosaic": frame, "metadata": RawMetadata(make="Ärri")}, "not 7-bit ASCII"),
    ]
    for kwargs, message in bad:
        with pytest.raises(InvalidArgumentError, match=message):
            write_dng(tmp_path / "x.dng", **kwargs)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.dng"]  # nothing half-written


def _sequence(folder: Path, numbers: list[int], **kwargs) -> list[Path]:
    folder.mkdir(exist_ok=True)
    frame = np.full((24, 24), 0.25, np.float32)
    paths = [folder / f"A001_{n:06d}.dng" for n in numbers]
    for path in paths:
        write_dng(path, frame, metadata=kwargs.get("metadata", META))
    return paths


def test_sequences_by_pattern_folder_and_file_list_keep_frame_numbers(tmp_path):
    paths = _sequence(tmp_path / "shot", [101, 102, 103])
    (tmp_path / "shot" / "audio.wav").write_bytes(b"RIFF")  # CinemaDNG folders hold audio
    for inputs in (
        str(tmp_path / "shot/A001_%06d.dng"),
        tmp_path / "shot",
        [str(p) for p in paths],
    ):
        sequence = open_raw_sequence(inputs)
        assert sequence.numbers == [101, 102, 103]
        assert sequence.cfa == "RGGB" and sequence.metadata.frame_rate == Fraction(24000, 1001)
        np.testing.assert_allclose(sequence.read(2), round(0.25 * 4095) / 4095, atol=1e-6)
    write_exr(tmp_path / "e.0001.exr", np.zeros((4, 4), np.float32))
    assert open_raw_input(str(tmp_path / "e.%04d.exr")) is None  # not raw: other readers apply


def test_missing_frames_are_reported_not_skipped(tmp_path):
    _sequence(tmp_path / "gap", [1, 2, 4, 7])
    with pytest.raises(InvalidArgumentError, match=r"3 frame\(s\) missing .*number\(s\) 3, 5, 6"):
        open_raw_sequence(str(tmp_path / "gap/A001_######.dng"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoMatchingFilesError, match="empty holds no raw file"):
        raw_frames(tmp_path / "empty")


def test_mixed_cameras_and_sizes_are_refused_naming_the_file(tmp_path):
    paths = _sequence(tmp_path / "mix", [1, 2, 3])
    write_dng(
        paths[1], np.zeros((24, 24), np.float32), metadata=RawMetadata("Acme", "Other"), force=True
    )
    with pytest.raises(InvalidArgumentError, match="A001_000002.dng comes from Acme Other"):
        open_raw_sequence(tmp_path / "mix")
    write_dng(paths[1], np.zeros((24, 26), np.float32), metadata=META, force=True)
    with pytest.raises(InvalidArgumentError, match="A001_000002.dng is 24×26 RGGB but"):
        open_raw_sequence(tmp_path / "mix")
    write_dng(paths[1], np.zeros((24, 24), np.float32), cfa="BGGR", metadata=META, force=True)
    with pytest.raises(InvalidArgumentError, match="A001_000002.dng is 24×24 BGGR"):
        open_raw_sequence(tmp_path / "mix")
    write_exr(tmp_path / "mix" / "A001_000004.exr", np.zeros((24, 24), np.float32))
    with pytest.raises(InvalidArgumentError, match="A001_000004.exr is not a camera raw file"):
        open_raw_sequence(str(tmp_path / "mix" / "A001_*"))
