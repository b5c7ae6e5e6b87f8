"""The frame server: a UNIX socket in front of a ``JobQueue`` (ofx_bridge/PROTOCOL.md).

One thread accepts connections, one thread serves each connection, one worker reconstructs.
``FrameServer.serve_forever`` blocks until ``request_stop`` (called from a SIGTERM handler) or the
idle timeout, then shuts down cleanly: queued jobs get ``SHUTTING_DOWN``, output segments are
unlinked and the socket file is removed.
"""

import itertools
import os
import select
import socket
import stat
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from vs_vhdr import __version__
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.serve import shm
from vs_vhdr.serve.colour import request_colour
from vs_vhdr.serve.jobs import JobQueue, Limits, RenderFn, RenderJob, parse_render
from vs_vhdr.serve.protocol import (
    PROTOCOL_VERSION,
    Code,
    ConnectionClosed,
    Fields,
    MsgType,
    ProtocolError,
    encode,
    read_message,
)

MAX_CONNECTIONS = 32
_PEERCRED = struct.Struct("3i")


@dataclass(frozen=True)
class ServeOptions:
    """Settings of ``vhdr serve`` (PROTOCOL.md §7); times in seconds, ``0`` idle exit = never."""

    socket_path: Path
    device: str = "auto"
    limits: Limits = field(default_factory=Limits)
    queue_size: int = 4
    timeout_s: float = 600.0
    idle_exit_s: float = 0.0


