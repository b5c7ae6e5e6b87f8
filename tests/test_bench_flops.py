"""benchmarks.flops: per-layer FLOPs from the convolutions, checked against PyTorch's own counter."""

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.flops import count_flops, flops_per_frame
from vs_vhdr.nets import create_model, list_models


@pytest.mark.parametrize("name", list_models())
def test_total_equals_pytorch_flop_counter(name: str) -> None:
    model = create_model(name, weights=False).eval()
    shape = (1, model.spec.in_channels, 3, 18, 26)  # H, W not multiples of 4: C3DED pads
    layers = count_flops(model, shape)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.rand(shape))
    counted = sum(layer.flops for layer in layers)
    if model.spec.mask_conditioned:
        # the front end skips its coarser fill scales when the finer one reaches every site
        # (data-dependent); the meta-device count runs them all: an upper bound, tight for convs
        assert counted >= counter.get_total_flops()
        convs_only = sum(layer.flops for layer in layers if layer.kind != "matmul")
        assert convs_only <= counter.get_total_flops()
    else:
        assert counted == counter.get_total_flops()
    modules = dict(model.named_modules())
    convs = {name for name, m in modules.items() if isinstance(m, nn.Conv3d | nn.ConvTranspose3d)}
    assert {layer.name for layer in layers} >= convs  # every layer seen (plus functional ones)
    assert sum(layer.name in convs for layer in layers) == len(convs)


def test_c3d_is_two_flops_per_weight_per_voxel() -> None:
    model = create_model("c3d", weights=False)
    weights = sum(layer.weight.numel() for layer in model.layers)
    t, h, w = 4, 10, 12
    assert flops_per_frame(model, 3, h, w, frames=t) == 2 * weights * h * w
    layers = count_flops(model, (1, 3, t, h, w))
    assert [layer.kind for layer in layers] == ["conv3d"] * 10
    assert layers[0].output_shape == (1, 64, t, h, w)


def test_transposed_convolution_counts_input_voxels() -> None:
    up = nn.Sequential(
        nn.ConvTranspose3d(4, 2, 3, stride=(1, 2, 2), padding=1, output_padding=(0, 1, 1))
    )
    (layer,) = count_flops(up, (1, 4, 2, 5, 6))
    assert layer.kind == "conv_transpose3d"
    assert layer.output_shape == (1, 2, 2, 10, 12)
    assert layer.flops == 2 * 4 * 2 * 27 * (2 * 5 * 6)


def test_counting_leaves_the_model_alone_and_costs_nothing_at_4k() -> None:
    model = create_model("c3ded", weights=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    per_frame = flops_per_frame(model, 3, 2160, 3840)
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # FLOPs scale with pixels (a multiple of 4 keeps C3DED's padding out of it)
    assert math.isclose(per_frame, 4 * flops_per_frame(model, 3, 1080, 1920), rel_tol=1e-9)
