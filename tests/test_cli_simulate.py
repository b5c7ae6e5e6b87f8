"""``vhdr simulate`` and ``vhdr demo``: files on disk, exact physics, replays, refusals."""

from pathlib import Path

import numpy as np
import OpenImageIO
import pytest
import torch

from vs_vhdr.cli.demo import DemoStep, run_demo, simulate_step
from vs_vhdr.cli.main import build_parser, main
from vs_vhdr.cli.simulate import read_dir, replay_dir
from vs_vhdr.imaging.capture import CaptureRecord
from vs_vhdr.imaging.cfa import mosaic_np
from vs_vhdr.io.exr import read_exr_channels, write_exr
from vs_vhdr.metrics.motion import load_motion, warp_previous


def _simulate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["simulate", *args])
    return status, capsys.readouterr().err


def test_noise_free_round_trip_is_exact_and_readable_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    status, _ = _simulate(
        capsys, "procedural:day", "--out", str(out), "--frames", "3", "--crop", "24x32",
        "--noise", "none", "--cfa", "GRBG", "--bits", "10", "--seed", "5",
    )  # fmt: skip
    assert status == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "capture.json", "gt.0000.exr", "gt.0001.exr", "gt.0002.exr", "mask.exr", "motion.npy",
    ] + [f"raw.000{i}.exr" for i in range(3)]  # fmt: skip
    raw, gt, mask = read_dir(out)
    assert raw.shape == (3, 24, 32) and gt.shape == (3, 24, 32, 3) and mask.shape == (24, 32)
    levels = np.float32(1023)
    expected = np.round(np.clip(mosaic_np(gt, "GRBG") * mask, 0, 1) * levels) / levels
    np.testing.assert_array_equal(raw, expected)
    assert list(read_exr_channels(out / "raw.0001.exr")[0]) == ["Y"]
    assert list(read_exr_channels(out / "mask.exr")[0]) == ["Y"]
    other = OpenImageIO.ImageBuf(str(out / "raw.0001.exr"))  # an independent EXR reader
    pixels = other.get_pixels(OpenImageIO.FLOAT)
    assert pixels is not None
    np.testing.assert_array_equal(pixels[..., 0], raw[1])
    record = CaptureRecord.load(out / "capture.json")
    assert record.settings.cfa == "GRBG" and record.settings.bits == 10
    assert record.source["inputs"] == ["procedural:day"] and record.mask is not None


def test_capture_json_replays_bit_identically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    status, _ = _simulate(
        capsys, "builtin:forest", "--out", str(out), "--frames", "3", "--crop", "20x28",
        "--mask", "lowfreq", "--mask-sigma", "1.5", "--noise", "low-light", "--seed", "2",
    )  # fmt: skip
    assert status == 0
    raw, gt, _ = read_dir(out)
    again_raw, again_gt = replay_dir(out)
    np.testing.assert_array_equal(again_raw, raw)
    np.testing.assert_array_equal(again_gt, gt)
    assert CaptureRecord.load(out / "capture.json").mask.sigma == 1.5  # type: ignore[union-attr]


def test_sequence_input_with_mask_file_and_centre_crop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    frames = rng.random((4, 10, 12, 3)).astype(np.float32) * 50
    for i, frame in enumerate(frames):
        write_exr(tmp_path / f"in.{i:04d}.exr", frame)
    mask = rng.random((6, 8)).astype(np.float32)
    write_exr(tmp_path / "m.exr", mask)
    out = tmp_path / "sim"
    status, _ = _simulate(
        capsys, str(tmp_path / "in.%04d.exr"), "--out", str(out), "--crop", "6x8",
        "--frames", "3", "--mask", str(tmp_path / "m.exr"), "--exposure", "0.25",
    )  # fmt: skip
    assert status == 0
    raw, gt, written_mask = read_dir(out)
    np.testing.assert_array_equal(written_mask, mask)
    np.testing.assert_array_equal(gt, frames[:3, 2:8, 2:10] * np.float32(0.25))
    np.testing.assert_array_equal(replay_dir(out)[0], raw)


