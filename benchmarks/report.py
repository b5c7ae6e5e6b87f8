"""The benchmark's report: the machine, a row per (configuration, mode), targets, Markdown.

Rows carry frames/s, megapixel-frames/s, network frames per output frame, the model FLOP rate
(model FLOPs per output frame × output frames/s, so recomputed tile margins and overlapping
windows count as cost, not as work), its fraction of the measured conv3d peak of the same device
and precision, the ratio to the bare forward of the same configuration, and peak memory.
"""

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

MIB_PER_GB = 1000**3 / 2**20
"""MiB in one (decimal) gigabyte, the unit of the memory targets."""

TARGETS = {
    "cpu_end_to_end_vs_bare": 0.85,
    "cpu_bare_vs_conv3d_peak": 0.60,
    "cpu_4k_peak_gb": 6.0,
    "gpu_4k_peak_gb": 8.0,
    "gpu_c3ded_1080p_fps": 60.0,
}
"""Issue 10's targets."""


def machine() -> dict[str, Any]:
    """What ran the benchmark: host, CPU model and cores, GPU, library versions."""
    cpu = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "torch": torch.__version__,
        "cuda": torch.version.cuda if gpu else None,
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def rows(records: list[dict[str, Any]], peaks: dict[str, float]) -> list[dict[str, Any]]:
    """One flat row per (configuration, mode) of the worker records."""
    table = []
    for record in records:
        config = record["config"]
        bare = record["modes"].get("bare")
        peak = record.get("conv3d_peak") or peaks.get(
            f"conv3d/{config['device']}/{config['precision']}"
        )
        for mode, result in record["modes"].items():
            fps = result["fps"]
            flop_rate = record["flops_per_frame"] * fps
            table.append(
                {
                    "model": config["model"],
                    "size": f"{config['height']}x{config['width']}",
                    "tile": config["tile"],
                    "device": config["device"],
                    "precision": config["precision"],
                    "mode": mode,
                    "fps": fps,
                    "mpix_fps": fps * config["height"] * config["width"] / 1e6,
                    "net_per_out": result["net_per_out"],
                    "gflop_per_frame": record["flops_per_frame"] / 1e9,
                    "tile_flops_factor": record["tile_flops_factor"],
                    "gflop_per_s": flop_rate / 1e9,
                    "of_peak": flop_rate / peak if peak else None,
                    "conv3d_peak_gflop_s": peak / 1e9 if peak else None,
                    "vs_bare": fps / bare["fps"] if bare else None,
                    "forward_share": result.get("forward_share"),
                    "median_fps": result.get("median_fps"),
                    "rss_mib": result["rss_mib"],
                    "gpu_mib": result["gpu_mib"],
                    "seconds": result["seconds"],
                    "runs_s": result["runs_s"],
                }
            )
    return table


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def markdown(result: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    m = result["machine"]
    lines = [
        f"# vhdr benchmark: {result['title']}",
        "",
        f"Machine: {m['host']}, {m['cpu']} ({m['cpu_count']} CPUs, {m['torch_threads']} torch "
        f"threads)"
        + (f", GPU {m['gpu']} (CUDA {m['cuda']})" if m["gpu"] else ", no GPU")
        + f"; torch {m['torch']}, Python {m['python']}. Date {m['date']}.",
        "",
        f"Command: `{result['command']}`. {result['note']}",
        "",
        "## Measured peaks",
        "",
        "| operation | device | precision | shape | TFLOP/s |",
        "|---|---|---|---|---:|",
    ]
    for peak in result["peaks"]:
        shape = "×".join(str(v) for v in peak["shape"])
        lines.append(
            f"| {peak['op']} | {peak['device']} | {peak['precision']} | {shape} | "
            f"{peak['flop_per_s'] / 1e12:.3f} |"
        )
    lines += [
        "",
        "## Throughput and memory",
        "",
        "Modes: `bare` = the model's forward alone on one window (inputs on the device); "
        "`chunk` = engine, overlap 0; `overlap` = engine, default half overlap; `cli` = "
        "`vhdr reconstruct --overlap 0` with EXR I/O; `vs` = `vhdr.Reconstruct` in VapourSynth. "
        "GFLOP/s counts the model's FLOPs once per output frame; `of peak` divides it by the "
        "conv3d peak measured in the same process around that configuration (column `peak`, "
        "same device and precision); `× bare` divides frames/s by the bare forward's (best "
        "runs of each, interleaved); `in fwd` (CPU) is the share of the mode's own wall time "
        "spent inside the model's forward, i.e. its throughput relative to the bare forward "
        "measured within one run, which load from other processes hardly disturbs. frames/s is "
        "the best of the repetitions (median in the JSON). Memory: peak host RSS of the whole "
        "process during the mode, and peak CUDA memory allocated.",
        "",
        "| model | size | tile | device | prec. | mode | frames/s | MP·frames/s | net fr./out "
        "| GFLOP/frame | GFLOP/s | peak GFLOP/s | of peak | × bare | in fwd | RSS MiB | GPU MiB |",
        "|---|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        vs_bare = "-" if row["vs_bare"] is None else f"{row['vs_bare']:.2f}"
        peak = "-" if row["conv3d_peak_gflop_s"] is None else f"{row['conv3d_peak_gflop_s']:.0f}"
        lines.append(
            f"| {row['model']} | {row['size']} | {row['tile']} | {row['device']} | "
            f"{row['precision']} | {row['mode']} | {row['fps']:.3g} | {row['mpix_fps']:.3g} | "
            f"{row['net_per_out']:.2f} | {row['gflop_per_frame']:.1f} | "
            f"{row['gflop_per_s']:.1f} | {peak} | {_pct(row['of_peak'])} | {vs_bare} | "
            f"{_pct(row['forward_share'])} | "
            f"{row['rss_mib']:.0f} | {row['gpu_mib']:.0f} |"
        )
    if result["comparisons"]:
        lines += [
            "",
            "## Engine changes, before and after (same run, interleaved)",
            "",
            "| change | configuration | mode | before | after | after / before (frames/s) |",
            "|---|---|---|---:|---:|---:|",
        ]
        for c in result["comparisons"]:
            lines.append(
                f"| {c['change']} | {c['config']} | {c['mode']} | {c['before_fps']:.3g} f/s | "
                f"{c['after_fps']:.3g} f/s | {c['after_fps'] / c['before_fps']:.2f} |"
            )
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for target in result["targets"]:
        met = {True: "yes", False: "**no**", None: "not measured"}[target["met"]]
        lines.append(f"| {target['name']} | {target['measured']} | {met} |")
    lines += [""]
    return "\n".join(lines)
