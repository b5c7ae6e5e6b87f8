"""The plugin as users get it: auto-loaded after installation, in Python and in ``vspipe``."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from vs_support import ROOT, build_shim, installed_plugin, save_small_model

from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.io.exr import read_exr, write_exr

VSPIPE = Path(sys.executable).parent / "vspipe"


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_namespace_autoloads_without_loadplugin_or_our_import(tmp_path):
    if installed_plugin() is None:
        pytest.fail("the vhdr VapourSynth plugin is not installed; run `make setup`")
    code = (
        "import sys, vapoursynth as vs\n"
        "print(vs.core.vhdr.Reconstruct.signature)\n"
        "print('vs_vhdr' in sys.modules)\n"
        "clip = vs.core.std.BlankClip(format=vs.RGBS, width=8, height=8)\n"
        "try:\n"
        "    vs.core.vhdr.Reconstruct(clip, mask_file='mask.exr')\n"
        "except vs.Error as error:\n"
        "    print(error)\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VAPOURSYNTH_EXTRA_PLUGIN_PATH")
    }
    result = run([sys.executable, "-c", code], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    signature, imported, error = result.stdout.splitlines()
    assert signature == (
        "clip:vnode;mask:vnode:opt;mask_file:data:opt;camera:data:opt;model:data:opt;"
        "cfa:data:opt;white_level:int:opt;window:int:opt;overlap:int:opt;tile:int:opt;"
        "device:data:opt;precision:data:opt;colorspace:data:opt;"
    )
    assert imported == "False"  # the namespace exists before our package is imported
    assert error.startswith("vhdr.Reconstruct: clip has format RGBS; expected raw Bayer data")


def test_engine_does_not_import_vapoursynth():
    code = "import sys, vs_vhdr.engine; print(sorted(m for m in sys.modules if m.startswith('vapoursynth')))"
    result = run([sys.executable, "-c", code], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_vspipe_renders_the_example_script(tmp_path, vspipe_env):
    rng = np.random.default_rng(5)
    shot, out = tmp_path / "shot", tmp_path / "hdr"
    shot.mkdir()
    raw = rng.random((5, 12, 16), dtype=np.float32)
    mask = rng.uniform(0.1, 1.0, (12, 16)).astype(np.float32)
    for i, frame in enumerate(raw):
        write_exr(shot / f"raw.{i + 1:04d}.exr", frame)
    write_exr(shot / "mask.exr", mask)
    (shot / "capture.json").write_text('{"settings": {"cfa": "GRBG"}}')
    weights = str(save_small_model(tmp_path / "c3d.safetensors"))
    script = str(ROOT / "examples" / "reconstruct.vpy")
    args = ["-a", f"shot={shot}", "-a", f"out={out}", "-a", f"model={weights}", "-a", "window=8"]
    result = run([str(VSPIPE), *args, script, "--"], cwd=tmp_path, env=vspipe_env)
    assert result.returncode == 0, result.stderr
    engine = Reconstructor(EngineOptions(model=weights, window=8, cfa="GRBG"), mask)
    for n in range(5):
        expected = engine.output_frame(n, 5, lambda i: raw[i])
        assert np.array_equal(read_exr(out / f"hdr.{n + 1:04d}.exr"), expected)
    again = run([str(VSPIPE), *args, script, "--"], cwd=tmp_path, env=vspipe_env)
    assert again.returncode != 0
    assert "write_images:" in again.stderr and "pass force=True to replace" in again.stderr


def test_python_side_failure_is_a_vs_error_not_a_crash(tmp_path):
    broken = tmp_path / "broken" / "vs_vhdr"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise RuntimeError('package exploded on import')\n")
    plugin = installed_plugin() or build_shim(tmp_path)
    load = "" if installed_plugin() else f"vs.core.std.LoadPlugin({str(plugin)!r})\n"
    code = (
        "import vapoursynth as vs\n"
        f"{load}"
        "clip = vs.core.std.BlankClip(format=vs.GRAYS, width=8, height=8)\n"
        "for attempt in range(2):\n"
        "    try:\n"
        "        vs.core.vhdr.Reconstruct(clip, mask_file='mask.exr')\n"
        "    except vs.Error as error:\n"
        "        print(error)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(broken.parent))
    result = run([sys.executable, "-c", code], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    expected = "vhdr.Reconstruct: the Python side failed: package exploded on import"
    assert result.stdout.splitlines() == [expected, expected]
