r"""Temporal losses of paper §3.3: short-term L_SM (Eq. 4), long-term L_LM (Eq. 6), Eq. 5 weights.

Both compare frames of the prediction :math:`\hat x` (log HDR), weighted by a visibility
weight from the ground truth :math:`x` (log HDR) that is near 1 where the ground truth does not
change and near 0 where it does, so true motion and lighting changes are not penalised.

Choices (documented here, tested in tests/test_losses.py):

- Eq. 5 is printed as :math:`\exp(-\tau (x_u - x_v))`, which exceeds 1 when :math:`x_v > x_u`;
  we use :math:`w = \exp(-\tau\,|x_u - x_v|)`, in (0, 1], with τ = 100 as in the paper.
- :math:`x_u, x_v` are per pixel (the paper's ``ij``): :math:`|x_u - x_v|` is the mean of the
  absolute differences over the colour channels, and one weight applies to all channels.
- No optical flow: the paper's "warping error" is the ground-truth difference at the same pixel.
- :math:`\|\cdot\|_1` is taken as a mean over batch, channels and pixels (like the L1 term), so
  the loss does not grow with resolution. The weights carry no gradient.
- A clip of one frame has no frame pairs; both losses are then 0.
"""

import math

import torch
from torch import nn

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.losses.checks import check_video_pair

TAU = 100.0
"""τ of Eq. 5 (the paper's value)."""


def visibility_weights(
    target_u: torch.Tensor, target_v: torch.Tensor, tau: float = TAU
) -> torch.Tensor:
    r"""Eq. 5 visibility weights :math:`w_{v \to u} = \exp(-\tau\,|x_u - x_v|)`, in (0, 1].

    Shape:
        target_u, target_v: ``B×C×...`` log HDR (same shape); returns ``B×1×...``.

    Example:
        >>> visibility_weights(torch.zeros(1, 3, 1), torch.full((1, 3, 1), 0.01))
        tensor([[[0.3679]]])
    """
    _check_tau(tau, "visibility_weights")
    difference = (target_u - target_v).detach().abs().mean(dim=1, keepdim=True)
    return torch.exp(-tau * difference)


def short_term_loss(pred: torch.Tensor, target: torch.Tensor, tau: float = TAU) -> torch.Tensor:
    r"""Short-term temporal loss (Eq. 4), consecutive frames.

    .. math:: L_{SM} = \frac{1}{f-1} \sum_{t=2}^{f}
              \| w_{t \to t-1} \odot (\hat x_t - \hat x_{t-1}) \|_1

    Shape:
        pred, target: ``B×C×T×H×W`` log HDR (same shape); returns a scalar (0 when T = 1).

    Example:
        >>> x = torch.zeros(1, 3, 2, 1, 1)
        >>> short_term_loss(torch.cat([x[:, :, :1], x[:, :, :1] + 1], 2), x)
        tensor(1.)
    """
    check_video_pair(pred, target, "short_term_loss")
    _check_tau(tau, "short_term_loss")
    if pred.shape[2] == 1:
        return pred.new_zeros(())
    weights = visibility_weights(target[:, :, 1:], target[:, :, :-1], tau)
    return (weights * (pred[:, :, 1:] - pred[:, :, :-1]).abs()).mean()


def long_term_loss(pred: torch.Tensor, target: torch.Tensor, tau: float = TAU) -> torch.Tensor:
    r"""Long-term temporal loss (Eq. 6), every frame against the first.

    .. math:: L_{LM} = \frac{1}{f-1} \sum_{t=2}^{f}
              \| w_{t \to 1} \odot (\hat x_t - \hat x_1) \|_1

    Shape:
        pred, target: ``B×C×T×H×W`` log HDR (same shape); returns a scalar (0 when T = 1).

    Example:
        >>> x = torch.zeros(1, 3, 3, 1, 1)
        >>> long_term_loss(x + torch.tensor([0.0, 1.0, 2.0]).view(1, 1, 3, 1, 1), x)
        tensor(1.5000)
    """
    check_video_pair(pred, target, "long_term_loss")
    _check_tau(tau, "long_term_loss")
    if pred.shape[2] == 1:
        return pred.new_zeros(())
    weights = visibility_weights(target[:, :, 1:], target[:, :, :1], tau)
    return (weights * (pred[:, :, 1:] - pred[:, :, :1]).abs()).mean()


class ShortTermLoss(nn.Module):
    """Module form of :func:`short_term_loss` (Eq. 4) with a fixed τ."""

    def __init__(self, tau: float = TAU) -> None:
        super().__init__()
        _check_tau(tau, "ShortTermLoss")
        self.tau = tau

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return short_term_loss(pred, target, self.tau)


class LongTermLoss(nn.Module):
    """Module form of :func:`long_term_loss` (Eq. 6) with a fixed τ."""

    def __init__(self, tau: float = TAU) -> None:
        super().__init__()
        _check_tau(tau, "LongTermLoss")
        self.tau = tau

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return long_term_loss(pred, target, self.tau)


def _check_tau(tau: float, func: str) -> None:
    if not isinstance(tau, int | float) or isinstance(tau, bool) or not 0 < tau < math.inf:
        raise InvalidArgumentError(f"{func}: tau={tau!r}; expected a number > 0 (paper: 100)")
