"""The ``vhdr`` command: one sub-command a module in ``vs_vhdr.cli``.

Each module listed in ``SUBCOMMANDS`` defines ``add_parser(subparsers) -> argparse.ArgumentParser``
and sets ``run=<callable(args) -> int>`` as a parser default. A ``VhdrError`` is printed as one
line and the command exits with status 2.
"""

import argparse
import importlib
import sys
from collections.abc import Sequence

from vs_vhdr import __version__
from vs_vhdr.errors import VhdrError
from vs_vhdr.plugins import get_host

SUBCOMMANDS: tuple[str, ...] = (
    "simulate",
    "reconstruct",
    "eval",
    "train",
    "finetune",
    "calibrate",
    "plugins",
    "serve",
    "export-nuke",
    "demo",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, every sub-command included."""
    parser = argparse.ArgumentParser(
        prog="vhdr",
        description="HDR video from snapshot-coded raw video (simulate, reconstruct, train, serve).",
    )
    parser.add_argument("--version", action="version", version=f"vhdr {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"vs_vhdr.cli.{name.replace('-', '_')}").add_parser(subparsers)
    get_host().add_cli_commands(subparsers)  # plugins' sub-commands (vhdr_add_cli_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except VhdrError as error:
        print(f"vhdr {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vhdr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
