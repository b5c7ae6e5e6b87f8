"""Helpers for the frame-server and OFX-bridge tests: servers, raw sockets, the C build, the host."""

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vs_vhdr.nets import C3D, save_weights
from vs_vhdr.serve.jobs import RenderFn, RenderJob
from vs_vhdr.serve.protocol import HEADER, MsgType, decode_body
from vs_vhdr.serve.server import FrameServer, ServeOptions

REPO = Path(__file__).resolve().parents[1]
BRIDGE = REPO / "ofx_bridge"


def echo_render(job: RenderJob) -> np.ndarray:
    """A known function of the window: R = target frame, G = 2·R, B = mean of the window."""
    frame = job.raw[job.target]
    mean = job.raw.mean(axis=0)
    return np.stack([frame, 2 * frame, mean], axis=-1).astype(np.float32)


@contextlib.contextmanager
def running_server(
    folder: Path, render: RenderFn = echo_render, **options: object
) -> Iterator[FrameServer]:
    """A ``FrameServer`` on ``folder/run/serve.sock`` in this process, closed afterwards."""
    path = folder / "run" / "serve.sock"
    server = FrameServer(ServeOptions(socket_path=path, **options), render)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.close()


def shm_names() -> set[str]:
    """This user's vhdr shared-memory segments now."""
    return {p.name for p in Path("/dev/shm").glob(f"vhdr-{os.geteuid()}-*")}


def exchange(path: Path, data: bytes, *, replies: int = 1) -> list[tuple[int, dict[str, str]]]:
    """Send raw bytes on a new connection; read up to ``replies`` replies (fewer if it closes)."""
    out = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(data)
        for _ in range(replies):
            header = _recv(sock, HEADER.size)
            if not header:
                break
            _, _, kind, length = HEADER.unpack(header)
            out.append((kind, decode_body(_recv(sock, length))))
        sock.shutdown(socket.SHUT_WR)
        out.append((-1, {"closed": str(sock.recv(1) == b"")}))
    return out


def _recv(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return data
        data += chunk
    return data


def message(kind: MsgType | int, body: bytes, *, magic: bytes = b"VHDR", version: int = 2) -> bytes:
    return HEADER.pack(magic, version, int(kind), len(body)) + body


def tiny_weights(folder: Path, window: int = 4) -> Path:
    """A seeded random C3D saved as a weights file (the same numbers for server and test)."""
    path = folder / "c3d.safetensors"
    if not path.exists():
        torch.manual_seed(0)
        save_weights(C3D(), path, window=window)
    return path


def build_bridge(sanitize: bool = False) -> tuple[Path, Path]:
    """``make`` the plugin and the test host (gcc); returns (plugin, host) paths."""
    args = ["make", "-s", "-C", str(BRIDGE), "all", "host"] + (["SAN=1"] if sanitize else [])
    subprocess.run(args, check=True, capture_output=True, text=True)
    build = BRIDGE / "build" / ("asan" if sanitize else "")
    plugin = build / "vhdr.ofx.bundle" / "Contents" / "Linux-x86-64" / "vhdr.ofx"
    return plugin, build / "ofx_test_host"


def run_host(
    host: Path,
    plugin: Path,
    raw: np.ndarray,
    folder: Path,
    *,
    time: int,
    params: dict[str, object],
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> tuple[subprocess.CompletedProcess[str], np.ndarray | None]:
    """Run the test host on ``raw`` (T×H×W); returns the process and the output (or None)."""
    frames, height, width = raw.shape
    raw_path, out = folder / "raw.f32", folder / f"out-{time}.f32"
    np.ascontiguousarray(raw, dtype=np.float32).tofile(raw_path)
    out.unlink(missing_ok=True)
    command = [str(host), str(plugin), "--input", str(raw_path), "--output", str(out)]
    command += ["--frames", str(frames), "--height", str(height), "--width", str(width)]
    command += ["--time", str(time), *extra]
    for key, value in params.items():
        command += ["--param", f"{key}={value}"]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        pass_fds=pass_fds,
    )
    if not out.exists():
        return run, None
    scale = _scale(extra)
    shape = (height // scale, width // scale, 3)
    return run, np.fromfile(out, dtype=np.float32).reshape(shape)


def _scale(extra: tuple[str, ...]) -> int:
    if "--scale" in extra:
        return round(1 / float(extra[extra.index("--scale") + 1]))
    return 1


def python_env() -> dict[str, str]:
    """Environment for child Pythons that must import this source tree."""
    return {"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "")}


PYTHON = sys.executable
