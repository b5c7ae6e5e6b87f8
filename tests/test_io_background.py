"""vs_vhdr.io.background: reads ahead and writes behind on threads, errors reach the caller."""

import threading
import time

import pytest

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.io.background import BackgroundWriter, ReadAhead


@pytest.mark.parametrize("threads", [0, 1, 3])
def test_writer_runs_every_job(threads: int) -> None:
    done: list[int] = []
    lock = threading.Lock()

    def job(i: int, *, scale: int) -> None:
        with lock:
            done.append(i * scale)

    with BackgroundWriter(threads) as writer:
        for i in range(20):
            writer.submit(job, i, scale=2)
    assert sorted(done) == [2 * i for i in range(20)]


def test_writer_runs_inline_without_threads() -> None:
    seen: list[str] = []
    with BackgroundWriter(0) as writer:
        writer.submit(lambda: seen.append(threading.current_thread().name))
        assert seen == [threading.current_thread().name]


def test_writer_bounds_the_jobs_in_flight() -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def job() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)
        with lock:
            running -= 1

    writer = BackgroundWriter(threads=2, depth=2)
    pending_seen = []
    for _ in range(8):
        writer.submit(job)
        pending_seen.append(len(writer._pending))
    writer.close()
    assert max(pending_seen) <= 2 and most <= 2


def test_writer_error_reaches_the_caller_at_close() -> None:
    def fail() -> None:
        raise UnreadableFileError("write_exr: disk full")

    writer = BackgroundWriter(2)
    writer.submit(fail)
    with pytest.raises(UnreadableFileError, match="disk full"):
        writer.close()


def test_writer_error_reaches_the_caller_at_a_later_submit() -> None:
    def fail() -> None:
        raise ValueError("boom")

    writer = BackgroundWriter(1, depth=1)
    writer.submit(fail)
    with pytest.raises(ValueError, match="boom"):
        for _ in range(3):
            writer.submit(time.sleep, 0.001)
    writer._pending.clear()
    writer.close()


@pytest.mark.parametrize("threads", [0, 2])
def test_read_ahead_reads_each_frame_once(threads: int) -> None:
    reads: list[int] = []
    lock = threading.Lock()

    def read(i: int) -> int:
        with lock:
            reads.append(i)
        return i * 10

    with ReadAhead(read, threads, keep=8) as frames:
        frames.prefetch(range(0, 4))
        assert [frames(i) for i in (0, 1, 2, 3, 2, 1)] == [0, 10, 20, 30, 20, 10]
        frames.prefetch(range(2, 6))
        assert frames(5) == 50
    # prefetched frames are read even if never asked for; inline reading reads only what is asked
    assert sorted(reads) == ([0, 1, 2, 3, 4, 5] if threads else [0, 1, 2, 3, 5])


def test_read_ahead_forgets_the_oldest_beyond_keep() -> None:
    reads: list[int] = []
    frames = ReadAhead(lambda i: reads.append(i) or i, threads=0, keep=2)
    for i in (0, 1, 2, 0):
        frames(i)
    assert reads == [0, 1, 2, 0]  # 0 was dropped when 2 came


@pytest.mark.parametrize("threads", [0, 2])
def test_read_ahead_raises_the_readers_error_for_that_frame(threads: int) -> None:
    def read(i: int) -> int:
        if i == 3:
            raise UnreadableFileError("read_exr_mono: raw.0003.exr is truncated")
        return i

    with ReadAhead(read, threads) as frames:
        frames.prefetch(range(5))
        assert frames(2) == 2
        with pytest.raises(UnreadableFileError, match="truncated"):
            frames(3)
        assert frames(4) == 4


@pytest.mark.parametrize("threads", [-1, 1.5, True])
def test_bad_thread_counts_are_refused(threads: object) -> None:
    with pytest.raises(InvalidArgumentError, match="threads"):
        BackgroundWriter(threads)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="threads"):
        ReadAhead(lambda i: i, threads)  # type: ignore[arg-type]
