"""A Python client of the frame server (the same protocol the OFX plugin speaks).

Used by ``vhdr serve --ping`` and the tests; scripts may use it to reconstruct a window through a
running server::

    with FrameClient() as client:
        rgb = client.render(raw, target=3, mask_file="mask.exr")   # raw T×H×W → H×W×3
"""

import itertools
import mmap
import os
import socket
from pathlib import Path
from types import TracebackType

import numpy as np

from vs_vhdr.errors import VhdrError
from vs_vhdr.serve import shm
from vs_vhdr.serve.protocol import (
    Code,
    Fields,
    MsgType,
    ProtocolError,
    default_socket_path,
    encode,
    read_message,
)

_SEQ = itertools.count(1)


class ServerReplyError(VhdrError):
    """The server answered ``ERROR``; ``code`` is its ``Code``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class FrameClient:
    """One connection to a frame server at ``socket_path`` (default: the per-user path)."""

    def __init__(self, socket_path: str | os.PathLike[str] | None = None, timeout: float = 600.0):
        self.path = Path(socket_path) if socket_path is not None else default_socket_path()
        self.last_colorspace = ""
        """The ``colorspace`` of the last ``RESULT`` (``camera``, ``acescg``, ...)."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(str(self.path))
        except OSError as error:
            self.sock.close()
            raise ServerReplyError(
                0, f"no vhdr server answers on {self.path} ({error.strerror}); start `vhdr serve`"
            ) from None

    def __enter__(self) -> "FrameClient":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (the server then drops any output segment of ours)."""
        self.sock.close()

    def request(self, kind: MsgType, fields: dict[str, object] | None = None) -> Fields:
        """Send one message and return the reply's fields; ``ERROR`` raises ``ServerReplyError``."""
        self.sock.sendall(encode(kind, fields))
        try:
            reply, body = read_message(self.sock)
        except ProtocolError as error:
            raise ServerReplyError(int(error.code), f"bad reply from the server: {error}") from None
        if reply == MsgType.ERROR:
            raise ServerReplyError(
                int(body.get("code", 0)), f"{body.get('name', '?')}: {body.get('message', '')}"
            )
        return body

    def ping(self) -> Fields:
        """The server's ``PONG`` fields (version, pid, device, limits)."""
        return self.request(MsgType.PING)

    def render(
        self,
        raw: np.ndarray,
        target: int,
        *,
        mask_file: str | None = None,
        camera: str | None = None,
        model: str = "default",
        cfa: str = "RGGB",
        window: int | None = None,
        scale: tuple[float, float] = (1.0, 1.0),
        colorspace: str | None = None,
        colour_file: str | None = None,
    ) -> np.ndarray:
        """Reconstruct frame ``target`` of window ``raw`` (``T×H×W``); returns ``H×W×3`` float32.

        ``colorspace`` / ``colour_file`` select the colour stage (PROTOCOL.md §3); the space of
        the last result is ``self.last_colorspace``.
        """
        frames, height, width = raw.shape
        name = f"/vhdr-{os.geteuid()}-{os.getpid()}-{next(_SEQ)}-in"
        write_segment(name, raw[..., None], channels=1)
        fields: dict[str, object] = {
            "id": name.rsplit("-", 2)[1],
            "shm": name,
            "frames": frames,
            "height": height,
            "width": width,
            "target": target,
            "model": model,
            "cfa": cfa,
            "window": window or frames,
            "scale_x": scale[0],
            "scale_y": scale[1],
        }
        if mask_file is not None:
            fields["mask_file"] = mask_file
        if camera is not None:
            fields["camera"] = camera
        if colorspace is not None:
            fields["colorspace"] = colorspace
        if colour_file is not None:
            fields["colour_file"] = colour_file
        try:
            reply = self.request(MsgType.RENDER, fields)
        finally:
            shm.unlink(name)
        self.last_colorspace = reply.get("colorspace", "camera")
        out = read_segment(reply["shm"])
        self.sock.sendall(encode(MsgType.RELEASE, {"shm": reply["shm"]}))
        return out[0]


def write_segment(name: str, data: np.ndarray, channels: int) -> None:
    """Create segment ``name`` with ``T×H×W×C`` float32 ``data`` (PROTOCOL.md §5)."""
    array = np.ascontiguousarray(data, dtype="<f4")
    frames, height, width, _ = array.shape
    header = shm.HEADER.pack(
        shm.SHM_MAGIC, shm.LAYOUT_VERSION, channels, frames, height, width, 0, 64, array.nbytes
    )
    path = shm.SHM_DIR / name[1:]
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(header)
        handle.write(array.tobytes())


def read_segment(name: str) -> np.ndarray:
    """Read an output segment into ``T×H×W×C`` float32."""
    with open(shm.segment_path(name, "out"), "rb") as handle:
        with mmap.mmap(handle.fileno(), 0, prot=mmap.PROT_READ) as view:
            fields = shm.HEADER.unpack(view[: shm.DATA_OFFSET])
            _, _, channels, frames, height, width, _, offset, nbytes = fields
            if len(view) != offset + nbytes or nbytes != frames * height * width * channels * 4:
                raise ServerReplyError(int(Code.BAD_SHM), f"output segment {name} has a bad size")
            data = np.frombuffer(view, dtype="<f4", count=nbytes // 4, offset=offset).copy()
    return data.astype(np.float32, copy=False).reshape(frames, height, width, channels)
