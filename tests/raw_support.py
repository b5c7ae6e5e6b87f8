"""DNG files made with tifffile directly (not with our writer), for the raw reader's tests.

They cover what cameras write and our writer does not: a preview in IFD0 with the raw image in a
SubIFD, ISO and exposure time in an EXIF IFD, non-Bayer CFA layouts, linear (demosaiced) DNGs.
"""

import struct
from pathlib import Path

import numpy as np
import tifffile

XTRANS = bytes([1, 1, 0, 1, 1, 2, 1, 1, 2, 1, 1, 0, 2, 0, 1, 0, 2, 1] * 2)
"""A 6×6 X-Trans-like pattern (plane colours 0=R, 1=G, 2=B)."""
QUAD_BAYER = bytes([0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 2, 2, 1, 1, 2, 2])
"""A 4×4 quad Bayer pattern."""
_MATRIX = [(10000, 10000), (0, 10000), (0, 10000), (0, 10000), (10000, 10000)]
_MATRIX += [(0, 10000), (0, 10000), (0, 10000), (10000, 10000)]
_EXIF_TAG = 34665
_PLACEHOLDER = 34666  # tifffile refuses to write 34665 itself; its entry is renamed afterwards


def camera_dng(
    path: Path,
    data: np.ndarray,
    *,
    cfa: bytes = bytes([0, 1, 1, 2]),
    cfa_dims: tuple[int, int] = (2, 2),
    photometric: int = 32803,
    black: tuple[int, ...] = (64, 64, 64, 64),
    white: int = 1023,
    make: str = "Acme",
    model: str = "Coded One",
    serial: str = "0042",
    iso: int = 400,
    exposure: tuple[int, int] = (1, 50),
    frame_rate: tuple[int, int] = (25, 1),
) -> Path:
    """A DNG laid out as cameras write it: RGB preview in IFD0, raw image ``data`` in a SubIFD,
    ISO and exposure time in the EXIF IFD."""
    ifd0 = [
        (254, 4, 1, 1, True),  # a reduced-resolution preview
        (271, 2, None, make, True),
        (272, 2, None, model, True),
        (_PLACEHOLDER, 4, 1, 0, True),  # becomes the EXIF IFD pointer
        (50706, 1, 4, bytes([1, 4, 0, 0]), True),
        (50708, 2, None, f"{make} {model}", True),
        (50721, 10, 9, _MATRIX, True),
        (50778, 3, 1, 21, True),
        (50735, 2, None, serial, True),
        (51044, 10, 1, [frame_rate], True),
    ]
    raw = [
        (254, 4, 1, 0, True),
        (33421, 3, 2, cfa_dims, True),
        (33422, 1, len(cfa), cfa, True),
        (50713, 3, 2, (2, 2), True),
        (50714, 4, len(black), black, True),
        (50717, 4, 1, white, True),
    ]
    with tifffile.TiffWriter(path, byteorder="<") as tiff:
        preview = np.zeros((8, 8, 3), np.uint8)
        tiff.write(preview, photometric="rgb", subifds=1, extratags=ifd0, metadata=None)
        tiff.write(data, photometric=photometric, extratags=raw, metadata=None)
    _append_exif(path, iso, exposure)
    return path


def _append_exif(path: Path, iso: int, exposure: tuple[int, int]) -> None:
    """Append an EXIF IFD (ExposureTime, ISOSpeedRatings) and point IFD0's ExifIFD tag at it."""
    with tifffile.TiffFile(path) as tif:
        pointer = tif.pages.first.tags[_PLACEHOLDER].valueoffset
    with open(path, "r+b") as handle:
        handle.seek(0, 2)
        start = handle.tell() + (handle.tell() % 2)
        rational_at = start + 2 + 2 * 12 + 4
        ifd = struct.pack("<H", 2)
        ifd += struct.pack("<HHII", 33434, 5, 1, rational_at)  # ExposureTime, RATIONAL
        ifd += struct.pack("<HHIHH", 34855, 3, 1, iso, 0)  # ISOSpeedRatings, SHORT
        ifd += struct.pack("<I", 0) + struct.pack("<II", *exposure)
        handle.write(b"\0" * (start - handle.tell()) + ifd)
        handle.seek(pointer - 8)  # the entry: code, type, count, value
        handle.write(struct.pack("<HHII", _EXIF_TAG, 4, 1, start))
