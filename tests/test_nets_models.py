"""The networks: shapes for any size and T, gradients, parameter counts, Table 3, receptive fields."""

import pytest
import torch
from torch import nn

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import mosaic
from vs_vhdr.nets import C3DED, DC3D, create_model, list_models, prepare_input
from vs_vhdr.nets.conditioning import BASE_RADIUS, TEMPORAL_RADIUS

MODELS = list_models()


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)  # random initialisation, so a run is repeatable


def _input(model: nn.Module, t: int, h: int, w: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    raw = torch.rand(2, t, h, w, generator=generator)
    mask = torch.rand(h, w, generator=generator)
    return prepare_input(raw, mask, "RGGB", model.spec)


def test_builtins_are_registered() -> None:
    assert {"c3d", "dc3d", "c3ded", "c3d-m", "dc3d-m", "c3ded-m"} <= set(MODELS)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("frames", [1, 5, 8, 13])
def test_output_shape_equals_input_shape(name: str, frames: int) -> None:
    model = create_model(name, weights=False)
    with torch.no_grad():
        out = model(_input(model, frames, 9, 11))
    assert out.shape == (2, 3, frames, 9, 11)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("size", [(1, 1), (2, 3), (7, 5)])
def test_tiny_and_odd_frames_work(name: str, size: tuple[int, int]) -> None:
    model = create_model(name, weights=False)
    with torch.no_grad():
        out = model(_input(model, 2, *size))
    assert out.shape == (2, 3, 2, *size)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", MODELS)
def test_backward_reaches_every_parameter(name: str) -> None:
    model = create_model(name, weights=False)
    if model.spec.mask_conditioned:  # -m models start with a zero last layer (their base estimate)
        last = [m for m in model.modules() if isinstance(m, nn.Conv3d | nn.ConvTranspose3d)][-1]
        nn.init.normal_(last.weight, std=0.01)
    out = model(_input(model, 5, 9, 11))
    out.square().mean().backward()
    for key, parameter in model.named_parameters():
        assert parameter.grad is not None, key
        assert torch.isfinite(parameter.grad).all(), key
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_match_tables_1_and_2() -> None:
    # Table 1/2 with biases: 3→64, eight 64→64, 64→3, all 3×3×3
    assert _count(create_model("c3d", weights=False)) == 895_683
    assert _count(create_model("dc3d", weights=False)) == 895_683
    # mask-conditioned variants: 12 feature channels instead of 3 on the first layer only
    assert _count(create_model("c3d-m", weights=False)) == 895_683 + 9 * 27 * 64


def _layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.Conv3d | nn.ConvTranspose3d)]


def test_dc3d_dilates_layers_2_4_7_9() -> None:
    dilations = [layer.dilation for layer in _layers(DC3D())]
    dilated = {i + 1 for i, d in enumerate(dilations) if d != (1, 1, 1)}
    assert dilated == {2, 4, 7, 9}
    assert dilations[1] == (2, 2, 2)
    assert _layers(DC3D(temporal_dilation=1))[1].dilation == (1, 2, 2)
    assert DC3D(temporal_dilation=1).spec.kwargs == {"temporal_dilation": 1}


@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_dc3d_rejects_bad_temporal_dilation(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="temporal_dilation"):
        DC3D(temporal_dilation=value)  # type: ignore[arg-type]


# Paper Table 3: (type, kernel, stride (t, h, w), output channels, dilation (t, h, w))
TABLE3 = [
    ("conv", 5, (1, 1, 1), 16, (1, 1, 1)),
    ("conv", 5, (1, 1, 1), 16, (1, 1, 1)),
    ("conv", 3, (1, 2, 2), 32, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 64, (1, 1, 1)),
    ("conv", 3, (1, 2, 2), 128, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 128, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 128, (1, 2, 2)),
    ("conv", 3, (1, 1, 1), 128, (1, 2, 2)),
    ("conv", 3, (1, 1, 1), 128, (1, 2, 2)),
    ("conv", 3, (1, 1, 1), 128, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 64, (1, 1, 1)),
    ("deconv", 5, (1, 2, 2), 32, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 64, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 32, (1, 1, 1)),
    ("deconv", 3, (1, 2, 2), 16, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 32, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 16, (1, 1, 1)),
    ("conv", 3, (1, 1, 1), 3, (1, 1, 1)),
]


