"""Writes the two gizmo files from ``vhdr_nuke.knobs``: ``python -m vhdr_nuke.gizmos DIR``.

Route A (``vhdr_HDRInference``) lays the window side by side: slot ``k`` is a TimeOffset to the
``k``-th frame of the window, moved right by ``k·W`` (Transform, impulse filter: whole pixels) and
added (Merge plus) onto a canvas ``window·W`` wide; slots past ``window`` are disabled. The window
is the one ``vs_vhdr.export.frames.centred_window`` gives (centred, shifted inside the clip,
reflected past the end of short clips; a TimeOffset shows its input at ``frame - time_offset``);
``target_index`` is the current frame's place in it.
Then Inference runs the exported module and a Crop keeps the first ``W`` columns.

Route B (``vhdr_HDRReconstruct``): Input → Write (raw EXR frames, rendered by the button) and a
Read of the result; a Switch shows the Read once there is a result.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from vhdr_nuke import knobs as K

VERSION_LINE = "version 13.2 v1"
_N = "(parent.clip_last-parent.clip_first+1)"
_START = f"min(max(frame-parent.clip_first-floor(parent.window/2),0),max(0,{_N}-parent.window))"
_PERIOD = f"max(2*({_N}-1),1)"


def slot_frame_expression(k: int) -> str:
    """Nuke expression: the absolute frame that slot ``k`` of the current frame's window shows."""
    i = f"({_START}+{k})"
    return f"parent.clip_first+min(fmod({i},{_PERIOD}),{_PERIOD}-fmod({i},{_PERIOD}))"


TARGET_EXPRESSION = f"frame-parent.clip_first-{_START}"
"""Nuke expression: the current frame's position in its window (the module's ``target``)."""


def quote(text: str) -> str:
    """``text`` as one TCL word: bare when safe, else double-quoted with escapes."""
    if text and all(c.isalnum() or c in "._-+/:" for c in text):
        return text
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("[", "\\[")
        .replace("$", "\\$")
    )
    return f'"{escaped}"'


def user_knob_lines(defs: Sequence[K.KnobDef], values: dict[str, str]) -> list[str]:
    """``addUserKnob`` lines of the knob table ``defs``, with defaults (``values`` overrides)."""
    lines = []
    for knob in defs:
        parts = [str(knob.type), knob.name]
        if knob.label or knob.type in (K.TEXT, K.PYSCRIPT):
            parts += ["l", quote(knob.label)]
        if knob.items:
            parts += ["M", "{" + " ".join(quote(item) for item in knob.items) + "}"]
        if knob.text is not None:
            parts += ["T", quote(knob.text)]
        if knob.tooltip:
            parts += ["t", quote(knob.tooltip)]
        parts += list(knob.flags)
        lines.append(" addUserKnob {" + " ".join(parts) + "}")
        default = values.get(knob.name, knob.default)
        if default is not None:
            lines.append(f" {knob.name} {default}")
    return lines


def _node(cls: str, *knob_lines: str) -> list[str]:
    return [f" {cls} {{", *(f"  {line}" for line in knob_lines), " }"]


def _gizmo(
    inputs: int,
    help_text: str,
    defs: Sequence[K.KnobDef],
    extra: Sequence[str] = (),
    values: dict[str, str] | None = None,
) -> list[str]:
    head = [VERSION_LINE, "Gizmo {", f" inputs {inputs}", f" help {quote(help_text)}", *extra]
    return head + user_knob_lines(defs, values or {}) + ["}"]


