"""Wire format of the frame-server protocol (ofx_bridge/PROTOCOL.md §1-4).

A message is a 12-byte header (magic ``VHDR``, u16 version, u16 type, u32 body length) and a UTF-8
body of ``key=value`` lines. This module encodes, decodes and validates messages; it knows nothing
about sockets beyond reading exactly ``n`` bytes.
"""

import enum
import os
import re
import socket
import struct
from pathlib import Path

from vs_vhdr.errors import VhdrError

PROTOCOL_VERSION = 2
"""2 added the colour stage: RENDER ``colorspace`` / ``colour_file``, RESULT ``colorspace``."""
MAGIC = b"VHDR"
HEADER = struct.Struct("<4sHHI")
MAX_BODY = 65536
_KEY = re.compile(r"[a-z_]+\Z")


class MsgType(enum.IntEnum):
    """Message types (PROTOCOL.md §3)."""

    PING = 1
    PONG = 2
    RENDER = 3
    RESULT = 4
    ERROR = 5
    RELEASE = 6


class Code(enum.IntEnum):
    """Error codes carried by ``ERROR`` messages (PROTOCOL.md §4)."""

    BAD_MESSAGE = 1
    TOO_LARGE = 2
    BAD_VERSION = 3
    FORBIDDEN = 4
    BAD_SHM = 5
    BAD_ARGUMENT = 6
    BUSY = 7
    TIMEOUT = 8
    SHUTTING_DOWN = 9
    INTERNAL = 10


class ProtocolError(VhdrError):
    """A request or reply broke the protocol; ``code`` says how, ``fatal`` closes the connection."""

    def __init__(self, code: Code, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.fatal = fatal


class ConnectionClosed(Exception):
    """The peer closed the connection at a message boundary."""


Fields = dict[str, str]


def encode(msg_type: MsgType, fields: dict[str, object] | None = None) -> bytes:
    """Header + body bytes of one message; values are formatted with ``str``."""
    lines = []
    for key, value in (fields or {}).items():
        text = str(value)
        if not _KEY.match(key) or "\n" in text or "\0" in text:
            raise ProtocolError(Code.BAD_MESSAGE, f"encode: cannot send field {key}={text!r}")
        lines.append(f"{key}={text}\n")
    body = "".join(lines).encode("utf-8")
    if len(body) > MAX_BODY:
        raise ProtocolError(Code.TOO_LARGE, f"encode: body of {len(body)} bytes > {MAX_BODY}")
    return HEADER.pack(MAGIC, PROTOCOL_VERSION, int(msg_type), len(body)) + body


def decode_body(body: bytes) -> Fields:
    """Parse a ``key=value\\n`` body; raise ``BAD_MESSAGE`` on anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(Code.BAD_MESSAGE, f"message body is not UTF-8 ({error})") from error
    if text and not text.endswith("\n"):
        raise ProtocolError(Code.BAD_MESSAGE, "message body does not end with a newline")
    fields: Fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep or not _KEY.match(key) or "\0" in value:
            raise ProtocolError(
                Code.BAD_MESSAGE, f"bad body line {line[:80]!r}; expected key=value"
            )
        if key in fields:
            raise ProtocolError(Code.BAD_MESSAGE, f"field {key!r} given twice")
        fields[key] = value
    return fields


def recv_exact(sock: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes; ``ConnectionClosed`` if the peer closes before the first byte."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            if not chunks:
                raise ConnectionClosed()
            raise ProtocolError(Code.BAD_MESSAGE, "connection closed inside a message", fatal=True)
        chunks += chunk
    return bytes(chunks)


def read_message(sock: socket.socket) -> tuple[MsgType, Fields]:
    """Read one message; raise ``ProtocolError`` (fatal when framing is lost)."""
    magic, version, msg_type, length = HEADER.unpack(recv_exact(sock, HEADER.size))
    if magic != MAGIC:
        raise ProtocolError(
            Code.BAD_MESSAGE, f"bad magic {magic!r}; expected {MAGIC!r}", fatal=True
        )
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            Code.BAD_VERSION,
            f"protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}",
            fatal=True,
        )
    if length > MAX_BODY:
        raise ProtocolError(
            Code.TOO_LARGE, f"message body of {length} bytes exceeds {MAX_BODY}", fatal=True
        )
    body = recv_exact(sock, length) if length else b""
    try:
        kind = MsgType(msg_type)
    except ValueError:
        raise ProtocolError(Code.BAD_MESSAGE, f"unknown message type {msg_type}") from None
    return kind, decode_body(body)


def default_socket_path() -> Path:
    """``$VHDR_SOCKET``, else ``$XDG_RUNTIME_DIR/vhdr/serve.sock``, else ``/tmp/vhdr-<uid>/...``."""
    if os.environ.get("VHDR_SOCKET"):
        return Path(os.environ["VHDR_SOCKET"])
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "vhdr" / "serve.sock"
    return Path(f"/tmp/vhdr-{os.geteuid()}") / "serve.sock"


def get_int(fields: Fields, key: str, low: int, high: int | None = None) -> int:
    """Field ``key`` as an int in ``[low, high]``; ``BAD_MESSAGE`` if missing or malformed."""
    if key not in fields:
        raise ProtocolError(Code.BAD_MESSAGE, f"RENDER: field {key!r} is missing")
    try:
        value = int(fields[key])
    except ValueError:
        raise ProtocolError(
            Code.BAD_MESSAGE, f"RENDER: {key}={fields[key]!r} is not an integer"
        ) from None
    if value < low or (high is not None and value > high):
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ProtocolError(Code.BAD_MESSAGE, f"RENDER: {key}={value} is out of range {bound}")
    return value


def get_float(fields: Fields, key: str, default: float) -> float:
    """Optional positive finite real field ``key``."""
    if key not in fields:
        return default
    try:
        value = float(fields[key])
    except ValueError:
        raise ProtocolError(
            Code.BAD_MESSAGE, f"RENDER: {key}={fields[key]!r} is not a number"
        ) from None
    if not 0 < value < float("inf"):
        raise ProtocolError(Code.BAD_MESSAGE, f"RENDER: {key}={value} must be positive and finite")
    return value
