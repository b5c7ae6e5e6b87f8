"""The colour stage through the frame server (protocol 2) and the C OFX plugin."""

from pathlib import Path

import numpy as np
import pytest
from colour_support import camera_5d2
from test_colour_cli import grey_card_mosaic, write_shot

from tests.serve_support import build_bridge, run_host, running_server
from vs_vhdr.serve.backend import EngineRenderer
from vs_vhdr.serve.client import FrameClient, ServerReplyError

FRAMES = 3


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("servecard")
    write_shot(folder, camera_5d2(), grey_card_mosaic(0.4))
    np.save(folder / "ones.npy", np.ones((32, 40), np.float32))
    return folder


def grey(rgb: np.ndarray) -> np.ndarray:
    centre = rgb[4:-4, 4:-4].reshape(-1, 3).mean(axis=0)
    return np.abs(centre / centre.mean() - 1)


def window() -> np.ndarray:
    return np.repeat(grey_card_mosaic(0.4)[None], FRAMES, axis=0)


def test_server_applies_the_colour_of_the_dng_and_names_the_space(
    card: Path, tmp_path: Path
) -> None:
    dng = str(card / "shot.0000.dng")
    with running_server(tmp_path, EngineRenderer(device="cpu")) as server:
        with FrameClient(server.options.socket_path, timeout=120) as client:
            rgb = client.render(window(), 1, mask_file=str(card / "ones.npy"), colour_file=dng)
            assert client.last_colorspace == "acescg" and np.all(grey(rgb) < 0.02)
            camera = client.render(window(), 1, mask_file=str(card / "ones.npy"))
            assert client.last_colorspace == "camera" and grey(camera).max() > 0.3
            with pytest.raises(
                ServerReplyError, match="BAD_ARGUMENT: RENDER: colorspace='acescg' needs"
            ):
                client.render(window(), 1, mask_file=str(card / "ones.npy"), colorspace="acescg")
            with pytest.raises(ServerReplyError, match="expected auto, acescg"):
                client.render(window(), 1, mask_file=str(card / "ones.npy"), colorspace="xyz")


def test_ofx_plugin_passes_colour_space_and_file(card: Path, tmp_path: Path) -> None:
    plugin, host = build_bridge()
    params = {
        "maskFile": card / "ones.npy",
        "colourFile": card / "shot.0000.dng",
        "colorspace": 3,  # rec709
        "window": FRAMES,
    }
    with running_server(tmp_path, EngineRenderer(device="cpu")) as server:
        params["socket"] = server.options.socket_path
        run, out = run_host(host, plugin, window(), tmp_path, time=1, params=params)
    assert run.returncode == 0, run.stdout
    assert np.all(grey(out) < 0.02), out[16, 20]


@pytest.mark.parametrize("backend", ["in-process", "server"])
def test_nuke_node_writes_grey_acescg_with_chromaticities(
    card: Path, tmp_path: Path, backend: str
) -> None:
    import OpenEXR
    from vhdr_nuke.backends import Job, reconstruct

    from vs_vhdr.colour import COLORSPACES
    from vs_vhdr.io.exr import read_exr_rgb, write_exr

    for k in range(FRAMES):
        write_exr(tmp_path / f"raw.{k + 1:04d}.exr", grey_card_mosaic(0.4), chromaticities=None)
    job = Job(
        raw_pattern=str(tmp_path / "raw.####.exr"),
        first=1,
        last=FRAMES,
        output=str(tmp_path / "out" / "hdr.####.exr"),
        mask_file=str(card / "ones.npy"),
        colour_file=str(card / "shot.0000.dng"),
        window=FRAMES,
        device="cpu",
    )
    if backend == "server":
        with running_server(tmp_path, EngineRenderer(device="cpu")) as server:
            job = Job(**{**job.__dict__, "socket": str(server.options.socket_path)})
            paths = reconstruct(job, backend)
    else:
        paths = reconstruct(job, backend)
    assert np.all(grey(read_exr_rgb(paths[1])) < 0.02)
    with OpenEXR.File(str(paths[1]), header_only=True) as exr:
        header = dict(exr.header())
    assert np.allclose(header["chromaticities"], COLORSPACES["acescg"].chromaticities, atol=1e-6)
    assert header["vhdrColorspace"] == "acescg"
