"""Spatial tiling: the plan covers every pixel once, origins stay on the CFA/stride grid, and
tiled network passes equal untiled ones (max |Δ log| < 1e-3), for toy and registered models."""

import numpy as np
import pytest
import torch

from tests.engine_toy import TinyEncDec, TinyNet, mask_of, raw_clip
from vs_vhdr.engine import EngineOptions, Reconstructor, plan_tiles
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.nets import create_model
from vs_vhdr.units import to_log


@pytest.mark.parametrize(
    ("height", "width", "tile", "margin", "align"),
    [(37, 45, 16, 5, 2), (64, 64, 16, 10, 4), (9, 200, 32, 3, 2), (30, 30, 7, 0, 1)],
)
def test_cores_partition_the_frame(
    height: int, width: int, tile: int, margin: int, align: int
) -> None:
    tiles = plan_tiles(height, width, tile, margin, align)
    cover = np.zeros((height, width), dtype=int)
    pad = -(-margin // align) * align
    for t in tiles:
        cover[t.cy0 : t.cy1, t.cx0 : t.cx1] += 1
        assert t.y0 % align == 0 and t.x0 % align == 0 and t.cy0 % align == 0
        assert t.y0 == max(0, t.cy0 - pad) and t.y1 == min(height, t.cy1 + pad)
        assert t.x0 == max(0, t.cx0 - pad) and t.x1 == min(width, t.cx1 + pad)
        rows, cols = t.core_in_region
        assert rows.stop - rows.start == t.cy1 - t.cy0 and cols.stop - cols.start == t.cx1 - t.cx0
    assert (cover == 1).all()
    assert len(tiles) > 1


def test_tile_zero_or_larger_than_frame_is_one_tile() -> None:
    for tile in (0, 64):
        (only,) = plan_tiles(20, 30, tile, 8)
        assert (only.y0, only.y1, only.x0, only.x1) == (0, 20, 0, 30)


def _log_window(model: torch.nn.Module, raw: np.ndarray, tile: int, mask=None, **kw) -> np.ndarray:
    options = EngineOptions(model="toy", tile=tile, device="cpu", precision="fp32", **kw)
    rec = Reconstructor(options, mask, model=model)
    return to_log(torch.from_numpy(rec.reconstruct_window(raw))).numpy()


@pytest.mark.parametrize("cfa", ["RGGB", "GBRG"])
@pytest.mark.parametrize("model_cls", [TinyNet, TinyEncDec])
def test_tiled_equals_untiled_toy(model_cls: type, cfa: str) -> None:
    raw = raw_clip(4, 37, 45)
    model = model_cls()
    whole = _log_window(model, raw, 0, cfa=cfa)
    tiled = _log_window(model, raw, 8, cfa=cfa)
    assert np.abs(whole - tiled).max() < 1e-3
    # the toy is not trivial: a wrong tile origin (odd CFA phase) would change the output
    shifted = _log_window(model, raw[:, 1:, 1:], 0, cfa=cfa)
    assert np.abs(shifted - whole[:, 1:, 1:]).max() > 1e-2


def test_tiled_equals_untiled_mask_conditioned() -> None:
    raw, mask = raw_clip(3, 30, 34), mask_of(30, 34)
    model = TinyNet(mask_conditioned=True)
    whole = _log_window(model, raw, 0, mask)
    tiled = _log_window(model, raw, 10, mask)
    assert np.abs(whole - tiled).max() < 1e-3


@pytest.mark.parametrize(
    ("name", "size", "tile"), [("c3d", (20, 40), 20), ("c3ded", (48, 160), 48)]
)
def test_tiled_equals_untiled_registered_models(
    name: str, size: tuple[int, int], tile: int
) -> None:
    """One row of tiles across the width; C3DED's margin (60 px) keeps its stride-4 grid."""
    torch.manual_seed(0)
    model = create_model(name)
    raw = raw_clip(1, *size)
    whole = _log_window(model, raw, 0, window=1, overlap=0)
    tiled = _log_window(model, raw, tile, window=1, overlap=0)
    assert np.abs(whole - tiled).max() < 1e-3


def test_margin_below_receptive_field_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="tile_margin"):
        Reconstructor(EngineOptions(tile=8, tile_margin=1, device="cpu"), model=TinyNet())
