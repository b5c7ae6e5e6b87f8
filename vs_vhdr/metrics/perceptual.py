"""The perceptual loss L_VGG (paper Eq. 3) as a metric, when VGG16 weights are given.

    L_VGG = Σ_i ω_i / (H_i W_i C_i) · ‖V_i(to_log(gt)) − V_i(to_log(pred))‖₁

computed by ``vs_vhdr.losses.perceptual`` (VGG16 layers ``relu1_2``, ``relu2_2``, ``relu3_3``,
``relu4_3``, ω_i = 1) on each frame's log HDR and averaged over frames. Range [0, ∞); lower is
closer. The weights (torchvision's ``vgg16-397923af.pth``) cannot be downloaded here: pass a path.
"""

import os

import torch

from vs_vhdr.losses.perceptual import VGGLoss
from vs_vhdr.metrics.inputs import ClipLike, as_pair, frame64
from vs_vhdr.units import to_log


def load_vgg(weights_path: str | os.PathLike[str]) -> VGGLoss:
    """The Eq. 3 loss module with VGG16 ImageNet weights read from ``weights_path``."""
    return VGGLoss(weights_path).eval()


def vgg_metric(pred: ClipLike, gt: ClipLike, vgg: VGGLoss) -> float:
    """Mean over frames of L_VGG between log HDR ``pred`` and ``gt`` (clips ``T×H×W×3``)."""
    p, g = as_pair(pred, gt, "vgg_metric")
    total = 0.0
    with torch.no_grad():
        for t in range(p.shape[0]):
            x_hat = to_log(frame64(p, t)).float().permute(2, 0, 1)[None, :, None]
            x = to_log(frame64(g, t)).float().permute(2, 0, 1)[None, :, None]
            total += float(vgg(x_hat, x))
    return total / p.shape[0]
