"""``vhdr.Reconstruct``: a raw Bayer clip → a linear HDR ``RGBS`` clip, through the engine.

Temporal windows without ``get_frame`` in a callback: the raw clip is padded once at both ends and
cut into shifted copies, ``shift(d)[n] == raw[n + d]``. Output frame ``n`` is a per-frame
``ModifyFrame`` (see ``parallel.frame_map``) over the shifts that bring exactly the raw frames
``Reconstructor.frames_needed(n)``; the engine computes each network window once (its bounded
cache) and is thread-safe, so several VapourSynth threads can render at once and seeking gives
the same pixels as rendering in order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vapoursynth as vs

from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.errors import InvalidArgumentError, UnknownNameError, VhdrError
from vs_vhdr.io.images import read_image
from vs_vhdr.vapoursynth.frames import (
    array_to_frame,
    check_constant,
    describe,
    plane_to_array,
    raw_white_level,
    set_output_props,
)
from vs_vhdr.vapoursynth.parallel import frame_map

FUNCTION = "vhdr.Reconstruct"
UNSPECIFIED_PRIMARIES = 2


@dataclass(frozen=True)
class MaskSource:
    """The mask of a call: ``static`` (``H×W`` float32) or ``clip`` (``GRAYS``, one per frame)."""

    static: np.ndarray | None
    clip: vs.VideoNode | None
    primaries: int = UNSPECIFIED_PRIMARIES


def reconstruct(
    clip: vs.VideoNode,
    mask: vs.VideoNode | None = None,
    mask_file: str | None = None,
    camera: str | None = None,
    model: str = "default",
    cfa: str = "RGGB",
    white_level: int = 0,
    window: int = 8,
    tile: int = 0,
    device: str = "auto",
    precision: str = "auto",
) -> vs.VideoNode:
    """Reconstruct linear HDR video from snapshot-coded raw video (also ``core.vhdr.Reconstruct``).

    Args:
        clip: raw Bayer mosaic, ``GRAYS`` in [0, 1] or ``GRAY16``/``GRAY10``-``GRAY14`` integers.
        mask: ``GRAYS`` transmittance clip of 1 frame or of ``clip``'s length, same size.
        mask_file: a mask image (EXR channel Y, ``.npy`` or 16-bit ``.png``), same size.
        camera: a camera calibration name (exactly one of ``mask``, ``mask_file``, ``camera``).
        model: registered model name or weights file path.
        cfa: Bayer pattern, the letter at (row 0, col 0) first.
        white_level: integer raw value of saturation in DN (0: the format's maximum); values
            above it are clipped to 1. Must be 0 for ``GRAYS``.
        window: frames per network pass.
        tile: spatial tile size in pixels (0: whole frames).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        precision: ``auto``, ``fp32``, ``bf16`` or ``fp16``.

    Returns:
        ``RGBS`` clip of the same size and length: linear, exposure-normalised HDR (1.0 saturates
        an unmasked pixel); frame props of the input plus ``_Transfer=8``, ``_Primaries``,
        ``_Matrix=0``, ``_ColorRange=0``.

    Raises:
        vapoursynth.Error: bad input; the message starts with ``vhdr.Reconstruct:``.
    """
    try:
        raw = check_constant(clip, "clip")
        white = raw_white_level(raw.format, _as_int("white_level", white_level))
        source = _mask_source(raw, mask, mask_file, camera)
        options = EngineOptions(
            model=model, cfa=cfa, window=window, tile=tile, device=device, precision=precision
        )
        reconstructor = Reconstructor(options, source.static)
        return _Filter(raw, white, source, reconstructor).node
    except VhdrError as error:
        raise vs.Error(f"{FUNCTION}: {error}") from error


class _Filter:
    """The graph and the per-frame callback of one ``Reconstruct`` call."""

    def __init__(
        self, raw: vs.VideoNode, white: float, source: MaskSource, reconstructor: Reconstructor
    ) -> None:
        self.num_frames = raw.num_frames
        self.white = white
        self.primaries = source.primaries
        self.reconstructor = reconstructor
        before, after = self._reach()
        self.raw_shifts = _shifted_copies(raw, before, after)
        self.mask_shifts = (
            {} if source.clip is None else _shifted_copies(source.clip, before, after)
        )
        self.template = vs.core.std.BlankClip(raw, format=vs.RGBS, keep=True)
        self.node = frame_map(self.template, self._inputs, self._render)

    def _reach(self) -> tuple[int, int]:
        """How far back and ahead of any output frame its raw frames lie."""
        before = after = 0
        for n in range(self.num_frames):
            needed = self.reconstructor.frames_needed(n, self.num_frames)
            before = max(before, n - needed.start)
            after = max(after, needed.stop - 1 - n)
        return before, after

    def _indices(self, n: int) -> list[int]:
        return sorted({n, *self.reconstructor.frames_needed(n, self.num_frames)})

    def _inputs(self, n: int) -> list[vs.VideoNode]:
        offsets = [i - n for i in self._indices(n)]
        masks = [self.mask_shifts[d] for d in offsets] if self.mask_shifts else []
        return [self.template, *(self.raw_shifts[d] for d in offsets), *masks]

    def _render(self, n: int, frames: Sequence[vs.VideoFrame]) -> vs.VideoFrame:
        indices = self._indices(n)
        raws = dict(zip(indices, frames[1 : 1 + len(indices)]))
        masks = dict(zip(indices, frames[1 + len(indices) :]))
        try:
            rgb = self.reconstructor.output_frame(
                n,
                self.num_frames,
                lambda i: plane_to_array(raws[i], self.white),
                (lambda i: plane_to_array(masks[i])) if masks else None,
            )
            frame = array_to_frame(rgb, frames[0])
        except VhdrError as error:
            raise vs.Error(f"{FUNCTION}: frame {n}: {error}") from error
        except Exception as error:
            raise vs.Error(f"{FUNCTION}: frame {n}: {type(error).__name__}: {error}") from error
        set_output_props(frame, raws[n], self.primaries)
        return frame


def _shifted_copies(node: vs.VideoNode, before: int, after: int) -> dict[int, vs.VideoNode]:
    """``{d: clip}`` for ``d`` in ``-before..after`` with ``clip[n] == node[n + d]`` (edge-padded)."""
    length = node.num_frames
    parts = [node[0] * before] if before else []
    parts += [node, *([node[-1] * after] if after else [])]
    padded = vs.core.std.Splice(parts) if len(parts) > 1 else node
    return {d: padded[before + d : before + d + length] for d in range(-before, after + 1)}


def _mask_source(raw: vs.VideoNode, mask: object, mask_file: object, camera: object) -> MaskSource:
    given = [
        name
        for name, v in (("mask", mask), ("mask_file", mask_file), ("camera", camera))
        if v is not None
    ]
    if len(given) != 1:
        listed = ", ".join(given) if given else "none"
        raise InvalidArgumentError(
            f"expected exactly one mask source (mask, mask_file or camera); got {listed}"
        )
    if mask is not None:
        return _mask_from_clip(raw, mask)
    if mask_file is not None:
        return MaskSource(_mask_from_file(raw, mask_file), None)
    return _mask_from_camera(raw, camera)


def _mask_from_clip(raw: vs.VideoNode, mask: object) -> MaskSource:
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
        return MaskSource(plane_to_array(node.get_frame(0)), None)
    if node.num_frames != raw.num_frames:
        raise InvalidArgumentError(
            f"mask has {node.num_frames} frames; expected 1 or the clip's {raw.num_frames} "
            f"({describe(raw)})"
        )
    return MaskSource(None, node)


def _mask_from_file(raw: vs.VideoNode, mask_file: object) -> np.ndarray:
    if not isinstance(mask_file, str | Path):
        raise InvalidArgumentError(f"mask_file={mask_file!r}; expected a file path")
    image = read_image(mask_file)
    if image.ndim != 2:
        raise InvalidArgumentError(
            f"mask_file={str(mask_file)!r} has {image.shape[-1]} channels; expected one (Y)"
        )
    if image.shape != (raw.height, raw.width):
        raise InvalidArgumentError(
            f"mask_file={str(mask_file)!r} is {image.shape[1]}x{image.shape[0]}; expected the "
            f"clip's size {raw.width}x{raw.height}"
        )
    return image


def _mask_from_camera(raw: vs.VideoNode, camera: object) -> MaskSource:
    raise UnknownNameError(f"camera={camera!r}: no calibration named {camera!r}")


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name}={value!r}; expected an integer")
    return value
