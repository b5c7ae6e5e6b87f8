"""Image sequences as VapourSynth clips: a source (EXR, .npy, .png, .tif files) and a writer.

``image_source("shot/raw.%04d.exr")`` gives a ``GRAYS`` clip for single-channel files (raw
mosaics, masks) or an ``RGBS`` clip for RGB files, with the file path in the frame prop
``vhdr_Source``. ``write_images(clip, "out/hdr.%04d.exr")`` returns the clip unchanged and writes
each frame VapourSynth renders (atomically), so ``vspipe script.vpy --`` writes the sequence.
"""

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import vapoursynth as vs

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError, UnreadableFileError, VhdrError
from vs_vhdr.io.exr import write_exr
from vs_vhdr.io.images import read_image, write_image
from vs_vhdr.io.sequence import expand, format_frame, missing_frames
from vs_vhdr.vapoursynth.frames import array_to_frame, check_constant, gray_array_to_frame
from vs_vhdr.vapoursynth.parallel import frame_map

SOURCE_PROP = "vhdr_Source"


def image_source(
    pattern: str | os.PathLike[str], fpsnum: int = 24, fpsden: int = 1
) -> vs.VideoNode:
    """A clip of the numbered images of ``pattern`` (``%04d``, ``####`` or a glob), in order.

    Raises:
        vapoursynth.Error: no file, a gap in the numbering, or an unreadable first file.
    """
    try:
        frames = expand(pattern)
        gaps = missing_frames(frames)
        if gaps:
            raise InvalidArgumentError(
                f"pattern {os.fspath(pattern)!r} lacks frame(s) {gaps[:5]}; expected a "
                "sequence without gaps"
            )
        first = read_image(frames[0][1])
    except VhdrError as error:
        raise vs.Error(f"image_source: {error}") from error
    paths = [path for _, path in frames]
    fmt = vs.GRAYS if first.ndim == 2 else vs.RGBS
    height, width = first.shape[:2]
    template = vs.core.std.BlankClip(
        format=fmt,
        width=width,
        height=height,
        length=len(paths),
        fpsnum=fpsnum,
        fpsden=fpsden,
        keep=True,
    )

    def render(n: int, templates: Sequence[vs.VideoFrame]) -> vs.VideoFrame:
        try:
            image = read_image(paths[n])
            if image.shape != first.shape:
                raise UnreadableFileError(
                    f"{paths[n]} has shape {image.shape}; expected {first.shape} like {paths[0]}"
                )
        except VhdrError as error:
            raise vs.Error(f"image_source: frame {n}: {error}") from error
        convert = gray_array_to_frame if image.ndim == 2 else array_to_frame
        frame = convert(image, templates[0])
        frame.props[SOURCE_PROP] = str(paths[n])
        return frame

    return frame_map(template, lambda n: [template], render)


def write_images(
    clip: vs.VideoNode,
    pattern: str | os.PathLike[str],
    start: int = 0,
    half: bool = False,
    force: bool = False,
) -> vs.VideoNode:
    """``clip`` unchanged; rendering frame ``n`` writes file ``pattern % (start + n)``.

    Args:
        clip: ``GRAYS`` (written as channel Y) or ``RGBS``.
        pattern: ``%04d`` or ``####`` pattern; the extension picks the format (.exr, .npy, ...).
        start: file number of frame 0.
        half: EXR only, 16-bit half floats.
        force: replace existing files; without it any existing target file is an error here.
    """
    try:
        node = check_constant(clip, "clip")
        if node.format.id not in (vs.PresetVideoFormat.GRAYS, vs.PresetVideoFormat.RGBS):
            raise InvalidArgumentError(
                f"clip has format {node.format.name}; expected GRAYS or RGBS"
            )
        targets = [
            Path(format_frame(os.fspath(pattern), start + n)) for n in range(node.num_frames)
        ]
        existing = [t for t in targets if t.exists()]
        if existing and not force:
            raise OutputExistsError(
                f"{existing[0]} and {len(existing) - 1} more exist; pass force=True to replace"
            )
        if half and targets[0].suffix.lower() != ".exr":
            raise InvalidArgumentError(f"half=True needs .exr files; pattern is {pattern!r}")
    except VhdrError as error:
        raise vs.Error(f"write_images: {error}") from error
    for folder in {t.parent for t in targets}:
        folder.mkdir(parents=True, exist_ok=True)

    def render(n: int, frames: Sequence[vs.VideoFrame]) -> vs.VideoFrame:
        frame = frames[0]
        planes = [np.asarray(frame[p]) for p in range(frame.format.num_planes)]
        image = planes[0] if len(planes) == 1 else np.stack(planes, axis=-1)
        try:
            if half:
                write_exr(targets[n], image, half=True)
            else:
                write_image(targets[n], image)
        except VhdrError as error:
            raise vs.Error(f"write_images: frame {n}: {error}") from error
        return frame

    return frame_map(node, lambda n: [node], render)
