"""Read and write single images by extension: ``.exr``, ``.hdr`` (Radiance), ``.npy``, ``.png``.

Every reader returns ``float32``: RGB as ``H×W×3``, one channel as ``H×W``. 16-bit PNG is scaled
to [0, 1] (used for masks). Writers are atomic.
"""

import os
from pathlib import Path

import cv2
import numpy as np

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.io.atomic import atomic_path
from vs_vhdr.io.exr import read_exr, write_exr

READABLE = (".exr", ".hdr", ".npy", ".png", ".tif", ".tiff")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one image as ``float32`` (``H×W×3`` or ``H×W``); the format follows the extension."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".exr":
        return read_exr(p)
    if not p.is_file():
        raise UnreadableFileError(f"read_image: {p} does not exist or is not a file")
    if suffix == ".npy":
        try:
            array = np.load(p, allow_pickle=False)
        except (ValueError, OSError) as error:
            raise UnreadableFileError(
                f"read_image: {p} is not a readable .npy file ({error})"
            ) from error
        return np.asarray(array, dtype=np.float32)
    if suffix in (".hdr", ".png", ".tif", ".tiff"):
        flags = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR if suffix == ".hdr" else cv2.IMREAD_UNCHANGED
        data = cv2.imread(str(p), flags)
        if data is None:
            raise UnreadableFileError(f"read_image: OpenCV cannot read {p}")
        return _from_opencv(data)
    raise UnreadableFileError(
        f"read_image: {p} has extension {suffix!r}; expected one of {', '.join(READABLE)}"
    )


def write_image(path: str | os.PathLike[str], image: np.ndarray, *, force: bool = True) -> None:
    """Write ``H×W×3`` or ``H×W`` float data; ``.exr``, ``.hdr``, ``.npy`` or 16-bit ``.png``."""
    p = Path(path)
    suffix = p.suffix.lower()
    array = np.asarray(image, dtype=np.float32)
    if suffix == ".exr":
        write_exr(p, array, force=force)
        return
    with atomic_path(p, force=force) as tmp:
        if suffix == ".npy":
            with open(tmp, "wb") as handle:
                np.save(handle, array)
        elif suffix == ".hdr":
            _imwrite(tmp, _to_opencv(array))
        elif suffix == ".png":
            _imwrite(tmp, _to_opencv(np.round(np.clip(array, 0, 1) * 65535).astype(np.uint16)))
        else:
            raise InvalidArgumentError(
                f"write_image: {p} has extension {suffix!r}; expected .exr, .hdr, .npy, .png"
            )


def _imwrite(path: Path, data: np.ndarray) -> None:
    if not cv2.imwrite(str(path), data):
        raise UnreadableFileError(f"write_image: OpenCV could not write {path}")


def _from_opencv(data: np.ndarray) -> np.ndarray:
    if data.dtype == np.uint16:
        data = data.astype(np.float32) / 65535.0
    elif data.dtype == np.uint8:
        data = data.astype(np.float32) / 255.0
    data = data.astype(np.float32)
    if data.ndim == 3:
        return np.ascontiguousarray(data[..., 2::-1] if data.shape[-1] >= 3 else data[..., 0])
    return data


def _to_opencv(data: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(data[..., ::-1]) if data.ndim == 3 else data
