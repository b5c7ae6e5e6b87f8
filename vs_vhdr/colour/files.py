"""Camera colour from files and names: a raw frame's tags, a JSON of ``DngColour`` fields, a camera.

Used where a user points at the camera's colour directly: the frame server's and the Nuke node's
``colour_file``, and ``vhdr simulate --camera-colour``.
"""

import json
from pathlib import Path

import numpy as np

from vs_vhdr.colour.camera import DngColour
from vs_vhdr.colour.transform import ColourTransform
from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError


def read_colour_file(path_text: str) -> DngColour | None:
    """The colour tags of a raw frame (None without them), or a JSON object of ``DngColour``
    fields (``{"color_matrix_1": [[...], [...], [...]], "illuminant_1": 21, ...}``).

    Raises:
        UnreadableFileError: a JSON file that cannot be read; raw files as ``read_raw`` says.
        InvalidArgumentError: JSON fields of the wrong name or shape.
    """
    path = Path(path_text).expanduser()
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UnreadableFileError(
                f"colour file {path_text!r} is not a readable JSON file ({error})"
            ) from error
        return DngColour.from_dict(data, f"colour file {path.name}", source=f"JSON {path.name}")
    from vs_vhdr.io.raw import read_raw

    return read_raw(path)[1].colour


def camera_colour_option(text: str, where: str) -> DngColour:
    """A ``.json`` / raw file, else a camera name asked through the plugins (or calibrations).

    Raises:
        InvalidArgumentError: nothing gives matrices for ``text``.
    """
    colour = None
    if Path(text).suffix.lower() == ".json" or Path(text).is_file():
        colour = read_colour_file(text)
    else:
        from vs_vhdr.plugins import get_host

        colour = get_host().camera_colour(text)
    if colour is None or not colour.has_matrices:
        raise InvalidArgumentError(
            f"{where}: {text!r} gives no camera colour matrices; expected a JSON of DNG colour "
            "fields, a DNG with ColorMatrix1, or a camera a plugin or calibration describes"
        )
    return colour


def scene_to_camera_matrix(colour: DngColour, space: str = "acescg") -> np.ndarray:
    """``3×3`` float64 taking scene-linear ``space`` RGB to the camera's raw RGB.

    The inverse of :class:`ColourTransform` (without the highlight rule): a neutral of the scene
    becomes the camera's neutral, so ``ColourTransform.build(colour.resolve(), space)`` undoes it.
    """
    transform = ColourTransform.build(colour.resolve(), space)
    return np.diag(transform.neutral) @ np.linalg.inv(transform.matrix)
