"""benchmarks.run: sizes, one real measured configuration, the report and the targets."""

import math

import pytest
import torch

from benchmarks.measure import Config, measure
from benchmarks.peak import conv3d_peak
from benchmarks.report import markdown, rows
from benchmarks.run import parse_size
from benchmarks.targets import check
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError


def test_sizes() -> None:
    assert parse_size("256") == (256, 256, 0)
    assert parse_size("1080p") == (1080, 1920, 0)
    assert parse_size("4K") == (2160, 3840, 512)
    assert parse_size("720x1280@256") == (720, 1280, 256)
    with pytest.raises(InvalidArgumentError, match="--sizes 'big'"):
        parse_size("big")


def test_conv3d_peak_counts_the_convolution() -> None:
    peak = conv3d_peak(torch.device("cpu"), "fp32", repeats=1, shape=(1, 64, 2, 8, 8))
    assert peak.shape == (1, 64, 2, 8, 8) and peak.op == "conv3d"
    assert math.isclose(peak.flop_per_s * peak.seconds, 2 * 64 * 64 * 27 * 2 * 8 * 8)


@pytest.fixture(scope="module")
def record() -> dict:
    modes = ("bare", "chunk", "overlap", "cli")
    record = measure(Config("c3d", 16, 20, frames=8, window=4, modes=modes, peak=False))
    assert record["conv3d_peak"] is None
    return {**record, "conv3d_peak": 1e11}  # as if measured: 100 GFLOP/s


def test_measured_modes_and_window_accounting(record: dict) -> None:
    modes = record["modes"]
    assert set(modes) == {"bare", "chunk", "overlap", "cli"}
    assert all(m["fps"] > 0 and m["rss_mib"] > 0 and m["gpu_mib"] == 0 for m in modes.values())
    # 8 frames, window 4: chunk = windows 0, 4; overlap 2 = windows -2, 0, 2, 4, 6 (the clip
    # is padded by 2 mirrored frames at each end), 20 network frames for 8 output frames
    assert modes["chunk"]["net_per_out"] == 1.0 == modes["cli"]["net_per_out"]
    assert modes["overlap"]["net_per_out"] == 2.5
    assert record["tile_flops_factor"] == 1.0
    # the engine spends most of its time in the forward; bare is all forward
    assert modes["bare"]["forward_share"] > 0.9
    assert 0.3 < modes["chunk"]["forward_share"] <= 1.0


def test_report_rows_relate_to_bare_and_peak(record: dict) -> None:
    table = rows([record], {})
    bare = next(r for r in table if r["mode"] == "bare")
    chunk = next(r for r in table if r["mode"] == "chunk")
    assert bare["vs_bare"] == 1.0
    assert math.isclose(chunk["vs_bare"], chunk["fps"] / bare["fps"])
    assert math.isclose(chunk["gflop_per_s"], record["flops_per_frame"] * chunk["fps"] / 1e9)
    assert math.isclose(chunk["of_peak"], chunk["gflop_per_s"] * 1e9 / record["conv3d_peak"])
    assert math.isclose(chunk["mpix_fps"], chunk["fps"] * 16 * 20 / 1e6)
    result = {
        "title": "test",
        "command": "pytest",
        "note": "",
        "machine": {
            "host": "hostname-x",
            "cpu": "cpu-y",
            "cpu_count": 2,
            "torch_threads": 2,
            "gpu": None,
            "cuda": None,
            "torch": torch.__version__,
            "python": "3.12",
            "date": "today",
        },
        "peaks": [],
        "rows": table,
        "comparisons": [],
        "targets": check(table, {}),
    }
    text = markdown(result)
    assert "hostname-x" in text and "cpu-y" in text
    assert text.count("| c3d | 16x20 |") == 4


def row(mode: str, vs_bare: float, **kw) -> dict:
    base = {"model": "c3ded", "size": "256x256", "tile": 0, "device": "cpu", "precision": "fp32"}
    base |= {"net_per_out": 1.0, "of_peak": None, "forward_share": None}
    return {**base, "mode": mode, "vs_bare": vs_bare, **kw}


def test_targets_say_by_how_much_they_miss() -> None:
    found = check([row("bare", 1.0, of_peak=0.45), row("cli", 0.8, forward_share=0.9)], {})
    cli = next(t for t in found if "(cli)" in t["name"])
    assert cli["met"] is True and cli["measured"].startswith("90%")
    overlap = row("overlap", 0.6, forward_share=0.96, net_per_out=2.0)
    (found_overlap,) = [t for t in check([overlap], {}) if "(overlap)" in t["name"]]
    assert found_overlap["met"] is False and "misses by 37% points" in found_overlap["measured"]
    (noisy,) = [t for t in check([row("chunk", 0.8)], {}) if "(chunk)" in t["name"]]
    assert noisy["met"] is False and "misses by 5% points" in noisy["measured"]
    (alone,) = [t for t in check([row("chunk", None, forward_share=0.97)], {}) if "(" in t["name"]]
    assert alone["met"] is True and alone["measured"].startswith("97%")  # no bare row run
    assert not [t for t in check([row("chunk", None)], {}) if "(chunk)" in t["name"]]
    bare = next(t for t in found if "conv3d peak" in t["name"])
    assert bare["met"] is False and "misses by 15% points" in bare["measured"]
    four_k = row("chunk", 0.9, size="2160x3840", tile=512, rss_mib=5000.0)
    memory = next(t for t in check([four_k], {}) if "4K peak memory" in t["name"])
    assert memory["met"] is True and memory["measured"] == "5.24 GB"
    gpu = next(t for t in check([], {}) if "GPU" in t["name"])
    assert gpu["met"] is None


def test_chunk_quality_scores_both_modes_through_the_commands(tmp_path) -> None:
    import json

    from benchmarks import chunk_quality

    argv = ["--frames", "16", "--crop", "24x32", "--device", "cpu", "--out", str(tmp_path)]
    assert chunk_quality.main(argv) == 0
    result = json.loads((tmp_path / "chunk_quality-default.json").read_text())
    chunk, default = (result["scores"][label] for label in chunk_quality.MODES)
    assert set(chunk) == set(default) and "temporal_error" in chunk
    assert "1.00 network frames per output" in result["notes"]["chunk (overlap 0)"]
    # 16 frames, window 8, overlap 4: windows -4, 0, 4, 8, 12 = 40 network frames
    assert "2.50 network frames per output" in result["notes"]["default (overlap 4)"]
    text = (tmp_path / "chunk_quality-default.md").read_text()
    untrained = any("no trained weights" in note for note in result["notes"].values())
    assert ("no trained weights" in text) == untrained
    with pytest.raises(OutputExistsError):
        chunk_quality.main(argv)