def inference_gizmo() -> str:
    """The route A gizmo file (``vhdr_HDRInference.gizmo``)."""
    lines = _gizmo(
        2,
        "vhdr HDR reconstruction with Nuke's Inference node. Input 0: coded raw (red channel); "
        "input 1: the mask (used when mask = input). Load the .cat made from `vhdr export-nuke`.",
        K.INFERENCE_KNOBS,
        [f" knobChanged {quote(K.INFERENCE_KNOB_CHANGED)}"],
        {"target_index": "{{" + TARGET_EXPRESSION + "}}"},
    )
    lines += _node("Input", "inputs 0", "name mask", "number 1")
    lines += _node("Input", "inputs 0", "name raw")
    lines += _node(
        "Copy",
        "inputs 2",
        "from0 rgba.red",
        "to0 rgba.green",
        "disable {{parent.mask_handling==0}}",
        "name copy_mask",
    )
    lines.append(" set Nsource [stack 0]")
    for k in range(K.MAX_SLOTS - 1, 0, -1):
        if k != K.MAX_SLOTS - 1:
            lines.append(" push $Nsource")
        off = f"disable {{{{{k}>=parent.window}}}}"
        lines += _node(
            "TimeOffset",
            f"time_offset {{{{frame-({slot_frame_expression(k)})}}}}",
            off,
            f"name slot{k}_time",
        )
        lines += _node(
            "Transform",
            f"translate {{{{{k}*input.width}} 0}}",
            "filter impulse",
            "black_outside false",
            off,
            f"name slot{k}_move",
        )
    lines.append(" push $Nsource")
    lines += _node(
        "TimeOffset", f"time_offset {{{{frame-({slot_frame_expression(0)})}}}}", "name slot0_time"
    )
    lines += _node(
        "Crop",
        "box {0 0 {{input.width*parent.window}} {{input.height}}}",
        "reformat true",
        "crop false",
        "name canvas",
    )
    for k in range(1, K.MAX_SLOTS):
        lines += _node(
            "Merge2",
            "inputs 2",
            "operation plus",
            "bbox B",
            f"disable {{{{{k}>=parent.window}}}}",
            f"name slot{k}_merge",
        )
    lines += _node(
        "Inference", f"modelFile {quote('[value parent.cat_file]')}", f"name {K.INFERENCE_NODE}"
    )
    lines += _node(
        "Crop",
        "box {0 0 {{input.width/parent.window}} {{input.height}}}",
        "reformat true",
        "crop false",
        "name crop_result",
    )
    lines += _node("Output", "name Output1")
    lines.append("end_group")
    return "\n".join(lines) + "\n"


def reconstruct_gizmo() -> str:
    """The route B gizmo file (``vhdr_HDRReconstruct.gizmo``)."""
    lines = _gizmo(
        1,
        "vhdr HDR reconstruction with any PyTorch. Input: coded raw (red channel). Reconstruct "
        "renders the input with the Write node inside, reconstructs it (in Nuke's Python or "
        "through `vhdr serve`) into the output EXRs, and shows them with the Read node inside.",
        K.RECONSTRUCT_KNOBS,
    )
    lines += _node(
        "Read",
        "inputs 0",
        f"file {quote('[value parent.result_file]')}",
        "first {{parent.result_first}}",
        "last {{parent.result_last}}",
        "before hold",
        "after hold",
        "on_error black",
        f"name {K.RESULT_READ}",
    )
    lines += _node("Input", "inputs 0", "name Input1")
    lines += _node(
        "Write",
        f"file {quote('[value parent.raw_pattern]')}",
        "file_type exr",
        quote("datatype") + " " + quote("32 bit float"),
        "channels rgb",
        "create_directories true",
        f"name {K.RAW_WRITE}",
    )
    lines += _node("Switch", "inputs 2", "which {{parent.has_result}}", "name switch_result")
    lines += _node("Output", "name Output1")
    lines.append("end_group")
    return "\n".join(lines) + "\n"


def gizmo_texts() -> dict[str, str]:
    """File name → text of every gizmo."""
    return {
        K.INFERENCE_CLASS + ".gizmo": inference_gizmo(),
        K.RECONSTRUCT_CLASS + ".gizmo": reconstruct_gizmo(),
    }


def main(argv: Sequence[str]) -> int:
    """Write the gizmos into ``argv[0]`` (default: this plugin's gizmos folder)."""
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "gizmos"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in gizmo_texts().items():
        (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
