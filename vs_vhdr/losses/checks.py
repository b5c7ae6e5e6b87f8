"""Input guards shared by the losses: errors state the expected and the actual shape."""

import torch

from vs_vhdr.errors import InvalidArgumentError


def check_video_pair(
    pred: torch.Tensor, target: torch.Tensor, func: str, *, channels: int | None = None
) -> None:
    """Raise unless ``pred`` and ``target`` are floating ``B×C×T×H×W`` tensors of one shape."""
    want_c = "C" if channels is None else str(channels)
    for name, value in (("pred", pred), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise InvalidArgumentError(
                f"{func}: {name} is a {type(value).__name__}; expected a tensor B×{want_c}×T×H×W"
            )
        if value.dim() != 5 or 0 in value.shape:
            raise InvalidArgumentError(
                f"{func}: {name} has shape {tuple(value.shape)}; expected B×{want_c}×T×H×W"
            )
        if channels is not None and value.shape[1] != channels:
            raise InvalidArgumentError(
                f"{func}: {name} has shape {tuple(value.shape)}; expected B×{channels}×T×H×W"
            )
        if not value.is_floating_point():
            raise InvalidArgumentError(f"{func}: {name} has dtype {value.dtype}; expected float")
    if pred.shape != target.shape:
        raise InvalidArgumentError(
            f"{func}: pred has shape {tuple(pred.shape)} but target has {tuple(target.shape)};"
            " expected the same shape"
        )
