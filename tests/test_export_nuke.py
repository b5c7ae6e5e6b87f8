"""``vhdr export-nuke``: the TorchScript module for Nuke's Inference node against the engine."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from vs_vhdr.cli.main import main
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.export.frames import centred_window, window_start
from vs_vhdr.export.portable import rewrite_code
from vs_vhdr.export.torchscript import export_nuke, file_format_version
from vs_vhdr.nets import create_model
from vs_vhdr.units import to_log

SCRIPT_ERRORS = (RuntimeError, torch.jit.Error)
"""What a TorchScript ``raise`` arrives as (``torch.jit.Error`` in recent Torch)."""
T, H, W = 4, 10, 14  # H, W not multiples of 4: C3DED pads inside
CLIP = 9


def clip(frames: int = CLIP, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (frames, H, W)).astype(np.float32)


def the_mask() -> np.ndarray:
    return np.random.default_rng(5).uniform(0.05, 1, (H, W)).astype(np.float32)


def wide(raw_window: np.ndarray, mask: np.ndarray | None = None) -> torch.Tensor:
    """1×C×H×(T·W): the window side by side (raw in channel 0, mask in channel 1)."""
    planes = [np.concatenate(list(raw_window), axis=1)]
    planes.append(
        np.concatenate([mask] * len(raw_window), axis=1) if mask is not None else planes[0]
    )
    planes.append(planes[0])
    return torch.from_numpy(np.stack(planes)[None].copy())


def max_dlog(a: np.ndarray, b: np.ndarray) -> float:
    return float((to_log(torch.from_numpy(a)) - to_log(torch.from_numpy(b))).abs().max())


class Exported:
    def __init__(self, folder: Path, name: str, *, mask_from_input: bool = False) -> None:
        torch.manual_seed(3)
        self.model = create_model(name, weights=False)
        conditioned = self.model.spec.mask_conditioned
        self.mask = the_mask() if conditioned else None
        result = export_nuke(
            name,
            folder,
            window=T,
            mask=None if mask_from_input else self.mask,
            mask_from_input=mask_from_input,
            model=self.model,
        )
        self.result = result
        self.module = torch.jit.load(str(result.module_path))
        options = EngineOptions(model=name, window=T, device="cpu")
        self.engine = Reconstructor(options, self.mask, model=self.model)

    def frame(self, raw_window: np.ndarray, target: int, **knobs: object) -> np.ndarray:
        for key, value in {"target": target, "wide_output": False, **knobs}.items():
            setattr(self.module, key, value)
        with torch.no_grad():
            out = self.module(wide(raw_window, self.mask))
        return out[0].permute(1, 2, 0).numpy()


@pytest.fixture(scope="module", params=["c3d", "c3ded", "c3ded-m"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return Exported(tmp_path_factory.mktemp(request.param), request.param)


def test_centred_window_stays_inside_the_clip() -> None:
    assert centred_window(5, 20, 8) == ((1, 2, 3, 4, 5, 6, 7, 8), 4)
    assert centred_window(0, 20, 8) == ((0, 1, 2, 3, 4, 5, 6, 7), 0)
    assert centred_window(19, 20, 8) == ((12, 13, 14, 15, 16, 17, 18, 19), 7)
    assert centred_window(1, 3, 5) == ((0, 1, 2, 1, 0), 1)  # short clip: reflected
    assert window_start(2, 3, 5) == 0
    with pytest.raises(InvalidArgumentError, match="n=3"):
        window_start(3, 3, 2)


@pytest.mark.parametrize("n", [0, 1, 4, 7, 8])
def test_export_equals_engine_window_at_every_position(exported: Exported, n: int) -> None:
    raw = clip()
    frames, target = centred_window(n, CLIP, T)
    expected = exported.engine.reconstruct_window(raw[list(frames)], exported.mask)[target]
    got = exported.frame(raw[list(frames)], target)
    assert got.shape == (H, W, 3)
    assert max_dlog(got, expected) < 1e-3
    assert exported.result.max_abs_dlog < 1e-3


def test_short_clip_equals_the_engines_pass_on_the_padded_window(exported: Exported) -> None:
    raw = clip(3)  # shorter than the window: one reflected window, padded as the engine pads
    for n in range(3):
        frames, target = centred_window(n, 3, T)
        expected = exported.engine.reconstruct_window(raw[list(frames)])[target]
        assert max_dlog(exported.frame(raw[list(frames)], target), expected) < 1e-3


def test_tiles_equal_the_whole_frame(exported: Exported) -> None:
    raw = clip()[:T]
    whole = exported.frame(raw, -1, tile=0)
    tiled = exported.frame(raw, -1, tile=8)
    exported.module.tile = 0
    assert max_dlog(tiled, whole) < 1e-3


def test_knobs_target_exposure_bottom_up_and_wide_output(exported: Exported) -> None:
    raw = clip()[:T]
    centre = exported.frame(raw, -1)
    np.testing.assert_array_equal(centre, exported.frame(raw, T // 2))
    np.testing.assert_allclose(exported.frame(raw, -1, exposure=1.0), 2 * centre, rtol=1e-6)
    flipped_mask = None if exported.mask is None else exported.mask[::-1].copy()
    exported.module.bottom_up = True
    exported.module.exposure = 0.0
    with torch.no_grad():
        flipped = exported.module(wide(raw[:, ::-1].copy(), flipped_mask))[0].permute(1, 2, 0)
    exported.module.bottom_up = False
    np.testing.assert_allclose(flipped.numpy()[::-1], centre, rtol=1e-5, atol=1e-6)
    exported.module.wide_output = True
    with torch.no_grad():
        out = exported.module(wide(raw, exported.mask))
    assert out.shape == (1, 3, H, T * W)
    assert float(out[..., W:].abs().max()) == 0.0
    np.testing.assert_array_equal(out[0, :, :, :W].permute(1, 2, 0).numpy(), centre)


def test_loads_and_runs_in_a_fresh_process(exported: Exported, tmp_path: Path) -> None:
    raw = clip()[:T]
    data = wide(raw, exported.mask)
    np.save(tmp_path / "in.npy", data.numpy())
    script = (
        "import sys, numpy as np, torch\n"
        "m = torch.jit.load(sys.argv[1])\n"
        "y = m(torch.from_numpy(np.load(sys.argv[2])))\n"
        "np.save(sys.argv[3], y.numpy())\n"
    )
    path = str(exported.result.module_path)
    subprocess.run(
        [sys.executable, "-c", script, path, str(tmp_path / "in.npy"), str(tmp_path / "out.npy")],
        check=True,
        timeout=120,
    )
    fresh = np.load(tmp_path / "out.npy")[0, :, :, :W].transpose(1, 2, 0)
    np.testing.assert_allclose(fresh, exported.frame(raw, -1), rtol=1e-6, atol=1e-7)


def test_bad_input_is_refused_with_a_message(exported: Exported) -> None:
    with pytest.raises(SCRIPT_ERRORS, match="not a multiple of the window"):
        exported.module(torch.zeros(1, 3, H, T * W + 1))
    exported.module.target = T
    with pytest.raises(SCRIPT_ERRORS, match="target="):
        exported.module(torch.zeros(1, 3, H, T * W))
    exported.module.target = -1


def test_sidecar_records_the_export(exported: Exported) -> None:
    sidecar = json.loads(exported.result.sidecar_path.read_text())
    assert sidecar["schema"] == "vhdr.NukeExport/1"
    assert sidecar["torch_version"] == torch.__version__
    assert sidecar["file_format_version"] == file_format_version(exported.result.module_path)
    assert sidecar["model"]["name"] == exported.model.spec.name
    assert sidecar["window"] == T
    assert sidecar["knobs"] == {
        "target": -1,
        "exposure": 0.0,
        "bottom_up": False,
        "wide_output": True,
        "tile": 0,
    }
    assert sidecar["mask_size"] == ([H, W] if exported.mask is not None else None)
    with zipfile.ZipFile(exported.result.module_path) as archive:
        assert not [n for n in archive.namelist() if n.endswith(".debug_pkl")]


def test_mask_from_input_channel(tmp_path: Path) -> None:
    exported = Exported(tmp_path, "c3ded-m", mask_from_input=True)
    raw = clip()[:T]
    other = np.random.default_rng(9).uniform(0.05, 1, (H, W)).astype(np.float32)
    exported.mask = other
    expected = exported.engine.reconstruct_window(raw, other)[T // 2]
    assert max_dlog(exported.frame(raw, -1), expected) < 1e-3
    assert json.loads(exported.result.sidecar_path.read_text())["mask"] == "input channel 1"
    with pytest.raises(SCRIPT_ERRORS, match="channel 1"):
        exported.module(torch.zeros(1, 1, H, T * W))


@pytest.mark.parametrize("cfa", ["GRBG", "BGGR"])
def test_other_cfas_match_the_engine(tmp_path: Path, cfa: str) -> None:
    model = create_model("c3d", weights=False)
    result = export_nuke("c3d", tmp_path, window=2, cfa=cfa, model=model)
    assert json.loads(result.sidecar_path.read_text())["cfa"] == cfa
    raw = clip()[:2]
    engine = Reconstructor(EngineOptions(model="c3d", cfa=cfa, window=2, device="cpu"), model=model)
    module = torch.jit.load(str(result.module_path))
    module.wide_output = False
    with torch.no_grad():
        got = module(wide(raw))[0].permute(1, 2, 0).numpy()
    assert max_dlog(got, engine.reconstruct_window(raw)[1]) < 1e-3


def test_export_refuses_missing_mask_and_existing_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="mask-conditioned"):
        export_nuke("c3d-m", tmp_path, window=2)
    model = create_model("c3d", weights=False)
    export_nuke("c3d", tmp_path, window=2, model=model)
    with pytest.raises(OutputExistsError, match="--force"):
        export_nuke("c3d", tmp_path, window=2, model=model)
    export_nuke("c3d", tmp_path, window=2, model=model, force=True)


def test_cli_writes_module_and_sidecar(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nuke"
    assert main(["export-nuke", "--model", "dc3d", "--window", "2", "--out", str(out)]) == 0
    assert (out / "vhdr_dc3d_w2.pt").is_file() and (out / "vhdr_dc3d_w2.json").is_file()
    assert "max |Δlog| vs the engine" in capsys.readouterr().out
    assert main(["export-nuke", "--model", "dc3d-m", "--window", "2", "--out", str(out)]) == 2
    assert "mask-conditioned" in capsys.readouterr().err


def test_rewrite_code_gives_old_torch_forms() -> None:
    code = (
        "    x = torch._convolution(a, w, b, [1, 1, 1], [1, 1, 1], [1, 1, 1], False, [0, 0, 0],"
        " 1, False, False, True, True)\n"
        '      ops.prim.RaiseException(torch.add(_7, _2), "builtins.ValueError")\n'
    )
    assert rewrite_code(code) == (
        "    x = torch._convolution(a, w, b, [1, 1, 1], [1, 1, 1], [1, 1, 1], False, [0, 0, 0],"
        " 1, False, False, True)\n"
        "      ops.prim.RaiseException(torch.add(_7, _2))\n"
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tensors_follow_the_input_device(exported: Exported) -> None:
    raw = clip()[:T]
    cpu = exported.frame(raw, -1)
    module = exported.module.cuda()
    with torch.no_grad():
        out = module(wide(raw, exported.mask).cuda())[0].permute(1, 2, 0).cpu().numpy()
    exported.module.cpu()
    assert max_dlog(out, cpu) < 1e-3


OLD_TORCH = [p for p in os.environ.get("VHDR_OLD_TORCH_PYTHONS", "").split(os.pathsep) if p]


@pytest.mark.skipif(not OLD_TORCH, reason="set VHDR_OLD_TORCH_PYTHONS to old-torch pythons")
@pytest.mark.parametrize("python", OLD_TORCH)
def test_old_torch_loads_the_paper_models(python: str, tmp_path: Path) -> None:
    model = create_model("c3d", weights=False)
    result = export_nuke("c3d", tmp_path, window=T, model=model)
    script = (
        "import sys, torch\nm = torch.jit.load(sys.argv[1])\n"
        "print(tuple(m(torch.rand(1, 3, 18, 4 * 26)).shape))\n"
    )
    done = subprocess.run(
        [python, "-c", script, str(result.module_path)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str((1, 3, 18, 4 * 26))
