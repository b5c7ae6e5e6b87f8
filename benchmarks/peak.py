"""The machine's measured peaks: a large plain ``conv3d`` per precision, and on CUDA a bf16 matmul.

These are the denominators of the benchmark's "fraction of peak" columns: what this machine
really reaches on the operation the networks are made of, in the same run as the models (so load
from other processes hits both alike). The conv3d is a 64→64-channel 3×3×3 convolution (the body
of C3D) over a volume large enough to keep every core busy; the best of several repetitions is
taken. FLOPs count multiply and add separately.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn import functional as F

from vs_vhdr.engine.options import PRECISIONS

CONV_CHANNELS = 64
"""Input and output channels of the peak convolution (as in C3D's body)."""


@dataclass(frozen=True)
class Peak:
    """One measured peak.

    Attributes:
        op: ``conv3d`` or ``matmul``.
        device: ``cpu`` or ``cuda``.
        precision: ``fp32``, ``fp16`` or ``bf16``.
        shape: the operand shape (conv input ``B×C×T×H×W``, or ``M×N×K``).
        flop_per_s: best FLOP/s over the repetitions.
        seconds: best seconds of one operation.
    """

    op: str
    device: str
    precision: str
    shape: tuple[int, ...]
    flop_per_s: float
    seconds: float


def synchronize(device: torch.device) -> None:
    """Wait for queued work on ``device`` (no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_seconds(step: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Fastest of ``repeats`` timed runs of ``step``, after one untimed warm-up run."""
    step()
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def conv3d_shape(device: torch.device) -> tuple[int, int, int, int, int]:
    """Input ``B×C×T×H×W`` of the peak convolution: ~30 GFLOP on CPU, ~1.9 TFLOP on CUDA."""
    if device.type == "cuda":
        return (4, CONV_CHANNELS, 16, 256, 256)
    return (1, CONV_CHANNELS, 8, 128, 128)


def conv3d_peak(
    device: torch.device,
    precision: str,
    repeats: int = 3,
    shape: tuple[int, int, int, int, int] | None = None,
) -> Peak:
    """Measured FLOP/s of a plain 3×3×3 ``conv3d`` (64→64 channels, same padding).

    Runs channels-last-3d (what cuDNN and oneDNN are fastest with; on CUDA with cuDNN
    autotuning) over ``shape`` (``B×64×T×H×W``, default :func:`conv3d_shape`).
    """
    dtype = PRECISIONS[precision]
    shape = shape or conv3d_shape(device)
    generator = torch.Generator(device="cpu").manual_seed(0)
    x = torch.rand(shape, generator=generator).to(device=device, dtype=dtype)
    w = (torch.rand((CONV_CHANNELS, CONV_CHANNELS, 3, 3, 3), generator=generator) - 0.5) * 0.1
    w = w.to(device=device, dtype=dtype)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    x = x.contiguous(memory_format=torch.channels_last_3d)
    w = w.contiguous(memory_format=torch.channels_last_3d)
    with torch.inference_mode():
        seconds = best_seconds(lambda: F.conv3d(x, w, padding=1), device, repeats)
    flops = 2 * CONV_CHANNELS * CONV_CHANNELS * 27 * shape[0] * shape[2] * shape[3] * shape[4]
    return Peak("conv3d", device.type, precision, shape, flops / seconds, seconds)


def matmul_peak(
    device: torch.device, precision: str = "bf16", size: int = 8192, repeats: int = 5
) -> Peak:
    """Measured FLOP/s of a square ``size``³ matrix product (the GPU's dense tensor-core rate)."""
    dtype = PRECISIONS[precision]
    a = torch.rand((size, size), device=device, dtype=dtype)
    b = torch.rand((size, size), device=device, dtype=dtype)
    with torch.inference_mode():
        seconds = best_seconds(lambda: a @ b, device, repeats)
    return Peak(
        "matmul", device.type, precision, (size, size, size), 2 * size**3 / seconds, seconds
    )
