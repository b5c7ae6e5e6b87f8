"""Raw files (DNG, CinemaDNG, camera raw) as the input of ``vhdr reconstruct`` and ``calibrate``.

Not a sub-command: the helpers those commands share. Raw frames carry their own CFA and levels
(:mod:`vs_vhdr.io.raw`), and their camera identity picks the mask calibration through the plugin
hooks when no ``--mask`` or ``--camera`` is given.
"""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError, UnknownNameError
from vs_vhdr.imaging.cfa import check_cfa
from vs_vhdr.io.images import read_image
from vs_vhdr.io.raw_sequence import RawSequence, open_raw_input, raw_frames


class RawMaskSource(NamedTuple):
    """Mask ``H×W`` float32, CFA, H.273 primaries, how the calibration was found (or ""), and
    the camera's colour (the files' own, else a camera plugin's or the calibration's; or None)."""

    mask: np.ndarray
    cfa: str
    primaries: int
    found: str
    colour: DngColour | None = None


class FlatFields(NamedTuple):
    """Flat-field frames for ``vhdr calibrate``, normalised, and the raw facts behind them.

    Attributes:
        paths, unmasked_paths: the files read.
        frames, unmasked: ``T×H×W`` float32 normalised raw (``unmasked`` may be None).
        black, white: the levels to record in the calibration (DN; black averaged over the 2×2
            positions when they differ).
        cfa: Bayer pattern of the frames.
        metadata: header attributes naming the camera (``cameraMake``, ...).
        report: extra entries for the measurement report.
    """

    paths: list[Path]
    frames: np.ndarray
    unmasked_paths: list[Path]
    unmasked: np.ndarray | None
    black: float
    white: float
    cfa: str
    metadata: dict[str, Any]
    report: dict[str, Any]


def open_cli_raw(
    inputs: Sequence[str | os.PathLike[str]],
    black_level: float | None,
    white_level: float | None,
    where: str,
    *,
    allow_gaps: bool = False,
    levels_only_for_raw: bool = True,
) -> RawSequence | None:
    """The raw sequence of a command's inputs, or None when they are not raw files.

    Raises:
        InvalidArgumentError: ``--black-level`` / ``--white-level`` given for non-raw input
            while ``levels_only_for_raw``.
    """
    raw = open_raw_input(
        inputs, black_level=black_level, white_level=white_level, allow_gaps=allow_gaps
    )
    levels = black_level is not None or white_level is not None
    if raw is None and levels and levels_only_for_raw:
        raise InvalidArgumentError(
            f"{where}: --black-level/--white-level apply to raw files (DNG, camera raw); the "
            "inputs are not raw files"
        )
    return raw


def raw_mask_source(
    raw: RawSequence, mask_file: str | None, camera: str | None, cfa: str | None, where: str
) -> RawMaskSource:
    """Mask and CFA for raw frames from ``--mask``, ``--camera`` or the files' camera identity.

    The CFA is ``cfa`` when given, else the files'; a calibration measured with another CFA is
    refused (its mask would sit on other pixels) unless ``cfa`` overrides.

    Raises:
        InvalidArgumentError: no mask source and no camera identity in the files, a mask of
            another size, or a CFA contradicting the calibration.
        UnknownNameError: no calibration for the camera.
    """
    pattern = check_cfa(cfa, f"{where}: --cfa") if cfa is not None else raw.cfa
    size = (raw.info.height, raw.info.width)
    if mask_file is not None:
        mask = read_image(mask_file)
        if mask.shape != size:
            raise InvalidArgumentError(
                f"{where}: --mask {mask_file} has shape {mask.shape}; expected one channel of "
                f"the frames' size {size[0]}×{size[1]}"
            )
        return RawMaskSource(mask, pattern, 2, "", raw.info.colour or _plugin_colour(raw))
    from vs_vhdr.plugins import get_host

    found = ""
    asked: str | CameraId | None = camera
    if camera is not None:
        calibration = get_host().calibration(camera)
    else:
        identity = CameraId.from_metadata(raw.metadata.attributes())
        if not identity.has_identity:
            raise InvalidArgumentError(
                f"{where}: no --mask or --camera, and {raw.info.path} names no camera (make and "
                "model); expected --mask FILE or --camera NAME"
            )
        calibration = get_host().calibration(identity)
        asked = identity
        found = f"camera {identity.describe()} -> calibration {calibration.name!r}"
    if cfa is None and calibration.cfa != raw.cfa:
        raise InvalidArgumentError(
            f"{where}: the files' CFA is {raw.cfa} but calibration {calibration.name!r} was "
            f"measured with {calibration.cfa}; expected matching frames (or --cfa to override)"
        )
    mask = calibration.mask_for(*size, where=where)
    colour = raw.info.colour or get_host().camera_colour(asked or calibration.name, calibration)
    return RawMaskSource(np.asarray(mask), pattern, calibration.primaries, found, colour)


def _plugin_colour(raw: RawSequence) -> DngColour | None:
    """A camera plugin's (or a matching calibration's) colour for files that carry none."""
    identity = CameraId.from_metadata(raw.metadata.attributes())
    if not identity.has_identity:
        return None
    from vs_vhdr.plugins import get_host

    try:
        return get_host().camera_colour(identity)
    except (UnknownNameError, InvalidArgumentError):  # e.g. several calibrations match
        return None


def raw_flat_fields(
    raw: RawSequence, unmasked: Sequence[str] | None, cfa: str | None, where: str
) -> FlatFields:
    """Read flat-field raw frames (and unmasked ones, same camera and levels) normalised."""
    frames = np.stack([raw.read(i) for i in range(len(raw))])
    unmasked_paths: list[Path] = []
    unmasked_frames = None
    if unmasked:
        reference = RawSequence(
            [(i, path) for i, (_, path) in enumerate(raw_frames(unmasked))],
            black_level=raw.black_level,
            white_level=raw.white_level,
            allow_gaps=True,
        )
        if (reference.info.height, reference.info.width) != frames.shape[1:]:
            raise InvalidArgumentError(
                f"{where}: --unmasked {reference.info.path} is {reference.info.height}×"
                f"{reference.info.width}; expected the flat fields' size {frames.shape[1]}×"
                f"{frames.shape[2]}"
            )
        unmasked_paths = [path for _, path in reference.frames]
        unmasked_frames = np.stack([reference.read(i) for i in range(len(reference))])
    blacks = raw.info.black_levels
    report = {"raw_black_levels": list(blacks)} if len(set(blacks)) > 1 else {}
    return FlatFields(
        paths=[path for _, path in raw.frames],
        frames=frames,
        unmasked_paths=unmasked_paths,
        unmasked=unmasked_frames,
        black=float(np.mean(blacks)),
        white=raw.info.white_level,
        cfa=check_cfa(cfa, f"{where}: --cfa") if cfa is not None else raw.cfa,
        metadata=raw.metadata.attributes(),
        report=report,
    )
