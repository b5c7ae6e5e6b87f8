"""POSIX shared-memory segments of the frame server (ofx_bridge/PROTOCOL.md §5).

A segment is a 64-byte header (magic, layout version, C, T, H, W, data offset, data bytes) and
float32 data ``[t][row][col][channel]`` with rows top-down. On Linux a POSIX segment named
``/NAME`` is the file ``/dev/shm/NAME``; this module works on those files directly.
"""

import mmap
import os
import re
import stat
import struct
from pathlib import Path

import numpy as np

from vs_vhdr.serve.protocol import Code, ProtocolError

SHM_DIR = Path("/dev/shm")
SHM_MAGIC = b"VHDRSHM\0"
LAYOUT_VERSION = 1
HEADER = struct.Struct("<8sIIIIIIQQ16x")
DATA_OFFSET = HEADER.size  # 64
NAME = re.compile(r"/vhdr-(\d+)-(\d+)-(\d+)-(in|out)\Z")


def segment_path(name: str, kind: str) -> Path:
    """File of segment ``name`` after checking it is one of this user's ``kind`` segments."""
    match = NAME.match(name)
    if not match or match.group(4) != kind or int(match.group(1)) != os.geteuid():
        raise ProtocolError(
            Code.BAD_SHM,
            f"shm={name!r} is not a valid {kind} segment name; expected /vhdr-{os.geteuid()}-PID-SEQ-{kind}",
        )
    return SHM_DIR / name[1:]


def read_input(name: str, frames: int, height: int, width: int) -> np.ndarray:
    """Copy raw frames ``T×H×W`` float32 out of input segment ``name``, then unlink it.

    Raises ``BAD_SHM`` when the segment is missing, not this user's, of the wrong size or its header
    disagrees with the request. The segment is unlinked whenever it could be opened.
    """
    path = segment_path(name, "in")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as error:
        raise ProtocolError(Code.BAD_SHM, f"cannot open shm {name!r}: {error.strerror}") from None
    try:
        path.unlink(missing_ok=True)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            raise ProtocolError(Code.BAD_SHM, f"shm {name!r} is not a segment owned by this user")
        data_bytes = frames * height * width * 4
        if info.st_size != DATA_OFFSET + data_bytes:
            raise ProtocolError(
                Code.BAD_SHM,
                f"shm {name!r} has {info.st_size} bytes; a {frames}x{height}x{width} float32 window "
                f"needs {DATA_OFFSET + data_bytes}",
            )
        with mmap.mmap(fd, info.st_size, prot=mmap.PROT_READ) as view:
            _check_header(name, view[:DATA_OFFSET], (1, frames, height, width), data_bytes)
            count = frames * height * width
            raw = np.frombuffer(view, dtype="<f4", count=count, offset=DATA_OFFSET).copy()
    finally:
        os.close(fd)
    return raw.astype(np.float32, copy=False).reshape(frames, height, width)


def _check_header(name: str, header: bytes, dims: tuple[int, int, int, int], data: int) -> None:
    magic, version, channels, frames, height, width, _, offset, nbytes = HEADER.unpack(header)
    if magic != SHM_MAGIC or version != LAYOUT_VERSION:
        raise ProtocolError(
            Code.BAD_SHM,
            f"shm {name!r} header has magic {magic!r} version {version}; expected {SHM_MAGIC!r} "
            f"version {LAYOUT_VERSION}",
        )
    if (channels, frames, height, width) != dims or offset != DATA_OFFSET or nbytes != data:
        raise ProtocolError(
            Code.BAD_SHM,
            f"shm {name!r} header says C,T,H,W={channels},{frames},{height},{width} offset {offset} "
            f"bytes {nbytes}; the request says {dims} offset {DATA_OFFSET} bytes {data}",
        )


def write_output(name: str, rgb: np.ndarray) -> None:
    """Create output segment ``name`` (mode 0600, must not exist) holding ``H×W×3`` float32."""
    path = segment_path(name, "out")
    image = np.ascontiguousarray(rgb, dtype="<f4")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"write_output: rgb has shape {image.shape}; expected H×W×3")
    height, width, _ = image.shape
    header = HEADER.pack(
        SHM_MAGIC, LAYOUT_VERSION, 3, 1, height, width, 0, DATA_OFFSET, image.nbytes
    )
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.ftruncate(fd, DATA_OFFSET + image.nbytes)
        with mmap.mmap(fd, DATA_OFFSET + image.nbytes) as view:
            view[:DATA_OFFSET] = header
            view[DATA_OFFSET:] = image.tobytes()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def unlink(name: str) -> None:
    """Remove a segment by name; a missing one is fine."""
    (SHM_DIR / name.lstrip("/")).unlink(missing_ok=True)


def sweep_stale() -> list[str]:
    """Unlink this user's ``vhdr-*`` segments whose creating process is gone; return their names."""
    removed: list[str] = []
    if not SHM_DIR.is_dir():
        return removed
    for entry in SHM_DIR.iterdir():
        match = NAME.match("/" + entry.name)
        if not match or int(match.group(1)) != os.geteuid() or _alive(int(match.group(2))):
            continue
        entry.unlink(missing_ok=True)
        removed.append("/" + entry.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
