"""Frame server, render level: pixels through shared memory, errors, queue, timeout, shutdown."""

import os
import re
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

from tests.serve_support import PYTHON, echo_render, python_env, running_server, shm_names
from vs_vhdr.cli.main import main
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.serve import shm
from vs_vhdr.serve.client import FrameClient, ServerReplyError, write_segment
from vs_vhdr.serve.jobs import Limits, RenderJob
from vs_vhdr.serve.protocol import Code, MsgType, encode
from vs_vhdr.serve.server import FrameServer, ServeOptions

RAW = np.random.default_rng(3).random((4, 6, 5), dtype=np.float32)


@pytest.fixture(autouse=True)
def no_leaked_segments():
    before = shm_names()
    yield
    assert shm_names() - before == set()


def _render(path, raw=RAW, target=1, **kwargs):
    with FrameClient(path, timeout=30) as client:
        return client.render(raw, target, mask_file=kwargs.pop("mask_file", "m.npy"), **kwargs)


def test_a_window_round_trips_through_shared_memory(tmp_path):
    seen: list[RenderJob] = []

    def render(job):
        seen.append(job)
        return echo_render(job)

    with running_server(tmp_path, render) as server:
        out = _render(server.options.socket_path, target=2, cfa="gbrg", window=8, scale=(1, 1))
    np.testing.assert_array_equal(out, echo_render(RenderJob(RAW, 2, "", "", 4, None, None)))
    job = seen[0]
    np.testing.assert_array_equal(job.raw, RAW)
    assert (job.target, job.cfa, job.window, job.mask_file, job.camera) == (
        2,
        "GBRG",
        8,
        "m.npy",
        None,
    )


def test_one_connection_serves_many_windows_and_drops_old_outputs(tmp_path):
    with running_server(tmp_path) as server:
        with FrameClient(server.options.socket_path, timeout=30) as client:
            for target in range(4):
                out = client.render(RAW, target, camera="studio")
                np.testing.assert_array_equal(out[..., 0], RAW[target])
            names = []
            for seq in (201, 202):  # RENDER without RELEASE: the next RENDER drops the output
                write_segment(_name(seq), RAW[..., None], channels=1)
                fields = {"id": seq, "shm": _name(seq), "frames": 4, "height": 6, "width": 5}
                fields |= {"target": 0, "model": "m", "cfa": "RGGB", "window": 4, "camera": "c"}
                names.append(client.request(MsgType.RENDER, fields)["shm"])
            assert not (shm.SHM_DIR / names[0][1:]).exists()
            assert (shm.SHM_DIR / names[1][1:]).exists()


def _send_render(path, name, frames=4, height=6, width=5):
    fields = {"id": 7, "shm": name, "frames": frames, "height": height, "width": width}
    fields |= {"target": 0, "model": "m", "cfa": "RGGB", "window": frames, "mask_file": "m"}
    with FrameClient(path, timeout=30) as client:
        with pytest.raises(ServerReplyError) as caught:
            client.request(MsgType.RENDER, fields)
        assert client.ping()["protocol"] == "2"  # the same connection still serves
    return caught.value


def _name(seq: int) -> str:
    return f"/vhdr-{os.geteuid()}-{os.getpid()}-{seq}-in"


def test_shared_memory_of_the_wrong_size_or_header_is_refused_and_removed(tmp_path):
    with running_server(tmp_path) as server:
        path = server.options.socket_path
        write_segment(_name(101), RAW[:3, ..., None], channels=1)  # 3 frames where 4 are claimed
        error = _send_render(path, _name(101))
        assert error.code == Code.BAD_SHM and "bytes" in str(error)
        assert not (shm.SHM_DIR / _name(101)[1:]).exists()
        write_segment(_name(102), RAW.reshape(4, 5, 6, 1), channels=1)  # same size, other shape
        error = _send_render(path, _name(102))
        assert error.code == Code.BAD_SHM and "header" in str(error)
        error = _send_render(path, _name(103))  # never created
        assert error.code == Code.BAD_SHM and "cannot open" in str(error)
        for bad in ("/vhdr-0-1-2-out", "/../etc/passwd", f"/vhdr-{os.geteuid() + 1}-1-1-in"):
            assert _send_render(path, bad).code == Code.BAD_SHM


def test_renderer_errors_reach_the_client_and_the_server_keeps_serving(tmp_path):
    calls = []

    def render(job):
        calls.append(job.target)
        if job.target == 0:
            raise InvalidArgumentError("mask_file='m.npy' is 9x9 but frames are 5x6")
        if job.target == 1:
            raise RuntimeError("CUDA out of memory")
        if job.target == 2:
            return np.zeros((2, 2, 3), np.float32)
        return echo_render(job)

    with running_server(tmp_path, render) as server:
        path = server.options.socket_path
        for target, code, text in [
            (0, Code.BAD_ARGUMENT, "is 9x9"),
            (1, Code.INTERNAL, "RuntimeError: CUDA out of memory"),
            (2, Code.INTERNAL, "shape (2, 2, 3)"),
        ]:
            with pytest.raises(ServerReplyError, match=re.escape(text)) as caught:
                _render(path, target=target)
            assert caught.value.code == code
        np.testing.assert_array_equal(_render(path, target=3)[..., 0], RAW[3])
    assert calls == [0, 1, 2, 3]


