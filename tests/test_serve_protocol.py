"""Frame server, protocol level: framing errors, versions, limits, sockets and their owners."""

import os
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.serve_support import exchange, message, running_server
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.serve.client import FrameClient
from vs_vhdr.serve.jobs import Limits
from vs_vhdr.serve.protocol import MAX_BODY, Code, MsgType, ProtocolError, decode_body, encode
from vs_vhdr.serve.server import FrameServer, ServeOptions


def _ping_ok(path) -> bool:
    with FrameClient(path, timeout=10) as client:
        return client.ping()["protocol"] == "2"


def test_ping_reports_version_and_limits(tmp_path):
    limits = Limits(max_window=5, max_size=64, max_bytes=4096)
    with running_server(tmp_path, limits=limits, queue_size=2) as server:
        with FrameClient(server.options.socket_path, timeout=10) as client:
            pong = client.ping()
    assert pong["protocol"] == "2" and int(pong["pid"]) == os.getpid()
    assert (pong["max_window"], pong["max_width"], pong["max_bytes"]) == ("5", "64", "4096")
    assert pong["queue_size"] == "2"


def test_socket_is_private_and_removed_on_close(tmp_path):
    with running_server(tmp_path) as server:
        path = server.options.socket_path
        assert stat.S_ISSOCK(path.stat().st_mode)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    assert not path.exists()


@pytest.mark.parametrize(
    ("data", "code", "closed"),
    [
        (message(MsgType.PING, b"", magic=b"XXXX"), Code.BAD_MESSAGE, True),
        (message(MsgType.PING, b"", version=1), Code.BAD_VERSION, True),
        (
            message(MsgType.PING, b"")[:8] + (MAX_BODY + 1).to_bytes(4, "little"),
            Code.TOO_LARGE,
            True,
        ),
        (message(99, b""), Code.BAD_MESSAGE, False),
        (message(MsgType.RENDER, b"no equals sign\n"), Code.BAD_MESSAGE, False),
        (message(MsgType.RENDER, b"id=1\nid=2\n"), Code.BAD_MESSAGE, False),
        (message(MsgType.RENDER, b"\xff\xfe=1\n"), Code.BAD_MESSAGE, False),
        (message(MsgType.RENDER, b"id=1\n"), Code.BAD_MESSAGE, False),
        (message(MsgType.RESULT, b""), Code.BAD_MESSAGE, False),
    ],
    ids=["magic", "version", "oversized", "type", "line", "duplicate", "utf8", "missing", "reply"],
)
def test_malformed_messages_get_an_error_and_the_server_keeps_serving(tmp_path, data, code, closed):
    with running_server(tmp_path) as server:
        path = server.options.socket_path
        follow = b"" if closed else message(MsgType.PING, b"")  # a client waits for the reply
        replies = exchange(path, data + follow, replies=2)
        kind, fields = replies[0]
        assert kind == MsgType.ERROR and int(fields["code"]) == code, replies
        assert fields["name"] == code.name and fields["message"]
        if code == Code.BAD_VERSION:
            assert fields["supported"] == "2"
        if closed:  # framing lost: the connection ends after the error
            assert replies[1] == (-1, {"closed": "True"})
        else:  # framing intact: the same connection still answers
            assert replies[1][0] == MsgType.PONG
        assert _ping_ok(path)


def test_render_limits_are_enforced_before_touching_memory(tmp_path):
    limits = Limits(max_window=3, max_size=32, max_bytes=4 * 3 * 16 * 16)
    base = {"id": 1, "shm": "/vhdr-0-1-1-in", "target": 0, "model": "m", "cfa": "RGGB"}
    base |= {"window": 3, "mask_file": "m.exr"}
    cases = [
        ({"frames": 4, "height": 8, "width": 8}, "max_window=3"),
        ({"frames": 1, "height": 8, "width": 33}, "max_size=32"),
        ({"frames": 3, "height": 32, "width": 32}, "max_bytes"),
    ]
    with running_server(tmp_path, limits=limits) as server:
        for size, text in cases:
            replies = exchange(server.options.socket_path, encode(MsgType.RENDER, base | size))
            kind, fields = replies[0]
            assert kind == MsgType.ERROR and int(fields["code"]) == Code.TOO_LARGE
            assert text in fields["message"] and fields["id"] == "1"
        assert _ping_ok(server.options.socket_path)


