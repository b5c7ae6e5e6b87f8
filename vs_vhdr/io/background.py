"""File I/O beside compute: frames read ahead and written behind on worker threads.

While the network runs (PyTorch releases the GIL in its kernels, CUDA waits release it too),
worker threads decode the next raw frames and encode the finished HDR frames, so a render's time
approaches its compute time instead of compute + I/O. Errors raised on a worker reach the caller
unchanged: a failed read when that frame is asked for, a failed write at the next ``submit`` or at
``close``. With ``threads=0`` everything runs inline in the caller's thread (the same results,
no overlap).
"""

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from vs_vhdr.errors import InvalidArgumentError


def _check_threads(name: str, threads: object) -> int:
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
        raise InvalidArgumentError(f"{name}: threads={threads!r}; expected an int >= 0")
    return threads


class BackgroundWriter:
    """Runs write jobs on ``threads`` workers with at most ``depth`` jobs queued or running.

    ``submit`` blocks while ``depth`` jobs are pending (bounding the memory held by queued
    frames). Use as a context manager: leaving it waits for every job and raises the first
    error of any of them.
    """

    def __init__(self, threads: int = 2, depth: int | None = None) -> None:
        self.threads = _check_threads("BackgroundWriter", threads)
        self.depth = depth if depth is not None else 2 * max(1, self.threads)
        self._pool = ThreadPoolExecutor(self.threads, "vhdr-write") if self.threads else None
        self._pending: list[Future[Any]] = []

    def submit(self, job: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``job(*args, **kwargs)`` on a worker (inline when ``threads == 0``)."""
        if self._pool is None:
            job(*args, **kwargs)
            return
        self._reap(block=len(self._pending) >= self.depth)
        self._pending.append(self._pool.submit(job, *args, **kwargs))

    def close(self) -> None:
        """Wait for every job; raise the first error."""
        try:
            while self._pending:
                self._reap(block=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=False)

    def _reap(self, block: bool) -> None:
        """Drop finished jobs (raising their errors); with ``block``, wait for the oldest first."""
        if block and self._pending:
            self._pending[0].result()
        still = []
        for future in self._pending:
            if future.done():
                future.result()  # raises the job's error
            else:
                still.append(future)
        self._pending = still

    def __enter__(self) -> "BackgroundWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReadAhead[T]:
    """A frame reader ``i -> frame`` that can be told which frames come next.

    Args:
        read: reads frame ``i`` (e.g. an EXR decode).
        threads: worker threads reading ahead (0: read inline when asked).
        keep: frames kept after they were read (the newest indices win), so a sliding window
            that asks for a frame twice reads it once.
    """

    def __init__(self, read: Callable[[int], T], threads: int = 2, keep: int = 16) -> None:
        self.read = read
        self.keep = max(1, keep)
        threads = _check_threads("ReadAhead", threads)
        self._pool = ThreadPoolExecutor(threads, "vhdr-read") if threads else None
        self._lock = threading.Lock()
        self._frames: dict[int, Future[T]] = {}

    def prefetch(self, indices: Iterable[int]) -> None:
        """Start reading ``indices`` on the workers (no-op without workers or when known)."""
        if self._pool is None:
            return
        for i in indices:
            with self._lock:
                if i not in self._frames:
                    self._frames[i] = self._pool.submit(self.read, i)
                    self._trim()

    def __call__(self, i: int) -> T:
        """Frame ``i``: from the workers when prefetched, else read now."""
        with self._lock:
            future = self._frames.get(i)
            if future is None:
                future = Future()
                self._frames[i] = future
                self._trim()
                owner = True
            else:
                owner = False
        if owner:
            try:
                future.set_result(self.read(i))
            except BaseException as error:
                future.set_exception(error)
                with self._lock:
                    self._frames.pop(i, None)
        return future.result()

    def close(self) -> None:
        """Stop the workers (pending reads finish first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _trim(self) -> None:
        """Forget the oldest frames beyond ``keep`` (caller holds the lock)."""
        for i in sorted(self._frames)[: max(0, len(self._frames) - self.keep)]:
            del self._frames[i]

    def __enter__(self) -> "ReadAhead[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
