"""Readers of real HDR shots, the bundled HDR maps, and one entry point for every source.

Sources that :func:`open_shot` understands (the ``HDR_INPUT`` of ``vhdr simulate``):

- ``procedural:NAME``: a :class:`~vs_vhdr.scenes.procedural.ProceduralScene` (NAME: ``mixed``,
  ``day``, ``night``);
- ``builtin:NAME``: one of the bundled CC0 HDR maps (:func:`builtin_names`) panned into video;
- one still image file (``.exr``, ``.hdr``, ``.npy``, ``.tif``): panned into video;
- a frame pattern (``shot/%04d.exr``, ``shot/####.exr``, a glob) or several files: an HDR
  sequence read frame by frame (:class:`SequenceShot`).
"""

import functools
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from vs_vhdr.errors import InvalidArgumentError, UnknownNameError, UnreadableFileError
from vs_vhdr.imaging.hdr import clean_hdr
from vs_vhdr.io.images import READABLE, read_image
from vs_vhdr.io.sequence import expand_many, is_pattern, missing_frames
from vs_vhdr.scenes.base import Crop, Shot
from vs_vhdr.scenes.panned import PannedShot
from vs_vhdr.scenes.procedural import ProceduralConfig, ProceduralScene

DEFAULT_SIZE = (256, 256)
"""Frame size (height, width) of generated shots unless told otherwise."""
DEFAULT_FRAMES = 16
"""Length of generated shots unless told otherwise."""


class SequenceShot(Shot):
    """An HDR image sequence on disk (EXR, Radiance ``.hdr``, npy), read on demand.

    Args:
        inputs: a frame pattern, or several files (numbered by their order).

    Raises:
        NoMatchingFilesError: nothing matches.
        InvalidArgumentError: frame numbers have gaps.
    """

    def __init__(self, inputs: str | Sequence[str]) -> None:
        items = [inputs] if isinstance(inputs, str) else list(inputs)
        frames = expand_many(items)
        gaps = missing_frames(frames)
        if gaps:
            raise InvalidArgumentError(
                f"{items[0]}: frames {gaps[:5]}{'…' if len(gaps) > 5 else ''} are missing; "
                "expected a sequence without gaps"
            )
        self._files = [path for _, path in frames]
        self.name = items[0] if len(items) == 1 else f"{items[0]} (+{len(items) - 1})"
        self.num_frames = len(self._files)
        self._size: tuple[int, int] | None = None
        self.height, self.width = self._size = self._read(0).shape[:2]

    @property
    def files(self) -> list[Path]:
        """The frames' files in order."""
        return list(self._files)

    def _read(self, index: int) -> np.ndarray:
        path = self._files[index]
        image = read_image(path)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        image = clean_hdr(image, str(path))
        if self._size is not None and image.shape[:2] != self._size:
            raise UnreadableFileError(
                f"{path}: frame is {image.shape[0]}×{image.shape[1]}; expected "
                f"{self.height}×{self.width} like the sequence's first frame"
            )
        return image

    def _frames(self, start: int, count: int, crop: Crop) -> np.ndarray:
        top, left, height, width = crop
        return np.stack(
            [
                self._read(i)[top : top + height, left : left + width]
                for i in range(start, start + count)
            ]
        )


def builtin_names() -> list[str]:
    """Names of the bundled HDR maps (``hdri/LICENSE.txt`` says where each comes from).

    Four 1024×512 maps (``courtyard``, ``forest``, ``studio``, ``sunrise``) and fifteen 512×256
    ones; :data:`vs_vhdr.scenes.holdout.HELDOUT_SCENES` names those no training may use.
    """
    folder = resources.files("vs_vhdr.scenes") / "hdri"
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".exr"))


@functools.lru_cache(maxsize=32)
def builtin_map(name: str) -> np.ndarray:
    """The bundled map ``name`` as ``H×W×3`` float32 linear RGB >= 0 (read once, read-only).

    The files are DWAB-compressed (lossy, DCT-based): next to bright lights the codec rings and
    leaves negative values (up to 1.7 % of the pixels, a few % of the nearby peak). Each negative
    value is replaced by the mean of the non-negative values of that channel in its 5×5
    neighbourhood (0 where there are none), so the truth has no black specks.
    """
    if name not in builtin_names():
        raise UnknownNameError(
            f"builtin: {name!r} is not a bundled HDR map; expected one of "
            f"{', '.join(builtin_names())}"
        )
    with resources.as_file(resources.files("vs_vhdr.scenes") / "hdri" / f"{name}.exr") as path:
        image = np.asarray(read_image(path), dtype=np.float32)
    image = fill_negatives(image)
    image.setflags(write=False)
    return image