def test_a_full_queue_answers_busy(tmp_path):
    release = threading.Event()

    def render(job):
        release.wait(10)
        return echo_render(job)

    results: list[object] = []
    with running_server(tmp_path, render, queue_size=1) as server:
        path = server.options.socket_path

        def client():
            try:
                results.append(_render(path))
            except ServerReplyError as error:
                results.append(error)

        threads = [threading.Thread(target=client) for _ in range(3)]
        for thread in threads:  # one runs, one waits in the queue, one finds it full
            thread.start()
            time.sleep(0.3)
        release.set()
        for thread in threads:
            thread.join(20)
    busy = [r for r in results if isinstance(r, ServerReplyError)]
    assert len(results) == 3 and len(busy) == 1 and busy[0].code == Code.BUSY


def test_a_slow_render_times_out_and_the_server_keeps_serving(tmp_path):
    def render(job):
        if job.target == 0:
            time.sleep(1.0)
        return echo_render(job)

    with running_server(tmp_path, render, timeout_s=0.3) as server:
        path = server.options.socket_path
        with pytest.raises(ServerReplyError, match="no result within 0.3 s") as caught:
            _render(path, target=0)
        assert caught.value.code == Code.TIMEOUT
        time.sleep(0.9)  # the running job finishes (and is discarded) before the next one starts
        np.testing.assert_array_equal(_render(path, target=2)[..., 0], RAW[2])


def test_shutdown_fails_waiting_requests_cleanly(tmp_path):
    started = threading.Event()

    def render(job):
        started.set()
        time.sleep(0.5)
        return echo_render(job)

    errors: list[ServerReplyError] = []
    with running_server(tmp_path, render) as server:
        path = server.options.socket_path

        def client(target):
            try:
                _render(path, target=target)
            except ServerReplyError as error:
                errors.append(error)

        first = threading.Thread(target=client, args=(0,))
        first.start()
        started.wait(5)
        second = threading.Thread(target=client, args=(1,))
        second.start()
        time.sleep(0.2)  # the second request is queued behind the first
    first.join(10)
    second.join(10)
    assert [e.code for e in errors] == [Code.SHUTTING_DOWN]  # the running job was delivered
    assert not path.exists()


def test_vhdr_serve_stops_cleanly_on_sigterm(tmp_path, capsys):
    path = tmp_path / "run" / "serve.sock"
    server = subprocess.Popen(
        [PYTHON, "-m", "vs_vhdr", "serve", "--socket", str(path), "--max-window", "3"],
        env=python_env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.05)
        assert main(["serve", "--socket", str(path), "--ping"]) == 0
        status = capsys.readouterr().out
        assert "max_window=3" in status and f"pid={server.pid}" in status
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "listening on" in err and "stopped" in err
    assert not path.exists()
    assert main(["serve", "--socket", str(path), "--ping"]) == 2
    assert "no vhdr server answers on" in capsys.readouterr().err


def test_an_idle_server_exits_by_itself(tmp_path):
    server = FrameServer(ServeOptions(tmp_path / "serve.sock", idle_exit_s=0.3), echo_render)
    server.start()
    with FrameClient(server.options.socket_path, timeout=10) as client:  # activity resets it
        client.ping()
    start = time.monotonic()
    server.serve_forever()
    assert 0.2 < time.monotonic() - start < 5
    assert not (tmp_path / "serve.sock").exists()


def test_stale_segments_of_dead_processes_are_swept():
    dead = subprocess.run(["true"]).returncode or 999999  # a pid that surely is not running
    stale, live = f"/vhdr-{os.geteuid()}-{dead}-1-in", f"/vhdr-{os.geteuid()}-{os.getpid()}-1-out"
    for name in (stale, live):
        write_segment(name, RAW[:1, ..., None], channels=1)
    try:
        removed = shm.sweep_stale()
        assert stale in removed and live not in removed
        assert (shm.SHM_DIR / live[1:]).exists()
    finally:
        shm.unlink(live)
        shm.unlink(stale)


def test_release_of_an_unknown_segment_is_ignored(tmp_path):
    with running_server(tmp_path) as server:
        with FrameClient(server.options.socket_path, timeout=10) as client:
            client.sock.sendall(encode(MsgType.RELEASE, {"shm": "/vhdr-0-0-0-out"}))
            assert client.ping()["protocol"] == "2"


def test_limits_default_to_the_protocol_values():
    assert Limits() == Limits(max_window=32, max_size=16384, max_bytes=2 << 30)
