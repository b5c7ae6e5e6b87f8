"""Before/after measurements of the engine's speed changes, interleaved in one process.

Each :class:`Change` names one engine change and two configurations that differ only by it. Both
are prepared (and warmed up) first, then timed alternately in the order A B B A A B ... so that
drifting load from other processes hits both alike; the best run of each (fewest seconds, the
least disturbed) is reported, and every run's seconds are kept.
"""

import statistics
from dataclasses import asdict, dataclass, replace
from typing import Any

from benchmarks.measure import Config, prepare


@dataclass(frozen=True)
class Change:
    """One engine change: ``before`` and ``after`` are ``Config`` field overrides of ``config``.

    Attributes:
        name: what changed.
        config: the configuration both sides share (its ``modes`` holds the one mode timed).
        before: fields of the configuration without the change.
        after: fields of the configuration with it.
    """

    name: str
    config: Config
    before: dict[str, Any]
    after: dict[str, Any]


def compare(change: Change) -> dict[str, Any]:
    """Time both sides of ``change`` interleaved; best and median frames/s, every run's seconds."""
    mode = change.config.modes[0]
    sides = {
        "before": replace(change.config, **change.before),
        "after": replace(change.config, **change.after),
    }
    runs = {side: prepare(config)[0][mode] for side, config in sides.items()}
    fps: dict[str, list[float]] = {"before": [], "after": []}
    seconds: dict[str, list[float]] = {"before": [], "after": []}
    for repeat in range(change.config.repeats):
        order = ("before", "after") if repeat % 2 == 0 else ("after", "before")
        for side in order:
            frames, took, _ = runs[side]()
            fps[side].append(frames / took)
            seconds[side].append(took)
    c = change.config
    tile = f" tile {c.tile}" if c.tile else ""
    return {
        "change": change.name,
        "config": f"{c.model} {c.height}x{c.width}{tile} {c.device} {c.precision}",
        "mode": mode,
        "before": change.before,
        "after": change.after,
        "before_fps": max(fps["before"]),
        "after_fps": max(fps["after"]),
        "before_median_fps": statistics.median(fps["before"]),
        "after_median_fps": statistics.median(fps["after"]),
        "before_runs_s": seconds["before"],
        "after_runs_s": seconds["after"],
        "settings": asdict(change.config),
    }


def default_changes(
    device: str, precision: str, height: int, width: int, repeats: int, frames: int
) -> list[Change]:
    """The engine changes of issue 10 that ``device`` can show, at ``height×width``."""

    def config(model: str, mode: str, **kw: Any) -> Config:
        return Config(
            model,
            height,
            width,
            device=device,
            precision=precision,
            frames=frames,
            repeats=repeats,
            modes=(mode,),
            **kw,
        )

    half_tile = max(height, width) // 2
    changes = [
        Change(
            "channels-last-3d layout (default now on CPU too)",
            config(model, "bare"),
            {"engine": {"channels_last": False}},
            {"engine": {}},
        )
        for model in ("c3ded",)
    ]
    changes += [
        Change(
            "batch of 4 equal tiles per pass (tile_batch=4)",
            config("c3ded", "bare", tile=half_tile),
            {"engine": {"tile_batch": 1}},
            {"engine": {"tile_batch": 4}},
        ),
        Change(
            "input checks + CFA spread on one CPU thread, not torch's pool",
            config("c3ded", "chunk"),
            {"pass_threads": None},
            {"pass_threads": 1},
        ),
        Change(
            "EXR reads ahead and writes behind (--io-threads 2 vs 0)",
            config("c3ded", "cli"),
            {"io_threads": 0},
            {"io_threads": 2},
        ),
    ]
    if device == "cuda":
        changes += [
            Change(
                "pinned staging + non-blocking copies",
                config("c3ded", "chunk"),
                {"pinned": False},
                {"pinned": True},
            ),
            Change(
                "torch.compile (compile=True)",
                config("c3ded", "chunk"),
                {"engine": {}},
                {"engine": {"compile": True}},
            ),
        ]
    return changes
