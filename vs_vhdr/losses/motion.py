r"""Exact-motion temporal loss (beyond the paper): the training form of the temporal-error metric.

The paper's L_SM / L_LM (``vs_vhdr.losses.temporal``) compare a frame with the previous one at the
same pixel and down-weight pixels whose ground truth changes, so on a panning clip they mostly
switch off. The simulator knows every sample's exact motion, so this loss compares what the
prediction does from frame ``t−1`` to ``t`` *along the motion* with what the ground truth does:

.. math:: L_{MT} = \frac{1}{|V|} \sum_{t, p \in V}
    \big| (\hat x_t - W_t \hat x_{t-1})(p) - (x_t - W_t x_{t-1})(p) \big|

with :math:`W_t` the bilinear warp of frame ``t−1`` by the known displacement (sampling at
``p − d``, as ``vs_vhdr.metrics.motion.warp_previous``), log HDR inputs, the mean over colour
channels and the pixels :math:`V` whose source lies inside the frame and whose motion is known.
On a static clip it is the flicker of the prediction relative to the truth's (zero). This is what
``vs_vhdr.metrics.temporal.motion_temporal_error`` measures (there on log luminance).
"""

import torch
from torch.nn import functional as F

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.losses.checks import check_video_pair


def warp_by_motion(frames: torch.Tensor, motion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames ``t−1`` moved onto frames ``t``.

    Args:
        frames: ``B×C×T×H×W`` video.
        motion: ``B×(T−1)×H×W×2`` displacement ``(dy, dx)`` in pixels from ``t−1`` to ``t``.

    Returns:
        The warped ``B×C×(T−1)×H×W`` frames and a ``B×(T−1)×H×W`` bool map of pixels whose source
        lies inside the frame.
    """
    batch, channels, count, height, width = frames.shape
    if tuple(motion.shape) != (batch, count - 1, height, width, 2):
        raise InvalidArgumentError(
            f"warp_by_motion: motion has shape {tuple(motion.shape)}; expected "
            f"{(batch, count - 1, height, width, 2)} for frames {tuple(frames.shape)}"
        )
    d = motion.to(frames.dtype)
    rows = torch.arange(height, dtype=frames.dtype, device=frames.device).view(1, 1, -1, 1)
    cols = torch.arange(width, dtype=frames.dtype, device=frames.device).view(1, 1, 1, -1)
    src_y, src_x = rows - d[..., 0], cols - d[..., 1]
    inside = (src_y >= 0) & (src_y <= height - 1) & (src_x >= 0) & (src_x <= width - 1)
    grid = torch.stack(
        [2 * src_x / max(width - 1, 1) - 1, 2 * src_y / max(height - 1, 1) - 1], dim=-1
    ).flatten(0, 1)  # (B·(T−1))×H×W×2
    previous = frames[:, :, :-1].movedim(2, 1).flatten(0, 1)  # (B·(T−1))×C×H×W
    warped = F.grid_sample(previous, grid, mode="bilinear", align_corners=True)
    warped = warped.view(batch, count - 1, channels, height, width).movedim(2, 1)
    return warped, inside


def motion_temporal_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    motion: torch.Tensor,
    motion_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """:math:`L_{MT}` of the module doc (a scalar; 0 for a clip of one frame).

    Shape:
        pred, target: ``B×3×T×H×W`` log HDR; motion: ``B×(T−1)×H×W×2``; motion_valid:
        ``B×(T−1)×H×W`` bool (None: everywhere).
    """
    check_video_pair(pred, target, "motion_temporal_loss", channels=3)
    if pred.shape[2] < 2:
        return pred.new_zeros(())
    warped_pred, inside = warp_by_motion(pred, motion)
    with torch.no_grad():
        warped_target, _ = warp_by_motion(target, motion)
        change_target = target[:, :, 1:] - warped_target
    change_pred = pred[:, :, 1:] - warped_pred
    weight = inside if motion_valid is None else inside & motion_valid.to(torch.bool)
    weight = weight.unsqueeze(1).to(pred.dtype)
    difference = (change_pred - change_target).abs().mean(dim=1, keepdim=True)
    return (difference * weight).sum() / weight.sum().clamp_min(1.0)
