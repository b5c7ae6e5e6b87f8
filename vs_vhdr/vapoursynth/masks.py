"""The mask of a ``vhdr.Reconstruct`` call: from a clip, an image file or a camera calibration.

Exactly one source is given. A one-frame clip or a file gives a static ``H×W`` mask (read once,
when the filter is made); a clip as long as the raw clip gives one mask per frame. A camera name
(or calibration ``.json`` path) is resolved through the plugins (``vs_vhdr.plugins.get_host``) and
also brings the calibration's CFA, raw black/white levels and colour primaries.
"""

import os
from dataclasses import dataclass

import numpy as np
import vapoursynth as vs

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.images import read_image
from vs_vhdr.plugins import get_host
from vs_vhdr.vapoursynth.frames import check_constant, describe, plane_to_array

UNSPECIFIED_PRIMARIES = 2
"""ITU-T H.273 ``_Primaries`` value meaning "unspecified"."""


@dataclass(frozen=True)
class MaskSource:
    """Where the masks come from, and what a camera calibration adds.

    Attributes:
        static: one ``H×W`` float32 mask for every frame, or None.
        clip: a ``GRAYS`` mask clip with a frame per raw frame, or None.
        primaries: ``_Primaries`` of the output frames.
        cfa: the calibration's Bayer pattern, or None.
        levels: the calibration's raw ``(black, white)`` levels, or None.
        colour: the camera's colour from a camera plugin or the calibration, or None.
    """

    static: np.ndarray | None
    clip: vs.VideoNode | None = None
    primaries: int = UNSPECIFIED_PRIMARIES
    cfa: str | None = None
    levels: tuple[float, float] | None = None
    colour: DngColour | None = None


def mask_source(raw: vs.VideoNode, mask: object, mask_file: object, camera: object) -> MaskSource:
    """The mask source of a raw clip; exactly one of ``mask``, ``mask_file``, ``camera``."""
    sources = (("mask", mask), ("mask_file", mask_file), ("camera", camera))
    given = [name for name, value in sources if value is not None]
    if len(given) != 1:
        raise InvalidArgumentError(
            "expected exactly one mask source (mask, mask_file or camera); "
            f"got {', '.join(given) if given else 'none'}"
        )
    if mask is not None:
        return _from_clip(raw, mask)
    if mask_file is not None:
        return MaskSource(_from_file(raw, mask_file))
    return _from_camera(raw, camera)


def _from_clip(raw: vs.VideoNode, mask: object) -> MaskSource:
    node = check_constant(mask, "mask")
    if node.format.id != vs.PresetVideoFormat.GRAYS:
        raise InvalidArgumentError(
            f"mask has format {node.format.name}; expected GRAYS transmittance"
        )
    if (node.width, node.height) != (raw.width, raw.height):
        raise InvalidArgumentError(
            f"mask is {node.width}x{node.height}; expected the clip's size {raw.width}x{raw.height}"
        )
    if node.num_frames == 1:
        return MaskSource(plane_to_array(node.get_frame(0)))
    if node.num_frames != raw.num_frames:
        raise InvalidArgumentError(
            f"mask has {node.num_frames} frames; expected 1 or the clip's {raw.num_frames} "
            f"({describe(raw)})"
        )
    return MaskSource(None, node)


def _from_file(raw: vs.VideoNode, mask_file: object) -> np.ndarray:
    if not isinstance(mask_file, str | os.PathLike):
        raise InvalidArgumentError(f"mask_file={mask_file!r}; expected a file path")
    image = read_image(mask_file)
    shown = os.fspath(mask_file)
    if image.ndim != 2:
        raise InvalidArgumentError(
            f"mask_file={shown!r} has {image.shape[-1]} channels; expected one (Y)"
        )
    if image.shape != (raw.height, raw.width):
        raise InvalidArgumentError(
            f"mask_file={shown!r} is {image.shape[1]}x{image.shape[0]}; expected the clip's "
            f"size {raw.width}x{raw.height}"
        )
    return image


def _from_camera(raw: vs.VideoNode, camera: object) -> MaskSource:
    """A calibration name or path, or a ``CameraId`` read from the clip's frame props."""
    if not isinstance(camera, str | CameraId):
        raise InvalidArgumentError(
            f"camera={camera!r}; expected a calibration name or calibration .json path"
        )
    calibration = get_host().calibration(camera)
    where = f"camera={camera!r}" if isinstance(camera, str) else f"camera {camera.describe()}"
    return MaskSource(
        calibration.mask_for(raw.height, raw.width, where=where),
        primaries=calibration.primaries,
        cfa=calibration.cfa,
        levels=(calibration.black_level, calibration.white_level),
        colour=get_host().camera_colour(camera, calibration),
    )