def test_c3ded_layer_table_matches_table_3() -> None:
    layers = _layers(C3DED())
    actual = [
        (
            "deconv" if isinstance(layer, nn.ConvTranspose3d) else "conv",
            layer.kernel_size[0],
            layer.stride,
            layer.out_channels,
            layer.dilation,
        )
        for layer in layers
    ]
    assert actual == TABLE3
    assert all(len(set(layer.kernel_size)) == 1 for layer in layers)  # cubic kernels
    assert layers[0].in_channels == 3
    # -m: the 6 input channels become 12 features (vs_vhdr.nets.conditioning) before layer 1
    assert _layers(C3DED(mask_conditioned=True))[0].in_channels == 12


def test_c3ded_skips_carry_encoder_features() -> None:
    """Zeroing the bottleneck (layer 11) leaves an output that still depends on the input."""
    model = C3DED()
    with torch.no_grad():
        layer11 = _layers(model)[10]
        layer11.weight.zero_()
        layer11.bias.zero_()
        a = model(_input(model, 2, 8, 8, seed=1))
        b = model(_input(model, 2, 8, 8, seed=2))
    assert not torch.allclose(a, b)


def _reach(model: nn.Module, axis: int, size: int, position: int) -> int:
    """Largest distance along ``axis`` at which the output changes when one input voxel does."""
    shape = [1, model.spec.in_channels, 1, 4, 4]
    shape[2 + axis] = size
    x = torch.rand(*shape, dtype=torch.float64) + 0.5
    index: list[int | slice] = [0, slice(None), 0, 0, 0]
    index[2 + axis] = position
    bumped = x.clone()
    bumped[tuple(index)] += 1.0
    with torch.no_grad():
        change = (model(bumped) - model(x)).abs()
    other = tuple(a for a in (2, 3, 4) if a != 2 + axis)
    changed = torch.nonzero(change.amax(dim=(0, 1, *other)) > 0).flatten()
    return max(position - int(changed.min()), int(changed.max()) - position)


