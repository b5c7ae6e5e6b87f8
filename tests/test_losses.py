"""Losses (paper §3.3) against hand-computed values, gradient checks and input guards."""

import doctest
import logging
import math
from pathlib import Path

import pytest
import safetensors.torch
import torch

from vs_vhdr.errors import IncompatibleWeightsError, InvalidArgumentError, UnreadableFileError
from vs_vhdr.losses import (
    VGG16_LAYERS,
    L1Loss,
    LongTermLoss,
    ShortTermLoss,
    VGG16Features,
    VGGLoss,
    VHDRLoss,
    combined,
    l1,
    l1_loss,
    long_term_loss,
    overshoot,
    perceptual,
    pu21,
    short_term_loss,
    temporal,
    vhdr_loss,
    visibility_weights,
)


def _video(*frames: list[float]) -> torch.Tensor:
    """1×C×T×1×1 video from per-frame channel lists."""
    return torch.tensor(frames, dtype=torch.float64).T.reshape(1, len(frames[0]), len(frames), 1, 1)


# target: frame 1 differs from frame 0 by a mean of 0.02 over channels (w = e^-2), frame 2 = 1
TARGET = _video([0.0, 0.0], [0.01, 0.03], [0.01, 0.03])
PRED = _video([0.0, 0.0], [1.0, 2.0], [1.0, 5.0])
# 3-channel 4×4 videos with the same weights (e^-2, then 1 between frames 1 and 2)
TARGET3 = _video([0.0] * 3, [0.01, 0.03, 0.02], [0.01, 0.03, 0.02]).expand(1, 3, 3, 4, 4)
PRED3 = _video([0.0] * 3, [1.0, 2.0, 0.0], [1.0, 5.0, 0.0]).expand(1, 3, 3, 4, 4)


def test_l1_by_hand() -> None:
    pred = torch.tensor([1.0, -2.0]).reshape(1, 1, 1, 1, 2)
    target = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 1, 2)
    assert l1_loss(pred, target).item() == pytest.approx((1 + 3) / 2)
    assert L1Loss()(pred, target).item() == pytest.approx(2.0)


def test_visibility_weights_by_hand() -> None:
    u = torch.tensor([0.0, 0.0, 0.0]).reshape(1, 3, 1)
    v = torch.tensor([0.01, -0.02, 0.03]).reshape(1, 3, 1)  # mean |u - v| = 0.02
    assert visibility_weights(u, v).item() == pytest.approx(math.exp(-2.0))
    # |x_u - x_v|: the weight is symmetric and never above 1
    assert visibility_weights(v, u).item() == pytest.approx(math.exp(-2.0))
    assert visibility_weights(u, v, tau=50).item() == pytest.approx(math.exp(-1.0))
    assert visibility_weights(u, u).item() == 1.0


def test_short_term_loss_by_hand() -> None:
    w = math.exp(-2.0)
    # pairs (1,0): |[1, 2]| weighted by w; (2,1): |[0, 3]| weighted by 1; mean over 4 values
    expected = (w * 1 + w * 2 + 0 + 3) / 4
    assert short_term_loss(PRED, TARGET).item() == pytest.approx(expected)
    assert ShortTermLoss()(PRED, TARGET).item() == pytest.approx(expected)


def test_long_term_loss_by_hand() -> None:
    w = math.exp(-2.0)
    # pairs (1,0): |[1, 2]|; (2,0): |[1, 5]|; both weighted by w
    expected = w * (1 + 2 + 1 + 5) / 4
    assert long_term_loss(PRED, TARGET).item() == pytest.approx(expected)
    assert LongTermLoss()(PRED, TARGET).item() == pytest.approx(expected)


def test_temporal_losses_ignore_true_changes_and_single_frames() -> None:
    target = torch.rand(1, 3, 1, 5, 5).repeat(1, 1, 4, 1, 1)
    target[:, :, 2:] += 5.0  # a cut: the ground truth changes a lot
    pred = target.clone()
    pred[:, :, 2:] += 1.0  # the prediction changes with it: almost no penalty there
    assert short_term_loss(pred, target).item() < 1e-6
    single = torch.rand(1, 3, 1, 4, 4)
    assert short_term_loss(single, single + 1).item() == 0.0
    assert long_term_loss(single, single + 1).item() == 0.0


