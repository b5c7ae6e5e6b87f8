"""The Nuke-facing Python (init, menus, route B button, route A callback) against a FAKE ``nuke``.

The fake (tests/fakes/fake_nuke.py) is not Nuke: it builds the gizmo nodes from the real gizmo
files, records calls and refuses node access from worker threads. Reconstruction is real: the
engine in this process, or a real frame server on a UNIX socket.
"""

import importlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

from tests.nuke_support import GIZMOS, fake_nuke_installed
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.export.frames import centred_window
from vs_vhdr.io.exr import read_exr, write_exr
from vs_vhdr.io.sequence import format_frame
from vs_vhdr.nets import create_model, save_weights

FIRST, LAST, H, W, WINDOW = 11, 16, 10, 14, 4


@pytest.fixture
def nuke() -> Iterator[ModuleType]:
    with fake_nuke_installed() as module:
        yield module


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny-frame-friendly C3D with fixed random weights, as a weights file."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "c3d.safetensors"
    save_weights(create_model("c3d", weights=False), path, window=WINDOW)
    return path


@pytest.fixture
def plate() -> dict[int, np.ndarray]:
    rng = np.random.default_rng(1)
    return {n: rng.uniform(0, 1, (H, W)).astype(np.float32) for n in range(FIRST, LAST + 1)}


def render_plate(plate: dict[int, np.ndarray]):
    """The fake's renderer: the Write node writes the plate as Nuke would (RGB EXR, raw in R)."""

    def render(node, first: int, last: int) -> None:
        assert node.Class() == "Write"
        pattern = node.evaluate_text("file")
        for n in range(first, last + 1):
            write_exr(format_frame(pattern, n), np.repeat(plate[n][..., None], 3, axis=-1))

    return render


def make_gizmo(nuke: ModuleType, tmp_path: Path, weights: Path, **knobs: object):
    source = nuke.createNode("Read")
    source["first"].setValue(FIRST)
    source["last"].setValue(LAST)
    mask = np.random.default_rng(2).uniform(0.1, 1, (H, W)).astype(np.float32)
    write_exr(tmp_path / "mask.exr", mask)
    node = nuke.createNode("vhdr_HDRReconstruct")
    node.setInput(0, source)
    values = {
        "model": str(weights),
        "mask_file": str(tmp_path / "mask.exr"),
        "window": WINDOW,
        "device": "cpu",
        "output": str(tmp_path / "out" / "hdr.####.exr"),
        **knobs,
    }
    for name, value in values.items():
        node[name].setValue(value)
    nuke.current["node"] = node
    return node, mask


def engine_frames(
    weights: Path, mask: np.ndarray, plate: dict[int, np.ndarray], overlap: int | None = None
) -> list[np.ndarray]:
    options = EngineOptions(model=str(weights), window=WINDOW, device="cpu", overlap=overlap)
    engine = Reconstructor(options, mask)
    raw = [plate[n] for n in sorted(plate)]
    return [engine.output_frame(i, len(raw), lambda j: raw[j]) for i in range(len(raw))]


def messages(nuke: ModuleType) -> list[str]:
    return [call[1] for call in nuke.calls if call[0] == "message"]


def test_init_adds_the_gizmos_and_python_paths(nuke: ModuleType, monkeypatch) -> None:
    assert ("pluginAddPath", str(GIZMOS)) in nuke.calls
    monkeypatch.setenv("VHDR_PYTHONPATH", os.pathsep.join(["/opt/vhdr/site", "/opt/vhdr/src"]))
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(compile((GIZMOS.parent / "init.py").read_text(), "init.py", "exec"), {})
    assert sys.path[-2:] == ["/opt/vhdr/site", "/opt/vhdr/src"]