class FrameServer:
    """Serves ``RENDER`` requests with ``render`` (the engine unless a test injects one)."""

    def __init__(self, options: ServeOptions, render: RenderFn) -> None:
        if options.queue_size < 1 or options.timeout_s <= 0:
            raise InvalidArgumentError(
                f"FrameServer: queue_size={options.queue_size} and timeout_s={options.timeout_s} "
                "must be positive"
            )
        self.options = options
        self._render = render
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._jobs: JobQueue | None = None
        self._accept_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []
        self._stop_requested = False
        self._connections: dict[socket.socket, bool] = {}  # connection -> busy
        self._outputs: set[str] = set()
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._last_activity = time.monotonic()

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Bind the socket (folder 0700, socket 0600) and start the accept and worker threads."""
        path = self.options.socket_path
        _prepare_folder(path.parent)
        _remove_stale_socket(path)
        shm.sweep_stale()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o077)
        try:
            listener.bind(str(path))
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        self._jobs = JobQueue(self._render, self.options.queue_size)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="vhdr-serve-accept", daemon=True
        )
        self._accept_thread.start()

    def serve_forever(self) -> None:
        """Start if needed, block until a stop is requested or the server idles out, then close."""
        if self._listener is None:
            self.start()
        try:
            while not self._stop_requested and not self._stop.is_set():
                idle = self.options.idle_exit_s
                if idle > 0 and self._idle_for() > idle:
                    break
                time.sleep(0.1)
        finally:
            self.close()

    def request_stop(self) -> None:
        """Ask ``serve_forever`` to return (only sets a flag: safe in a signal handler)."""
        self._stop_requested = True

    def close(self) -> None:
        """Stop accepting, fail queued jobs, close connections, unlink segments and the socket."""
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
            self.options.socket_path.unlink(missing_ok=True)
            self._listener = None
        if self._accept_thread is not None:
            self._accept_thread.join()
        if self._jobs is not None:
            self._jobs.close()
        deadline = time.monotonic() + 5  # let delivered results be read and released
        while time.monotonic() < deadline and any(self._busy_connections()):
            time.sleep(0.02)
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            _shutdown_read(conn)  # idle readers see end of file and finish
        for thread in self._threads:
            thread.join(timeout=5)
        with self._lock:
            for name in self._outputs:
                shm.unlink(name)
            self._outputs.clear()

    def _busy_connections(self) -> list[bool]:
        with self._lock:
            return list(self._connections.values())

    def _mark(self, conn: socket.socket, busy: bool) -> None:
        with self._lock:
            if conn in self._connections:
                self._connections[conn] = busy

    def _idle_for(self) -> float:
        with self._lock:
            if self._connections or (self._jobs is not None and self._jobs.busy):
                self._last_activity = time.monotonic()
            return time.monotonic() - self._last_activity

    # -- connections --------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        while not self._stop.is_set() and self._listener is not None:
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(None)
            with self._lock:
                full = len(self._connections) >= MAX_CONNECTIONS
                if not full:
                    self._connections[conn] = False
                    self._last_activity = time.monotonic()
            if full:
                _send_error(conn, ProtocolError(Code.BUSY, "too many connections"), None)
                conn.close()
                continue
            thread = threading.Thread(target=self._serve_connection, args=(conn,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve_connection(self, conn: socket.socket) -> None:
        output: list[str] = []  # at most one outstanding output segment per connection
        try:
            uid = _peer_uid(conn)
            if uid != os.geteuid():
                raise ProtocolError(
                    Code.FORBIDDEN,
                    f"client uid {uid} is not the server's uid {os.geteuid()}",
                    fatal=True,
                )
            while not self._stop.is_set() or output:  # a delivered result is still read
                try:
                    kind, fields = read_message(conn)
                except ConnectionClosed:
                    break
                except ProtocolError as error:
                    _send_error(conn, error, None)
                    if error.fatal:
                        break
                    continue
                self._mark(conn, True)
                keep = self._dispatch(conn, kind, fields, output)
                self._mark(conn, bool(output))  # busy until its output segment is released
                if not keep:
                    break
        except ProtocolError as error:
            _send_error(conn, error, None)
        except OSError:
            pass  # the client went away; nothing to answer
        finally:
            self._release(output)
            with self._lock:
                self._connections.pop(conn, None)
                self._last_activity = time.monotonic()
            conn.close()

    def _dispatch(self, conn: socket.socket, kind: MsgType, fields: Fields, out: list[str]) -> bool:
        """Answer one message; False closes the connection."""
        if kind == MsgType.PING:
            conn.sendall(encode(MsgType.PONG, self._status()))
        elif kind == MsgType.RELEASE:
            self._release([name for name in out if name == fields.get("shm")])
            out[:] = [name for name in out if name != fields.get("shm")]
        elif kind == MsgType.RENDER:
            self._release(out)
            out.clear()
            try:
                conn.sendall(self._render_request(conn, fields, out))
            except ProtocolError as error:
                _send_error(conn, error, fields.get("id"))
                return not error.fatal
        else:
            _send_error(conn, ProtocolError(Code.BAD_MESSAGE, f"{kind.name} is a reply"), None)
        return True

    def _render_request(self, conn: socket.socket, fields: Fields, out: list[str]) -> bytes:
        request = parse_render(fields, self.options.limits)
        raw = shm.read_input(request.shm, request.frames, request.height, request.width)
        colour = request_colour(request.colorspace, request.colour_file, request.camera)
        assert self._jobs is not None
        pending = self._jobs.submit(
            RenderJob(
                raw=raw,
                target=request.target,
                model=request.model,
                cfa=request.cfa,
                window=request.window,
                mask_file=request.mask_file,
                camera=request.camera,
                scale=request.scale,
                colour=colour,
            )
        )
        limit = self.options.timeout_s
        if request.timeout_s is not None:
            limit = min(limit, request.timeout_s)
        deadline = time.monotonic() + limit
        while not pending.done.wait(0.05):
            stopping = self._stop.is_set() and not pending.started  # a running job still delivers
            if stopping or time.monotonic() > deadline or _hung_up(conn):
                pending.cancelled = True
                if stopping:
                    raise ProtocolError(
                        Code.SHUTTING_DOWN, "the server is shutting down", fatal=True
                    )
                raise ProtocolError(
                    Code.TIMEOUT, f"RENDER {request.id}: no result within {limit:g} s"
                )
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        name = f"/vhdr-{os.geteuid()}-{os.getpid()}-{next(self._seq)}-out"
        with self._lock:
            self._outputs.add(name)
        out.append(name)
        shm.write_output(name, pending.result)
        height, width, _ = pending.result.shape
        return encode(
            MsgType.RESULT,
            {
                "id": request.id,
                "shm": name,
                "frames": 1,
                "height": height,
                "width": width,
                "channels": 3,
                "seconds": f"{pending.seconds:.4f}",
                "colorspace": colour.colorspace,
                "chromaticities": ",".join(f"{c:.6g}" for c in colour.chromaticities or ()),
            },
        )

    def _release(self, names: list[str]) -> None:
        with self._lock:
            for name in names:
                shm.unlink(name)
                self._outputs.discard(name)

    def _status(self) -> dict[str, object]:
        limits = self.options.limits
        return {
            "protocol": PROTOCOL_VERSION,
            "server": f"vhdr {__version__}",
            "pid": os.getpid(),
            "device": self.options.device,
            "max_window": limits.max_window,
            "max_width": limits.max_size,
            "max_height": limits.max_size,
            "max_bytes": limits.max_bytes,
            "queue_size": self.options.queue_size,
        }


def _prepare_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise InvalidArgumentError(
            f"vhdr serve: socket folder {folder} must be a directory owned by uid {os.geteuid()} "
            f"and writable only by it (found mode {oct(info.st_mode & 0o777)}, uid {info.st_uid})"
        )


def _remove_stale_socket(path: Path) -> None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise OutputExistsError(f"vhdr serve: socket={path} exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)  # stale: nobody listens
        return
    finally:
        probe.close()
    raise OutputExistsError(f"vhdr serve: another server is already listening on {path}")


def _peer_uid(conn: socket.socket) -> int:
    _, uid, _ = _PEERCRED.unpack(
        conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    )
    return int(uid)


def _hung_up(conn: socket.socket) -> bool:
    """True when the client closed its end while we wait (it has nothing else to send)."""
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _send_error(conn: socket.socket, error: ProtocolError, request_id: str | None) -> None:
    fields: dict[str, object] = {
        "code": int(error.code),
        "name": error.code.name,
        "message": " ".join(str(error).split()),
    }
    if error.code == Code.BAD_VERSION:
        fields["supported"] = PROTOCOL_VERSION
    if request_id:
        fields["id"] = request_id
    try:
        conn.sendall(encode(MsgType.ERROR, fields))
    except OSError:
        pass


def _shutdown_read(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RD)
    except OSError:
        pass
