"""Helpers of the Nuke tests: ``nuke_plugin`` on ``sys.path`` and the FAKE ``nuke`` module installed."""

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "nuke_plugin"
GIZMOS = PLUGIN / "gizmos"
if str(PLUGIN) not in sys.path:
    sys.path.insert(0, str(PLUGIN))

from tests.fakes import fake_nuke  # noqa: E402  (needs nuke_plugin on sys.path)


@contextlib.contextmanager
def fake_nuke_installed() -> Iterator[ModuleType]:
    """The fake ``nuke`` module as ``import nuke`` sees it, reset, after vhdr's init.py work."""
    previous = sys.modules.get("nuke")
    sys.modules["nuke"] = fake_nuke
    fake_nuke.reset()
    for name in [n for n in sys.modules if n.startswith("vhdr_nuke.") and n != "vhdr_nuke.nkfile"]:
        del sys.modules[name]  # re-imported against this fake
    importlib.import_module("vhdr_nuke.startup").on_init()
    try:
        yield fake_nuke
    finally:
        fake_nuke.reset()
        if previous is None:
            sys.modules.pop("nuke", None)
        else:
            sys.modules["nuke"] = previous
