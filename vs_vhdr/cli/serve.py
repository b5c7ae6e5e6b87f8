"""``vhdr serve``: run the local frame server the OFX plugin talks to (ofx_bridge/PROTOCOL.md)."""

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.serve.jobs import Limits
from vs_vhdr.serve.protocol import default_socket_path


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr serve``."""
    parser = subparsers.add_parser(
        "serve",
        help="run the frame server for the OFX plugin",
        description="Serve reconstruction requests from the vhdr OFX plugin on a UNIX socket "
        "(frames pass through shared memory). Stops cleanly on SIGTERM/SIGINT.",
    )
    parser.add_argument(
        "--socket", type=Path, default=None, help=f"socket path (default {default_socket_path()})"
    )
    parser.add_argument("--device", default="auto", help="torch device: auto, cpu, cuda, cuda:1")
    parser.add_argument("--precision", default="auto", help="auto, fp32, fp16 or bf16")
    parser.add_argument("--max-window", type=int, default=Limits.max_window, help="frames a window")
    parser.add_argument("--max-size", type=int, default=Limits.max_size, help="pixels a side")
    parser.add_argument(
        "--max-bytes", type=int, default=Limits.max_bytes, help="bytes of raw input a request"
    )
    parser.add_argument("--queue", type=int, default=4, help="jobs waiting at most")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a request at most")
    parser.add_argument(
        "--idle-exit", type=float, default=0.0, help="exit after this many idle seconds (0: never)"
    )
    parser.add_argument(
        "--ping", action="store_true", help="ask a running server for its status and exit"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM/SIGINT (or idle exit); with ``--ping``, print the server's status."""
    path = args.socket or default_socket_path()
    if args.ping:
        from vs_vhdr.serve.client import FrameClient

        with FrameClient(path, timeout=10) as client:
            for key, value in client.ping().items():
                print(f"{key}={value}")
        return 0
    for name in ("max_window", "max_size", "max_bytes", "queue"):
        if getattr(args, name) < 1:
            raise InvalidArgumentError(f"vhdr serve: --{name.replace('_', '-')} must be >= 1")
    from vs_vhdr.serve.backend import EngineRenderer
    from vs_vhdr.serve.server import FrameServer, ServeOptions

    options = ServeOptions(
        socket_path=path,
        device=args.device,
        limits=Limits(args.max_window, args.max_size, args.max_bytes),
        queue_size=args.queue,
        timeout_s=args.timeout,
        idle_exit_s=args.idle_exit,
    )
    server = FrameServer(options, EngineRenderer(args.device, args.precision))

    def stop(signum: int, frame: FrameType | None) -> None:
        server.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start()
    print(f"vhdr serve: listening on {path}", file=sys.stderr, flush=True)
    server.serve_forever()
    print("vhdr serve: stopped", file=sys.stderr, flush=True)
    return 0
