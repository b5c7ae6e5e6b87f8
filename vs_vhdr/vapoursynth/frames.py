"""VapourSynth frames ↔ numpy arrays, in one place.

Raw input is one plane: ``GRAYS`` (already normalised to [0, 1], CONTRACT §1) or ``GRAY10`` to
``GRAY16`` integer data divided by a white level. Output is ``RGBS``: three float32 planes of
linear HDR. Arrays are ``float32``: raw and masks ``H×W``, colour ``H×W×3``.
"""

import numpy as np
import vapoursynth as vs

from vs_vhdr.errors import InvalidArgumentError

RAW_FORMATS = "GRAYS, GRAY16 or GRAY10-14"
MIN_INTEGER_BITS = 10
MAX_INTEGER_BITS = 16

# Full range: ``_Range=1`` where VapourSynth (R81 here) has deprecated ``_ColorRange`` (0 = full).
_FULL_RANGE = ("_Range", 1) if hasattr(vs, "Range") else ("_ColorRange", 0)
OUTPUT_PROPS = {"_Transfer": 8, "_Matrix": 0, _FULL_RANGE[0]: _FULL_RANGE[1]}
"""Frame props of every output frame besides ``_Primaries``: linear transfer, RGB, full range."""


def describe(node: vs.VideoNode) -> str:
    """A clip's format and size in words, for error messages."""
    name = node.format.name if node.format is not None else "variable format"
    return f"{name} {node.width}x{node.height}, {node.num_frames} frames"


def check_constant(node: object, name: str) -> vs.VideoNode:
    """``node`` as a video clip of constant format and size (else ``InvalidArgumentError``)."""
    if not isinstance(node, vs.VideoNode):
        raise InvalidArgumentError(f"{name} is {type(node).__name__}; expected a video clip")
    if node.format is None or node.format.id == vs.PresetVideoFormat.NONE:
        raise InvalidArgumentError(f"{name} has a variable format; expected a constant format")
    if node.width == 0 or node.height == 0:
        raise InvalidArgumentError(f"{name} has a variable frame size; expected a constant size")
    return node


def raw_levels(
    fmt: vs.VideoFormat,
    white_level: int,
    camera_levels: tuple[float, float] | None = None,
    name: str = "clip",
) -> tuple[float, float]:
    """``(black, white)``: the raw values that map to 0 and 1 for a clip of format ``fmt``.

    Args:
        fmt: the clip's format; one plane, float32 (already normalised: ``(0, 1)``) or 10-16 bit
            integer.
        white_level: integer white level in DN; 0 means the camera's level, else the format's
            maximum.
        camera_levels: ``(black, white)`` in DN of a camera calibration, for integer clips.

    Raises:
        InvalidArgumentError: another format, or levels the format cannot hold.
    """
    is_float = fmt.sample_type == vs.SampleType.FLOAT and fmt.bits_per_sample == 32
    is_integer = (
        fmt.sample_type == vs.SampleType.INTEGER
        and MIN_INTEGER_BITS <= fmt.bits_per_sample <= MAX_INTEGER_BITS
    )
    if fmt.color_family != vs.ColorFamily.GRAY or not (is_float or is_integer):
        raise InvalidArgumentError(
            f"{name} has format {fmt.name}; expected raw Bayer data as {RAW_FORMATS}"
        )
    if is_float:
        if white_level != 0:
            raise InvalidArgumentError(
                f"white_level={white_level} with a GRAYS clip; GRAYS raw is already normalised "
                "to [0, 1], expected white_level=0"
            )
        return 0.0, 1.0
    maximum = (1 << fmt.bits_per_sample) - 1
    if not 0 <= white_level <= maximum:
        raise InvalidArgumentError(
            f"white_level={white_level} with a {fmt.name} clip; expected 0 (meaning {maximum}) "
            f"or a level in 1..{maximum}"
        )
    black, white = camera_levels if camera_levels is not None else (0.0, float(maximum))
    white = float(white_level or white)
    if white > maximum or not 0 <= black < white:
        raise InvalidArgumentError(
            f"camera levels black={black:g}, white={white:g} do not fit a {fmt.name} clip; "
            f"expected 0 <= black < white <= {maximum}"
        )
    return black, white


def plane_to_array(frame: vs.VideoFrame, black: float = 0.0, white: float = 1.0) -> np.ndarray:
    """Plane 0 of ``frame`` as an ``H×W`` ``float32`` array.

    Float planes are copied as they are (already normalised). Integer planes become
    ``(x - black) / (white - black)`` clipped to [0, 1]: values at or above the white level are
    saturated pixels.
    """
    plane = np.asarray(frame[0])
    if plane.dtype == np.float32:
        return np.array(plane, dtype=np.float32)
    normalised = (plane.astype(np.float32) - np.float32(black)) / np.float32(white - black)
    return np.clip(normalised, np.float32(0.0), np.float32(1.0))


def array_to_frame(rgb: np.ndarray, template: vs.VideoFrame) -> vs.VideoFrame:
    """A writable copy of the ``RGBS`` frame ``template`` holding ``rgb`` (``H×W×3`` float32)."""
    frame = template.copy()
    expected = (frame.height, frame.width, 3)
    if rgb.shape != expected:
        raise InvalidArgumentError(
            f"array_to_frame: rgb has shape {rgb.shape}; expected {expected}"
        )
    for plane in range(3):
        np.copyto(np.asarray(frame[plane]), rgb[..., plane], casting="same_kind")
    return frame


def gray_array_to_frame(image: np.ndarray, template: vs.VideoFrame) -> vs.VideoFrame:
    """A writable copy of the ``GRAYS`` frame ``template`` holding ``image`` (``H×W``)."""
    frame = template.copy()
    if image.shape != (frame.height, frame.width):
        raise InvalidArgumentError(
            f"gray_array_to_frame: image has shape {image.shape}; "
            f"expected {(frame.height, frame.width)}"
        )
    np.copyto(np.asarray(frame[0]), image, casting="same_kind")
    return frame


def set_output_props(
    frame: vs.VideoFrame,
    source: vs.VideoFrame,
    primaries: int,
    colour: dict[str, str] | None = None,
) -> None:
    """Copy every prop of ``source`` onto ``frame``, then set the contract's output props.

    ``colour`` adds the colour stage's string props (``vhdr_Colorspace``, ``vhdr_ColourSource``).
    """
    frame.props.clear()
    frame.props.update(source.props)
    frame.props.update(OUTPUT_PROPS)
    frame.props["_Primaries"] = primaries
    frame.props.update(colour or {})
