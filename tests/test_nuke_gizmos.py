"""The gizmo files, read with the project's own .nk reader, against what the Python expects."""

import itertools
import math
import re

import pytest
from vhdr_nuke import knobs as K
from vhdr_nuke.gizmos import gizmo_texts
from vhdr_nuke.nkfile import NkNode, expression, parse_nk, read_nk

from tests.nuke_support import GIZMOS
from vs_vhdr.errors import UnreadableFileError
from vs_vhdr.export.frames import centred_window

SCRIPT = r"""
version 14.0 v5
Root {
 inputs 0
 first_frame 1001
}
Read {
 inputs 0
 file "/shots/a b/raw.####.exr"
 name Plate
}
set Nplate [stack 0]
Blur {
 size {{frame*2}}
 name Blur1
}
push $Nplate
Group {
 inputs 2
 name Wrap
 addUserKnob {20 User}
 addUserKnob {4 mode l "the mode" M {one "two words" three} +STARTLINE}
 mode "two words"
 addUserKnob {22 go l Go! T "print('a \"quoted\" word')\nprint(2)"}
 addUserKnob {7 gain R 0 4}
}
 Input {
  inputs 0
  name Input1
 }
 Dot {
  name Dot1
 }
 Output {
  name Output1
 }
end_group
push 0
Merge2 {
 inputs 2
 name Merge1
}
"""


def by_name(nodes: list[NkNode]) -> dict[str, NkNode]:
    return {node.name: node for node in nodes}


def test_reader_wires_stack_groups_and_user_knobs() -> None:
    script = parse_nk(SCRIPT)
    assert script.version == "14.0 v5"
    nodes = by_name(script.nodes)
    assert list(nodes) == ["Root", "Plate", "Blur1", "Wrap", "Merge1"]
    assert nodes["Plate"].knobs["file"] == "/shots/a b/raw.####.exr"
    assert expression(nodes["Blur1"].knobs["size"]) == "frame*2"
    assert nodes["Blur1"].inputs == [nodes["Plate"]]
    wrap = nodes["Wrap"]
    assert wrap.inputs == [nodes["Plate"], nodes["Blur1"]]  # input 0 is the top of the stack
    assert [c.name for c in wrap.children] == ["Input1", "Dot1", "Output1"]
    assert wrap.child("Output1").inputs == [wrap.child("Dot1")]
    mode = wrap.user_knob("mode")
    assert (mode.type, mode.label, mode.items, mode.flags) == (
        4,
        "the mode",
        ["one", "two words", "three"],
        ("+STARTLINE",),
    )
    assert wrap.knobs["mode"] == "two words"
    assert wrap.user_knob("go").text == "print('a \"quoted\" word')\nprint(2)"
    assert wrap.user_knob("gain").options["R"] == ("0", "4")
    assert nodes["Merge1"].inputs == [None, wrap]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Blur {\n name B\n", "bad.nk:1: unbalanced '{'"),
        ("Read {\n inputs 0\n}\nend_group\n", "bad.nk:4: end_group without an open group"),
        ("push $nothing\n", "bad.nk:1: push of unknown variable"),
        ("Merge2 {\n inputs 2\n}\n", "bad.nk:1: Merge2 Merge2 takes 2 input(s) but the stack"),
        ("Group {\n inputs 0\n name G\n}\n", "bad.nk: group G is not closed"),
        ("Read {\n inputs 0\n addUserKnob {x y}\n}\n", "bad.nk:3: addUserKnob {x y}"),
        ("Read {\n inputs two\n}\n", "bad.nk:1: inputs 'two'"),
    ],
)
def test_reader_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(UnreadableFileError, match=re.escape(message)):
        parse_nk(text, "bad.nk")


@pytest.fixture(scope="module")
def gizmos() -> dict[str, NkNode]:
    parsed = {}
    for name in (K.RECONSTRUCT_CLASS, K.INFERENCE_CLASS):
        script = read_nk(GIZMOS / f"{name}.gizmo")
        (definition,) = script.nodes
        assert definition.cls == "Gizmo"
        parsed[name] = definition
    return parsed


def test_gizmo_files_are_what_the_generator_writes() -> None:
    for name, text in gizmo_texts().items():
        assert (GIZMOS / name).read_text(encoding="utf-8") == text, f"regenerate {name}"


@pytest.mark.parametrize(
    ("cls", "table"),
    [(K.RECONSTRUCT_CLASS, K.RECONSTRUCT_KNOBS), (K.INFERENCE_CLASS, K.INFERENCE_KNOBS)],
)
def test_user_knobs_match_the_python_tables(
    gizmos: dict[str, NkNode], cls: str, table: tuple[K.KnobDef, ...]
) -> None:
    knobs = gizmos[cls].user_knobs
    assert [(k.name, k.type) for k in knobs] == [(k.name, k.type) for k in table]
    for knob, wanted in zip(knobs, table, strict=True):
        assert knob.items == list(wanted.items)
        assert knob.text == wanted.text


