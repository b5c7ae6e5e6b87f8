"""``vhdr reconstruct --io-threads``: reading ahead and writing behind changes no pixel."""

from pathlib import Path

import numpy as np
import pytest

from tests.engine_toy import write_shot
from vs_vhdr.cli.main import main
from vs_vhdr.io.exr import read_exr_rgb

COUNT, H, W = 10, 8, 10


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_shot(tmp_path_factory.mktemp("shot"), COUNT, H, W)


def run(shot: Path, out: Path, *extra: str) -> int:
    argv = ["reconstruct", str(shot / "raw.%04d.exr"), "--mask", str(shot / "mask.exr")]
    argv += ["--model", str(shot / "c3d.safetensors"), "--device", "cpu", "--window", "4"]
    return main([*argv, "--out", str(out / "hdr.%04d.exr"), *extra])


@pytest.mark.parametrize("overlap", ["0", "2"])
def test_io_threads_give_the_inline_frames(shot: Path, tmp_path: Path, overlap: str) -> None:
    inline, threaded = tmp_path / "inline", tmp_path / "threaded"
    assert run(shot, inline, "--io-threads", "0", "--overlap", overlap) == 0
    assert run(shot, threaded, "--io-threads", "3", "--overlap", overlap) == 0
    for k in range(COUNT):
        a = read_exr_rgb(inline / f"hdr.{k:04d}.exr")
        b = read_exr_rgb(threaded / f"hdr.{k:04d}.exr")
        assert np.array_equal(a, b), k


def test_unreadable_frame_read_ahead_is_a_clear_error(
    shot: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in shot.glob("*.exr"):
        (broken / path.name).write_bytes(path.read_bytes())
    (broken / "c3d.safetensors").write_bytes((shot / "c3d.safetensors").read_bytes())
    (broken / "raw.0007.exr").write_bytes(b"not an exr")
    assert run(broken, tmp_path / "out", "--io-threads", "2") == 2
    err = capsys.readouterr().err
    assert "raw.0007.exr" in err and "Traceback" not in err


def test_negative_io_threads_is_refused(shot: Path, tmp_path: Path, capsys) -> None:
    assert run(shot, tmp_path / "out", "--io-threads", "-1") == 2
    assert "--io-threads -1" in capsys.readouterr().err
