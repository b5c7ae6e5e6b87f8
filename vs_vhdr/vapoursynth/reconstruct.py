"""``vhdr.Reconstruct``: a raw Bayer clip → a linear HDR ``RGBS`` clip, through the engine.

Temporal windows without ``get_frame`` in a callback: the raw clip is padded once at both ends and
cut into shifted copies, ``shift(d)[n] == raw[n + d]``. Output frame ``n`` is a per-frame
``ModifyFrame`` (see ``parallel.frame_map``) over the shifts that bring exactly the raw frames
``Reconstructor.frames_needed(n)``; the engine computes each network window once (its bounded
cache) and is thread-safe, so several VapourSynth threads can render at once and seeking gives
the same pixels as rendering in order.
"""

import json
from collections.abc import Sequence
from dataclasses import replace

import vapoursynth as vs

from vs_vhdr.colour import ColourChoice, DngColour, choose_colour, clipped_channels
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.errors import InvalidArgumentError, VhdrError
from vs_vhdr.nets.weights import quality_warning
from vs_vhdr.vapoursynth.frames import (
    array_to_frame,
    check_constant,
    plane_to_array,
    raw_levels,
    set_output_props,
)
from vs_vhdr.vapoursynth.masks import MaskSource, mask_source
from vs_vhdr.vapoursynth.parallel import frame_map
from vs_vhdr.vapoursynth.rawsource import camera_and_cfa

FUNCTION = "vhdr.Reconstruct"


def reconstruct(
    clip: vs.VideoNode,
    mask: vs.VideoNode | None = None,
    mask_file: str | None = None,
    camera: str | None = None,
    model: str = "default",
    cfa: str | None = None,
    white_level: int = 0,
    window: int = 8,
    overlap: int = -1,
    tile: int = 0,
    device: str = "auto",
    precision: str = "auto",
    colorspace: str = "auto",
) -> vs.VideoNode:
    """Reconstruct linear HDR video from snapshot-coded raw video (also ``core.vhdr.Reconstruct``).

    Args:
        clip: raw Bayer mosaic, ``GRAYS`` in [0, 1] or ``GRAY16``/``GRAY10``-``GRAY14`` integers.
        mask: ``GRAYS`` transmittance clip of 1 frame or of ``clip``'s length, same size.
        mask_file: a mask image (EXR channel Y, ``.npy`` or 16-bit ``.png``), same size.
        camera: a camera calibration name or ``.json`` path, resolved through the plugins; it
            also gives the CFA, the black and white levels of integer raw and ``_Primaries``.
            Exactly one of ``mask``, ``mask_file`` and ``camera`` is given, or none when the
            clip's frame props name the camera (``vhdr.RawSource`` clips: ``CameraMake``,
            ``CameraModel``, ``CameraSerial``).
        model: registered model name (plugin models included) or weights file path.
        cfa: Bayer pattern, the letter at (row 0, col 0) first; None means the clip's ``CFA``
            frame prop (``vhdr.RawSource``), else the camera's, else ``RGGB``.
        white_level: integer raw value of saturation in DN (0: the camera's, else the format's
            maximum); values above it are clipped to 1. Must be 0 for ``GRAYS``.
        window: frames per network pass.
        overlap: frames shared by consecutive windows, blended (-1: ``window // 2``). More
            overlap costs more network passes and flickers less (``models/pmunet.md``: 6 of 8
            takes twice the default's passes).
        tile: spatial tile size in pixels (0: whole frames).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        precision: ``auto``, ``fp32``, ``bf16`` or ``fp16``.
        colorspace: ``auto`` (``acescg`` when the camera's matrices are known: the clip's
            ``vhdr_DngColour`` prop from ``RawSource``, a camera plugin or the calibration's
            ``colour``; else ``camera``), ``acescg``, ``aces2065-1``, ``rec709`` or ``camera``
            (docs/colour.md).

    Returns:
        ``RGBS`` clip of the same size and length: linear, exposure-normalised HDR (1.0 saturates
        an unmasked pixel) in ``colorspace``; frame props of the input plus ``_Transfer=8``,
        ``_Primaries`` (1 for rec709, the calibration's for camera, else 2), ``_Matrix=0``, full
        range (``_Range=1``, formerly ``_ColorRange=0``), ``vhdr_Colorspace`` (the space's name)
        and ``vhdr_ColourSource`` (where the conversion comes from, or why there is none).

    Raises:
        vapoursynth.Error: bad input; the message starts with ``vhdr.Reconstruct:``.
    """
    try:
        raw = check_constant(clip, "clip")
        raw_levels(raw.format, _as_int("white_level", white_level))  # format errors come first
        from_props = camera_and_cfa(raw, (mask, mask_file, camera), camera, cfa)
        source = mask_source(raw, mask, mask_file, from_props[0])
        levels = raw_levels(raw.format, white_level, source.levels)
        options = EngineOptions(
            model=model,
            cfa=_pick_cfa(from_props[1], source),
            window=window,
            overlap=None if _as_int("overlap", overlap) == -1 else overlap,
            tile=tile,
            device=device,
            precision=precision,
        )
        choice = choose_colour(
            colorspace,
            _props_colour(raw) or source.colour,
            "colorspace",
            camera_primaries=source.primaries,
        )
        engine = Reconstructor(_with_thread_margin(options), source.static)
        warning = quality_warning(engine.runner.model)
        if warning:
            vs.core.log_message(vs.MESSAGE_TYPE_WARNING, f"{FUNCTION}: {warning}")
        vs.core.log_message(vs.MESSAGE_TYPE_INFORMATION, f"{FUNCTION}: {choice.note}")
        return _Filter(raw, levels, source, engine, choice).node
    except VhdrError as error:
        raise vs.Error(f"{FUNCTION}: {error}") from error