def test_menu_entries_create_both_nodes(nuke: ModuleType) -> None:
    exec(compile((GIZMOS.parent / "menu.py").read_text(), "menu.py", "exec"), {})
    for top in ("Nodes", "Nuke"):
        entries = nuke.menus[top].items["vhdr"].commands
        assert [label for label, _ in entries] == ["HDR Reconstruct", "HDR Reconstruct (Inference)"]
        for _, command in entries:
            exec(command, {})
    classes = [call[1] for call in nuke.calls if call[0] == "createNode"]
    assert classes == ["vhdr_HDRReconstruct", "vhdr_HDRInference"] * 2
    reconstruct, inference = nuke.created[:2]
    assert reconstruct["window"].value() == 8 and reconstruct["backend"].value() == "auto"
    assert inference.node("inference").Class() == "Inference"


def test_button_renders_reconstructs_and_reads_back(
    nuke: ModuleType, tmp_path: Path, weights: Path, plate: dict[int, np.ndarray]
) -> None:
    node, mask = make_gizmo(nuke, tmp_path, weights, backend="in-process")
    nuke.renderer = render_plate(plate)
    importlib.import_module("vhdr_nuke.route_b").on_button()
    assert messages(nuke) == []
    executes = [call for call in nuke.calls if call[0] == "execute"]
    assert executes == [("execute", "write_raw", FIRST, LAST)]
    assert node.children["write_raw"].evaluate_text("file") == node["raw_pattern"].value()
    assert not Path(node["raw_pattern"].value()).parent.exists()  # intermediates removed
    read = node.children["read_result"]
    assert read.evaluate_text("file") == str(tmp_path / "out" / "hdr.####.exr")
    assert (node["result_first"].value(), node["result_last"].value()) == (FIRST, LAST)
    assert node["has_result"].value() is True
    assert [c for c in nuke.calls if c[0] == "createNode"][-1] == (
        "createNode",
        "vhdr_HDRReconstruct",
    )
    expected = engine_frames(weights, mask, plate)
    for i, n in enumerate(range(FIRST, LAST + 1)):
        got = read_exr(format_frame(str(tmp_path / "out" / "hdr.####.exr"), n))
        np.testing.assert_allclose(got, expected[i], rtol=1e-5, atol=1e-6)


def test_overlap_knob_reaches_the_engine(
    nuke: ModuleType, tmp_path: Path, weights: Path, plate: dict[int, np.ndarray]
) -> None:
    """The in-process backend blends windows sharing ``overlap`` frames, as the engine does."""
    _, mask = make_gizmo(nuke, tmp_path, weights, backend="in-process", overlap=3)
    nuke.renderer = render_plate(plate)
    importlib.import_module("vhdr_nuke.route_b").on_button()
    assert messages(nuke) == []
    expected = engine_frames(weights, mask, plate, overlap=3)
    default = engine_frames(weights, mask, plate)
    assert any(not np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(expected, default))
    for i, n in enumerate(range(FIRST, LAST + 1)):
        got = read_exr(format_frame(str(tmp_path / "out" / "hdr.####.exr"), n))
        np.testing.assert_allclose(got, expected[i], rtol=1e-5, atol=1e-6)


def test_gui_reconstructs_in_a_worker_and_finishes_in_the_main_thread(
    nuke: ModuleType, tmp_path: Path, weights: Path, plate: dict[int, np.ndarray]
) -> None:
    node, _ = make_gizmo(nuke, tmp_path, weights, backend="in-process")
    nuke.renderer = render_plate(plate)
    nuke.env["gui"] = True
    before = threading.active_count()
    importlib.import_module("vhdr_nuke.route_b").on_button()
    assert node["has_result"].value() is False
    assert "reconstructing" in node["status"].value()
    deadline = time.monotonic() + 120
    while not nuke.main_thread_queue and time.monotonic() < deadline:
        time.sleep(0.05)
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert nuke.run_main_thread_queue() == 1
    assert messages(nuke) == []  # the worker touched no node (the fake would have refused)
    assert node["has_result"].value() is True
    assert ("setProgress", 100) in nuke.calls