def _vgg_file(folder: Path, *, identity_layers: int = 1, suffix: str = ".pth") -> Path:
    """A torchvision-named VGG16 state dict whose first convolutions copy the input channels."""
    torch.manual_seed(0)
    state = VGG16Features(["relu3_3"]).features.state_dict()  # enough for the tests
    state = {f"features.{key}": value.clone() for key, value in state.items()}
    for index in (0, 2)[:identity_layers]:
        weight = state[f"features.{index}.weight"]
        weight.zero_()
        for channel in range(3):
            weight[channel, channel, 1, 1] = 1.0
        state[f"features.{index}.bias"].zero_()
    state["classifier.6.bias"] = torch.zeros(1000)  # torchvision files carry the classifier too
    path = folder / f"vgg16{suffix}"
    if suffix == ".pth":
        torch.save(state, path)
    else:
        safetensors.torch.save_file(state, str(path))
    return path


def test_vgg_layer_indices_follow_torchvision() -> None:
    assert [VGG16_LAYERS[n] for n in ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")] == [
        3,
        8,
        15,
        22,
        29,
    ]
    keys = VGG16Features(["relu5_3"]).features.state_dict()
    conv_indices = sorted({int(key.split(".")[0]) for key in keys})
    assert conv_indices == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_vgg_loss_by_hand(tmp_path: Path, suffix: str) -> None:
    # layers 1 and 2 copy channels 0-2 (zero elsewhere): relu1_1 = relu1_2 = relu(x) in 3 of 64
    path = _vgg_file(tmp_path, identity_layers=2, suffix=suffix)
    loss = VGGLoss(path, layers=["relu1_1", "relu1_2"], layer_weights=[2.0, 0.5])
    pred = torch.tensor([[1.0, -1.0], [0.5, 2.0]]).expand(1, 3, 2, 2, 2).contiguous()
    target = torch.zeros(1, 3, 2, 2, 2)
    per_frame = 3 * (1.0 + 0.0 + 0.5 + 2.0) / (64 * 2 * 2)  # (1 / (H W C)) ‖relu(x̂) − 0‖₁
    assert loss(pred, target).item() == pytest.approx((2.0 + 0.5) * per_frame)


def test_vgg_loss_refuses_missing_or_wrong_weights(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="weights_path=None"):
        VGGLoss(None)
    with pytest.raises(UnreadableFileError, match="does not exist"):
        VGGLoss(tmp_path / "nothing.pth")
    short = tmp_path / "short.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, short)
    with pytest.raises(
        IncompatibleWeightsError, match=r"lacks 1 VGG16 tensors \(first: features.0.bias\)"
    ):
        VGGLoss(short, layers=["relu1_1"])
    wrong = tmp_path / "wrong.pth"
    torch.save(
        {"features.0.weight": torch.zeros(8, 3, 3, 3), "features.0.bias": torch.zeros(8)}, wrong
    )
    with pytest.raises(
        IncompatibleWeightsError, match=r"features.0.weight has shape \(8, 3, 3, 3\)"
    ):
        VGGLoss(wrong, layers=["relu1_1"])
    pickled = tmp_path / "object.pth"
    torch.save({"features.0.weight": Path("not a tensor")}, pickled)
    with pytest.raises(IncompatibleWeightsError, match="not a readable state dict"):
        VGGLoss(pickled, layers=["relu1_1"])
    with pytest.raises(InvalidArgumentError, match="relu9_9"):
        VGG16Features(["relu9_9"])


def test_vgg_loss_guards_frame_size(tmp_path: Path) -> None:
    loss = VGGLoss(_vgg_file(tmp_path), layers=["relu3_3"])
    with pytest.raises(InvalidArgumentError, match="H, W >= 4"):
        loss(torch.zeros(1, 3, 1, 2, 8), torch.zeros(1, 3, 1, 2, 8))
    with pytest.raises(InvalidArgumentError, match=r"expected B×3×T×H×W"):
        loss(torch.zeros(1, 1, 1, 8, 8), torch.zeros(1, 1, 1, 8, 8))


def test_combined_loss_by_hand(tmp_path: Path) -> None:
    vgg = VGGLoss(_vgg_file(tmp_path, identity_layers=1), layers=["relu1_1"]).double()
    pred, target = PRED3, TARGET3
    out = vhdr_loss(pred, target, lambdas=(1.0, 0.5, 0.25, 2.0), vgg=vgg)
    assert set(out) == {"loss", "l1", "vgg", "sm", "lm"}
    w = math.exp(-2.0)
    by_hand = {
        "l1": (0.99 + 1.97 + 0.02 + 0.99 + 4.97 + 0.02) / 9,
        "sm": (w * (1 + 2) + 3) / 6,
        "lm": w * (1 + 2 + 1 + 5) / 6,
        "vgg": vgg(pred, target).item(),  # checked by hand in test_vgg_loss_by_hand
    }
    for name, value in by_hand.items():
        assert out[name].item() == pytest.approx(value)
    expected = out["l1"] + 0.5 * out["vgg"] + 0.25 * out["sm"] + 2.0 * out["lm"]
    assert out["loss"].item() == pytest.approx(expected.item())
    assert out["loss"].item() > 0