def fill_negatives(image: np.ndarray, radius: int = 2) -> np.ndarray:
    """``H×W×C`` with each negative value set to the mean of the channel's non-negative values
    within ``radius`` pixels (a ``(2·radius+1)²`` window), or 0 where there are none."""
    bad = image < 0
    if not bad.any():
        return image
    good = (~bad).astype(np.float64)
    values = np.where(bad, 0.0, image.astype(np.float64))
    pad = ((radius, radius), (radius, radius), (0, 0))
    total, count = _box_sum(np.pad(values, pad), radius), _box_sum(np.pad(good, pad), radius)
    fill = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return np.where(bad, fill, image).astype(np.float32)


def _box_sum(padded: np.ndarray, radius: int) -> np.ndarray:
    """Sum over ``(2·radius+1)²`` windows of an ``(H+2r)×(W+2r)×C`` array → ``H×W×C``."""
    cumulative = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0), (0, 0)))
    size = 2 * radius + 1
    return (
        cumulative[size:, size:]
        - cumulative[:-size, size:]
        - cumulative[size:, :-size]
        + cumulative[:-size, :-size]
    )


def builtin_shot(
    name: str,
    *,
    height: int = DEFAULT_SIZE[0],
    width: int = DEFAULT_SIZE[1],
    num_frames: int = DEFAULT_FRAMES,
    seed: int = 0,
) -> PannedShot:
    """The bundled map ``name`` as a panned :class:`Shot` named ``builtin:NAME``.

    Frames may be as large as the map or larger: :class:`PannedShot` then magnifies it (a frame
    as tall as a 512×256 map, e.g. the default 256×256, shows it at 0.9-1× zoom and pans
    sideways).
    """
    return PannedShot(
        builtin_map(name),
        name=f"builtin:{name}",
        height=height,
        width=width,
        num_frames=num_frames,
        seed=seed,
    )


def builtin_shots(
    *,
    height: int = DEFAULT_SIZE[0],
    width: int = DEFAULT_SIZE[1],
    num_frames: int = DEFAULT_FRAMES,
    seed: int = 0,
) -> list[Shot]:
    """Every bundled map as a panned shot (real HDR content with exactly known motion)."""
    return [
        builtin_shot(n, height=height, width=width, num_frames=num_frames, seed=seed)
        for n in builtin_names()
    ]


def open_shot(
    inputs: str | os.PathLike[str] | Sequence[str],
    *,
    height: int | None = None,
    width: int | None = None,
    num_frames: int | None = None,
    seed: int = 0,
) -> Shot:
    """Open any HDR source of the module doc as a :class:`Shot`.

    ``height``, ``width`` and ``num_frames`` size generated shots (procedural, builtin, stills;
    defaults ``DEFAULT_SIZE`` and ``DEFAULT_FRAMES``) and are ignored for sequences, whose size
    is their own. ``seed`` draws the scene or the panning path.
    """
    items = [os.fspath(inputs)] if isinstance(inputs, str | os.PathLike) else list(inputs)
    if not items:
        raise InvalidArgumentError("open_shot: no input; expected a file, pattern or scene name")
    h, w = height or DEFAULT_SIZE[0], width or DEFAULT_SIZE[1]
    frames = num_frames or DEFAULT_FRAMES
    first = items[0]
    if len(items) == 1 and first.startswith("procedural:"):
        preset = first.split(":", 1)[1]
        config = ProceduralConfig(preset, height=h, width=w, num_frames=frames, seed=seed)
        return ProceduralScene(config)
    if len(items) == 1 and first.startswith("builtin:"):
        name = first.split(":", 1)[1]
        return builtin_shot(name, height=h, width=w, num_frames=frames, seed=seed)
    if len(items) == 1 and not is_pattern(first) and Path(first).suffix.lower() in READABLE:
        if not Path(first).is_file():
            raise UnreadableFileError(f"open_shot: {first} does not exist")
        return PannedShot.from_file(first, height=h, width=w, num_frames=frames, seed=seed)
    return SequenceShot(items)
