"""Peak memory of one phase of a run: host RSS (Linux high-water mark) and CUDA allocations.

The host peak is the kernel's ``VmHWM`` of this process, reset before the phase by writing ``5``
to ``/proc/self/clear_refs``; where that is not possible (not Linux) the process-lifetime peak
(``ru_maxrss``) is reported instead and ``resettable`` says so.
"""

import resource
from dataclasses import dataclass
from pathlib import Path

import torch

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


@dataclass(frozen=True)
class PhasePeak:
    """Peak memory of one phase, in MiB.

    Attributes:
        rss_mib: host resident-set peak during the phase (whole process).
        gpu_mib: peak CUDA memory allocated by PyTorch during the phase (0 without CUDA).
        resettable: False when ``rss_mib`` is the process-lifetime peak instead.
    """

    rss_mib: float
    gpu_mib: float
    resettable: bool


class PeakMemory:
    """Context manager measuring the peak memory of the code inside it.

    Example:
        >>> with PeakMemory(torch.device("cpu")) as peak:
        ...     work()
        >>> peak.result.rss_mib
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.result = PhasePeak(0.0, 0.0, False)
        self._resettable = False

    def __enter__(self) -> "PeakMemory":
        try:
            _CLEAR_REFS.write_text("5")
            self._resettable = True
        except OSError:
            self._resettable = False
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        return self

    def __exit__(self, *exc: object) -> None:
        gpu = 0.0
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            gpu = torch.cuda.max_memory_allocated(self.device) / 2**20
        self.result = PhasePeak(peak_rss_mib(self._resettable), gpu, self._resettable)


def peak_rss_mib(since_reset: bool = True) -> float:
    """Host RSS peak in MiB: ``VmHWM`` (since the last reset) or the lifetime ``ru_maxrss``."""
    if since_reset and _STATUS.is_file():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mib() -> float:
    """Host RSS now, in MiB (0 where ``/proc`` is missing)."""
    if _STATUS.is_file():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0
