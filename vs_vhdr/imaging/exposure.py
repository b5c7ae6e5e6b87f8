"""Exposure: the scale that makes scene HDR exposure-normalised (CONTRACT §1).

After scaling, 1.0 saturates an unmasked pixel. The scale is either given, or chosen by the
automatic rule: **the ``percentile``-th percentile (default 50, the median) of Rec. 709 luminance
over every frame of the clip is mapped to ``target`` (default 0.18, mid grey)**. One scale serves
the whole clip, so the simulated exposure never flickers. With a mask of mean transmittance 0.5
the median pixel then records about 0.09 of full scale and highlights above 1/Φ saturate.
"""

import math
from dataclasses import dataclass

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
"""Rec. 709 luminance weights of linear R, G, B."""


@dataclass(frozen=True)
class ExposureRule:
    """The automatic exposure rule: ``percentile`` of luminance maps to ``target``."""

    percentile: float = 50.0
    target: float = 0.18

    def __post_init__(self) -> None:
        if not 0.0 <= self.percentile <= 100.0:
            raise InvalidArgumentError(
                f"exposure: percentile={self.percentile!r}; expected a value in [0, 100]"
            )
        if not (math.isfinite(self.target) and self.target > 0):
            raise InvalidArgumentError(f"exposure: target={self.target!r}; expected a level > 0")


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 709 luminance of linear ``(..., 3)`` RGB, float32 ``(...)``."""
    return np.asarray(rgb, dtype=np.float32) @ LUMA_WEIGHTS


def auto_exposure(luma: np.ndarray, rule: ExposureRule | None = None) -> float:
    """The scale that maps ``rule.percentile`` of the luminance samples ``luma`` to ``rule.target``.

    Args:
        luma: luminance samples of the whole clip, any shape (see :func:`luminance`).
        rule: the rule; the default maps the median to 0.18.

    Raises:
        InvalidArgumentError: the chosen percentile is 0 (e.g. a black clip).
    """
    rule = rule or ExposureRule()
    values = np.asarray(luma, dtype=np.float64).ravel()
    level = float(np.percentile(values, rule.percentile)) if values.size else 0.0
    if not level > 0:
        raise InvalidArgumentError(
            f"exposure: the {rule.percentile:g}th percentile of luminance is {level:g}; "
            "cannot expose automatically, give an explicit exposure scale"
        )
    return rule.target / level


def parse_exposure(text: str) -> float | None:
    """``auto`` → None, else a positive finite scale."""
    if text == "auto":
        return None
    try:
        scale = float(text)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise InvalidArgumentError(f"exposure: {text!r}; expected auto or a scale > 0")
    return scale


def expose(hdr: np.ndarray, scale: float) -> np.ndarray:
    """Exposure-normalised float32 HDR: ``hdr · scale`` (the ground truth the simulator images)."""
    return np.asarray(hdr, dtype=np.float32) * np.float32(scale)
