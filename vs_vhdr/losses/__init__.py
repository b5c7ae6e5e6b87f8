"""Training losses of paper §3.3 on log HDR video: L1, L_VGG (Eq. 3), L_SM/L_LM (Eqs. 4-6), L_VHDR (Eq. 8).

Each loss is a function plus an ``nn.Module``; inputs are ``B×C×T×H×W``. See docs/models.md.
"""

from vs_vhdr.losses.combined import LAMBDAS, VHDRLoss, vhdr_loss
from vs_vhdr.losses.l1 import L1Loss, l1_loss
from vs_vhdr.losses.motion import motion_temporal_loss, warp_by_motion
from vs_vhdr.losses.overshoot import OVERSHOOT_RATIO, overshoot_loss
from vs_vhdr.losses.perceptual import DEFAULT_LAYERS, VGG16_LAYERS, VGG16Features, VGGLoss, vgg_loss
from vs_vhdr.losses.pu21 import pu21_loss, pu21_luminance
from vs_vhdr.losses.temporal import (
    TAU,
    LongTermLoss,
    ShortTermLoss,
    long_term_loss,
    short_term_loss,
    visibility_weights,
)

__all__ = [
    "DEFAULT_LAYERS",
    "LAMBDAS",
    "OVERSHOOT_RATIO",
    "TAU",
    "VGG16_LAYERS",
    "L1Loss",
    "LongTermLoss",
    "ShortTermLoss",
    "VGG16Features",
    "VGGLoss",
    "VHDRLoss",
    "l1_loss",
    "long_term_loss",
    "motion_temporal_loss",
    "overshoot_loss",
    "pu21_loss",
    "pu21_luminance",
    "short_term_loss",
    "vgg_loss",
    "vhdr_loss",
    "visibility_weights",
    "warp_by_motion",
]
