"""Input checks of the engine: raw frames and masks as float32 numpy arrays with clear errors.

Raw values follow CONTRACT §1 (float in [0, 1]); values up to ``RAW_TOLERANCE`` outside that
range (black-level noise, rounding) are accepted and clamped, anything further is refused, as are
integer arrays (normalise integer raw by its white level first) and NaN or infinity.
"""

import numpy as np

from vs_vhdr.errors import InvalidArgumentError

RAW_TOLERANCE = 1.0 / 16.0
"""How far outside [0, 1] raw or mask values may lie before they are refused (then clamped)."""


def check_unit_array(
    value: object, name: str, ndim: int, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Return ``value`` as a float32 array of rank ``ndim``, finite, clamped to [0, 1].

    Args:
        value: array-like raw or mask data.
        name: how the error message names it, e.g. ``get_raw(12)`` or ``mask``.
        ndim: the required rank (2 for ``H×W``, 3 for ``T×H×W``).
        shape: when given, the trailing ``H×W`` the array must have.
    """
    dims = "×".join("THW"[3 - ndim :]) if ndim <= 3 else f"rank {ndim}"
    if value is None:
        raise InvalidArgumentError(f"{name} is None; expected a float array {dims}")
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise InvalidArgumentError(f"{name} has dtype {array.dtype}; expected float32 {dims}")
    if array.dtype.kind in "iub":
        raise InvalidArgumentError(
            f"{name} has integer dtype {array.dtype}; expected float {dims} in [0, 1] "
            "(divide integer raw by its white level)"
        )
    if array.ndim != ndim:
        raise InvalidArgumentError(f"{name} has shape {array.shape}; expected {dims}")
    if shape is not None and array.shape[-2:] != shape:
        raise InvalidArgumentError(
            f"{name} has size {array.shape[-2]}×{array.shape[-1]} (H×W); expected the raw "
            f"frame size {shape[0]}×{shape[1]}"
        )
    if 0 in array.shape:
        raise InvalidArgumentError(f"{name} has shape {array.shape}; expected a non-empty {dims}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise InvalidArgumentError(
            f"{name} contains NaN or infinite values; expected finite values"
        )
    low, high = float(array.min()), float(array.max())
    if low < -RAW_TOLERANCE or high > 1.0 + RAW_TOLERANCE:
        raise InvalidArgumentError(
            f"{name} has values in [{low:g}, {high:g}]; expected [0, 1] (raw normalised: black "
            "level subtracted, divided by white - black)"
        )
    return np.clip(array, 0.0, 1.0)
