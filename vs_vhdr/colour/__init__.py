"""Colour: reconstructed camera RGB → ACEScg, ACES2065-1 or linear Rec. 709 (docs/colour.md).

The camera's own description comes from its DNG tags (:mod:`vs_vhdr.io.raw`), a calibration
file's ``colour`` section or a camera plugin (``vhdr_camera_colour``); :mod:`vs_vhdr.colour.dng`
resolves it by the DNG specification, :class:`ColourTransform` applies it after reconstruction.
"""

from vs_vhdr.colour.camera import CameraColour, DngColour
from vs_vhdr.colour.choice import ColourChoice, choose_colour
from vs_vhdr.colour.spaces import (
    CAMERA,
    CHOICES,
    COLORSPACES,
    Colorspace,
    check_colorspace,
    chromaticities,
    h273_primaries,
)
from vs_vhdr.colour.transform import ColourTransform, clipped_channels

__all__ = [
    "CAMERA",
    "CHOICES",
    "COLORSPACES",
    "CameraColour",
    "ColourChoice",
    "ColourTransform",
    "Colorspace",
    "DngColour",
    "check_colorspace",
    "choose_colour",
    "chromaticities",
    "clipped_channels",
    "h273_primaries",
]