class _Filter:
    """The graph and the per-frame callback of one ``Reconstruct`` call."""

    def __init__(
        self,
        raw: vs.VideoNode,
        levels: tuple[float, float],
        source: MaskSource,
        reconstructor: Reconstructor,
        colour: ColourChoice,
    ) -> None:
        self.num_frames = raw.num_frames
        self.levels = levels
        self.colour = colour
        self.colour_props = {"vhdr_Colorspace": colour.colorspace, "vhdr_ColourSource": colour.note}
        self.reconstructor = reconstructor
        self.plan = reconstructor.plan(self.num_frames)
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
            needed = self.plan.frames_needed(n)
            before = max(before, n - needed.start)
            after = max(after, needed.stop - 1 - n)
        return before, after

    def _indices(self, n: int) -> list[int]:
        return sorted({n, *self.plan.frames_needed(n)})

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
                lambda i: plane_to_array(raws[i], *self.levels),
                (lambda i: plane_to_array(masks[i])) if masks else None,
            )
            transform = self.colour.transform
            if not transform.is_identity:
                raw = plane_to_array(raws[n], *self.levels)
                rgb = transform.apply(rgb, clipped_channels(raw, self.reconstructor.options.cfa))
            frame = array_to_frame(rgb, frames[0])
        except VhdrError as error:
            raise vs.Error(f"{FUNCTION}: frame {n}: {error}") from error
        except Exception as error:
            raise vs.Error(f"{FUNCTION}: frame {n}: {type(error).__name__}: {error}") from error
        set_output_props(frame, raws[n], self.colour.primaries, self.colour_props)
        return frame


def _props_colour(clip: vs.VideoNode) -> DngColour | None:
    """The camera colour in frame 0's ``vhdr_DngColour`` prop (``vhdr.RawSource``), or None."""
    props = clip.get_frame(0).props  # graph construction, not a frame callback: allowed
    if "vhdr_DngColour" not in props:
        return None
    value = props["vhdr_DngColour"]
    text = value.decode() if isinstance(value, bytes) else str(value)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArgumentError(
            f"the clip's vhdr_DngColour prop is not JSON ({error}); expected vhdr.RawSource's"
        ) from error
    source = props.get("vhdr_Source", b"")
    name = source.decode() if isinstance(source, bytes) else str(source)
    colour = DngColour.from_dict(data, "vhdr_DngColour prop", source=f"DNG {name}".strip())
    return colour if colour.has_matrices else None


def _with_thread_margin(options: EngineOptions) -> EngineOptions:
    """``options`` whose window cache also holds the windows of frames rendered concurrently.

    The engine's default keeps the windows that sequential access needs; each of VapourSynth's
    threads can be one frame ahead, so ``ceil(threads / stride)`` more windows keep every window
    computed once when frames are rendered in order by several threads.
    """
    stride = options.window - int(options.overlap or 0)
    sequential = -(-options.window // stride) + 1
    return replace(options, cache_windows=sequential + -(-vs.core.num_threads // stride))


def _shifted_copies(node: vs.VideoNode, before: int, after: int) -> dict[int, vs.VideoNode]:
    """``{d: clip}`` for ``d`` in ``-before..after`` with ``clip[n] == node[n + d]`` (edge-padded)."""
    length = node.num_frames
    parts = [node[0] * before] if before else []
    parts += [node, *([node[-1] * after] if after else [])]
    padded = vs.core.std.Splice(parts) if len(parts) > 1 else node
    return {d: padded[before + d : before + d + length] for d in range(-before, after + 1)}


def _pick_cfa(cfa: object, source: MaskSource) -> str:
    """The CFA argument, else the camera's, else RGGB; a CFA contradicting the camera is refused."""
    if cfa is None:
        return source.cfa or "RGGB"
    if source.cfa is not None and isinstance(cfa, str) and cfa.upper() != source.cfa:
        raise InvalidArgumentError(
            f"cfa={cfa!r} but the camera calibration says {source.cfa}; expected {source.cfa} "
            "or no cfa"
        )
    if not isinstance(cfa, str):
        raise InvalidArgumentError(f"cfa={cfa!r}; expected a Bayer pattern such as RGGB")
    return cfa


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(f"{name}={value!r}; expected an integer")
    return value
