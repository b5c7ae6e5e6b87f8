"""Checks of scene HDR input: finite, non-negative, RGB.

Two strengths: :func:`check_hdr` refuses anything negative (for arrays handed to the simulator);
:func:`clean_hdr` is for pixels read from files, where lossy EXR codecs (DWAA/DWAB, B44) leave tiny
negative values. It sets negatives no deeper than ``NEGATIVE_TOLERANCE`` × the image's maximum to
0 and refuses deeper ones.
"""

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

NEGATIVE_TOLERANCE = 1e-3
"""Largest negative value :func:`clean_hdr` clamps to 0, relative to the image's maximum."""


def check_hdr(hdr: np.ndarray, where: str) -> np.ndarray:
    """Return ``hdr`` as float32 ``(T×)H×W×3`` or raise naming ``where``.

    Raises:
        InvalidArgumentError: wrong shape, NaN/Inf or negative values.
    """
    array = _as_rgb(hdr, where)
    _check_finite(array, where)
    low = float(array.min()) if array.size else 0.0
    if low < 0:
        raise InvalidArgumentError(
            f"{where}: HDR has negative values (min {low:.4g}); expected linear light >= 0"
        )
    return array


def clean_hdr(hdr: np.ndarray, where: str) -> np.ndarray:
    """Like :func:`check_hdr`, but clamp tiny negatives (lossy codecs) to 0 first."""
    array = _as_rgb(hdr, where)
    _check_finite(array, where)
    if array.size == 0:
        return array
    low, high = float(array.min()), float(array.max())
    if low < 0:
        if low < -NEGATIVE_TOLERANCE * max(high, 0.0):
            raise InvalidArgumentError(
                f"{where}: HDR has negative values (min {low:.4g}, max {high:.4g}); expected "
                f"linear light >= 0 (negatives down to {NEGATIVE_TOLERANCE:g}×max are clamped)"
            )
        array = np.maximum(array, 0.0, dtype=np.float32)
    return array


def _as_rgb(hdr: np.ndarray, where: str) -> np.ndarray:
    array = np.asarray(hdr)
    if array.ndim not in (3, 4) or array.shape[-1] != 3:
        raise InvalidArgumentError(f"{where}: HDR has shape {array.shape}; expected (T×)H×W×3 RGB")
    if not np.issubdtype(array.dtype, np.floating):
        raise InvalidArgumentError(
            f"{where}: HDR has dtype {array.dtype}; expected floating-point linear light"
        )
    return np.asarray(array, dtype=np.float32)


def _check_finite(array: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidArgumentError(
            f"{where}: HDR has {int(bad.sum())} NaN/Inf values; expected finite linear light"
        )