def test_every_parent_reference_names_a_gizmo_knob(gizmos: dict[str, NkNode]) -> None:
    for gizmo in gizmos.values():
        names = {k.name for k in gizmo.user_knobs}
        texts = [v for child in gizmo.children for v in child.knobs.values()]
        texts += list(gizmo.knobs.values())
        used = {m for text in texts for m in re.findall(r"parent\.(\w+)", text)}
        assert used and used <= names, used - names


def test_route_b_wiring(gizmos: dict[str, NkNode]) -> None:
    gizmo = gizmos[K.RECONSTRUCT_CLASS]
    write, read = gizmo.child(K.RAW_WRITE), gizmo.child(K.RESULT_READ)
    assert (write.cls, read.cls) == ("Write", "Read")
    assert write.inputs == [gizmo.child("Input1")]
    assert write.knobs["file"] == "[value parent.raw_pattern]"
    assert write.knobs["datatype"] == "32 bit float" and write.knobs["file_type"] == "exr"
    assert read.knobs["file"] == "[value parent.result_file]"
    switch = gizmo.child("switch_result")
    assert switch.inputs == [write, read]
    assert expression(switch.knobs["which"]) == "parent.has_result"
    assert gizmo.child("Output1").inputs == [switch]
    button = gizmo.user_knob("reconstruct")
    assert button.type == K.PYSCRIPT and "vhdr_nuke.route_b.on_button()" in (button.text or "")


def evaluate(text: str, frame: int, first: int, last: int, window: int) -> float:
    """A Nuke expression of the route A gizmo, evaluated in Python (same operators)."""
    names = {"frame": frame, "clip_first": first, "clip_last": last, "window": window}
    functions = {"min": min, "max": max, "fmod": math.fmod, "floor": math.floor}
    return eval(text.replace("parent.", ""), {"__builtins__": {}}, {**names, **functions})


def test_route_a_window_expressions_equal_centred_window(gizmos: dict[str, NkNode]) -> None:
    gizmo = gizmos[K.INFERENCE_CLASS]
    offsets = [expression(gizmo.child(f"slot{k}_time").knobs["time_offset"]) for k in range(16)]
    target = expression(gizmo.knobs["target_index"])
    assert target is not None and all(offsets)
    for first, length, window in itertools.product((1, 1001), (1, 3, 8, 20), (1, 4, 8, 16)):
        last = first + length - 1
        for frame in range(first, last + 1):
            frames, position = centred_window(frame - first, length, window)
            shown = [
                frame - evaluate(offsets[k] or "", frame, first, last, window)
                for k in range(window)
            ]
            assert shown == [first + i for i in frames]
            assert evaluate(target, frame, first, last, window) == position


def test_route_a_wiring(gizmos: dict[str, NkNode]) -> None:
    gizmo = gizmos[K.INFERENCE_CLASS]
    copy = gizmo.child("copy_mask")
    assert copy.inputs == [gizmo.child("raw"), gizmo.child("mask")]
    assert gizmo.child("mask").knobs["number"] == "1"
    chain = gizmo.child("canvas")
    assert chain.inputs == [gizmo.child("slot0_time")]
    assert gizmo.child("slot0_time").inputs == [copy]
    for k in range(1, K.MAX_SLOTS):
        merge, move = gizmo.child(f"slot{k}_merge"), gizmo.child(f"slot{k}_move")
        assert merge.inputs == [chain, move]  # B: the canvas so far, A: slot k
        assert move.inputs == [gizmo.child(f"slot{k}_time")]
        assert gizmo.child(f"slot{k}_time").inputs == [copy]
        assert move.knobs["filter"] == "impulse"
        assert move.knobs["translate"] == f"{{{k}*input.width}} 0"
        for node in (merge, move, gizmo.child(f"slot{k}_time")):
            assert evaluate(expression(node.knobs["disable"]) or "", 1, 1, 1, k) is True
            assert evaluate(expression(node.knobs["disable"]) or "", 1, 1, 1, k + 1) is False
        chain = merge
    inference = gizmo.child(K.INFERENCE_NODE)
    assert inference.cls == "Inference" and inference.inputs == [chain]
    assert inference.knobs["modelFile"] == "[value parent.cat_file]"
    crop = gizmo.child("crop_result")
    assert crop.inputs == [inference]
    assert crop.knobs["box"] == "0 0 {{input.width/parent.window}} {{input.height}}"
    assert gizmo.child("Output1").inputs == [crop]
