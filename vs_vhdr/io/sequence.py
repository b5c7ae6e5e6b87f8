"""Frame-sequence patterns, in one place.

A pattern names numbered files in one of three ways: printf style ``shot/raw.%04d.exr``, hash style
``shot/raw.####.exr`` (one ``#`` per digit), or a glob ``shot/*.exr``. A plain existing file is a
one-frame sequence. Frame numbers come from the pattern (or from the last number in each globbed
name) and are kept, so ``raw.0101.exr`` stays frame 101.
"""

import glob
import os
import re
from pathlib import Path

from vs_vhdr.errors import InvalidArgumentError, NoMatchingFilesError

_PRINTF = re.compile(r"%(0?)(\d*)d")
_HASHES = re.compile(r"#+")
_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def is_pattern(pattern: str) -> bool:
    """True if ``pattern`` has a ``%d``/``####`` field or glob characters."""
    return bool(_PRINTF.search(pattern) or _HASHES.search(pattern) or glob.has_magic(pattern))


def format_frame(pattern: str, frame: int) -> str:
    """The file name of ``frame`` in a printf or hash pattern."""
    if _PRINTF.search(pattern):
        return _PRINTF.sub(lambda m: f"{frame:0{m.group(2) or 1}d}", pattern, count=1)
    if _HASHES.search(pattern):
        return _HASHES.sub(lambda m: f"{frame:0{len(m.group(0))}d}", pattern, count=1)
    raise InvalidArgumentError(
        f"format_frame: pattern={pattern!r} has no frame field; expected %04d or ####"
    )


def expand(pattern: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    """Frames of a pattern as ``[(frame_number, path), ...]`` sorted by frame number.

    Raises:
        NoMatchingFilesError: nothing matches.
    """
    text = os.fspath(pattern)
    if not is_pattern(text):
        path = Path(text)
        if path.is_file():
            number = _LAST_NUMBER.search(path.name)
            return [(int(number.group(1)) if number else 0, path)]
        raise NoMatchingFilesError(f"expand: {text} does not exist")
    regex = _field_regex(text)
    found: list[tuple[int, Path]] = []
    if regex is None:  # a glob: number by the last digits in each name
        for name in sorted(glob.glob(text)):
            number = _LAST_NUMBER.search(Path(name).name)
            found.append((int(number.group(1)) if number else len(found), Path(name)))
    else:
        wildcard = _HASHES.sub("*", _PRINTF.sub("*", text, count=1), count=1)
        for name in glob.glob(wildcard):
            match = regex.fullmatch(name)
            if match:
                found.append((int(match.group(1)), Path(name)))
    if not found:
        raise NoMatchingFilesError(f"expand: pattern {text!r} matches no file")
    found.sort()
    numbers = [n for n, _ in found]
    if len(set(numbers)) != len(numbers):
        raise InvalidArgumentError(
            f"expand: pattern {text!r} matches two files with one frame number"
        )
    return found


def expand_many(inputs: list[str]) -> list[tuple[int, Path]]:
    """Expand several patterns or files given on a command line into one frame list.

    Several plain files (e.g. a shell-expanded glob) are numbered by their order.
    """
    if len(inputs) == 1:
        return expand(inputs[0])
    frames: list[tuple[int, Path]] = []
    for item in inputs:
        frames.extend(expand(item))
    return [(i, path) for i, (_, path) in enumerate(sorted(frames, key=lambda f: str(f[1])))]


def missing_frames(frames: list[tuple[int, Path]]) -> list[int]:
    """Frame numbers absent between the first and last of a numbered sequence."""
    present = {n for n, _ in frames}
    if not present:
        return []
    return [n for n in range(min(present), max(present) + 1) if n not in present]


def _field_regex(pattern: str) -> re.Pattern[str] | None:
    for field in (_PRINTF, _HASHES):
        match = field.search(pattern)
        if match:
            head, tail = pattern[: match.start()], pattern[match.end() :]
            width = len(match.group(0)) if field is _HASHES else int(match.group(2) or 1)
            digits = rf"(\d{{{width},}})" if width > 1 else r"(\d+)"
            return re.compile(re.escape(head) + digits + re.escape(tail))
    return None