def test_render_fields_are_checked(tmp_path):
    name = f"/vhdr-{os.geteuid()}-1-1-in"
    base = {"id": 1, "shm": name, "frames": 2, "height": 4, "width": 4, "target": 0}
    base |= {"model": "m", "cfa": "RGGB", "window": 2, "mask_file": "m.exr"}
    cases = [
        ({"target": 2}, Code.BAD_MESSAGE, "target=2"),
        ({"frames": "two"}, Code.BAD_MESSAGE, "not an integer"),
        ({"window": 1}, Code.BAD_MESSAGE, "window=1"),
        ({"cfa": "RGBG"}, Code.BAD_ARGUMENT, "RGBG"),
        ({"camera": "studio"}, Code.BAD_ARGUMENT, "exactly one"),
        ({"scale_x": "-1"}, Code.BAD_MESSAGE, "scale_x"),
    ]
    with running_server(tmp_path) as server:
        for change, code, text in cases:
            replies = exchange(server.options.socket_path, encode(MsgType.RENDER, base | change))
            kind, fields = replies[0]
            assert kind == MsgType.ERROR and int(fields["code"]) == code, (change, fields)
            assert text in fields["message"]


def test_decode_rejects_bodies_without_final_newline():
    with pytest.raises(ProtocolError) as caught:
        decode_body(b"a=1")
    assert caught.value.code == Code.BAD_MESSAGE
    with pytest.raises(ProtocolError):
        encode(MsgType.PING, {"a": "line\nbreak"})


def test_a_second_server_on_the_same_socket_is_refused(tmp_path):
    with running_server(tmp_path) as server:
        other = FrameServer(ServeOptions(socket_path=server.options.socket_path), lambda job: None)
        with pytest.raises(OutputExistsError, match="already listening"):
            other.start()
        assert _ping_ok(server.options.socket_path)


def test_a_stale_socket_file_is_replaced(tmp_path):
    path = tmp_path / "run" / "serve.sock"
    path.parent.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens
    with running_server(tmp_path) as server:
        assert _ping_ok(server.options.socket_path)


def test_an_unsafe_socket_folder_is_refused(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    folder.chmod(0o777)
    server = FrameServer(ServeOptions(socket_path=folder / "serve.sock"), lambda job: None)
    with pytest.raises(InvalidArgumentError, match="writable only by it"):
        server.start()


_OTHER_USER_CLIENT = """
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect-refused", e.errno); sys.exit(0)
header = s.recv(12)  # the server answers a foreign peer before reading anything
body = s.recv(65536).decode()
print("reply", struct.unpack("<4sHHI", header)[2], body.replace("\\n", "|"))
"""


def _as_nobody(path) -> str:
    run = subprocess.run(
        ["/usr/bin/python3", "-c", _OTHER_USER_CLIENT, str(path)],
        user=65534,
        group=65534,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_reach_or_use_the_server():
    with tempfile.TemporaryDirectory(prefix="vhdr-other-user-") as name:  # pytest's tmp is 0700
        folder = Path(name)
        folder.chmod(0o755)
        _check_other_user(folder)


def _check_other_user(folder: Path) -> None:
    with running_server(folder) as server:
        path = server.options.socket_path
        assert _as_nobody(path).startswith("connect-refused 13")  # EACCES: folder 0700, socket 0600
        path.parent.chmod(0o755)  # loosen both: the SO_PEERCRED check must still refuse
        path.chmod(0o666)
        out = _as_nobody(path)
        assert out.startswith(f"reply {int(MsgType.ERROR)}") and "FORBIDDEN" in out, out
        assert "client uid 65534" in out
        assert _ping_ok(path)
