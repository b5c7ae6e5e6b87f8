"""Issue 10's targets checked against a run's rows: measured value, and by how much it misses."""

from typing import Any

from benchmarks.report import MIB_PER_GB, TARGETS


def _target(name: str, measured: str, met: bool | None) -> dict[str, Any]:
    return {"name": name, "measured": measured, "met": met}


def _pick(rows: list[dict[str, Any]], **match: Any) -> list[dict[str, Any]]:
    return [row for row in rows if all(row.get(k) == v for k, v in match.items())]


def _is_4k(row: dict[str, Any]) -> bool:
    height, width = (int(v) for v in row["size"].split("x"))
    return height * width >= 3840 * 2160


def check(rows: list[dict[str, Any]], peaks: dict[str, float]) -> list[dict[str, Any]]:
    """Every target the rows can speak to; ``met`` is None where nothing was measured."""
    found = []
    goal = TARGETS["cpu_end_to_end_vs_bare"]
    for mode in ("cli", "chunk", "vs", "overlap"):
        for row in _pick(rows, device="cpu", mode=mode):
            # robust estimate: time share in the forward ÷ network frames per output frame
            ratio, share, net = row["vs_bare"], row.get("forward_share"), row["net_per_out"]
            value = ratio if share is None else share / net
            if value is None:
                continue
            parts = [] if share is None else [f"{share:.0%} in forward ÷ {net:.2f} network frames"]
            parts += [] if ratio is None else [f"{ratio:.0%} by best frames/s"]
            text = f"{value:.0%} ({'; '.join(parts)})"
            if value < goal:
                text += f", misses by {goal - value:.0%} points"
            found.append(
                _target(
                    f"CPU end to end ({mode}) >= {goal:.0%} of bare forward: {_label(row)}",
                    text,
                    value >= goal,
                )
            )
    goal = TARGETS["cpu_bare_vs_conv3d_peak"]
    for row in _pick(rows, device="cpu", mode="bare"):
        share = row["of_peak"]
        if share is not None:
            found.append(
                _target(
                    f"CPU bare forward >= {goal:.0%} of conv3d peak: {_label(row)}",
                    f"{share:.0%}"
                    + ("" if share >= goal else f" (misses by {goal - share:.0%} points)"),
                    share >= goal,
                )
            )
    for device, key, column in (
        ("cpu", "cpu_4k_peak_gb", "rss_mib"),
        ("cuda", "gpu_4k_peak_gb", "gpu_mib"),
    ):
        limit = TARGETS[key]
        big = [row for row in _pick(rows, device=device) if _is_4k(row) and row["mode"] != "bare"]
        for row in big:
            gb = row[column] / MIB_PER_GB
            found.append(
                _target(
                    f"{device.upper()} 4K peak memory <= {limit:g} GB: {_label(row)} {row['mode']}",
                    f"{gb:.2f} GB",
                    gb <= limit,
                )
            )
        if not big:
            found.append(
                _target(
                    f"{device.upper()} 4K peak memory <= {limit:g} GB",
                    "no 4K row in this run",
                    None,
                )
            )
    goal = TARGETS["gpu_c3ded_1080p_fps"]
    fast = [
        row
        for row in _pick(rows, device="cuda", model="c3ded", size="1080x1920")
        if row["precision"] in ("fp16", "bf16")
    ]
    matmul = peaks.get("matmul/cuda/bf16")
    for row in fast:
        share = (
            f", {row['gflop_per_s'] * 1e9 / matmul:.0%} of the bf16 matmul peak" if matmul else ""
        )
        found.append(
            _target(
                f"GPU C3DED 1080p >= {goal:g} frames/s: {row['precision']} {row['mode']}",
                f"{row['fps']:.1f} frames/s{share}",
                row["fps"] >= goal,
            )
        )
    if not fast:
        found.append(_target(f"GPU C3DED 1080p >= {goal:g} frames/s", "no GPU in this run", None))
    return found


def _label(row: dict[str, Any]) -> str:
    tile = f" tile {row['tile']}" if row["tile"] else ""
    return f"{row['model']} {row['size']}{tile} {row['precision']}"
