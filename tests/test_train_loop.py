"""The trainer end to end with a tiny plugin network: overfitting, exact resume after kill -9,
SIGTERM, torchrun with two gloo processes, and the run folder's files."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from tests.train_support import ROOT, install_plugin, tiny_config, uninstall_plugin
from vs_vhdr.cli.main import main
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.plugins import get_host
from vs_vhdr.train.checkpoint import CheckpointWriteError
from vs_vhdr.train.config import load_config
from vs_vhdr.train.trainer import train

VHDR = [sys.executable, "-m", "vs_vhdr"]


@pytest.fixture
def env(tmp_path):
    """The tiny plugin installed; one torch thread (fast and deterministic on a shared CPU)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield install_plugin(tmp_path / "plugin")
    uninstall_plugin(tmp_path / "plugin")
    torch.set_num_threads(threads)


def losses(run: Path) -> list[tuple[int, float]]:
    rows = [json.loads(line) for line in (run / "train.jsonl").read_text().splitlines()]
    return [(row["step"], row["loss"]) for row in rows]


def test_tiny_model_overfits_a_fixed_set(env, tmp_path):
    config = tiny_config(
        tmp_path,
        data={"samples": 2, "noise": "none", "crop": 16, "val_samples": 1},
        run={"steps": 120, "checkpoint_every": 60, "val_every": 60},
    )
    fixed = tmp_path / "fixed"
    assert main(["train", str(config), "--pregenerate", str(fixed)]) == 0
    settings = load_config(config, [f"data.fixed={fixed}"])
    result = train(settings, tmp_path / "run")
    assert result.finished and result.step == 120
    curve = [loss for _, loss in losses(tmp_path / "run")]
    first, last = curve[0], sum(curve[-10:]) / 10
    assert last < first / 3, f"loss fell only from {first:.4f} to {last:.4f}"
    run = tmp_path / "run"
    for name in ("config.toml", "split.json", "run.json", "train.csv", "val.csv", "curves.png",
                 "checkpoint.pt", "baseline.json", "weights.safetensors"):  # fmt: skip
        assert (run / name).is_file(), name
    assert load_config(run / "config.toml") == settings
    val = [json.loads(line) for line in (run / "val.jsonl").read_text().splitlines()]
    assert [row["step"] for row in val] == [60, 120] and "pu21_psnr" in val[-1]
    model = get_host().create_model(str(run / "weights.safetensors"))
    record = model.weights_record
    assert record.architecture == "tiny3d" and record.training["steps"] == 120
    assert record.metrics["validation"]["log_mae"] == pytest.approx(val[-1]["log_mae"])
    assert "naive_baseline" in record.metrics
    assert any("VGG" in note for note in record.training["notes"])
    with pytest.raises(OutputExistsError, match="--resume"):
        train(settings, run)
    with pytest.raises(InvalidArgumentError, match="optim.lr"):
        train(load_config(config, [f"data.fixed={fixed}", "optim.lr=0.5"]), run, resume=True)


def _wait_for_rows(run: Path, count: int, exited) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        path = run / "train.jsonl"
        if path.is_file() and len(path.read_text().splitlines()) >= count:
            return
        assert exited() is None, "training ended before it could be interrupted"
        time.sleep(0.002)
    pytest.fail("training never got going")


@pytest.mark.slow
def test_kill_and_resume_reproduce_the_uninterrupted_curve(env, tmp_path):
    config = tiny_config(tmp_path, run={"steps": 60, "checkpoint_every": 10})
    whole = tmp_path / "whole"
    assert main(["train", str(config), "--out", str(whole)]) == 0
    expected = losses(whole)
    assert [step for step, _ in expected] == list(range(1, 61))

    killed = tmp_path / "killed"  # a real process, killed with SIGKILL mid-run
    process = subprocess.Popen(
        [*VHDR, "train", str(config), "--out", str(killed)], env=env, stderr=subprocess.PIPE
    )
    _wait_for_rows(killed, 25, process.poll)
    process.send_signal(signal.SIGKILL)
    process.wait()
    saved = torch.load(killed / "checkpoint.pt", weights_only=True)["step"]
    assert 20 <= saved < 60 and saved % 10 == 0
    assert not (killed / "weights.safetensors").exists()
    assert main(["train", str(config), "--out", str(killed), "--resume"]) == 0
    assert losses(killed) == expected  # same steps, bit-identical losses
    sessions = json.loads((killed / "run.json").read_text())["sessions"]
    assert [s["start_step"] for s in sessions] == [0, saved]


def test_sigterm_checkpoints_the_current_step(env, tmp_path, capsys):
    config = tiny_config(tmp_path, run={"steps": 40, "checkpoint_every": 10})
    whole = tmp_path / "whole"
    train(load_config(config), whole)
    stopped = tmp_path / "stopped"

    def terminate() -> None:  # a real SIGTERM to this process once training runs
        _wait_for_rows(stopped, 13, lambda: None)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=terminate)
    watcher.start()
    status = main(["train", str(config), "--out", str(stopped)])
    watcher.join()
    assert status == 143
    assert "stopped by SIGTERM" in capsys.readouterr().err
    step = torch.load(stopped / "checkpoint.pt", weights_only=True)["step"]
    assert losses(stopped)[-1][0] == step < 40  # the step in flight finished and was saved
    assert main(["train", "--out", str(stopped), "--resume"]) == 0  # config from the run
    assert losses(stopped) == losses(whole)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None,
                    reason="torchrun not installed")  # fmt: skip