def test_combined_loss_disables_vgg_without_weights(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="vs_vhdr.losses.combined"):
        loss = VHDRLoss()
    assert "disabled" in caplog.text and "vgg" in loss.disabled
    out = loss(PRED3, TARGET3)
    assert out["vgg"].item() == 0.0
    expected = out["l1"] + 0.001 * out["sm"] + 0.001 * out["lm"]  # paper λ1, λ3, λ4
    assert out["loss"].item() == pytest.approx(expected.item())
    with pytest.raises(InvalidArgumentError, match=r"lambdas\[1\]=0.01 \(VGG term\) but vgg=None"):
        vhdr_loss(PRED3, TARGET3)
    with pytest.raises(InvalidArgumentError, match="four finite numbers"):
        VHDRLoss(lambdas=(1.0, -1.0, 0.0, 0.0))


@pytest.mark.parametrize("func", [l1_loss, short_term_loss, long_term_loss])
def test_guards_state_expected_and_actual_shapes(func) -> None:
    with pytest.raises(InvalidArgumentError, match=r"pred has shape \(1, 3, 2, 4, 4\) but target"):
        func(torch.zeros(1, 3, 2, 4, 4), torch.zeros(1, 3, 2, 4, 5))
    with pytest.raises(
        InvalidArgumentError, match=r"pred has shape \(3, 2, 4, 4\); expected B×C×T×H×W"
    ):
        func(torch.zeros(3, 2, 4, 4), torch.zeros(3, 2, 4, 4))
    with pytest.raises(InvalidArgumentError, match="tau"):
        short_term_loss(torch.zeros(1, 1, 2, 1, 1), torch.zeros(1, 1, 2, 1, 1), tau=0)


def test_gradients_are_correct(tmp_path: Path) -> None:
    torch.manual_seed(1)
    pred = torch.rand(1, 3, 3, 2, 3, dtype=torch.float64, requires_grad=True)
    target = torch.rand(1, 3, 3, 2, 3, dtype=torch.float64) * 0.02  # weights well inside (0, 1)
    for func in (l1_loss, short_term_loss, long_term_loss):
        assert torch.autograd.gradcheck(lambda p, f=func: f(p, target), (pred,))
    vgg = VGGLoss(_vgg_file(tmp_path), layers=["relu1_1", "relu1_2"]).double()
    assert torch.autograd.gradcheck(lambda p: vgg(p, target), (pred,))
    total = VHDRLoss(lambdas=(1.0, 0.0, 0.3, 0.7))
    assert torch.autograd.gradcheck(lambda p: total(p, target)["loss"], (pred,))


