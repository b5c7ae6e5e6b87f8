"""Evaluation: log-MAE/MSE, SSIM, PU21, temporal metrics, ColorVideoVDP, the naive baseline.

Every metric takes linear, exposure-normalised HDR clips ``T×H×W×3`` (numpy or torch) and returns
a float; :mod:`vs_vhdr.metrics.report` computes them all and renders tables. The figure
(:mod:`vs_vhdr.metrics.figure`) and previews (:mod:`vs_vhdr.metrics.tonemap`) are imported on
demand. Formulas, units and references: ``docs/metrics.md``.
"""

from vs_vhdr.metrics.baseline import naive_reconstruct
from vs_vhdr.metrics.colorvideovdp import cvvdp_available, cvvdp_jod
from vs_vhdr.metrics.log_error import log_mae, log_mse
from vs_vhdr.metrics.pu21 import pu21_encode, pu21_psnr, pu21_ssim
from vs_vhdr.metrics.report import METRICS, MetricsTable, compute_metrics
from vs_vhdr.metrics.ssim import log_ssim
from vs_vhdr.metrics.temporal import motion_temporal_error, temporal_loss

__all__ = [
    "METRICS",
    "MetricsTable",
    "compute_metrics",
    "cvvdp_available",
    "cvvdp_jod",
    "log_mae",
    "log_mse",
    "log_ssim",
    "motion_temporal_error",
    "naive_reconstruct",
    "pu21_encode",
    "pu21_psnr",
    "pu21_ssim",
    "temporal_loss",
]