def test_torchrun_two_gloo_processes_match_one_process(env, tmp_path):
    config = tiny_config(tmp_path, run={"steps": 6, "checkpoint_every": 3})
    single = tmp_path / "single"
    train(load_config(config), single)
    double = tmp_path / "double"
    torchrun = str(Path(sys.executable).parent / "torchrun")
    done = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node=2", "-m", "vs_vhdr", "train", str(config),
         "--out", str(double)],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    two, one = losses(double), losses(single)
    assert [s for s, _ in two] == [s for s, _ in one]  # rank 0 logs once per step
    for (_, a), (_, b) in zip(two, one, strict=True):
        assert a == pytest.approx(b, rel=1e-4)
    sessions = json.loads((double / "run.json").read_text())["sessions"]
    assert sessions[0]["world_size"] == 2
    assert torch.load(double / "checkpoint.pt", weights_only=True)["step"] == 6
    assert (double / "weights.safetensors").is_file()
    assert os.listdir(double).count("checkpoint.pt") == 1


def test_full_disk_stops_training_and_keeps_the_last_checkpoint(env, tmp_path):
    config = tiny_config(tmp_path, run={"steps": 10, "checkpoint_every": 5})
    run = tmp_path / "run"
    train(load_config(config), run)
    before = (run / "checkpoint.pt").read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) // 2, hard))  # the disk "fills up"
    try:
        with pytest.raises(CheckpointWriteError, match="at step 15"):
            train(load_config(config, ["run.steps=20"]), run, resume=True)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert (run / "checkpoint.pt").read_bytes() == before
    result = train(load_config(config, ["run.steps=20"]), run, resume=True)
    assert result.finished and [s for s, _ in losses(run)] == list(range(1, 21))


def test_exact_motion_pu21_and_overshoot_losses_and_time_limit(env, tmp_path):
    """``loss.motion``, ``loss.pu21`` and ``loss.overshoot`` add the exact-motion temporal term,
    the PU21 content term and the overshoot term to every step's loss (logged as ``motion``,
    ``pu21`` and ``overshoot``); ``run.time_limit_s`` stops early with a checkpoint and
    exported weights that ``--resume`` continues from."""
    config = tiny_config(
        tmp_path,
        data={"samples": 4, "crop": 16, "val_samples": 1, "static_fraction": 0.5},
        loss={"motion": 0.5, "pu21": 2.0, "overshoot": 3.0},
        run={"steps": 1000, "checkpoint_every": 1000, "val_every": 1000, "time_limit_s": 2.0},
    )
    settings = load_config(config)
    result = train(settings, tmp_path / "run")
    assert result.stopped_by == "time limit" and 0 < result.step < 1000
    assert result.weights is not None and result.weights.is_file()
    rows = [
        json.loads(line) for line in (tmp_path / "run" / "train.jsonl").read_text().splitlines()
    ]
    assert all(row["motion"] > 0 and row["pu21"] > 0 for row in rows)
    assert all(row["overshoot"] >= 0 for row in rows) and any(row["overshoot"] > 0 for row in rows)
    assert all(
        row["loss"]
        >= row["l1"] + 0.5 * row["motion"] + 2 * row["pu21"] + 3 * row["overshoot"] - 1e-6
        for row in rows
    )
    resumed = train(
        load_config(config, ["run.steps=" + str(result.step + 2)]), tmp_path / "run", resume=True
    )
    assert resumed.finished and resumed.step == result.step + 2


def test_resume_may_finish_a_constant_run_with_a_cosine_decay(env, tmp_path):
    """A run trained at a constant lr continues (optimizer state kept) under a cosine schedule
    that decays from its last step to ``lr_min``: the logged lr follows it."""
    config = tiny_config(
        tmp_path,
        data={"samples": 4, "crop": 16, "val_samples": 0},
        optim={"lr": 1e-3},
        run={"steps": 4, "checkpoint_every": 4, "val_every": 0, "log_every": 1},
    )
    assert train(load_config(config), tmp_path / "run").finished
    tail = ["run.steps=8", "optim.schedule=cosine", "optim.decay_start=4", "optim.lr_min=1e-5"]
    assert train(load_config(config, tail), tmp_path / "run", resume=True).finished
    rows = [
        json.loads(line) for line in (tmp_path / "run" / "train.jsonl").read_text().splitlines()
    ]
    rates = [row["lr"] for row in rows]
    assert rates[:5] == [1e-3] * 5
    assert all(a > b for a, b in zip(rates[4:], rates[5:], strict=False))
    assert rates[-1] < 2e-4  # the last step (7 of 8) is 3/4 of the way down
