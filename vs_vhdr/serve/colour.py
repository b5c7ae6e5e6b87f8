"""The colour stage of a ``RENDER`` request (protocol version 2, PROTOCOL.md §3).

``colorspace`` (default ``auto``) and the optional ``colour_file`` pick the output space the same
way ``vhdr reconstruct`` does: the camera's colour comes from ``colour_file`` (a DNG / camera raw
frame of the shot, whose colour tags are read, or a JSON object of ``DngColour`` fields), else from
a camera plugin or the ``camera`` calibration's ``colour`` section; without any the output stays
camera RGB. The choice is made before the job is queued, so ``RESULT`` can name the space.
"""

from vs_vhdr.colour import ColourChoice, choose_colour
from vs_vhdr.colour.files import read_colour_file
from vs_vhdr.errors import UnknownNameError, VhdrError
from vs_vhdr.serve.protocol import Code, ProtocolError


def request_colour(colorspace: str, colour_file: str | None, camera: str | None) -> ColourChoice:
    """The output space of a request; a bad name or file is a ``BAD_ARGUMENT`` error."""
    try:
        return colour_choice(colorspace, colour_file, camera, "RENDER")
    except VhdrError as error:
        raise ProtocolError(Code.BAD_ARGUMENT, str(error)) from error


def colour_choice(
    colorspace: str, colour_file: str | None, camera: str | None, where: str
) -> ColourChoice:
    """The output space from a colour file or a camera calibration name (also the Nuke node's).

    Raises:
        VhdrError: an unknown space, an unreadable colour file, or a working space that needs
            matrices nothing gives.
    """
    colour = read_colour_file(colour_file) if colour_file else None
    primaries = 2
    if camera:
        from vs_vhdr.plugins import get_host

        try:  # an unknown camera is the mask's error, reported where the mask is read
            calibration = get_host().calibration(camera)
        except UnknownNameError:
            calibration = None
        primaries = calibration.primaries if calibration is not None else 2
        if colour is None and calibration is not None:
            colour = get_host().camera_colour(camera, calibration)
    return choose_colour(colorspace, colour, where, camera_primaries=primaries)
