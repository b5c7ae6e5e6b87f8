"""The pixel-wise L1 (MAE) content term of paper Eqs. 2 and 8, on log HDR."""

import torch
from torch import nn

from vs_vhdr.losses.checks import check_video_pair


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    r"""Mean absolute error between predicted and ground-truth log HDR video.

    .. math:: L_1(x, \hat x) = \frac{1}{N} \sum |x - \hat x|

    over all N elements (every frame, pixel and channel). Both inputs are in the networks'
    log domain, ``log(x + 1e-4)`` of exposure-normalised linear HDR (``vs_vhdr.units``).

    Shape:
        pred, target: ``B×C×T×H×W`` (same shape); returns a scalar.

    Example:
        >>> l1_loss(torch.zeros(1, 3, 2, 4, 4), torch.ones(1, 3, 2, 4, 4))
        tensor(1.)
    """
    check_video_pair(pred, target, "l1_loss")
    return (pred - target).abs().mean()


class L1Loss(nn.Module):
    """Module form of :func:`l1_loss`: ``L1Loss()(pred, target)`` → scalar."""

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return l1_loss(pred, target)
