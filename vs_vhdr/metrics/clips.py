"""Read frame sequences for evaluation and pair them frame by frame.

Two sequences are paired by frame number when both have the same numbers (``gt.0003.exr`` with
``out.0003.exr``), else by position when they have the same length (a reconstruction numbered
from 1 against ground truth numbered from 0); anything else is an error that shows both ranges.
"""

from pathlib import Path

import numpy as np

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.images import read_image

Frames = list[tuple[int, Path]]


def pair_frames(first: Frames, second: Frames, names: tuple[str, str]) -> list[tuple[Path, Path]]:
    """Pair two expanded sequences (``[(frame_number, path)]``) as described above."""
    numbers_a = [n for n, _ in first]
    numbers_b = [n for n, _ in second]
    if numbers_a == numbers_b or len(first) == len(second):
        return [(a, b) for (_, a), (_, b) in zip(first, second)]
    raise InvalidArgumentError(
        f"eval: {names[0]} has {len(first)} frames ({_span(numbers_a)}) but {names[1]} has "
        f"{len(second)} ({_span(numbers_b)}); expected the same frames"
    )


def read_clip(paths: list[Path], what: str, *, channels: int = 3) -> np.ndarray:
    """Read frames into one float32 array: ``T×H×W×3`` (``channels=3``) or ``T×H×W`` (``1``)."""
    frames: list[np.ndarray] = []
    for path in paths:
        image = read_image(path)
        if channels == 3 and image.ndim == 3 and image.shape[-1] == 4:
            image = image[..., :3]
        ok = image.ndim == 3 and image.shape[-1] == 3 if channels == 3 else image.ndim == 2
        if not ok:
            expected = "RGB (H×W×3)" if channels == 3 else "one channel (H×W)"
            raise InvalidArgumentError(
                f"eval: {what} frame {path} has shape {image.shape}; expected {expected}"
            )
        if frames and image.shape != frames[0].shape:
            raise InvalidArgumentError(
                f"eval: {what} frame {path} is {image.shape[:2]} but {paths[0]} is "
                f"{frames[0].shape[:2]}; expected one frame size"
            )
        frames.append(image)
    return np.stack(frames)


def _span(numbers: list[int]) -> str:
    return f"{numbers[0]}–{numbers[-1]}" if numbers else "none"
