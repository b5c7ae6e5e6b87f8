"""Bayer colour filter arrays: the ``B`` of paper Eq. 1.

A CFA is named by its 2×2 tile read row by row, e.g. ``RGGB`` has R at (row 0, col 0).
``mosaic`` samples RGB into one raw value per pixel; ``spread`` lays a raw mosaic out as the
3-channel input the networks take (zero where a channel is not sampled, the paper's c = 3);
``gather`` undoes ``spread``.

Shapes (torch): RGB and spread ``B×3×T×H×W``; raw ``B×T×H×W``. Any leading shape works as long as
the channel axis is the one named. Heights and widths may be odd.
"""

import numpy as np
import torch

from vs_vhdr.errors import InvalidArgumentError

CFA_PATTERNS: tuple[str, ...] = ("RGGB", "BGGR", "GRBG", "GBRG")
_CHANNEL = {"R": 0, "G": 1, "B": 2}


def check_cfa(cfa: str, where: str = "cfa") -> str:
    """Return ``cfa`` upper-cased, or raise naming ``where`` if it is not a Bayer pattern."""
    name = cfa.upper() if isinstance(cfa, str) else cfa
    if name not in CFA_PATTERNS:
        raise InvalidArgumentError(
            f"{where}: cfa={cfa!r} is not a Bayer pattern; expected one of {', '.join(CFA_PATTERNS)}"
        )
    return name


def cfa_channels(cfa: str) -> np.ndarray:
    """2×2 int array: the colour channel (0=R, 1=G, 2=B) sampled at each tile position."""
    name = check_cfa(cfa)
    return np.array([_CHANNEL[c] for c in name], dtype=np.int64).reshape(2, 2)


def cfa_masks(
    cfa: str,
    height: int,
    width: int,
    *,
    origin: tuple[int, int] = (0, 0),
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """One-hot sampling masks, shape ``3×H×W``: 1 where that channel is sampled.

    ``origin`` is the (row, col) of this crop's top-left pixel in the full sensor, so a crop at an
    odd offset keeps the sensor's pattern.
    """
    tile = torch.from_numpy(cfa_channels(cfa))
    rows = (torch.arange(height) + origin[0]) % 2
    cols = (torch.arange(width) + origin[1]) % 2
    channel = tile[rows[:, None], cols[None, :]]
    onehot = torch.stack([channel == c for c in range(3)])
    return onehot.to(device=device, dtype=dtype)


def mosaic(
    rgb: torch.Tensor, cfa: str = "RGGB", *, origin: tuple[int, int] = (0, 0)
) -> torch.Tensor:
    """Sample RGB with the CFA: ``(..., 3, T, H, W)`` → ``(..., T, H, W)``."""
    _check_channels(rgb, "mosaic", "rgb")
    masks = cfa_masks(
        cfa, rgb.shape[-2], rgb.shape[-1], origin=origin, device=rgb.device, dtype=rgb.dtype
    )
    return (rgb * masks[:, None]).sum(dim=-4)


def spread(
    raw: torch.Tensor, cfa: str = "RGGB", *, origin: tuple[int, int] = (0, 0)
) -> torch.Tensor:
    """Lay a raw mosaic into 3 channels: ``(..., T, H, W)`` → ``(..., 3, T, H, W)``, zeros elsewhere."""
    if raw.dim() < 3:
        raise InvalidArgumentError(
            f"spread: raw has shape {tuple(raw.shape)}; expected (..., T, H, W)"
        )
    masks = cfa_masks(
        cfa, raw.shape[-2], raw.shape[-1], origin=origin, device=raw.device, dtype=raw.dtype
    )
    return raw.unsqueeze(-4) * masks[:, None]


def gather(spread_mosaic: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`spread`: ``(..., 3, T, H, W)`` → ``(..., T, H, W)``."""
    _check_channels(spread_mosaic, "gather", "spread_mosaic")
    return spread_mosaic.sum(dim=-4)


def mosaic_np(
    rgb: np.ndarray, cfa: str = "RGGB", *, origin: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """numpy helper: ``T×H×W×3`` (or ``H×W×3``) RGB → ``T×H×W`` (or ``H×W``) mosaic."""
    if rgb.ndim not in (3, 4) or rgb.shape[-1] != 3:
        raise InvalidArgumentError(f"mosaic_np: rgb has shape {rgb.shape}; expected (T,)H×W×3")
    t = torch.from_numpy(np.ascontiguousarray(np.moveaxis(rgb, -1, 0)))
    if rgb.ndim == 3:
        t = t.unsqueeze(1)
        return mosaic(t, cfa, origin=origin)[0].numpy()
    return mosaic(t, cfa, origin=origin).numpy()


def _check_channels(x: torch.Tensor, func: str, name: str) -> None:
    if x.dim() < 4 or x.shape[-4] != 3:
        raise InvalidArgumentError(
            f"{func}: {name} has shape {tuple(x.shape)}; expected (..., 3, T, H, W)"
        )
