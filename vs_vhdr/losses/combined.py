r"""The full training loss L_VHDR of paper Eq. 8, returning every term for logging.

.. math:: L_{VHDR} = \lambda_1 L_1 + \lambda_2 L_{VGG} + \lambda_3 L_{SM} + \lambda_4 L_{LM}

Defaults are the paper's best setting (§5): λ1 = 1, λ2 = 0.01, λ3 = λ4 = 0.001. With λ3 = λ4 = 0
this is the content loss of Eq. 2.
"""

import logging
import os
from collections.abc import Sequence

import torch
from torch import nn

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.losses.checks import check_video_pair
from vs_vhdr.losses.l1 import l1_loss
from vs_vhdr.losses.perceptual import DEFAULT_LAYERS, VGGLoss
from vs_vhdr.losses.temporal import TAU, long_term_loss, short_term_loss

LOGGER = logging.getLogger(__name__)

LAMBDAS = (1.0, 0.01, 0.001, 0.001)
"""λ1 (L1), λ2 (VGG), λ3 (short-term), λ4 (long-term): the paper's best (§5)."""

TERMS = ("l1", "vgg", "sm", "lm")


def vhdr_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    lambdas: Sequence[float] = LAMBDAS,
    vgg: VGGLoss | None = None,
    tau: float = TAU,
) -> dict[str, torch.Tensor]:
    r"""Eq. 8 on log HDR video: the weighted total and each unweighted term.

    Args:
        pred, target: predicted and ground-truth log HDR (``vs_vhdr.units.to_log``).
        lambdas: λ1..λ4 for L1, L_VGG, L_SM, L_LM.
        vgg: the perceptual term; required when λ2 > 0.
        tau: τ of the visibility weights (Eq. 5).

    Returns:
        ``{"loss": total, "l1": ..., "vgg": ..., "sm": ..., "lm": ...}`` (scalars; a term whose
        λ is 0 is not computed and reported as 0).

    Shape:
        pred, target: ``B×3×T×H×W`` (same shape).

    Example:
        >>> x = torch.zeros(1, 3, 2, 4, 4)
        >>> vhdr_loss(x + 1, x, lambdas=(1, 0, 0, 0))["loss"]
        tensor(1.)
    """
    check_video_pair(pred, target, "vhdr_loss", channels=3)
    weights = _check_lambdas(lambdas, "vhdr_loss")
    if weights[1] > 0 and vgg is None:
        raise InvalidArgumentError(
            f"vhdr_loss: lambdas[1]={weights[1]} (VGG term) but vgg=None; pass a VGGLoss"
            " or set lambdas[1]=0"
        )
    compute = {
        "l1": lambda: l1_loss(pred, target),
        "vgg": lambda: vgg(pred, target) if vgg is not None else pred.new_zeros(()),
        "sm": lambda: short_term_loss(pred, target, tau),
        "lm": lambda: long_term_loss(pred, target, tau),
    }
    terms = {
        name: compute[name]() if weight > 0 else pred.new_zeros(())
        for name, weight in zip(TERMS, weights)
    }
    total = sum((weight * terms[name] for name, weight in zip(TERMS, weights)), pred.new_zeros(()))
    return {"loss": total, **terms}


class VHDRLoss(nn.Module):
    """Module form of :func:`vhdr_loss` that owns its VGG16 extractor.

    Without ``vgg_weights`` while λ2 > 0, the VGG term is disabled with a logged warning and
    the reason kept in ``self.disabled["vgg"]`` so a training run can record it.

    Args:
        lambdas: λ1..λ4 (Eq. 8).
        vgg_weights: path of torchvision's ``vgg16-397923af.pth`` (or safetensors equivalent).
        vgg_layers, layer_weights: VGG16 layers and their ω_i (Eq. 3).
        tau: τ of Eq. 5.
    """

    def __init__(
        self,
        lambdas: Sequence[float] = LAMBDAS,
        vgg_weights: str | os.PathLike[str] | None = None,
        vgg_layers: Sequence[str] = DEFAULT_LAYERS,
        layer_weights: Sequence[float] | None = None,
        tau: float = TAU,
    ) -> None:
        super().__init__()
        weights = _check_lambdas(lambdas, "VHDRLoss")
        self.disabled: dict[str, str] = {}
        self.vgg: VGGLoss | None = None
        if weights[1] > 0 and vgg_weights is None:
            reason = (
                "no VGG16 weights given (vgg_weights=None); the perceptual term λ2·L_VGG is"
                " disabled"
            )
            LOGGER.warning("VHDRLoss: %s", reason)
            self.disabled["vgg"] = reason
            weights = (weights[0], 0.0, weights[2], weights[3])
        elif weights[1] > 0:
            self.vgg = VGGLoss(vgg_weights, vgg_layers, layer_weights)
        self.lambdas = weights
        self.tau = tau

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
        return vhdr_loss(pred, target, self.lambdas, self.vgg, self.tau)


def _check_lambdas(lambdas: Sequence[float], func: str) -> tuple[float, float, float, float]:
    values = tuple(float(v) for v in lambdas)
    if len(values) != 4 or any(not 0 <= v < float("inf") for v in values):
        raise InvalidArgumentError(
            f"{func}: lambdas={list(lambdas)!r}; expected four finite numbers >= 0 (λ1..λ4)"
        )
    return values[0], values[1], values[2], values[3]
