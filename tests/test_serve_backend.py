"""The frame server's engine renderer: exact engine output, masks, preview below full scale."""

import os

import cv2
import numpy as np
import pytest

from tests.serve_support import running_server, shm_names, tiny_weights
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.serve.backend import PREVIEW_MIN_MASK, EngineRenderer
from vs_vhdr.serve.client import FrameClient, ServerReplyError
from vs_vhdr.serve.jobs import RenderJob
from vs_vhdr.serve.protocol import Code

RNG = np.random.default_rng(11)
RAW = RNG.random((4, 10, 12), dtype=np.float32)
MASK = (0.02 + 0.98 * RNG.random((10, 12))).astype(np.float32)


@pytest.fixture
def served(tmp_path):
    np.save(tmp_path / "mask.npy", MASK)
    before = shm_names()
    with running_server(tmp_path, EngineRenderer(device="cpu")) as server:
        yield server.options.socket_path, tmp_path
    assert shm_names() - before == set()


def test_the_server_returns_exactly_the_engines_window_output(served):
    path, folder = served
    weights = str(tiny_weights(folder))
    engine = Reconstructor(EngineOptions(model=weights, window=4, device="cpu"), MASK)
    want = engine.reconstruct_window(RAW, MASK)
    with FrameClient(path, timeout=120) as client:
        for target in (0, 3):
            got = client.render(RAW, target, mask_file=str(folder / "mask.npy"), model=weights)
            np.testing.assert_array_equal(got, want[target])


def test_below_full_scale_the_server_returns_the_grey_preview(served):
    path, folder = served
    small = RAW[:, ::2, ::2].copy()  # what a host hands over at render scale 0.5
    with FrameClient(path, timeout=60) as client:
        got = client.render(small, 1, mask_file=str(folder / "mask.npy"), scale=(0.5, 0.5))
    mask = cv2.resize(MASK, (6, 5), interpolation=cv2.INTER_AREA)
    grey = small[1] / np.maximum(mask, PREVIEW_MIN_MASK)
    np.testing.assert_allclose(got, np.repeat(grey[..., None], 3, axis=2), rtol=1e-6)


@pytest.mark.parametrize(
    ("change", "text"),
    [
        ({"mask_file": "missing.npy"}, "cannot be read"),
        ({"mask_file": "big.npy"}, "the mask is 13x10 but the frames are 12x10"),
        ({"mask_file": "bright.npy"}, "outside [0, 1]"),
        ({"mask_file": "rgb.npy"}, "expected one channel"),
        ({"camera": "no-such-camera"}, "no-such-camera"),
        ({"model": "no-such-model"}, "no-such-model"),
    ],
)
def test_bad_settings_are_argument_errors_and_the_server_keeps_serving(served, change, text):
    path, folder = served
    np.save(folder / "big.npy", np.full((10, 13), 0.5, np.float32))
    np.save(folder / "bright.npy", MASK * 3)
    np.save(folder / "rgb.npy", np.stack([MASK] * 3, axis=-1))
    settings = {"mask_file": str(folder / "mask.npy"), "model": str(tiny_weights(folder))}
    if "camera" in change:
        settings.pop("mask_file")
    settings |= {k: str(folder / v) if v.endswith(".npy") else v for k, v in change.items()}
    with FrameClient(path, timeout=60) as client:
        with pytest.raises(ServerReplyError) as caught:
            client.render(RAW, 0, **settings)
        assert caught.value.code == Code.BAD_ARGUMENT, caught.value
        assert text in str(caught.value)
        assert client.ping()["protocol"] == "2"


def test_masks_are_cached_until_the_file_changes(tmp_path):
    renderer = EngineRenderer(device="cpu")
    path = tmp_path / "mask.npy"
    np.save(path, MASK)
    job = RenderJob(RAW[:, ::2, ::2], 0, "default", "RGGB", 4, str(path), None, (0.5, 0.5))
    first = renderer(job)
    np.save(path, MASK * 0.5)
    stamp = path.stat().st_mtime_ns + 10**9  # a new modification time even on coarse clocks
    os.utime(path, ns=(stamp, stamp))
    second = renderer(job)
    np.testing.assert_allclose(second, first * 2, rtol=1e-5)
