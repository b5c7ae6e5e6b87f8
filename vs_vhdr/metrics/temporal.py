"""Temporal metrics: the paper's temporal loss L_T (Eqs. 4–7) and the exact-motion temporal error.

**L_T** (paper Eq. 7, by default the unweighted sum λ3 = λ4 = 1), on log HDR ``x = to_log(gt)``,
``x̂ = to_log(pred)``, clip of ``f`` frames, computed by ``vs_vhdr.losses.temporal`` (the training
loss itself, so metric and loss agree):

    L_SM = 1/(f−1) Σ_{t=2..f} mean(w_{t→t−1} ⊙ |x̂_t − x̂_{t−1}|)          (Eq. 4)
    L_LM = 1/(f−1) Σ_{t=2..f} mean(w_{t→1}   ⊙ |x̂_t − x̂_1|)              (Eq. 6)
    w_{v→u} = exp(−τ · mean_c |x_u − x_v|),  τ = 100                        (Eq. 5, see losses)

``mean`` runs over pixels and channels. Range [0, ∞), log units; lower is steadier.

**Exact-motion temporal error** (CONTRACT §3): with log luminance ``ℓ = ln(Y + LOG_EPS)`` (Rec. 709
``Y``) and ``W`` the warp of frame t−1 onto frame t by the known motion (``vs_vhdr.metrics.motion``),

    E = mean over t ≥ 2 and valid pixels of |(ℓ̂_t − W ℓ̂_{t−1}) − (ℓ_t − W ℓ_{t−1})|

Pixels whose source falls outside frame t−1 are left out. For a static clip ``W`` is the identity
and ``E`` is pure flicker. Range [0, ∞), log units; 0 when the output changes exactly as the scene.
"""

import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.losses.temporal import TAU, long_term_loss, short_term_loss
from vs_vhdr.metrics.colour import luminance
from vs_vhdr.metrics.inputs import ClipLike, as_pair, frame64, require_frames
from vs_vhdr.metrics.motion import MotionLike, motion_steps, warp_previous
from vs_vhdr.units import LOG_EPS, to_log


def temporal_loss_terms(pred: ClipLike, gt: ClipLike, tau: float = TAU) -> tuple[float, float]:
    """``(L_SM, L_LM)`` of Eqs. 4 and 6 for ``T×H×W×3`` linear HDR clips (T ≥ 2).

    Frame pairs are evaluated one at a time (each pair term is a mean of equal size, so the
    average of the pair terms is the loss of the whole clip) to bound memory on long clips.
    """
    p, g = as_pair(pred, gt, "temporal_loss")
    require_frames(p, 2, "temporal_loss")

    def log_video(clip: torch.Tensor, t: int) -> torch.Tensor:
        return to_log(frame64(clip, t)).permute(2, 0, 1)[None, :, None]

    first_pred, first_gt = log_video(p, 0), log_video(g, 0)
    previous_pred, previous_gt = first_pred, first_gt
    short = long = 0.0
    for t in range(1, p.shape[0]):
        x_hat, x = log_video(p, t), log_video(g, t)
        short += float(
            short_term_loss(
                torch.cat([previous_pred, x_hat], 2), torch.cat([previous_gt, x], 2), tau
            )
        )
        long += float(
            long_term_loss(torch.cat([first_pred, x_hat], 2), torch.cat([first_gt, x], 2), tau)
        )
        previous_pred, previous_gt = x_hat, x
    pairs = p.shape[0] - 1
    return short / pairs, long / pairs


def temporal_loss(
    pred: ClipLike,
    gt: ClipLike,
    *,
    lambda_short: float = 1.0,
    lambda_long: float = 1.0,
    tau: float = TAU,
) -> float:
    """``L_T = λ3 L_SM + λ4 L_LM`` (Eq. 7); the defaults λ3 = λ4 = 1 give the reported metric."""
    short, long = temporal_loss_terms(pred, gt, tau)
    return lambda_short * short + lambda_long * long


def motion_temporal_error(pred: ClipLike, gt: ClipLike, motion: MotionLike = "static") -> float:
    """Mean |Δ_pred − Δ_gt| of log luminance after warping by the known motion (log units).

    Args:
        pred, gt: linear HDR clips ``T×H×W×3``, ``T ≥ 2``, frames at least 2×2.
        motion: see ``vs_vhdr.metrics.motion``; ``"static"`` for a static clip.

    Raises:
        InvalidArgumentError: bad clips or motion, or no pixel stays inside the frame.
    """
    p, g = as_pair(pred, gt, "motion_temporal_error")
    require_frames(p, 2, "motion_temporal_error")
    steps = motion_steps(motion, p.shape[0], p.shape[1], p.shape[2])
    total, count = 0.0, 0

    def log_lum(clip: torch.Tensor, t: int) -> torch.Tensor:
        return torch.log(luminance(frame64(clip, t)) + LOG_EPS)

    previous = torch.stack([log_lum(p, 0), log_lum(g, 0)])
    for t in range(1, p.shape[0]):
        current = torch.stack([log_lum(p, t), log_lum(g, t)])
        warped, valid = warp_previous(previous, steps[t - 1])
        change = current - warped
        total += float((change[0] - change[1]).abs()[valid].sum())
        count += int(valid.sum())
        previous = current
    if count == 0:
        raise InvalidArgumentError(
            "motion_temporal_error: the motion moves every pixel out of the frame; "
            "expected motion in pixels per frame smaller than the frame"
        )
    return total / count
