"""OpenEXR files through the ``OpenEXR`` package (3.3+ API).

Pixels are numpy ``float32`` (or ``float16`` when asked): RGB as ``H×W×3``, one channel as ``H×W``.
Readers accept the channel names common tools write: ``R,G,B`` (any case), layer-prefixed
``name.R``, a single ``Y`` / ``L`` / ``Z`` / ``A`` or any lone channel. Writers are atomic and
always set the chromaticities attribute (Rec. 709 primaries and D65 unless told otherwise).
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.io.atomic import atomic_path

REC709_CHROMATICITIES: tuple[float, ...] = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)
"""CIE xy of the R, G, B primaries and white point (Rec. 709 / sRGB, D65)."""

COMPRESSIONS = {
    "none": OpenEXR.NO_COMPRESSION,
    "zip": OpenEXR.ZIP_COMPRESSION,
    "zips": OpenEXR.ZIPS_COMPRESSION,
    "piz": OpenEXR.PIZ_COMPRESSION,
    "rle": OpenEXR.RLE_COMPRESSION,
    "pxr24": OpenEXR.PXR24_COMPRESSION,
    "dwaa": OpenEXR.DWAA_COMPRESSION,
}


def read_exr_channels(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """All channels of the first part as ``float32`` ``H×W`` arrays, and the header."""
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"read_exr: {p} does not exist or is not a file")
    try:
        with OpenEXR.File(str(p), separate_channels=True) as exr:
            header = dict(exr.header())
            channels = {
                name: np.asarray(ch.pixels, dtype=np.float32) for name, ch in exr.channels().items()
            }
    except (RuntimeError, OSError, ValueError) as error:
        raise UnreadableFileError(
            f"read_exr: {p} is not a readable OpenEXR file ({error})"
        ) from error
    if not channels:
        raise UnreadableFileError(f"read_exr: {p} has no channels")
    return channels, header


def read_exr(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an EXR as ``H×W×3`` RGB or ``H×W`` single channel (``float32``)."""
    channels, _ = read_exr_channels(path)
    rgb = _find_rgb(channels)
    if rgb is not None:
        return np.stack(rgb, axis=-1)
    return _find_single(channels, path)


def read_exr_rgb(path: str | os.PathLike[str]) -> np.ndarray:
    """Read RGB (``H×W×3``); a single-channel file is repeated into three channels."""
    image = read_exr(path)
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=-1)


def read_exr_mono(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one channel (``H×W``): ``Y`` or the lone channel; RGB files are refused."""
    image = read_exr(path)
    if image.ndim != 2:
        raise UnreadableFileError(
            f"read_exr_mono: {path} has RGB channels; expected one channel (Y)"
        )
    return image


def write_exr(
    path: str | os.PathLike[str],
    image: np.ndarray,
    *,
    half: bool = False,
    compression: str = "zip",
    chromaticities: tuple[float, ...] | None = REC709_CHROMATICITIES,
    attributes: Mapping[str, Any] | None = None,
    force: bool = True,
) -> None:
    """Write ``H×W×3`` as R,G,B or ``H×W`` as Y, atomically.

    Args:
        image: finite float data; RGB or single channel.
        half: store 16-bit half floats instead of 32-bit floats.
        compression: one of ``COMPRESSIONS``.
        chromaticities: 8 floats (xy of R, G, B, white); None omits the attribute.
        attributes: extra string/number header attributes (e.g. camera identity).
        force: replace an existing file (False raises ``OutputExistsError``).
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    names: tuple[str, ...]
    if array.ndim == 2:
        names = ("Y",)
        planes = [array]
    elif array.ndim == 3 and array.shape[-1] == 3:
        names = ("R", "G", "B")
        planes = [array[..., i] for i in range(3)]
    else:
        raise InvalidArgumentError(
            f"write_exr: image has shape {array.shape}; expected H×W or H×W×3"
        )
    if compression not in COMPRESSIONS:
        raise InvalidArgumentError(
            f"write_exr: compression={compression!r}; expected one of {', '.join(COMPRESSIONS)}"
        )
    dtype = np.float16 if half else np.float32
    header: dict[str, Any] = {
        "compression": COMPRESSIONS[compression],
        "type": OpenEXR.scanlineimage,
    }
    if chromaticities is not None:
        header["chromaticities"] = tuple(float(c) for c in chromaticities)
    header.update(attributes or {})
    channels = {n: np.ascontiguousarray(p, dtype=dtype) for n, p in zip(names, planes, strict=True)}
    with atomic_path(path, force=force) as tmp:
        OpenEXR.File(header, channels).write(str(tmp))


def _find_rgb(channels: Mapping[str, np.ndarray]) -> list[np.ndarray] | None:
    """R, G, B planes under any case or a single layer prefix, or None."""
    by_suffix: dict[str, dict[str, np.ndarray]] = {}
    for name, plane in channels.items():
        layer, _, last = name.rpartition(".")
        by_suffix.setdefault(layer, {})[last.upper()] = plane
    for layer in sorted(by_suffix, key=lambda n: (n != "", n)):
        planes = by_suffix[layer]
        if {"R", "G", "B"} <= planes.keys():
            return [planes["R"], planes["G"], planes["B"]]
    return None


def _find_single(channels: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> np.ndarray:
    for preferred in ("Y", "L", "Z", "A"):
        for name, plane in channels.items():
            if name.rpartition(".")[2].upper() == preferred:
                return plane
    if len(channels) == 1:
        return next(iter(channels.values()))
    raise UnreadableFileError(
        f"read_exr: {path} has channels {sorted(channels)}; expected R,G,B or a single channel"
    )
