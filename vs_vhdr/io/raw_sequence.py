"""Raw frame sequences: numbered DNG / CinemaDNG / camera raw files from one camera.

A sequence is given as a pattern (``shot/A001_%06d.dng``, ``####`` or a glob), a folder (every
raw file in it; the audio and sidecar files of CinemaDNG folders are ignored) or several files
(e.g. a shell-expanded glob). Frame numbers come from the file names and are kept; a gap in the
numbering is an error that lists the missing frames. Every frame must come from one camera (make,
model, serial number) with one size and one CFA: DNG tags are checked when the sequence is
opened, every file again when it is decoded.
"""

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vs_vhdr.errors import InvalidArgumentError, NoMatchingFilesError
from vs_vhdr.io.raw import RawInfo, RawMetadata, is_raw_path, read_raw, read_raw_header
from vs_vhdr.io.sequence import expand, missing_frames

Inputs = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
"""One pattern, folder or file, or several files."""

Levels = float | Sequence[float] | None


class RawSequence:
    """Numbered raw frames of one camera, decoded on demand into normalised mosaics.

    Attributes:
        frames: ``[(frame_number, path), ...]`` in frame order.
        info: the first frame's :class:`RawInfo` (size, CFA, levels, metadata).
    """

    def __init__(
        self,
        frames: Sequence[tuple[int, Path]],
        *,
        black_level: Levels = None,
        white_level: float | None = None,
        allow_gaps: bool = False,
    ) -> None:
        """Check the numbering and the files' tags, decode the first frame.

        Args:
            frames: frame numbers and raw files, e.g. from :func:`raw_frames`.
            black_level, white_level: overrides of the files' levels in DN (see
                :func:`vs_vhdr.io.raw.read_raw`).
            allow_gaps: accept gaps in the numbering (a set of stills, not a video).

        Raises:
            InvalidArgumentError: missing frames, or files of other cameras, sizes or CFAs.
            UnreadableFileError: a file that is not Bayer raw data.
        """
        self.frames = sorted(frames)
        if not self.frames:
            raise NoMatchingFilesError("raw sequence: no frames given")
        if not allow_gaps:
            _check_numbering(self.frames)
        for _, path in self.frames:
            if not is_raw_path(path):
                raise InvalidArgumentError(
                    f"raw sequence: {path} is not a camera raw file (extension "
                    f"{path.suffix!r}); expected DNG / camera raw frames only (.dng, .cr2, .nef, "
                    ".arw, ...)"
                )
        self._black_level, self._white_level = black_level, white_level
        _, self.info = read_raw(self.frames[0][1], black_level=black_level, white_level=white_level)
        self._check_headers()

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def numbers(self) -> list[int]:
        """Frame numbers, in order."""
        return [number for number, _ in self.frames]

    @property
    def black_level(self) -> Levels:
        """The black level override in DN (None: each file's own)."""
        return self._black_level

    @property
    def white_level(self) -> float | None:
        """The white level override in DN (None: each file's own)."""
        return self._white_level

    @property
    def cfa(self) -> str:
        """Bayer pattern of every frame."""
        return self.info.cfa

    @property
    def metadata(self) -> RawMetadata:
        """Camera identity, ISO, exposure time and frame rate (of the first frame)."""
        return self.info.metadata

    def read(self, index: int) -> np.ndarray:
        """The mosaic of frame ``index`` (position, not number): ``H×W`` float32 in [0, 1]."""
        return self.read_with_info(index)[0]

    def read_with_info(self, index: int) -> tuple[np.ndarray, RawInfo]:
        """The mosaic of frame ``index`` and that file's :class:`RawInfo`.

        Raises:
            InvalidArgumentError: the file's camera, size or CFA differs from the first frame's.
        """
        if not 0 <= index < len(self.frames):
            raise InvalidArgumentError(
                f"raw sequence: frame index {index}; expected 0..{len(self.frames) - 1}"
            )
        mosaic, info = read_raw(
            self.frames[index][1], black_level=self._black_level, white_level=self._white_level
        )
        first = self.info
        mine = (info.height, info.width, info.cfa)
        if mine != (first.height, first.width, first.cfa):
            raise InvalidArgumentError(
                f"raw sequence: {info.path} is {info.height}×{info.width} {info.cfa} but "
                f"{first.path} is {first.height}×{first.width} {first.cfa}; expected one size "
                "and CFA in a sequence"
            )
        self._check_camera(info.path, info.metadata)
        return mosaic, info

    def _check_headers(self) -> None:
        """Compare every file's tags with the first's: camera identity, DNG size and CFA."""
        layout = read_raw_header(self.frames[0][1]).dng_layout
        for _, path in self.frames[1:]:
            header = read_raw_header(path)
            self._check_camera(path, header.metadata)
            if layout is not None and header.dng_layout is not None and header.dng_layout != layout:
                h, w, cfa = header.dng_layout
                raise InvalidArgumentError(
                    f"raw sequence: {path} is {h}×{w} {cfa} but {self.frames[0][1]} is "
                    f"{layout[0]}×{layout[1]} {layout[2]}; expected one size and CFA in a sequence"
                )

    def _check_camera(self, path: Path, metadata: RawMetadata) -> None:
        first = self.metadata
        if _identity(metadata) != _identity(first):
            raise InvalidArgumentError(
                f"raw sequence: {path} comes from {metadata.describe()} but {self.frames[0][1]} "
                f"from {first.describe()}; expected every frame from one camera"
            )