@pytest.mark.parametrize("name", ["c3d", "dc3d", "c3ded-m", "pmunet"])
def test_receptive_field_is_exact(name: str) -> None:
    """Positive weights make every structural path count; the reach must equal the spec."""
    model = create_model(name, weights=False).double()
    # small enough that PMUNet's bounded residual (tanh) does not saturate (its replicate time
    # padding makes every temporal tap of a one-frame input count)
    low = 2e-3 if name == "pmunet" else 0.01
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.uniform_(low, 2 * low)
    rf = model.spec.receptive_field
    for axis in range(3):
        size = 2 * rf[axis] + 12
        size += -size % model.spec.spatial_multiple  # no pad-and-crop inside the network
        phases = range(model.spec.spatial_multiple if axis else 1)
        reach = max(_reach(model, axis, size, size // 2 + phase) for phase in phases)
        if model.spec.mask_conditioned:
            # the front end's blurs and temporal fusion reach less on this dense input (the
            # coarse fill only where the fine one finds no sample, far taps vanish in float32,
            # frames that disagree are not averaged): the spec's field is a bound that tiling
            # can trust, at least the convolution stack's own
            front = TEMPORAL_RADIUS if axis == 0 else BASE_RADIUS
            assert rf[axis] - front <= reach <= rf[axis], (name, axis)
        else:
            assert reach == rf[axis], (name, axis)


def test_receptive_fields_of_the_tables() -> None:
    assert create_model("c3d", weights=False).spec.receptive_field == (10, 10, 10)
    assert create_model("dc3d", weights=False).spec.receptive_field == (14, 14, 14)
    assert DC3D(temporal_dilation=1).spec.receptive_field == (10, 14, 14)
    spec = create_model("c3ded", weights=False).spec
    assert spec.receptive_field == (21, 57, 57)
    assert spec.spatial_multiple == 4


def test_untrained_mask_conditioned_model_returns_its_base_estimate() -> None:
    """-m models start at the naive log-domain estimate: exact where every site is valid."""
    model = create_model("c3ded-m", weights=False)
    hdr = torch.rand(1, 3, 2, 8, 8) * 0.5 + 0.1
    mask = torch.rand(8, 8) * 0.5 + 0.4
    raw = mosaic(hdr, "RGGB") * mask
    with torch.no_grad():
        out = model(prepare_input(raw, mask, "RGGB", model.spec))
    flat = torch.log(hdr + 1e-4)  # a constant colour is recovered exactly at every pixel
    constant = torch.full_like(hdr, 0.3)
    with torch.no_grad():
        flat_out = model(prepare_input(mosaic(constant, "RGGB") * mask, mask, "RGGB", model.spec))
    torch.testing.assert_close(flat_out, torch.log(constant + 1e-4), atol=1e-5, rtol=0)
    assert (out - flat).abs().mean() < 0.5  # a smooth estimate of a random texture


def test_mask_conditioned_model_uses_the_mask() -> None:
    model = create_model("c3d-m", weights=False)
    raw = torch.rand(1, 2, 6, 6)
    with torch.no_grad():
        a = model(prepare_input(raw, torch.full((6, 6), 0.2), "RGGB", model.spec))
        b = model(prepare_input(raw, torch.full((6, 6), 0.9), "RGGB", model.spec))
    assert not torch.allclose(a, b)


@pytest.mark.parametrize(
    "shape", [(3, 2, 4, 4), (1, 4, 2, 4, 4), (1, 3, 0, 4, 4), (1, 3, 1, 1, 4, 4)]
)
def test_forward_rejects_bad_input_shapes(shape: tuple[int, ...]) -> None:
    model = create_model("c3ded", weights=False)
    with pytest.raises(InvalidArgumentError, match=r"c3ded: input has shape .*expected B×3×T×H×W"):
        model(torch.zeros(shape))


def test_forward_rejects_integer_input() -> None:
    model = create_model("c3d", weights=False)
    with pytest.raises(InvalidArgumentError, match="floating"):
        model(torch.zeros(1, 3, 1, 4, 4, dtype=torch.int64))


def test_pmunet_residual_bound_limits_the_learned_change() -> None:
    """However large the head's output, the result stays within ``residual_bound`` of the base."""
    for bound in (1.5, 4.0):
        model = create_model("pmunet", weights=False, residual_bound=bound)
        assert model.spec.kwargs == {"residual_bound": bound, "time_padding": "replicate"}
        x = _input(model, 2, 16, 16)
        with torch.no_grad():
            base = model.conditioning.estimate(x).base
            model.head.bias.fill_(100.0)
            change = model(x) - base
        assert change.max() <= bound + 1e-4 and change.min() > bound - 1e-3


def _learned_change_spread(time_padding: str) -> float:
    """Largest difference between frames of the learned layers' change to a still 8-frame input.

    The front end is held to its single-frame estimate (its own temporal fusion treats the
    window's edge frames differently, by design); the head is random, as after training."""
    torch.manual_seed(0)
    model = create_model("pmunet", weights=False, time_padding=time_padding)
    torch.nn.init.normal_(model.head.weight, std=0.5)
    frame = _input(model, 1, 16, 16)
    still = frame.expand(-1, -1, 8, -1, -1).contiguous()
    with torch.no_grad():
        single = model.conditioning.estimate(frame)
        held = type(single)(*(part.expand(-1, -1, 8, -1, -1) for part in single))
        model.conditioning.estimate = lambda x: held  # type: ignore[method-assign]
        change = model(still) - held.base
    return float((change - change[:, :, :1]).abs().max())


def test_pmunet_replicate_time_padding_keeps_a_still_shot_still() -> None:
    """With ``replicate`` a frame's position in the window does not change what the learned
    layers do to a static shot; with ``zeros`` (black past the window's ends) it does."""
    assert _learned_change_spread("replicate") < 1e-5
    assert _learned_change_spread("zeros") > 1e-3


@pytest.mark.parametrize("value", ["reflect", "", None, 0])
def test_pmunet_rejects_bad_time_padding(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"PMUNet: time_padding=.*zeros, replicate"):
        create_model("pmunet", weights=False, time_padding=value)


@pytest.mark.parametrize("value", [0, -1.0, float("inf"), float("nan"), True, "2"])
def test_pmunet_rejects_bad_residual_bound(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match=r"PMUNet: residual_bound=.*positive number"):
        create_model("pmunet", weights=False, residual_bound=value)
