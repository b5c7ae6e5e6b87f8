"""``init.py``'s work: the gizmo folder on Nuke's plugin path, extra Python paths for vs_vhdr."""

from __future__ import annotations

import os
import sys

import nuke

GIZMOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gizmos")
"""The folder of the vhdr gizmos (``nuke_plugin/gizmos``)."""

PYTHONPATH_ENV = "VHDR_PYTHONPATH"
"""Folders (``os.pathsep``-separated) where Nuke's Python finds vs_vhdr, numpy, OpenEXR, torch."""


def on_init() -> None:
    """Add the gizmos to Nuke's plugin path and ``$VHDR_PYTHONPATH`` to ``sys.path``."""
    nuke.pluginAddPath(GIZMOS)
    for entry in os.environ.get(PYTHONPATH_ENV, "").split(os.pathsep):
        if entry and entry not in sys.path:
            sys.path.append(entry)
