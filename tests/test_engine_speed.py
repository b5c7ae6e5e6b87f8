"""Engine speed options: batched tiles, channels-last default, torch.compile, CUDA copies."""

import numpy as np
import pytest
import torch

from tests.engine_toy import TinyEncDec, TinyNet, mask_of, raw_clip
from vs_vhdr.engine import EngineOptions, Reconstructor, plan_tiles
from vs_vhdr.engine.network import tile_groups
from vs_vhdr.errors import InvalidArgumentError

CPU = {"device": "cpu", "precision": "fp32"}


def window(model: torch.nn.Module, raw: np.ndarray, mask: np.ndarray | None, **kw) -> np.ndarray:
    return Reconstructor(EngineOptions(**{**CPU, **kw}), mask, model=model).reconstruct_window(raw)


def test_tile_groups_batch_only_equal_regions_in_order() -> None:
    tiles = plan_tiles(40, 56, 16, 4)  # 3 × 4 tiles; edge tiles have smaller regions
    for batch in (1, 2, 4, 64):
        groups = tile_groups(tiles, batch)
        assert [t for g in groups for t in g] == tiles
        for group in groups:
            assert len(group) <= batch
            assert len({(t.y1 - t.y0, t.x1 - t.x0, t.y0 % 2, t.x0 % 2) for t in group}) == 1
    assert len(tile_groups(tiles, 1)) == len(tiles)
    assert len(tile_groups(tiles, 64)) < len(tiles)


@pytest.mark.parametrize("model", [TinyNet(), TinyEncDec()], ids=["tiny", "encdec"])
def test_batched_tiles_equal_one_tile_at_a_time(model: torch.nn.Module) -> None:
    raw = raw_clip(8, 24, 30)
    untiled = window(model, raw, None)
    single = window(model, raw, None, tile=8)
    for batch in (2, 5):
        batched = window(model, raw, None, tile=8, tile_batch=batch)
        assert np.allclose(np.log(batched + 1e-4), np.log(single + 1e-4), atol=1e-5)
    assert np.allclose(np.log(single + 1e-4), np.log(untiled + 1e-4), atol=1e-4)


def test_batched_tiles_carry_each_tiles_mask() -> None:
    model = TinyNet(mask_conditioned=True)
    raw, mask = raw_clip(8, 30, 38), mask_of(30, 38)
    one = window(model, raw, mask, tile=8)
    four = window(model, raw, mask, tile=8, tile_batch=4)
    assert np.allclose(np.log(four + 1e-4), np.log(one + 1e-4), atol=1e-5)
    flipped = window(model, raw, mask[::-1].copy(), tile=8, tile_batch=4)
    assert not np.allclose(flipped, four)  # the mask really reaches the network


def test_channels_last_is_the_default_and_gives_the_same_pixels() -> None:
    raw = raw_clip(8, 24, 20)
    rec = Reconstructor(EngineOptions(**CPU), model=TinyNet())
    assert rec.runner.memory_format == torch.channels_last_3d
    plain = Reconstructor(EngineOptions(**CPU, channels_last=False), model=TinyNet())
    assert plain.runner.memory_format == torch.contiguous_format
    a, b = rec.reconstruct_window(raw), plain.reconstruct_window(raw)
    assert np.allclose(np.log(a + 1e-4), np.log(b + 1e-4), atol=1e-5)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "4"])
def test_bad_tile_batch_is_refused(value: object) -> None:
    with pytest.raises(InvalidArgumentError, match="tile_batch"):
        EngineOptions(tile_batch=value)  # type: ignore[arg-type]


def test_bad_compile_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="compile"):
        EngineOptions(compile="yes")  # type: ignore[arg-type]


@pytest.mark.slow
def test_compiled_model_gives_the_eager_pixels() -> None:
    raw = raw_clip(4, 12, 16)
    eager = window(TinyNet(), raw, None, window=4)
    compiled = window(TinyNet(), raw, None, window=4, compile=True)
    assert np.allclose(np.log(compiled + 1e-4), np.log(eager + 1e-4), atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("pinned", [True, False])
def test_cuda_copies_pinned_or_not_give_the_cpu_pixels(pinned: bool) -> None:
    raw = raw_clip(8, 40, 48)
    reference = window(TinyNet(), raw, None, tile=16)
    rec = Reconstructor(
        EngineOptions(device="cuda", precision="fp32", tile=16, tile_batch=3), model=TinyNet()
    )
    assert rec.runner.pinned
    rec.runner.pinned = pinned
    out = rec.reconstruct_window(raw)
    assert np.allclose(np.log(out + 1e-4), np.log(reference + 1e-4), atol=1e-3)


def test_one_thread_input_passes_keep_the_pool_and_the_pixels() -> None:
    raw, mask = raw_clip(8, 20, 24), mask_of(20, 24)
    model = TinyNet(mask_conditioned=True)
    rec = Reconstructor(EngineOptions(**CPU), mask, model=model)
    assert rec.runner.pass_threads == 1
    pool = torch.get_num_threads()
    one = rec.reconstruct_window(raw)
    assert torch.get_num_threads() == pool
    rec.runner.pass_threads = None
    assert np.array_equal(rec.reconstruct_window(raw), one)
