"""Wall-clock timing shared by the small benchmark scripts."""

import statistics
import time
from collections.abc import Callable


def median_seconds(run: Callable[[], object], repeats: int, *, warmup: bool = False) -> float:
    """Median wall time in seconds of ``repeats`` calls of ``run`` (after one call if ``warmup``)."""
    if warmup:
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
