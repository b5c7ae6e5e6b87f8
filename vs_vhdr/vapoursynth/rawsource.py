"""``vhdr.RawSource``: a DNG / CinemaDNG / camera raw sequence as a ``GRAYS`` clip with metadata.

Frames are the normalised Bayer mosaics of :mod:`vs_vhdr.io.raw` (CONTRACT §1), decoded by LibRaw
when VapourSynth asks for them (several threads may decode at once). Each frame carries the file's
metadata as frame props (:data:`PROPS`), and ``vhdr.Reconstruct`` takes the camera and the CFA
from them when they are not given (:func:`camera_and_cfa`), so a script is two lines::

    clip = core.vhdr.RawSource("shot/A001_%06d.dng")
    hdr = core.vhdr.Reconstruct(clip)          # calibration found from CameraMake/Model/Serial
"""

import json
import os
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import vapoursynth as vs

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.errors import InvalidArgumentError, VhdrError
from vs_vhdr.imaging.cfa import check_cfa
from vs_vhdr.io.raw import RawInfo
from vs_vhdr.io.raw_sequence import open_raw_sequence
from vs_vhdr.vapoursynth.frames import gray_array_to_frame
from vs_vhdr.vapoursynth.parallel import frame_map

FUNCTION = "vhdr.RawSource"
DEFAULT_RATE = Fraction(24)
"""Frame rate of sequences whose files do not say (no CinemaDNG ``FrameRate`` tag)."""

PROPS = {
    "CameraMake": "camera maker (string)",
    "CameraModel": "camera model (string)",
    "CameraSerial": "camera serial number (string)",
    "ISO": "ISO speed (float)",
    "ExposureTime": "exposure time in seconds (float)",
    "CFA": "Bayer pattern of the frame's top-left 2×2, e.g. RGGB (string)",
    "BlackLevel": "black levels in DN at the 2×2 positions (0,0), (0,1), (1,0), (1,1) (4 floats)",
    "WhiteLevel": "white level in DN (float)",
    "vhdr_Source": "the frame's file (string)",
    "vhdr_FrameNumber": "the frame number from the file name (int)",
    "vhdr_DngColour": "the camera's colour as JSON of vs_vhdr.colour.DngColour fields: DNG "
    "ColorMatrix1/2, ForwardMatrix1/2, illuminants, AsShotNeutral (string; files with colour only)",
}
"""Frame props of every ``RawSource`` frame (those the file does not give are left out)."""


def raw_source(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    fpsnum: int = 0,
    fpsden: int = 1,
    black_level: float | Sequence[float] | None = None,
    white_level: float | None = None,
) -> vs.VideoNode:
    """A raw sequence as a ``GRAYS`` clip (also ``core.vhdr.RawSource``).

    Args:
        path: a pattern (``shot/A001_%06d.dng``, ``####`` or a glob), a folder of raw files, a
            single file, or (Python only) a list of files.
        fpsnum, fpsden: frame rate; ``fpsnum=0`` takes the files' CinemaDNG frame rate, else 24.
        black_level, white_level: overrides of the files' levels in DN.

    Returns:
        ``GRAYS`` clip, one frame per file in frame-number order, values in [0, 1], with the
        frame props of :data:`PROPS`.

    Raises:
        vapoursynth.Error: a missing or non-raw file, a gap in the numbering, frames of several
            cameras, sizes or CFAs; the message starts with ``vhdr.RawSource:``.
    """
    try:
        if isinstance(fpsnum, bool) or not isinstance(fpsnum, int) or fpsnum < 0:
            raise InvalidArgumentError(f"fpsnum={fpsnum!r}; expected 0 (from the files) or > 0")
        if isinstance(fpsden, bool) or not isinstance(fpsden, int) or fpsden < 1:
            raise InvalidArgumentError(f"fpsden={fpsden!r}; expected an integer >= 1")
        sequence = open_raw_sequence(path, black_level=black_level, white_level=white_level)
    except VhdrError as error:
        raise vs.Error(f"{FUNCTION}: {error}") from error
    rate = Fraction(fpsnum, fpsden) if fpsnum else sequence.metadata.frame_rate or DEFAULT_RATE
    info = sequence.info
    template = vs.core.std.BlankClip(
        format=vs.GRAYS,
        width=info.width,
        height=info.height,
        length=len(sequence),
        fpsnum=rate.numerator,
        fpsden=rate.denominator,
        keep=True,
    )

    def render(n: int, frames: Sequence[vs.VideoFrame]) -> vs.VideoFrame:
        try:
            mosaic, frame_info = sequence.read_with_info(n)
        except VhdrError as error:
            raise vs.Error(f"{FUNCTION}: frame {n}: {error}") from error
        frame = gray_array_to_frame(mosaic, frames[0])
        frame.props.update(frame_props(frame_info, sequence.numbers[n]))
        return frame

    return frame_map(template, lambda n: [template], render)


def frame_props(info: RawInfo, number: int) -> dict[str, Any]:
    """The frame props (:data:`PROPS`) of one raw file."""
    meta = info.metadata
    props: dict[str, Any] = {
        "CameraMake": meta.make,
        "CameraModel": meta.model,
        "CameraSerial": meta.serial,
        "ISO": meta.iso,
        "ExposureTime": meta.exposure_time,
        "CFA": info.cfa,
        "BlackLevel": list(info.black_levels),
        "WhiteLevel": info.white_level,
        "vhdr_Source": str(info.path),
        "vhdr_FrameNumber": number,
        "vhdr_DngColour": None if info.colour is None else json.dumps(info.colour.to_dict()),
    }
    return {key: value for key, value in props.items() if value is not None}


def camera_and_cfa(
    clip: vs.VideoNode, sources: Sequence[object], camera: object, cfa: object
) -> tuple[object, object]:
    """``(camera, cfa)`` for ``vhdr.Reconstruct``: the given ones, else from frame 0's props.

    The camera identity in the props (``CameraMake``, ``CameraModel``, ``CameraSerial``) stands
    in for ``camera`` only when no mask source at all is given (``sources`` holds ``mask``,
    ``mask_file`` and ``camera``); the ``CFA`` prop stands in for ``cfa`` when that is None.
    Clips without these props (not from ``RawSource``) are left as they are.
    """
    no_source = all(source is None for source in sources)
    if not (no_source or cfa is None):
        return camera, cfa
    props = clip.get_frame(0).props  # graph construction, not a frame callback: allowed
    if no_source:
        identity = CameraId.from_metadata(dict(props))
        camera = identity if identity.has_identity else camera
    if cfa is None and "CFA" in props:
        value = props["CFA"]
        text = value.decode() if isinstance(value, bytes) else str(value)
        cfa = check_cfa(text, "the clip's CFA frame prop")
    return camera, cfa
