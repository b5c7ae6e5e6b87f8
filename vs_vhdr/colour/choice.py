"""Which output space a host uses: the user's ``colorspace``, or the default the source allows.

``auto`` (the default everywhere) is ``acescg`` when the source carries the camera's matrices (DNG
``ColorMatrix1``, a calibration's ``colour`` section, a camera plugin) and ``camera`` otherwise,
with a note that says why. Asking for a working space without matrices is an error: an unnamed
guess would be wrong colour that looks right.
"""

from dataclasses import dataclass

from vs_vhdr.colour.camera import DngColour
from vs_vhdr.colour.spaces import CAMERA, check_colorspace, chromaticities, h273_primaries
from vs_vhdr.colour.transform import ColourTransform
from vs_vhdr.errors import InvalidArgumentError

DEFAULT_WITH_MATRICES = "acescg"
"""The ``auto`` choice for sources that carry camera matrices."""


@dataclass(frozen=True)
class ColourChoice:
    """The output space of one clip and how to get there.

    Attributes:
        transform: camera RGB → the output space.
        note: one line for the log: the space and where its conversion comes from.
        camera_primaries: H.273 primaries of the camera RGB (a calibration's ``primaries``), used
            only for ``camera`` output.
    """

    transform: ColourTransform
    note: str
    camera_primaries: int = 2

    @property
    def colorspace(self) -> str:
        """The output space's name (``vhdr_Colorspace``)."""
        return self.transform.colorspace

    @property
    def chromaticities(self) -> tuple[float, ...] | None:
        """EXR ``chromaticities`` of the output, None for camera RGB of unknown primaries."""
        return chromaticities(self.colorspace, self.camera_primaries)

    @property
    def primaries(self) -> int:
        """VapourSynth ``_Primaries`` (H.273) of the output; 2 = unspecified."""
        return h273_primaries(self.colorspace, self.camera_primaries)


def choose_colour(
    requested: str | None,
    colour: DngColour | None,
    where: str,
    *,
    camera_primaries: int = 2,
) -> ColourChoice:
    """The output space for a source whose camera colour is ``colour`` (None: unknown).

    Args:
        requested: ``auto`` / None, or a name of :data:`vs_vhdr.colour.spaces.CHOICES`.
        colour: the camera's DNG-style description, or None when nothing is known.
        where: the caller for messages (``vhdr.Reconstruct``, ``reconstruct: --colorspace``).
        camera_primaries: H.273 code of the camera RGB, for ``camera`` output.

    Raises:
        InvalidArgumentError: an unknown name, or a working space without camera matrices.
    """
    name = check_colorspace("auto" if requested is None else requested, where)
    known = colour is not None and colour.has_matrices
    if name == "auto":
        name = DEFAULT_WITH_MATRICES if known else CAMERA
    if name == CAMERA:
        why = (
            "camera RGB as asked"
            if known
            else "camera RGB: the source carries no camera "
            "matrices (no DNG ColorMatrix, no calibration colour section, no camera plugin)"
        )
        return ColourChoice(
            ColourTransform.identity(why), f"colorspace camera ({why})", camera_primaries
        )
    if not known:
        raise InvalidArgumentError(
            f"{where}: colorspace={name!r} needs the camera's colour matrices, and the source has "
            "none (no DNG ColorMatrix1, no calibration colour section, no camera plugin); "
            "expected colorspace='camera' or a source that names its colour"
        )
    assert colour is not None
    transform = ColourTransform.build(colour.resolve(), name)
    return ColourChoice(transform, f"colorspace {name} ({transform.note})", camera_primaries)
