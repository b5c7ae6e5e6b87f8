"""Shot specs: the strings a training config names its HDR shots with.

A spec is any source :func:`vs_vhdr.scenes.shots.open_shot` opens (``procedural:PRESET``,
``builtin:NAME``, a still ``.exr``/``.hdr`` panned into video, a frame pattern or glob, or a
folder of EXR frames), optionally followed by ``@SEED`` for generated sources (procedural
scenes, panned stills) to draw another scene or panning path: ``procedural:day@3``,
``builtin:forest@1``. Generated shots are ``generated_size(...)`` large.

:func:`content_id` names the content behind a spec, for the hold-out check: different seeds of
one procedural preset are different scenes, but every panning path over one image (builtin map
or still file) shows the same content, and a file is known by its resolved path.
"""

import re
from pathlib import Path

from vs_vhdr.data.config import DataConfig
from vs_vhdr.errors import NoMatchingFilesError
from vs_vhdr.io.images import READABLE
from vs_vhdr.io.sequence import is_pattern
from vs_vhdr.scenes.base import Shot
from vs_vhdr.scenes.shots import open_shot as open_source

_SEED = re.compile(r"^(.*)@(\d+)$")
MIN_GENERATED_SIZE = 256
MIN_GENERATED_FRAMES = 32


def split_seed(spec: str) -> tuple[str, int]:
    """``(source, seed)`` of a spec; seed 0 when none is given or the source is a sequence."""
    match = _SEED.match(spec)
    if match and _is_generated(match.group(1)):
        return match.group(1), int(match.group(2))
    return spec, 0


def generated_size(config: DataConfig) -> tuple[int, int]:
    """``(side, frames)`` of generated shots: room for many crops and start frames."""
    return max(MIN_GENERATED_SIZE, 2 * config.crop), max(MIN_GENERATED_FRAMES, 4 * config.frames)


def open_shot(spec: str, config: DataConfig) -> Shot:
    """The shot a spec names, generated sources sized by :func:`generated_size`."""
    source, seed = split_seed(spec)
    side, frames = generated_size(config)
    path = Path(source)
    if path.is_dir():
        source = str(path / "*.exr")
    shot = open_source(source, height=side, width=side, num_frames=frames, seed=seed)
    shot.name = spec
    return shot


def open_shots(specs: tuple[str, ...], config: DataConfig, where: str) -> list[Shot]:
    """Open every spec; ``where`` (a config key) is named in errors."""
    shots = []
    for spec in specs:
        try:
            shots.append(open_shot(spec, config))
        except NoMatchingFilesError as error:
            raise NoMatchingFilesError(
                f"{where}: shot {spec!r} has no usable frames ({error})"
            ) from None
    return shots


def content_id(spec: str) -> str:
    """What a spec shows, for the hold-out check (see the module doc)."""
    source, seed = split_seed(spec)
    if source.startswith("procedural:"):
        return f"{source}@{seed}"
    if source.startswith("builtin:"):
        return source
    path = Path(source)
    return str(path.parent.resolve() / path.name)


def _is_generated(source: str) -> bool:
    if source.startswith(("procedural:", "builtin:")):
        return True
    return not is_pattern(source) and Path(source).suffix.lower() in READABLE
