"""Separable 2-D filtering of image planes on the CPU (OpenCV), for SSIM and the baseline.

``torch.nn.functional.conv2d`` with one-channel 1-D kernels is tens of times slower on a CPU than
OpenCV's ``sepFilter2D``, which the metrics and the baseline use instead. The kernels here are
symmetric, so correlation and convolution agree.
"""

import cv2
import numpy as np
import torch


def filter_valid(planes: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Filter ``N×H×W`` planes, keeping the ``N×(H−k+1)×(W−k+1)`` positions the kernel fits."""
    radius = (kernel.numel() - 1) // 2
    full = _filter(planes, kernel, cv2.BORDER_REPLICATE)
    return full[:, radius : full.shape[1] - radius, radius : full.shape[2] - radius]


def filter_zero_padded(planes: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Filter ``N×H×W`` planes, zeros outside (same size): for normalised convolution."""
    return _filter(planes, kernel, cv2.BORDER_CONSTANT)


def _filter(planes: torch.Tensor, kernel: torch.Tensor, border: int) -> torch.Tensor:
    taps = kernel.detach().cpu().numpy().astype(np.float64)
    data = planes.detach().cpu().numpy().astype(np.float64, copy=False)
    out = np.empty_like(data)
    for index, plane in enumerate(data):
        out[index] = cv2.sepFilter2D(plane, cv2.CV_64F, taps, taps, borderType=border)
    return torch.from_numpy(out)
