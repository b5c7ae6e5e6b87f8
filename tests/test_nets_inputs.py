"""prepare_input: channel layout, mask broadcasting, crop origins and clear errors."""

import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import spread
from vs_vhdr.nets import create_model, prepare_input

PAPER = create_model("c3d", weights=False).spec
MASKED = create_model("c3d-m", weights=False).spec


def test_paper_model_input_is_the_spread_mosaic() -> None:
    raw = torch.rand(2, 3, 5, 7)
    x = prepare_input(raw, None, "GRBG", PAPER)
    assert x.shape == (2, 3, 3, 5, 7)
    assert torch.equal(x, spread(raw, "GRBG").movedim(-4, 1))
    assert x[0, 1, 0, 0, 0] == raw[0, 0, 0, 0]  # G at (0, 0) for GRBG
    assert x[0, 0, 0, 0, 0] == 0


def test_mask_conditioned_input_appends_the_spread_mask() -> None:
    raw = torch.rand(1, 2, 4, 6)
    mask = torch.rand(4, 6)
    x = prepare_input(raw, mask, "RGGB", MASKED)
    assert x.shape == (1, 6, 2, 4, 6)
    assert torch.equal(x[:, :3], spread(raw, "RGGB").movedim(-4, 1))
    expected_mask = spread(mask.expand(1, 2, 4, 6), "RGGB").movedim(-4, 1)
    assert torch.equal(x[:, 3:], expected_mask)
    # the R mask channel holds the mask at R sites only
    assert x[0, 3, 1, 0, 0] == mask[0, 0]
    assert x[0, 3, 1, 0, 1] == 0


@pytest.mark.parametrize("shape", [(4, 6), (2, 4, 6), (1, 2, 4, 6), (1, 1, 4, 6)])
def test_static_and_per_frame_masks_broadcast(shape: tuple[int, ...]) -> None:
    raw = torch.rand(1, 2, 4, 6)
    mask = torch.rand(shape)
    x = prepare_input(raw, mask, "RGGB", MASKED)
    full = mask.expand(1, 2, 4, 6)
    assert torch.equal(x[:, 3:].sum(dim=1), full)


def test_origin_keeps_the_sensor_pattern() -> None:
    raw = torch.rand(1, 1, 4, 4)
    shifted = prepare_input(raw, None, "RGGB", PAPER, origin=(1, 1))
    assert torch.equal(shifted, prepare_input(raw, None, "BGGR", PAPER))


def test_dtype_follows_raw() -> None:
    raw = torch.rand(1, 1, 2, 2, dtype=torch.float64)
    x = prepare_input(raw, torch.ones(2, 2), "RGGB", MASKED)
    assert x.dtype == torch.float64


@pytest.mark.parametrize(
    ("raw", "mask", "spec", "message"),
    [
        (torch.rand(2, 4, 4), None, PAPER, r"raw has shape \(2, 4, 4\); expected B×T×H×W"),
        (torch.zeros(1, 1, 4, 4, dtype=torch.int16), None, PAPER, "raw has dtype"),
        (torch.full((1, 1, 2, 2), float("nan")), None, PAPER, "raw contains NaN"),
        (torch.rand(1, 1, 4, 4), None, MASKED, "model .c3d-m. is mask-conditioned; mask=None"),
        (torch.rand(1, 1, 4, 4), torch.rand(4, 5), MASKED, r"mask has shape \(4, 5\)"),
        (torch.rand(1, 2, 4, 4), torch.rand(3, 4, 4), MASKED, r"mask has shape \(3, 4, 4\)"),
        (torch.rand(1, 1, 4, 4), torch.rand(4), MASKED, r"mask has shape \(4,\)"),
        (torch.rand(1, 1, 2, 2), torch.full((2, 2), 1.5), MASKED, r"mask values lie in \[1.5"),
        (torch.rand(1, 1, 2, 2), torch.full((2, 2), float("nan")), MASKED, "mask contains NaN"),
        # a mask given to a paper model is still checked
        (torch.rand(1, 1, 4, 4), torch.rand(5, 4), PAPER, r"mask has shape \(5, 4\)"),
    ],
)
def test_bad_input_is_refused_clearly(
    raw: torch.Tensor, mask: torch.Tensor | None, spec: object, message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match="prepare_input: " + message):
        prepare_input(raw, mask, "RGGB", spec)  # type: ignore[arg-type]


def test_bad_cfa_and_origin_are_refused() -> None:
    raw = torch.rand(1, 1, 2, 2)
    with pytest.raises(InvalidArgumentError, match="prepare_input: cfa='RGBG'"):
        prepare_input(raw, None, "RGBG", PAPER)
    with pytest.raises(InvalidArgumentError, match="origin"):
        prepare_input(raw, None, "RGGB", PAPER, origin=(-1, 0))
