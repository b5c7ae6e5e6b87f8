"""FLOPs of a network pass, counted convolution by convolution from the operands' shapes.

A forward pass runs on PyTorch's ``meta`` device (shapes only, no arithmetic, no memory), so 4K
frames cost nothing to count. Every 3D convolution call is seen, whether made by an ``nn.Conv3d``
layer or functionally (as the fixed front end of the ``-m`` models does), through a
``TorchFunctionMode``. A convolution does one multiply and one add per weight per output voxel:
``2 · C_out · C_in/groups · k_t·k_h·k_w`` FLOPs per output voxel; a transposed convolution
scatters every *input* voxel through its weights: ``2 · C_in · C_out/groups · k_t·k_h·k_w``
FLOPs per input voxel. Matrix products (the front end filters small frames with banded
matrices) count ``2 · K`` FLOPs per output element, ``K`` the inner dimension. The front end
skips its coarser fill scales where the finest reaches every site; the meta device cannot see
that, so for mask-conditioned models the count is the worst case (every scale). Bias adds, ReLUs,
padding and skip additions are elementwise (under 0.1 % of the total for the vhdr networks) and
not counted, as is usual for convolution FLOP rates.
"""

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode


@dataclass(frozen=True)
class LayerFlops:
    """FLOPs of one convolution in one pass.

    Attributes:
        name: qualified name of the module that ran it (``layers.3``; ``conditioning`` for a
            functional convolution inside that module).
        kind: ``conv3d``, ``conv_transpose3d`` or ``matmul``.
        flops: floating-point operations of the pass (multiply and add counted separately).
        output_shape: ``B×C×T×H×W`` of the layer's output.
    """

    name: str
    kind: str
    flops: int
    output_shape: tuple[int, ...]


def conv_flops(weight: torch.Tensor, x: torch.Tensor, y: torch.Tensor, transposed: bool) -> int:
    """FLOPs of a 3D convolution with ``weight`` mapping ``x`` to ``y`` (both ``B×C×T×H×W``).

    ``weight.numel()`` is ``C_out·C_in/g·k³`` (transposed: ``C_in·C_out/g·k³``): the weights one
    output voxel gathers (transposed: one input voxel scatters).
    """
    voxels = x if transposed else y
    return 2 * weight.numel() * voxels.shape[0] * math.prod(voxels.shape[2:])


_MATMULS = (torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__, torch.mm, torch.bmm)


class _ConvCounter(TorchFunctionMode):
    """Records every ``conv3d`` / ``conv_transpose3d`` call with the module that made it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[LayerFlops] = []
        self.modules: list[str] = []

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        if func in _MATMULS:
            where = self.modules[-1] if self.modules else ""
            inner = args[0].shape[-1]
            self.found.append(
                LayerFlops(where, "matmul", 2 * out.numel() * inner, tuple(out.shape))
            )
        elif func in (F.conv3d, F.conv_transpose3d):
            weight = args[1] if len(args) > 1 else (kwargs or {})["weight"]
            transposed = func is F.conv_transpose3d
            where = self.modules[-1] if self.modules else ""
            self.found.append(
                LayerFlops(
                    where,
                    "conv_transpose3d" if transposed else "conv3d",
                    conv_flops(weight, args[0], out, transposed),
                    tuple(out.shape),
                )
            )
        return out


def count_flops(model: nn.Module, input_shape: tuple[int, ...]) -> list[LayerFlops]:
    """FLOPs of every convolution of ``model`` on an input of ``input_shape`` (``B×C×T×H×W``).

    The model itself is not touched: a copy runs on the ``meta`` device.
    """
    ghost = copy.deepcopy(model).to("meta")
    counter = _ConvCounter()
    names = {module: name for name, module in ghost.named_modules()}

    def enter(module: nn.Module, _args: Any) -> None:
        counter.modules.append(names[module])

    def leave(_module: nn.Module, _args: Any, _output: Any) -> None:
        counter.modules.pop()

    handles = [module.register_forward_pre_hook(enter) for module in names]
    handles += [module.register_forward_hook(leave) for module in names]
    try:
        with counter, torch.inference_mode():
            ghost(torch.empty(input_shape, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return counter.found


def flops_per_frame(
    model: nn.Module, in_channels: int, height: int, width: int, frames: int = 8
) -> float:
    """FLOPs per frame of one ``frames``-frame pass over ``height×width`` frames (batch 1)."""
    layers = count_flops(model, (1, in_channels, frames, height, width))
    return sum(layer.flops for layer in layers) / frames
