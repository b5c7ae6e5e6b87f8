"""Network input from raw frames: the spread mosaic, plus the spread mask for ``-m`` models.

Paper-exact models take the mosaic spread into 3 channels (CONTRACT §1). Mask-conditioned
models take 3 more channels: the mask Φ spread with the same CFA, so channel ``3 + c`` holds
the transmittance of the pixels whose colour is ``c`` (zero elsewhere). The spread mask thus
also tells the network where each colour is sampled, even where the raw value is 0.
"""

import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import check_cfa, spread
from vs_vhdr.nets.base import ModelSpec

FUNC = "prepare_input"


def prepare_input(
    raw: torch.Tensor,
    mask: torch.Tensor | None,
    cfa: str,
    spec: ModelSpec,
    origin: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """Build a network input ``B×C×T×H×W`` from raw frames and the mask.

    Args:
        raw: ``B×T×H×W`` coded raw frames, float in [0, 1] (CONTRACT §1); no NaN or inf.
        mask: transmittance in [0, 1], ``B×T×H×W`` or broadcastable to it with the same
            ``H×W`` (e.g. ``H×W`` for a static mask). Required when ``spec.mask_conditioned``;
            otherwise it is checked when given, and not used.
        cfa: Bayer pattern of the sensor (``RGGB``, ``BGGR``, ``GRBG``, ``GBRG``).
        spec: the model's :class:`ModelSpec` (``model.spec``).
        origin: ``(row, col)`` of ``raw``'s top-left pixel on the sensor, for crops and tiles.

    Returns:
        ``B×3×T×H×W`` (or ``B×6×T×H×W`` for mask-conditioned models) in ``raw``'s dtype.
    """
    cfa = check_cfa(cfa, FUNC)
    _check_raw(raw)
    _check_origin(origin)
    expected_channels = 6 if spec.mask_conditioned else 3
    if spec.in_channels != expected_channels:
        raise InvalidArgumentError(
            f"{FUNC}: model {spec.name!r} takes {spec.in_channels} input channels; prepare_input"
            f" builds {expected_channels} (spread mosaic{' + spread mask' if spec.mask_conditioned else ''})"
        )
    network_input = spread(raw, cfa, origin=origin).movedim(-4, 1)
    if mask is None:
        if spec.mask_conditioned:
            raise InvalidArgumentError(
                f"{FUNC}: model {spec.name!r} is mask-conditioned; mask=None, expected the"
                f" mask of shape {tuple(raw.shape[-2:])} or {tuple(raw.shape)}"
            )
        return network_input
    full_mask = _check_mask(mask, raw)
    if not spec.mask_conditioned:
        return network_input
    spread_mask = spread(full_mask, cfa, origin=origin).movedim(-4, 1)
    return torch.cat([network_input, spread_mask], dim=1)


def _check_raw(raw: torch.Tensor) -> None:
    if not isinstance(raw, torch.Tensor):
        raise InvalidArgumentError(f"{FUNC}: raw is a {type(raw).__name__}; expected a tensor")
    if raw.dim() != 4 or 0 in raw.shape:
        raise InvalidArgumentError(
            f"{FUNC}: raw has shape {tuple(raw.shape)}; expected B×T×H×W (non-empty)"
        )
    if not raw.is_floating_point():
        raise InvalidArgumentError(
            f"{FUNC}: raw has dtype {raw.dtype}; expected float values in [0, 1]"
            " (normalise integer raw by its white level first)"
        )
    if not torch.isfinite(raw).all():
        raise InvalidArgumentError(f"{FUNC}: raw contains NaN or infinite values")


def _check_origin(origin: tuple[int, int]) -> None:
    if (
        not isinstance(origin, tuple | list)
        or len(origin) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in origin)
    ):
        raise InvalidArgumentError(
            f"{FUNC}: origin={origin!r}; expected (row, col), two integers >= 0"
        )


def _check_mask(mask: torch.Tensor, raw: torch.Tensor) -> torch.Tensor:
    """The mask broadcast to ``raw``'s shape, dtype and device, after checking it."""
    if not isinstance(mask, torch.Tensor):
        raise InvalidArgumentError(f"{FUNC}: mask is a {type(mask).__name__}; expected a tensor")
    wanted = f"{tuple(raw.shape)} or broadcastable to it with H×W = {tuple(raw.shape[-2:])}"
    if mask.dim() < 2 or mask.dim() > 4 or tuple(mask.shape[-2:]) != tuple(raw.shape[-2:]):
        raise InvalidArgumentError(f"{FUNC}: mask has shape {tuple(mask.shape)}; expected {wanted}")
    try:
        full = mask.to(device=raw.device, dtype=raw.dtype).expand(raw.shape)
    except RuntimeError:
        raise InvalidArgumentError(
            f"{FUNC}: mask has shape {tuple(mask.shape)}; expected {wanted}"
        ) from None
    if not torch.isfinite(full).all():
        raise InvalidArgumentError(f"{FUNC}: mask contains NaN or infinite values")
    low, high = full.min().item(), full.max().item()
    if low < 0 or high > 1:
        raise InvalidArgumentError(
            f"{FUNC}: mask values lie in [{low:g}, {high:g}]; expected transmittance in [0, 1]"
        )
    return full
