"""Camera response f and quantisation (paper Eq. 1), on values in [0, 1].

Responses: ``linear`` (raw sensor data, the default), ``gamma`` (y = x^(1/γ)), ``srgb`` (the
IEC 61966-2-1 encoding curve) and ``lut`` (a user curve sampled at evenly spaced inputs
0, 1/(n−1), …, 1 and interpolated linearly). Quantisation rounds to ``2^bits − 1`` levels.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError

RESPONSE_KINDS: tuple[str, ...] = ("linear", "gamma", "srgb", "lut")
MIN_BITS, MAX_BITS = 8, 16


@dataclass(frozen=True)
class Response:
    """A camera response curve on [0, 1] → [0, 1].

    Attributes:
        kind: one of ``RESPONSE_KINDS``.
        gamma: the exponent γ of ``gamma`` (output = input^(1/γ)).
        lut: output values at evenly spaced inputs (``lut`` only), non-decreasing, in [0, 1].
    """

    kind: str = "linear"
    gamma: float = 2.2
    lut: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in RESPONSE_KINDS:
            raise InvalidArgumentError(
                f"response: kind={self.kind!r}; expected one of {', '.join(RESPONSE_KINDS)}"
            )
        if self.kind == "gamma" and not (math.isfinite(self.gamma) and self.gamma > 0):
            raise InvalidArgumentError(f"response: gamma={self.gamma!r}; expected a number > 0")
        if self.kind == "lut":
            values = np.asarray(self.lut, dtype=np.float64)
            if values.ndim != 1 or values.size < 2 or not np.isfinite(values).all():
                raise InvalidArgumentError(
                    f"response: lut has {values.size} values; expected >= 2 finite numbers"
                )
            if values.min() < 0 or values.max() > 1 or (np.diff(values) < 0).any():
                raise InvalidArgumentError(
                    "response: lut must be non-decreasing with values in [0, 1]"
                )

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the curve to ``x`` (any shape, values in [0, 1]); same shape, dtype, device."""
        if self.kind == "linear":
            return x
        if self.kind == "gamma":
            return x.clamp_min(0).pow(1.0 / self.gamma)
        if self.kind == "srgb":
            x = x.clamp_min(0)
            return torch.where(
                x <= 0.0031308, 12.92 * x, 1.055 * x.clamp_min(0.0031308).pow(1 / 2.4) - 0.055
            )
        table = torch.tensor(self.lut, dtype=x.dtype, device=x.device)
        position = x.clamp(0, 1) * (table.numel() - 1)
        low = position.floor().clamp(max=table.numel() - 2).long()
        frac = position - low.to(x.dtype)
        return table[low] * (1 - frac) + table[low + 1] * frac


def parse_response(text: str) -> Response:
    """``linear``, ``srgb``, ``gamma`` / ``gamma:2.4`` or ``lut:FILE`` (see :func:`load_lut`)."""
    name, _, arg = text.partition(":")
    if name == "gamma":
        try:
            return Response("gamma", gamma=float(arg)) if arg else Response("gamma")
        except ValueError:
            raise InvalidArgumentError(
                f"response: {text!r}; expected gamma:<number>, e.g. gamma:2.2"
            ) from None
    if name == "lut":
        if not arg:
            raise InvalidArgumentError(f"response: {text!r}; expected lut:<file>")
        return load_lut(arg)
    if name in ("linear", "srgb") and not arg:
        return Response(name)
    raise InvalidArgumentError(f"response: {text!r}; expected linear, srgb, gamma[:G] or lut:FILE")


def load_lut(path: str | os.PathLike[str]) -> Response:
    """Read a LUT response: ``.npy`` (1-D array) or text (numbers separated by spaces/commas)."""
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"response: LUT file {p} does not exist")
    try:
        if p.suffix.lower() == ".npy":
            values = np.load(p, allow_pickle=False)
        else:
            values = np.array(p.read_text().replace(",", " ").split(), dtype=np.float64)
    except (ValueError, OSError) as error:
        raise UnreadableFileError(f"response: cannot read LUT file {p} ({error})") from error
    return Response("lut", lut=tuple(float(v) for v in np.ravel(values)))


def check_bits(bits: int) -> int:
    """Return ``bits`` or raise if it is not an integer in [8, 16]."""
    if not (isinstance(bits, int) and MIN_BITS <= bits <= MAX_BITS):
        raise InvalidArgumentError(
            f"bits={bits!r}; expected an integer bit depth from {MIN_BITS} to {MAX_BITS}"
        )
    return bits


def quantise(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Round ``x`` in [0, 1] to the nearest of ``2^bits − 1`` steps (ties to even), as floats."""
    levels = float(2 ** check_bits(bits) - 1)
    return torch.round(x * levels) / levels
