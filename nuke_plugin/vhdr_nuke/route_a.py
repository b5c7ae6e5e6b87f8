"""Route A gizmo's callback: link the Inference node's ``target`` knob to the gizmo's window.

The exported module's ``target`` attribute becomes a knob of the Inference node once its ``.cat``
is loaded (when the ``.cat`` was made with a ``target`` knob in CatFileCreator). The gizmo's
``knobChanged`` calls :func:`knob_changed`, which ties that knob to ``parent.target_index`` (the
current frame's place in its window), so frames near the clip's ends come out right.
"""

from __future__ import annotations

import nuke

from vhdr_nuke import knobs as K

TARGET_KNOB = "target"
LINKING_KNOBS = ("cat_file", "showPanel", "inputChange")


def knob_changed() -> None:
    """``knobChanged`` of the route A gizmo: relink ``target`` when the model may have changed."""
    if nuke.thisKnob().name() in LINKING_KNOBS:
        link_target(nuke.thisNode())


def link_target(node: nuke.Node) -> bool:
    """Tie the inner Inference node's ``target`` knob to ``target_index``; False if it has none."""
    inference = node.node(K.INFERENCE_NODE) if isinstance(node, nuke.Group) else None
    knob = inference.knob(TARGET_KNOB) if inference is not None else None
    if knob is None:
        return False
    knob.setExpression("parent.target_index")
    return True
