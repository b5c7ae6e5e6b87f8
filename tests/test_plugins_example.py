"""The example studio plugin, pip-installed into a temporary folder and used end to end.

Everything runs in subprocesses whose ``PYTHONPATH`` holds the install folder, so entry points are
found as in a real installation and this interpreter and ``.venv`` stay untouched. A broken
plugin (an entry point whose module does not exist) is installed beside it.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vs_vhdr.calibration.schema import load_calibration
from vs_vhdr.imaging.capture import CaptureSettings, capture
from vs_vhdr.io.exr import read_exr, write_exr
from vs_vhdr.nets import create_model, save_weights

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "vhdr_studio_plugin"
CALIBRATION = EXAMPLE / "vhdr_studio_plugin" / "calibrations" / "stage-a.json"
FRAMES = 4
pytestmark = pytest.mark.slow  # subprocesses that import torch; about 30 s in all


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example installed with fine-tuned-like weights, plus a broken plugin."""
    work = tmp_path_factory.mktemp("studio")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    torch.manual_seed(1)
    weights = source / "vhdr_studio_plugin" / "weights" / "studio-c3d.safetensors"
    save_weights(create_model("c3d", weights=False), weights, window=FRAMES)
    shutil.copy(weights, work / "studio-c3d.safetensors")  # the same weights, by path
    target = work / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    pip += ["--no-build-isolation", "--target", str(target), str(source)]
    subprocess.run(pip, check=True, capture_output=True, text=True, timeout=300)
    broken = target / "broken_vhdr_plugin-0.1.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-vhdr-plugin\nVersion: 0.1\n"
    )
    (broken / "entry_points.txt").write_text("[vhdr]\nbroken = broken_vhdr_plugin_missing\n")
    return target


