"""Every bad input of ``core.vhdr.Reconstruct`` is a ``vs.Error`` naming it and what was expected."""

import numpy as np
import pytest
import vapoursynth as vs
from vs_support import ensure_namespace, gray_clip, save_small_model

from vs_vhdr.io.exr import write_exr

H, W, T = 8, 8, 3


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("vhdr_vs_errors")
    ensure_namespace(folder)
    write_exr(folder / "mask.exr", np.full((H, W), 0.5, np.float32))
    write_exr(folder / "rgb.exr", np.full((H, W, 3), 0.5, np.float32))
    write_exr(folder / "small.exr", np.full((4, 4), 0.5, np.float32))
    weights = save_small_model(folder / "c3d.safetensors")
    return {"dir": str(folder), "mask": str(folder / "mask.exr"), "weights": str(weights)}


def blank(fmt: vs.PresetVideoFormat = vs.GRAYS, width: int = W, height: int = H, length: int = T):
    return vs.core.std.BlankClip(
        format=fmt,
        width=width,
        height=height,
        length=length,
        color=0.5 if fmt in (vs.GRAYS,) else None,
    )


def variable_format() -> vs.VideoNode:
    return vs.core.std.Splice([blank(), blank(vs.RGBS)], mismatch=True)


def variable_size() -> vs.VideoNode:
    return vs.core.std.Splice([blank(), blank(width=W * 2)], mismatch=True)


CASES = {
    "rgb clip": (
        lambda e: (blank(vs.RGBS), {"mask_file": e["mask"]}),
        "expected raw Bayer data as GRAYS, GRAY16 or GRAY10-14",
    ),
    "yuv clip": (
        lambda e: (blank(vs.YUV420P8), {"mask_file": e["mask"]}),
        "format YUV420P8; expected raw Bayer",
    ),
    "8-bit clip": (
        lambda e: (blank(vs.GRAY8), {"mask_file": e["mask"]}),
        "format Gray8; expected raw Bayer",
    ),
    "variable format": (
        lambda e: (variable_format(), {"mask_file": e["mask"]}),
        "clip has a variable format",
    ),
    "variable size": (
        lambda e: (variable_size(), {"mask_file": e["mask"]}),
        "clip has a variable frame size",
    ),
    "no mask source": (
        lambda e: (blank(), {}),
        "expected exactly one mask source (mask, mask_file or camera); got none",
    ),
    "two mask sources": (
        lambda e: (blank(), {"mask_file": e["mask"], "mask": blank(length=1)}),
        "got mask, mask_file",
    ),
    "mask clip size": (
        lambda e: (blank(), {"mask": blank(width=W + 2, length=1)}),
        "mask is 10x8; expected the clip's size 8x8",
    ),
    "mask clip length": (
        lambda e: (blank(), {"mask": blank(length=T + 1)}),
        "mask has 4 frames; expected 1 or the clip's 3",
    ),
    "mask clip format": (
        lambda e: (blank(), {"mask": blank(vs.RGBS, length=1)}),
        "mask has format RGBS; expected GRAYS",
    ),
    "mask file size": (
        lambda e: (blank(), {"mask_file": e["dir"] + "/small.exr"}),
        "is 4x4; expected the clip's size 8x8",
    ),
    "mask file rgb": (
        lambda e: (blank(), {"mask_file": e["dir"] + "/rgb.exr"}),
        "has 3 channels; expected one (Y)",
    ),
    "mask file missing": (
        lambda e: (blank(), {"mask_file": e["dir"] + "/nope.exr"}),
        "does not exist",
    ),
    "unknown camera": (
        lambda e: (blank(), {"camera": "no-such-camera"}),
        "no calibration for 'no-such-camera'",
    ),
    "unknown model": (
        lambda e: (blank(), {"mask_file": e["mask"], "model": "no-such-model"}),
        "'no-such-model' is not registered",
    ),
    "white level above format": (
        lambda e: (blank(vs.GRAY12), {"mask_file": e["mask"], "white_level": 5000}),
        "white_level=5000 with a Gray12 clip; expected 0 (meaning 4095)",
    ),
    "negative white level": (
        lambda e: (blank(vs.GRAY16), {"mask_file": e["mask"], "white_level": -1}),
        "white_level=-1",
    ),
    "white level on float": (
        lambda e: (blank(), {"mask_file": e["mask"], "white_level": 1023}),
        "expected white_level=0",
    ),
    "window": (
        lambda e: (blank(), {"mask_file": e["mask"], "window": 0}),
        "window=0; expected an int >= 1",
    ),
    "overlap": (
        lambda e: (blank(), {"mask_file": e["mask"], "window": 4, "overlap": 4}),
        "overlap=4; expected an int in [0, window=4)",
    ),
    "cfa": (lambda e: (blank(), {"mask_file": e["mask"], "cfa": "RGBG"}), "RGBG"),
    "device": (lambda e: (blank(), {"mask_file": e["mask"], "device": "tpu"}), "device='tpu'"),
    "precision": (
        lambda e: (blank(), {"mask_file": e["mask"], "precision": "fp8"}),
        "precision='fp8'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_a_vs_error(env, case):
    make, expected = CASES[case]
    clip, kwargs = make(env)
    with pytest.raises(vs.Error) as raised:
        vs.core.vhdr.Reconstruct(clip, **kwargs)
    message = str(raised.value)
    assert message.startswith("vhdr.Reconstruct: "), message
    assert expected in message, message


def test_python_function_raises_the_same_error(env):
    from vs_vhdr.vapoursynth import reconstruct

    with pytest.raises(vs.Error, match=r"^vhdr\.Reconstruct: clip has format RGBS"):
        reconstruct(blank(vs.RGBS), mask_file=env["mask"])
    with pytest.raises(
        vs.Error, match=r"^vhdr\.Reconstruct: clip is AudioNode; expected a video clip"
    ):
        reconstruct(vs.core.std.BlankAudio(), mask_file=env["mask"])


def test_error_while_rendering_reaches_the_script(env):
    out_of_range = gray_clip(np.full((T, H, W), 3.0, np.float32))
    out = vs.core.vhdr.Reconstruct(
        out_of_range, mask_file=env["mask"], model=env["weights"], window=2
    )
    with pytest.raises(
        vs.Error, match=r"vhdr\.Reconstruct: frame 1: get_raw\(\d\) has values in \[3, 3\]"
    ):
        out.get_frame(1)


def test_internal_functions_refuse_outside_a_call():
    with pytest.raises(vs.Error, match="vhdr.Arguments: internal to vhdr.Reconstruct"):
        vs.core.vhdr.Arguments()
    with pytest.raises(vs.Error, match="vhdr.Return: internal to vhdr.Reconstruct"):
        vs.core.vhdr.Return(clip=blank())
