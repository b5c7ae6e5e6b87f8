"""The C OFX plugin driven by the C test host (built with gcc): contract, pixels, failures."""

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.serve_support import (
    BRIDGE,
    PYTHON,
    build_bridge,
    echo_render,
    python_env,
    run_host,
    running_server,
    shm_names,
    tiny_weights,
)
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.serve.backend import EngineRenderer
from vs_vhdr.serve.client import FrameClient
from vs_vhdr.serve.jobs import Limits, RenderJob

RAW = np.random.default_rng(5).random((6, 8, 10), dtype=np.float32)


@pytest.fixture(scope="module")
def bridge():
    return build_bridge()


@pytest.fixture(autouse=True)
def no_leaked_segments():
    before = shm_names()
    yield
    assert shm_names() - before == set()


def _expected(raw, t, window=4, render=echo_render):
    """What the plugin must produce at time t: the renderer on the centred, clamped window."""
    start = min(max(t - window // 2, 0), raw.shape[0] - window)
    return render(RenderJob(raw[start : start + window], t - start, "", "", window, None, None))


def _params(server, **extra):
    return {"socket": server.options.socket_path, "maskFile": "m.npy", "window": 4} | extra


def test_the_bundle_exports_only_the_two_ofx_entry_points(bridge):
    plugin, _ = bridge
    assert plugin.parts[-4:] == ("vhdr.ofx.bundle", "Contents", "Linux-x86-64", "vhdr.ofx")
    nm = ["nm", "-D", "--defined-only", str(plugin)]
    lines = subprocess.run(nm, capture_output=True, text=True, check=True).stdout.splitlines()
    assert sorted(line.split()[-1] for line in lines) == ["OfxGetNumberOfPlugins", "OfxGetPlugin"]
    dynamic = subprocess.run(["readelf", "-d", str(plugin)], capture_output=True, text=True).stdout
    assert "libc.so" in dynamic and "libstdc++" not in dynamic  # C only, no C++ runtime


@pytest.mark.parametrize(
    ("time", "extra"),
    [
        (0, ()),
        (3, ("--row-sign", "-1")),  # rows stored top-down: negative row bytes
        (5, ("--row-sign", "-1", "--pad", "24")),  # and padded rows
        (4, ("--pad", "8")),
    ],
    ids=["start", "negative-stride", "negative-padded", "padded"],
)
def test_render_sends_the_clamped_window_and_writes_the_frame(bridge, tmp_path, time, extra):
    plugin, host = bridge
    with running_server(tmp_path) as server:
        run, out = run_host(
            host, plugin, RAW, tmp_path, time=time, params=_params(server), extra=extra
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith(" passed, 0 failed")
    np.testing.assert_array_equal(out, _expected(RAW, time))


def test_only_the_render_window_is_written(bridge, tmp_path):
    plugin, host = bridge
    with running_server(tmp_path) as server:
        run, out = run_host(
            host,
            plugin,
            RAW,
            tmp_path,
            time=2,
            params=_params(server),
            extra=("--render-window", "3,2,7,5"),
        )
    assert run.returncode == 0, run.stdout  # the host checks the outside is untouched, alpha 1
    rows = slice(8 - 5, 8 - 2)  # OFX y runs up; the output file runs top-down
    np.testing.assert_array_equal(out[rows, 3:7], _expected(RAW, 2)[rows, 3:7])
    assert (out[:3] == -7).all() and (out[:, :3] == -7).all()


def test_short_clips_send_all_their_frames(bridge, tmp_path):
    plugin, host = bridge
    frames: list[int] = []

    def render(job):
        frames.append(job.raw.shape[0])
        return echo_render(job)

    with running_server(tmp_path, render) as server:
        run, out = run_host(
            host, plugin, RAW[:3], tmp_path, time=1, params=_params(server, window=8)
        )
    assert run.returncode == 0, run.stdout
    assert frames == [3]
    np.testing.assert_array_equal(out, _expected(RAW[:3], 1, window=3))


def test_render_scale_below_one_gives_the_preview_at_that_scale(bridge, tmp_path):
    plugin, host = bridge
    np.save(tmp_path / "mask.npy", np.full((8, 10), 0.25, np.float32))
    with running_server(tmp_path, EngineRenderer(device="cpu")) as server:
        run, out = run_host(
            host,
            plugin,
            RAW,
            tmp_path,
            time=1,
            params=_params(server, maskFile=tmp_path / "mask.npy"),
            extra=("--scale", "0.5"),
        )
    assert run.returncode == 0, run.stdout
    box = RAW[1].reshape(4, 2, 5, 2).mean(axis=(1, 3))  # the host's 2x2 box downscale
    np.testing.assert_allclose(out, np.repeat(box[..., None] / 0.25, 3, axis=2), rtol=1e-6)


def test_the_plugin_matches_the_engine_exactly(bridge, tmp_path):
    plugin, host = bridge
    weights = tiny_weights(tmp_path)
    mask = np.random.default_rng(2).uniform(0.1, 1, (8, 10)).astype(np.float32)
    np.save(tmp_path / "mask.npy", mask)
    params = {"maskFile": tmp_path / "mask.npy", "model": weights, "cfa": 2}  # GRBG
    engine = Reconstructor(
        EngineOptions(model=str(weights), cfa="GRBG", window=4, device="cpu"), mask
    )
    with running_server(tmp_path, EngineRenderer(device="cpu")) as server:
        run, out = run_host(host, plugin, RAW, tmp_path, time=5, params=_params(server, **params))
    assert run.returncode == 0, run.stdout
    np.testing.assert_array_equal(out, engine.reconstruct_window(RAW[2:6], mask)[3])


def _fails(bridge, tmp_path, params, expect, extra=(), raw=RAW, env=None):
    plugin, host = bridge
    run, _ = run_host(
        host,
        plugin,
        raw,
        tmp_path,
        time=2,
        params=params,
        extra=("--expect-error", expect, *extra),
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr  # failed with that message, no crash
    return run.stdout


def test_no_server_and_no_automatic_start_is_reported(bridge, tmp_path):
    params = {"socket": tmp_path / "none.sock", "maskFile": "m.npy", "autoStart": 0}
    out = _fails(bridge, tmp_path, params, "no vhdr server is running")
    assert "vhdr serve --socket" in out


def test_a_mask_source_is_required(bridge, tmp_path):
    _fails(bridge, tmp_path, {"autoStart": 0}, "exactly one of 'Mask file' and 'Camera'")
    params = {"maskFile": "m.npy", "camera": "studio", "autoStart": 0}
    _fails(bridge, tmp_path, params, "exactly one of")


def test_a_missing_source_frame_is_reported(bridge, tmp_path):
    with running_server(tmp_path) as server:
        _fails(
            bridge, tmp_path, _params(server), "no Source image at frame 1", ("--omit-frame", "1")
        )


def test_server_errors_reach_the_host_and_the_server_keeps_serving(bridge, tmp_path):
    with running_server(tmp_path, limits=Limits(max_window=2)) as server:
        _fails(bridge, tmp_path, _params(server), "TOO_LARGE: RENDER: window of 4 frames")
        run, out = run_host(
            *reversed(bridge), RAW, tmp_path, time=2, params=_params(server, window=2)
        )
    assert run.returncode == 0 and out is not None


def test_an_abort_from_the_host_stops_waiting(bridge, tmp_path):
    def slow(job):
        time.sleep(1.0)
        return echo_render(job)

    with running_server(tmp_path, slow) as server:
        _fails(bridge, tmp_path, _params(server), "aborted by the host", ("--abort",))


def test_a_server_dying_mid_render_is_reported(bridge, tmp_path):
    sock = tmp_path / "run" / "serve.sock"
    code = (
        "import os, sys; from pathlib import Path;"
        "from vs_vhdr.serve.server import FrameServer, ServeOptions;"
        f"FrameServer(ServeOptions(Path({str(sock)!r})), lambda job: os._exit(3)).serve_forever()"
    )
    server = subprocess.Popen([PYTHON, "-c", code], env=python_env())
    try:
        deadline = time.monotonic() + 60
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        params = {"socket": sock, "maskFile": "m.npy", "window": 4, "autoStart": 0}
        _fails(bridge, tmp_path, params, "closed the connection before answering")
    finally:
        server.kill()
        server.wait()


def _fake_server(path, reply: bytes) -> threading.Thread:
    """Answers one connection's first message with ``reply`` bytes."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(reply)
        conn.recv(1)
        conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("reply", "expect"),
    [
        (b"VHDR" + struct.pack("<HHI", 1, 4, 0), "protocol version 1; this plugin speaks 2"),
        (b"VHDR" + struct.pack("<HHI", 2, 4, 1 << 20), "reply is too large"),
        (b"XXXX" + struct.pack("<HHI", 2, 4, 0), "bad magic"),
        (b"VHDR" + struct.pack("<HHI", 2, 4, 22) + b"shm=/vhdr-0-1-1-out\nx\n", "does not match"),
    ],
    ids=["version", "oversized", "magic", "incomplete"],
)
def test_malformed_replies_are_errors_not_crashes(bridge, tmp_path, reply, expect):
    sock = tmp_path / "run" / "serve.sock"
    thread = _fake_server(sock, reply)
    params = {"socket": sock, "maskFile": "m.npy", "window": 4, "autoStart": 0}
    _fails(bridge, tmp_path, params, expect)
    thread.join(10)


def test_a_socket_open_to_others_or_owned_by_another_user_is_refused(bridge, tmp_path):
    with running_server(tmp_path) as server:
        path = server.options.socket_path
        path.chmod(0o666)
        _fails(bridge, tmp_path, _params(server), "must be private (0600)")
        path.chmod(0o600)
        if os.geteuid() == 0:
            os.chown(path, 65534, 65534)
            _fails(bridge, tmp_path, _params(server), "belongs to uid 65534, not to you")


def test_the_plugin_starts_a_server_on_demand(bridge, tmp_path):
    sock = tmp_path / "auto" / "serve.sock"
    weights = tiny_weights(tmp_path)
    mask = np.full((8, 10), 0.5, np.float32)
    np.save(tmp_path / "mask.npy", mask)
    params = {"socket": sock, "maskFile": tmp_path / "mask.npy", "model": weights, "window": 4}
    params["serverCommand"] = f"{PYTHON} -m vs_vhdr"
    plugin, host = bridge
    host_file = open(tmp_path / "host-private.txt", "w")  # a descriptor of the host's own
    try:
        env = python_env() | {"PYTHONHOME": "/nonexistent"}  # the host's Python, not ours
        run, out = run_host(
            host,
            plugin,
            RAW,
            tmp_path,
            time=0,
            params=params,
            env=env,
            pass_fds=(host_file.fileno(),),
        )
        assert run.returncode == 0, run.stdout + (sock.parent / "serve.log").read_text()
        engine = Reconstructor(EngineOptions(model=str(weights), window=4, device="cpu"), mask)
        np.testing.assert_array_equal(out, engine.reconstruct_window(RAW[:4], mask)[0])
        assert sock.stat().st_mode & 0o777 == 0o600
    finally:
        if sock.exists():
            with FrameClient(sock, timeout=10) as client:
                pid = int(client.ping()["pid"])
            fds = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
            os.kill(pid, signal.SIGTERM)
            assert str(tmp_path / "host-private.txt") not in fds  # the server got none of them
            deadline = time.monotonic() + 30
            while sock.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        host_file.close()
    assert not sock.exists()


def test_a_server_command_that_fails_is_reported_with_its_log(bridge, tmp_path):
    params = {"socket": tmp_path / "auto" / "serve.sock", "maskFile": "m.npy"}
    params["serverCommand"] = f"{sys.executable} -c raise(SystemExit('vhdr-test-broken'))"
    out = _fails(
        bridge, tmp_path, params, "exited with status 1 before listening: vhdr-test-broken"
    )
    params["serverCommand"] = str(BRIDGE / "no-such-program")
    _fails(bridge, tmp_path, params, "cannot start")
    assert out
