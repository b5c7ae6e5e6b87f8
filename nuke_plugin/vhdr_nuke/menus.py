"""``menu.py``'s work: the vhdr menu (Nodes toolbar and menu bar) and the node-creating commands."""

from __future__ import annotations

import nuke

from vhdr_nuke import knobs as K

ENTRIES = (
    ("HDR Reconstruct", "create_reconstruct"),
    ("HDR Reconstruct (Inference)", "create_inference"),
)
"""Menu label → function of this module that creates the node."""


def install() -> None:
    """Add ``vhdr > HDR Reconstruct`` (route B) and ``vhdr > HDR Reconstruct (Inference)``."""
    for top in (nuke.menu("Nodes"), nuke.menu("Nuke")):
        menu = top.addMenu("vhdr")
        for label, function in ENTRIES:
            menu.addCommand(label, f"import vhdr_nuke.menus\nvhdr_nuke.menus.{function}()")


def create_reconstruct() -> nuke.Node:
    """A route B node (any PyTorch: in Nuke's Python or through ``vhdr serve``)."""
    return nuke.createNode(K.RECONSTRUCT_CLASS)


def create_inference() -> nuke.Node:
    """A route A node (Nuke's Inference node on a module from ``vhdr export-nuke``)."""
    return nuke.createNode(K.INFERENCE_CLASS)