def run(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` with the install folder and the source tree on ``PYTHONPATH``."""
    environment = {k: v for k, v in os.environ.items() if k != "VHDR_DISABLE_PLUGINS"}
    environment.update(PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), **env)
    return subprocess.run(
        [sys.executable, *args], env=environment, capture_output=True, text=True, timeout=300
    )


def test_vhdr_plugins_lists_the_example_and_reports_the_broken_one(site: Path) -> None:
    result = run(site, "-m", "vs_vhdr", "plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    plugins = {p["name"]: p for p in listing["plugins"]}
    assert plugins["studio"]["status"] == "active" and plugins["studio"]["version"] == "0.1.0"
    assert plugins["studio"]["distribution"] == "vhdr-studio-plugin"
    assert "vhdr_register_calibrations" in plugins["studio"]["hooks"]
    assert plugins["broken"]["status"] == "failed" and plugins["builtin"]["status"] == "active"
    models = {m["name"]: m for m in listing["models"]}
    assert models["studio-c3d"]["plugin"] == "studio" and "c3d" in models
    assert models["studio-default"]["alias_of"] == "studio-c3d"
    assert [c["name"] for c in listing["calibrations"]] == ["stage-a"]
    assert {"kind": "noise", "name": "acme-c1"}.items() <= listing["presets"][0].items()
    [problem] = listing["problems"]
    assert problem["plugin"] == "broken" and "broken_vhdr_plugin_missing" in problem["message"]

    text = run(site, "-m", "vs_vhdr", "plugins", "--check", VHDR_DISABLE_PLUGINS="broken")
    assert text.returncode == 0, text.stdout  # --check passes once the broken one is disabled
    assert "broken 0.1 (broken-vhdr-plugin, entry point broken_vhdr_plugin_missing) [disabled]" in (
        text.stdout
    )
    assert "stage-a: Acme Cine C1 #0042 [studio]" in text.stdout


CHECK_RESOLUTION = """
import json, sys
import vs_vhdr
from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.nets import load_weights, create_model as bare
from vs_vhdr.plugins import get_host
host = get_host()
by_name = host.calibration("stage-a")
by_id = host.calibration(CameraId(make="ACME cine", model="c1", serial="0042"))
props = {"CameraMake": b"Acme Cine", "CameraModel": b"C1", "_Matrix": 0}
by_props = host.calibration(CameraId.from_metadata(props))
model = host.create_model("studio-default")
reference = load_weights(sys.argv[1], bare("c3d", weights=False))
same = all(
    (a == b).all() for a, b in zip(model.state_dict().values(), reference.state_dict().values())
)
print(json.dumps({
    "names": [by_name.name, by_id.name, by_props.name],
    "shape": list(by_name.mask.shape),
    "spec": [model.spec.name, model.spec.weights_loaded],
    "same_weights": bool(same),
    "models": vs_vhdr.list_models(),
    "top_level": vs_vhdr.create_model("studio-c3d").spec.name,
}))
"""


def test_calibration_resolves_by_name_and_identity_and_model_is_created(site: Path) -> None:
    result = run(site, "-c", CHECK_RESOLUTION, str(site.parent / "studio-c3d.safetensors"))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["names"] == ["stage-a"] * 3
    assert found["shape"] == [48, 64]
    assert found["spec"] == ["studio-c3d", True] and found["same_weights"]
    assert "studio-c3d" in found["models"] and found["top_level"] == "studio-c3d"


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four coded raw frames (EXR) taken through the example camera's mask."""
    folder = tmp_path_factory.mktemp("shot")
    mask = np.array(load_calibration(CALIBRATION).mask)  # a writable copy for torch
    rng = np.random.default_rng(0)
    hdr = rng.uniform(0.05, 3.0, (FRAMES, *mask.shape, 3)).astype(np.float32)
    raw, _ = capture(hdr, mask, CaptureSettings(exposure=1.0))
    for i, frame in enumerate(raw):
        write_exr(folder / f"raw.{i:04d}.exr", frame)
    return folder


RECONSTRUCT_TWICE = """
import json, sys
from vs_vhdr.cli.main import main
for argv in json.loads(sys.argv[1]):
    if main(argv) != 0:
        sys.exit(1)
"""


def test_vhdr_reconstruct_with_the_plugin_camera_and_model(site: Path, shot: Path) -> None:
    out = shot / "out"
    common = ["reconstruct", str(shot / "raw.%04d.exr"), "--window", "4"]
    weights = str(site.parent / "studio-c3d.safetensors")
    mask_file = str(CALIBRATION.with_suffix(".mask.exr"))
    runs = [
        [
            *common,
            "--camera",
            "stage-a",
            "--model",
            "studio-c3d",
            "--out",
            str(out / "cam.%04d.exr"),
        ],
        [*common, "--mask", mask_file, "--model", weights, "--out", str(out / "hand.%04d.exr")],
    ]
    result = run(site, "-c", RECONSTRUCT_TWICE, json.dumps(runs))
    assert result.returncode == 0, result.stderr
    for i in range(FRAMES):
        camera_frame = read_exr(out / f"cam.{i:04d}.exr")
        assert camera_frame.shape == (48, 64, 3) and np.isfinite(camera_frame).all()
        np.testing.assert_array_equal(camera_frame, read_exr(out / f"hand.{i:04d}.exr"))


VAPOURSYNTH = """
import sys
from pathlib import Path
import numpy as np
import vapoursynth as vs
from tests.vs_support import ensure_namespace, gray_clip, render
from vs_vhdr.io.exr import read_exr
shot, weights = Path(sys.argv[1]), sys.argv[2]
ensure_namespace(shot)
raw = np.stack([read_exr(shot / f"raw.{i:04d}.exr") for i in range(4)])
clip = gray_clip(raw)
by_camera = vs.core.vhdr.Reconstruct(clip, camera="stage-a", model="studio-c3d", window=4)
by_hand = vs.core.vhdr.Reconstruct(clip, mask_file=sys.argv[3], model=weights, window=4)
np.save(shot / "vs_camera.npy", render(by_camera))
np.save(shot / "vs_hand.npy", render(by_hand))
"""


def test_vapoursynth_reconstruct_with_the_plugin_camera(site: Path, shot: Path) -> None:
    mask_file = str(CALIBRATION.with_suffix(".mask.exr"))
    weights = str(site.parent / "studio-c3d.safetensors")
    result = run(site, "-c", VAPOURSYNTH, str(shot), weights, mask_file)
    assert result.returncode == 0, result.stderr
    by_camera = np.load(shot / "vs_camera.npy")
    assert by_camera.shape == (FRAMES, 48, 64, 3) and np.isfinite(by_camera).all()
    np.testing.assert_array_equal(by_camera, np.load(shot / "vs_hand.npy"))