def test_frame_server_backend_gives_single_window_frames(
    nuke: ModuleType, tmp_path: Path, weights: Path, plate: dict[int, np.ndarray]
) -> None:
    from tests.serve_support import running_server
    from vs_vhdr.serve.backend import EngineRenderer

    socket = tmp_path / "run" / "serve.sock"
    node, mask = make_gizmo(
        nuke, tmp_path, weights, backend="server", socket=str(socket), use_input_range=False
    )
    node["first_frame"].setValue(FIRST)
    node["last_frame"].setValue(FIRST + 2)
    nuke.renderer = render_plate(plate)
    with running_server(tmp_path, EngineRenderer("cpu")):
        importlib.import_module("vhdr_nuke.route_b").on_button()
    assert messages(nuke) == []
    engine = Reconstructor(EngineOptions(model=str(weights), window=WINDOW, device="cpu"), mask)
    raw = np.stack([plate[n] for n in range(FIRST, FIRST + 3)])
    for i in range(3):
        frames, target = centred_window(i, 3, WINDOW)
        expected = engine.reconstruct_window(raw[list(frames)], mask)[target]
        got = read_exr(format_frame(str(tmp_path / "out" / "hdr.####.exr"), FIRST + i))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("knobs", "connect", "expected"),
    [
        ({"mask_file": ""}, True, "exactly one mask source"),
        ({"mask_source": "camera", "camera": "no-such-camera"}, True, "no-such-camera"),
        ({}, False, "has no input"),
        ({"output": "/tmp/hdr.exr"}, True, "frame field"),
        ({"window": 0}, True, "window=0"),
        ({"overlap": 4}, True, "overlap=4"),
    ],
)
def test_errors_become_messages(
    nuke: ModuleType,
    tmp_path: Path,
    weights: Path,
    plate: dict[int, np.ndarray],
    knobs: dict[str, object],
    connect: bool,
    expected: str,
) -> None:
    node, _ = make_gizmo(nuke, tmp_path, weights, backend="in-process", **knobs)
    if not connect:
        node.setInput(0, None)
    nuke.renderer = render_plate(plate)
    importlib.import_module("vhdr_nuke.route_b").on_button()
    shown = messages(nuke)
    assert len(shown) == 1 and shown[0].startswith("vhdr: ") and expected in shown[0]
    assert "Traceback" not in shown[0]
    assert node["has_result"].value() is False


def test_existing_output_needs_overwrite(
    nuke: ModuleType, tmp_path: Path, weights: Path, plate: dict[int, np.ndarray]
) -> None:
    node, _ = make_gizmo(nuke, tmp_path, weights, backend="in-process")
    (tmp_path / "out").mkdir()
    existing = tmp_path / "out" / f"hdr.{FIRST + 1:04d}.exr"
    existing.write_bytes(b"keep me")
    nuke.renderer = render_plate(plate)
    importlib.import_module("vhdr_nuke.route_b").on_button()
    assert "overwrite" in messages(nuke)[0]
    assert existing.read_bytes() == b"keep me"
    assert not [call for call in nuke.calls if call[0] == "execute"]  # nothing rendered
    node["overwrite"].setValue(True)
    importlib.import_module("vhdr_nuke.route_b").on_button()
    assert len(messages(nuke)) == 1 and existing.read_bytes()[:4] == b"\x76\x2f\x31\x01"


def test_route_a_links_the_inference_target_knob(nuke: ModuleType) -> None:
    route_a = importlib.import_module("vhdr_nuke.route_a")
    node = nuke.createNode("vhdr_HDRInference")
    nuke.current["node"] = node
    nuke.current["knob"] = node["cat_file"]
    route_a.knob_changed()  # no .cat loaded yet: the Inference node has no target knob
    assert not [call for call in nuke.calls if call[0] == "setExpression"]
    node.children["inference"].add_knob("target", -1)  # as a loaded .cat with a target knob
    route_a.knob_changed()
    assert node.children["inference"]["target"].expression == "parent.target_index"
    nuke.current["knob"] = node["window"]
    node.children["inference"]["target"].expression = None
    route_a.knob_changed()  # other knobs leave it alone
    assert node.children["inference"]["target"].expression is None
