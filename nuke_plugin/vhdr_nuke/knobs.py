"""The two vhdr gizmos' classes and user knobs: what the gizmo files define and the Python reads.

Knob type ids are Nuke's ``addUserKnob`` ids. ``vhdr_nuke.gizmos`` writes the gizmo files from
these tables; the route B Python reads the knobs by these names.
"""

from __future__ import annotations

from dataclasses import dataclass

STRING, FILE, INT, ENUM, BOOL, TAB, PYSCRIPT, TEXT = 1, 2, 3, 4, 6, 20, 22, 26
"""Nuke ``addUserKnob`` type ids: String, File, Int, Enumeration, Boolean, Tab, PyScript, Text."""

RECONSTRUCT_CLASS = "vhdr_HDRReconstruct"
"""Route B gizmo: renders the input with a Write node, reconstructs with any PyTorch, reads back."""

INFERENCE_CLASS = "vhdr_HDRInference"
"""Route A gizmo: builds the wide window and runs Nuke's Inference node on an exported module."""

CFAS = ("RGGB", "BGGR", "GRBG", "GBRG")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "fp32", "fp16", "bf16")
BACKENDS = ("auto", "in-process", "server")
MASK_SOURCES = ("file", "camera")
MASK_HANDLING = ("baked", "input")
COLORSPACES = ("auto", "acescg", "aces2065-1", "rec709", "camera")

RECONSTRUCT_SCRIPT = "import vhdr_nuke.route_b\nvhdr_nuke.route_b.on_button()"
INFERENCE_KNOB_CHANGED = "import vhdr_nuke.route_a\nvhdr_nuke.route_a.knob_changed()"


@dataclass(frozen=True)
class KnobDef:
    """One user knob: name, Nuke type id, label, default value as .nk text, menu items, flags."""

    name: str
    type: int
    label: str = ""
    default: str | None = None
    items: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    text: str | None = None
    tooltip: str = ""


RECONSTRUCT_KNOBS: tuple[KnobDef, ...] = (
    KnobDef("vhdr", TAB, "vhdr"),
    KnobDef("model", STRING, "model", "default", tooltip="registered model name or weights file"),
    KnobDef("mask_source", ENUM, "mask from", items=MASK_SOURCES),
    KnobDef("mask_file", FILE, "mask file", tooltip="mask image HxW (EXR Y, NPY, 16-bit PNG)"),
    KnobDef("camera", STRING, "camera", tooltip="camera calibration name or .json file"),
    KnobDef("cfa", ENUM, "CFA", items=CFAS),
    KnobDef(
        "colorspace",
        ENUM,
        "colour space",
        items=COLORSPACES,
        tooltip="auto: ACEScg when the camera's matrices are known (colour file, camera "
        "calibration), else camera RGB (docs/colour.md)",
    ),
    KnobDef(
        "colour_file",
        FILE,
        "colour file",
        tooltip="a DNG of the shot (its colour matrices and white balance) or a JSON of DNG "
        "colour fields; empty: the camera calibration's",
    ),
    KnobDef("window", INT, "window", "8", tooltip="frames per network pass"),
    KnobDef("tile", INT, "tile", "0", tooltip="tile size in pixels; 0: whole frames"),
    KnobDef(
        "overlap",
        INT,
        "overlap",
        "-1",
        tooltip="frames shared by consecutive windows, blended (in-process); -1: window/2. "
        "More flickers less and costs more network passes",
    ),
    KnobDef("device", ENUM, "device", items=DEVICES),
    KnobDef("precision", ENUM, "precision", items=PRECISIONS),
    KnobDef("backend", ENUM, "run with", items=BACKENDS),
    KnobDef("socket", STRING, "server socket", tooltip="empty: the default vhdr serve socket"),
    KnobDef("use_input_range", BOOL, "input frame range", "true", flags=("+STARTLINE",)),
    KnobDef("first_frame", INT, "first", "1"),
    KnobDef("last_frame", INT, "last", "1"),
    KnobDef("output", FILE, "output", tooltip="HDR EXR sequence, e.g. /shot/hdr.####.exr"),
    KnobDef("overwrite", BOOL, "overwrite", "false"),
    KnobDef("reconstruct", PYSCRIPT, "Reconstruct", text=RECONSTRUCT_SCRIPT, flags=("+STARTLINE",)),
    KnobDef("status", TEXT, "", text="not reconstructed yet"),
    KnobDef("raw_pattern", STRING, "", flags=("+INVISIBLE",)),
    KnobDef("result_file", STRING, "", flags=("+INVISIBLE",)),
    KnobDef("result_first", INT, "", "1", flags=("+INVISIBLE",)),
    KnobDef("result_last", INT, "", "1", flags=("+INVISIBLE",)),
    KnobDef("has_result", BOOL, "", "false", flags=("+INVISIBLE",)),
)

INFERENCE_KNOBS: tuple[KnobDef, ...] = (
    KnobDef("vhdr", TAB, "vhdr"),
    KnobDef("cat_file", FILE, "model (.cat)", tooltip="the .cat CatFileCreator made"),
    KnobDef("window", INT, "window", "8", tooltip="the exported module's window (T)"),
    KnobDef("mask_handling", ENUM, "mask", items=MASK_HANDLING),
    KnobDef("clip_first", INT, "clip first", "{{root.first_frame}}"),
    KnobDef("clip_last", INT, "clip last", "{{root.last_frame}}"),
    KnobDef("target_index", INT, "", flags=("+INVISIBLE",)),
)

MAX_SLOTS = 16
"""Frames the route A gizmo can lay side by side (slots past ``window`` are disabled)."""

RESULT_READ = "read_result"
RAW_WRITE = "write_raw"
INFERENCE_NODE = "inference"


def knob_names(defs: tuple[KnobDef, ...]) -> tuple[str, ...]:
    """The names of the knobs in ``defs`` (tabs included)."""
    return tuple(k.name for k in defs)
