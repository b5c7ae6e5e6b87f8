"""CFA sampling: patterns, spread/gather round trips, crop origins, bad input."""

import numpy as np
import pytest
import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.cfa import CFA_PATTERNS, cfa_channels, gather, mosaic, mosaic_np, spread


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_top_left_letter_is_sampled_at_origin(cfa: str) -> None:
    rgb = torch.zeros(1, 3, 1, 2, 2)
    for channel in range(3):
        rgb[0, channel] = channel + 1.0
    raw = mosaic(rgb, cfa)[0, 0]
    expected = {"R": 1.0, "G": 2.0, "B": 3.0}
    assert [raw[0, 0].item(), raw[0, 1].item(), raw[1, 0].item(), raw[1, 1].item()] == [
        expected[c] for c in cfa
    ]


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_spread_gather_round_trip_odd_size(cfa: str) -> None:
    raw = torch.rand(2, 3, 7, 9)
    spreaded = spread(raw, cfa)
    assert spreaded.shape == (2, 3, 3, 7, 9)
    assert torch.equal(gather(spreaded), raw)
    # exactly one channel is non-zero per site, and it is the one mosaic samples
    assert torch.equal((spreaded != 0).sum(dim=1), (raw != 0).long())
    assert torch.equal(mosaic(spreaded, cfa), raw)


def test_origin_shifts_the_pattern() -> None:
    rgb = torch.rand(3, 1, 6, 6)
    # a crop starting at (1, 1) of an RGGB sensor is a BGGR mosaic; at (0, 1) it is GRBG
    assert torch.equal(mosaic(rgb, "RGGB", origin=(1, 1)), mosaic(rgb, "BGGR"))
    assert torch.equal(mosaic(rgb, "RGGB", origin=(0, 1)), mosaic(rgb, "GRBG"))


def test_green_fraction_is_half() -> None:
    assert (cfa_channels("GRBG") == 1).sum() == 2


def test_numpy_helper_matches_torch() -> None:
    rgb = np.random.default_rng(0).random((4, 5, 3), dtype=np.float32)
    torch_raw = mosaic(torch.from_numpy(rgb).permute(2, 0, 1)[:, None], "BGGR")[0].numpy()
    np.testing.assert_array_equal(mosaic_np(rgb, "BGGR"), torch_raw)


def test_unknown_cfa_names_the_value() -> None:
    with pytest.raises(InvalidArgumentError, match="RGBG.*RGGB, BGGR, GRBG, GBRG"):
        spread(torch.zeros(1, 2, 2), "RGBG")


def test_wrong_channel_count_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match=r"expected \(\.\.\., 3, T, H, W\)"):
        mosaic(torch.zeros(1, 4, 1, 2, 2))