@pytest.mark.parametrize("module", [l1, temporal, perceptual, combined, pu21, overshoot])
def test_docstring_examples_run(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def _panning_clip(frames: int = 4, shift: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    """A log-HDR clip whose content moves ``shift`` px right per frame, and its exact motion."""
    generator = torch.Generator().manual_seed(4)
    wide = torch.rand(1, 3, 1, 16, 16 + shift * frames, generator=generator)
    clip = torch.cat(
        [wide[..., shift * (frames - t) : shift * (frames - t) + 16] for t in range(frames)], dim=2
    )
    motion = torch.zeros(1, frames - 1, 16, 16, 2)
    motion[..., 1] = shift
    return clip, motion


def test_motion_temporal_loss_is_zero_for_the_truth_and_sees_flicker() -> None:
    from vs_vhdr.losses import motion_temporal_loss

    clip, motion = _panning_clip()
    assert float(motion_temporal_loss(clip, clip, motion)) == pytest.approx(0.0, abs=1e-6)
    flicker = torch.tensor([0.0, 0.1, 0.0, 0.1]).view(1, 1, 4, 1, 1)
    assert float(motion_temporal_loss(clip + flicker, clip, motion)) == pytest.approx(0.1, rel=1e-4)


def test_motion_temporal_loss_follows_the_motion_not_the_pixel() -> None:
    """A prediction that holds the first frame still is penalised on a panning clip; the
    paper's same-pixel L_SM barely sees it (its weights switch off where the truth changes)."""
    from vs_vhdr.losses import motion_temporal_loss

    clip, motion = _panning_clip()
    frozen = clip[:, :, :1].expand_as(clip)
    assert float(motion_temporal_loss(frozen, clip, motion)) > 0.1
    static = torch.zeros_like(motion)
    assert float(motion_temporal_loss(frozen, frozen, static)) == pytest.approx(0.0, abs=1e-6)


def test_motion_temporal_loss_ignores_unknown_motion_and_checks_shapes() -> None:
    from vs_vhdr.losses import motion_temporal_loss

    clip, motion = _panning_clip()
    unknown = torch.zeros(1, 3, 16, 16, dtype=torch.bool)
    assert float(motion_temporal_loss(clip * 2, clip, motion, unknown)) == 0.0
    with pytest.raises(InvalidArgumentError, match="warp_by_motion: motion has shape"):
        motion_temporal_loss(clip, clip, motion[:, :2])


def test_pu21_loss_matches_the_metric_and_weighs_highlights() -> None:
    """Per pixel it is |ΔPU21| / 256 of luminance (the PU21-PSNR metric's units), so a stop of
    error costs 10x more at 2000 cd/m² than at 0.1 cd/m²; colour at equal luminance is free."""
    from vs_vhdr.losses import pu21_loss
    from vs_vhdr.metrics.pu21 import pu21_frame
    from vs_vhdr.units import to_log

    for level in (0.05, 20.0):
        truth = torch.full((1, 3, 1, 1, 1), level)
        expected = (
            abs(
                float(pu21_frame(torch.full((3,), 2 * level)) - pu21_frame(torch.full((3,), level)))
            )
            / 256
        )
        assert float(pu21_loss(to_log(2 * truth), to_log(truth))) == pytest.approx(
            expected, rel=1e-4
        )
    shadow = float(
        pu21_loss(
            to_log(torch.full((1, 3, 1, 1, 1), 0.002)), to_log(torch.full((1, 3, 1, 1, 1), 0.001))
        )
    )
    highlight = float(
        pu21_loss(
            to_log(torch.full((1, 3, 1, 1, 1), 40.0)), to_log(torch.full((1, 3, 1, 1, 1), 20.0))
        )
    )
    assert highlight > 10 * shadow
    grey = torch.full((1, 3, 1, 1, 1), 1.0)
    tinted = torch.tensor([1.0 + 0.0722 / 0.2126, 1.0, 0.0]).view(1, 3, 1, 1, 1)
    assert float(pu21_loss(to_log(tinted), to_log(grey))) == pytest.approx(0.0, abs=1e-5)
    with pytest.raises(InvalidArgumentError, match="pu21_loss"):
        pu21_loss(torch.zeros(1, 1, 1, 2, 2), torch.zeros(1, 1, 1, 2, 2))


def test_overshoot_loss_charges_only_luminance_above_the_ratio() -> None:
    """Per pixel it is the log luminance above 1.5× the truth's: 3× the truth costs log 2, 1.4×
    and anything darker cost nothing, truth below PU21's black counts as it, and the gradient
    only pushes the prediction down."""
    from vs_vhdr.losses import OVERSHOOT_RATIO, overshoot_loss
    from vs_vhdr.units import to_log

    truth = torch.full((1, 3, 1, 1, 2), 2.0)
    triple = to_log(torch.tensor([6.0, 2.8]).expand(1, 3, 1, 1, 2)).requires_grad_()
    loss = overshoot_loss(triple, to_log(truth))
    assert OVERSHOOT_RATIO == 1.5
    assert float(loss.detach()) == pytest.approx(math.log(2) / 2, rel=1e-3)
    loss.backward()
    grad = triple.grad
    assert grad is not None and (grad[..., 0] > 0).all() and (grad[..., 1] == 0).all()
    assert float(overshoot_loss(to_log(truth / 10), to_log(truth))) == 0.0
    black = torch.zeros(1, 3, 1, 1, 1)
    assert float(overshoot_loss(to_log(black + 1e-5), to_log(black))) == 0.0
    assert float(overshoot_loss(to_log(black + 3e-4), to_log(black))) == pytest.approx(
        math.log(3e-4 / 5e-5 / 1.5), rel=1e-2
    )
    assert float(overshoot_loss(to_log(3 * truth), to_log(truth), ratio=4.0)) == 0.0
    with pytest.raises(InvalidArgumentError, match="overshoot_loss: ratio=0.5"):
        overshoot_loss(to_log(truth), to_log(truth), ratio=0.5)
    with pytest.raises(InvalidArgumentError, match="overshoot_loss"):
        overshoot_loss(torch.zeros(1, 1, 1, 2, 2), torch.zeros(1, 1, 1, 2, 2))
