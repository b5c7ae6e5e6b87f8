"""MAE and MSE between log HDR prediction and log ground truth (paper §5, Table 5).

Both clips are taken to the networks' log domain, ``to_log(x) = ln(x + LOG_EPS)`` with
``LOG_EPS = 1e-4`` (``vs_vhdr.units``), then

    MAE = mean |to_log(pred) − to_log(gt)|        MSE = mean (to_log(pred) − to_log(gt))²

over every frame, pixel and colour channel. Domain: linear exposure-normalised HDR (negative
values are clamped to 0). Range: [0, ∞), in natural-log units (nepers); 0 is a perfect match.
"""

import torch

from vs_vhdr.metrics.inputs import ClipLike, as_pair, frame64
from vs_vhdr.units import to_log


def log_mae(pred: ClipLike, gt: ClipLike) -> float:
    """Mean absolute error of ``to_log(pred)`` against ``to_log(gt)``; clips ``T×H×W×3``."""
    return _mean_of_log_difference(pred, gt, "log_mae", power=1)


def log_mse(pred: ClipLike, gt: ClipLike) -> float:
    """Mean squared error of ``to_log(pred)`` against ``to_log(gt)``; clips ``T×H×W×3``."""
    return _mean_of_log_difference(pred, gt, "log_mse", power=2)


def _mean_of_log_difference(pred: ClipLike, gt: ClipLike, func: str, power: int) -> float:
    p, g = as_pair(pred, gt, func)
    total = torch.zeros((), dtype=torch.float64)
    for t in range(p.shape[0]):
        difference = (to_log(frame64(p, t)) - to_log(frame64(g, t))).abs()
        total += difference.pow(power).sum()
    return float(total) / p.numel()