def test_known_motion_is_written_for_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    status, _ = _simulate(
        capsys, "builtin:studio", "--out", str(out), "--crop", "24x32", "--frames", "3",
        "--noise", "none",
    )  # fmt: skip
    assert status == 0
    motion = load_motion(out / "motion.npy")
    assert motion.shape == (2, 24, 32, 2)
    assert np.abs(motion).max() > 0, "a panned still must move"
    record = CaptureRecord.load(out / "capture.json")
    assert record.source["outputs"]["motion"] == "motion.npy"
    # the motion explains the ground truth: warping frame 0 by it predicts frame 1 far better
    _, gt, _ = read_dir(out)
    log_gt = torch.log(torch.from_numpy(gt).double() + 1e-4).permute(0, 3, 1, 2)
    warped, inside = warp_previous(log_gt[0], torch.from_numpy(motion[0]).double())
    moved_error = (warped - log_gt[1]).abs()[:, inside].mean()
    static_error = (log_gt[0] - log_gt[1]).abs()[:, inside].mean()
    assert moved_error < 0.25 * static_error


def test_existing_output_needs_force_and_must_be_ours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sim"
    args = ["procedural:night", "--out", str(out), "--frames", "2", "--crop", "16x16"]
    assert _simulate(capsys, *args)[0] == 0
    status, err = _simulate(capsys, *args)
    assert status == 2 and err.count("\n") == 1 and "already exists; pass --force" in err
    assert _simulate(capsys, *args, "--force", "--seed", "3")[0] == 0
    assert CaptureRecord.load(out / "capture.json").source["seed"] == 3
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep me")
    status, err = _simulate(capsys, "procedural:night", "--out", str(theirs), "--force")
    assert status == 2 and "has no capture.json" in err
    assert (theirs / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cfa", "RGBG"], "cfa='RGBG' is not a Bayer pattern"),
        (["--bits", "20"], "bits=20"),
        (["--noise", "loud"], "preset 'loud' is unknown"),
        (["--mask", "lowfrq"], "--mask: 'lowfrq'"),
        (["--mask", "/nonexistent/mask.exr"], "does not exist"),
        (["--crop", "12by5"], "--crop: '12by5'"),
        (["--exposure", "bright"], "expected auto or a scale"),
        (["--frames", "0"], "--frames: 0"),
    ],
)
def test_bad_options_give_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "sim"
    status, err = _simulate(capsys, "procedural:day", "--out", str(out), *args)
    assert status == 2 and err.count("\n") == 1 and message in err
    assert err.startswith("vhdr simulate: error:")
    assert not out.exists()


def test_bad_inputs_give_one_line_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_exr(tmp_path / "nan.exr", np.full((8, 8, 3), np.nan, np.float32))
    write_exr(tmp_path / "ok.exr", np.ones((8, 8, 3), np.float32))
    (tmp_path / "cut.exr").write_bytes((tmp_path / "ok.exr").read_bytes()[:100])
    write_exr(tmp_path / "m.exr", np.ones((5, 5), np.float32))
    cases = [
        ([str(tmp_path / "nothing.%04d.exr")], "matches no file"),
        ([str(tmp_path / "nan.exr")], "NaN/Inf"),
        ([str(tmp_path / "cut.exr")], "not a readable OpenEXR"),
        ([str(tmp_path / "ok.exr"), "--crop", "8x8", "--mask", str(tmp_path / "m.exr")], "5×5"),
        (["builtin:moon"], "not a bundled HDR map"),
    ]
    for args, message in cases:
        status, err = _simulate(capsys, *args[:1], "--out", str(tmp_path / "o"), *args[1:])
        assert status == 2 and err.count("\n") == 1 and message in err, (args, err)
        assert not (tmp_path / "o").exists()


def test_demo_simulates_held_out_clips_into_its_folder(tmp_path: Path) -> None:
    (tmp_path / "demo" / "forest-uniform" / "simulated").mkdir(parents=True)  # re-runs replace
    (tmp_path / "demo" / "forest-uniform" / "simulated" / "capture.json").write_text("{}")
    lines = run_demo(tmp_path / "demo", [DemoStep("simulate", simulate_step)])
    assert lines[0].startswith("simulate: 3 clips of 12 coded frames 128x192 (builtin:forest)")
    raw, gt, mask = read_dir(tmp_path / "demo" / "forest-uniform" / "simulated")
    assert raw.shape == (12, 128, 192) and gt.max() > 1.0  # highlights beyond saturation


def test_help_lists_simulate_and_demo() -> None:
    text = build_parser().format_help()
    assert "simulate" in text and "demo" in text
