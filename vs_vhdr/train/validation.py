"""Validation on held-out samples: the loss terms and the evaluation metrics (CONTRACT §3).

Each validation sample is reconstructed in one network pass; the row logged is the mean over the
samples of the loss terms (``loss``, ``l1``, ``vgg``, ``sm``, ``lm``) and of every metric of
:func:`vs_vhdr.metrics.report.compute_metrics` that applies (log-MAE/MSE, SSIM, L_T, PU21-PSNR,
PU21-SSIM, and the exact-motion temporal error where the shot's motion is known). The naive
baseline (:func:`vs_vhdr.metrics.baseline.naive_reconstruct`) is scored on the same samples by
:func:`baseline_metrics`, so the model's numbers can stand next to it.
"""

import math

import numpy as np
import torch
from torch import nn

from vs_vhdr.data.dataset import Sample, SimulatedClips
from vs_vhdr.metrics.baseline import naive_reconstruct
from vs_vhdr.metrics.report import compute_metrics
from vs_vhdr.nets import prepare_input
from vs_vhdr.train.build import spec_of
from vs_vhdr.train.config import TrainConfig
from vs_vhdr.units import from_log, to_log

MIN_METRIC_SIZE = 11
"""Smallest crop the image metrics accept (SSIM window)."""


@torch.no_grad()
def validate(
    model: nn.Module,
    loss_fn: nn.Module,
    clips: SimulatedClips,
    config: TrainConfig,
    device: torch.device,
) -> dict[str, float]:
    """Mean loss terms and metrics of ``model`` over every sample of ``clips``."""
    was_training = model.training
    model.eval()
    spec = spec_of(model)
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for index in range(len(clips)):
        sample = clips.sample(index, with_motion=True)
        raw = torch.from_numpy(sample.raw)[None].to(device)
        mask = torch.from_numpy(sample.mask)[None, None].to(device)
        gt = torch.from_numpy(np.ascontiguousarray(sample.gt.transpose(3, 0, 1, 2)))[None]
        output = model(prepare_input(raw, mask, config.data.cfa, spec))
        terms = loss_fn(output, to_log(gt.to(device)))
        values = {name: float(value) for name, value in terms.items()}
        pred = from_log(output[0]).permute(1, 2, 3, 0).cpu().numpy()
        values.update(_metrics(pred, sample))
        _accumulate(sums, counts, values)
    model.train(was_training)
    return {name: sums[name] / counts[name] for name in sums}


def baseline_metrics(clips: SimulatedClips, config: TrainConfig) -> dict[str, float]:
    """The naive baseline's mean metrics over the samples of ``clips``."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for index in range(len(clips)):
        sample = clips.sample(index, with_motion=True)
        pred = naive_reconstruct(sample.raw, sample.mask, config.data.cfa)
        _accumulate(sums, counts, _metrics(pred, sample))
    return {name: sums[name] / counts[name] for name in sums}


def _metrics(pred: np.ndarray, sample: Sample) -> dict[str, float]:
    if min(sample.gt.shape[1:3]) < MIN_METRIC_SIZE:
        return {}
    values = compute_metrics(pred, sample.gt, sample.motion)
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


def _accumulate(sums: dict[str, float], counts: dict[str, int], values: dict[str, float]) -> None:
    for name, value in values.items():
        sums[name] = sums.get(name, 0.0) + value
        counts[name] = counts.get(name, 0) + 1