def raw_frames(inputs: Inputs) -> list[tuple[int, Path]]:
    """Expand a pattern, folder or file list into ``[(frame_number, path), ...]``.

    Several files are numbered by the last number in each name when those are unique, else by
    their sorted order.

    Raises:
        NoMatchingFilesError: nothing matches, or a folder holds no raw file.
    """
    items = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
    if not items:
        raise NoMatchingFilesError("raw sequence: no input given")
    if len(items) == 1 and Path(items[0]).is_dir():
        folder = Path(items[0])
        paths = sorted(p for p in folder.iterdir() if p.is_file() and is_raw_path(p))
        if not paths:
            raise NoMatchingFilesError(
                f"raw sequence: folder {folder} holds no raw file; expected e.g. *.dng frames"
            )
        return _numbered(paths)
    if len(items) == 1:
        return expand(items[0])
    return _numbered(sorted(path for item in items for _, path in expand(item)))


def open_raw_sequence(
    inputs: Inputs, *, black_level: Levels = None, white_level: float | None = None
) -> RawSequence:
    """:class:`RawSequence` of a pattern, folder or file list (see :func:`raw_frames`)."""
    return RawSequence(raw_frames(inputs), black_level=black_level, white_level=white_level)


def open_raw_input(
    inputs: Inputs,
    *,
    black_level: Levels = None,
    white_level: float | None = None,
    allow_gaps: bool = False,
) -> RawSequence | None:
    """:class:`RawSequence` when ``inputs`` name raw files (by extension), else None.

    For commands that take raw files and other images (EXR, ...) alike.
    """
    frames = raw_frames(inputs)
    if not any(is_raw_path(path) for _, path in frames):
        return None
    return RawSequence(
        frames, black_level=black_level, white_level=white_level, allow_gaps=allow_gaps
    )


def _numbered(paths: list[Path]) -> list[tuple[int, Path]]:
    numbers = [_last_number(p) for p in paths]
    if None in numbers or len(set(numbers)) != len(numbers):
        return list(enumerate(paths))
    return sorted((int(n or 0), p) for n, p in zip(numbers, paths))


def _last_number(path: Path) -> int | None:
    digits = "".join(c if c.isdigit() else " " for c in path.stem).split()
    return int(digits[-1]) if digits else None


def _check_numbering(frames: list[tuple[int, Path]]) -> None:
    gaps = missing_frames(frames)
    if gaps:
        shown = ", ".join(str(g) for g in gaps[:10]) + (" ..." if len(gaps) > 10 else "")
        first, last = frames[0], frames[-1]
        raise InvalidArgumentError(
            f"raw sequence: {len(gaps)} frame(s) missing between {first[1]} and {last[1]}: "
            f"frame number(s) {shown}; expected a sequence without gaps"
        )


def _identity(metadata: RawMetadata) -> list[str]:
    return [
        " ".join((v or "").casefold().split())
        for v in (metadata.make, metadata.model, metadata.serial)
    ]
