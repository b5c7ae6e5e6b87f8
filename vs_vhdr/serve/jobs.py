"""Render requests and the bounded job queue of the frame server.

``parse_render`` turns a ``RENDER`` message into a checked ``RenderRequest``; ``JobQueue`` runs
``RenderJob``s one at a time on one worker thread (one reconstruction at a time on the device),
refuses work past its bound and drops jobs whose client stopped waiting.
"""

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vs_vhdr.colour import CHOICES, ColourChoice
from vs_vhdr.errors import VhdrError
from vs_vhdr.serve.protocol import Code, Fields, ProtocolError, get_float, get_int

CFAS = ("RGGB", "BGGR", "GRBG", "GBRG")


@dataclass(frozen=True)
class Limits:
    """Server limits (PROTOCOL.md §7)."""

    max_window: int = 32
    max_size: int = 16384
    max_bytes: int = 2 << 30


@dataclass(frozen=True)
class RenderRequest:
    """A checked ``RENDER`` message (pixels not yet read)."""

    id: str
    shm: str
    frames: int
    height: int
    width: int
    target: int
    model: str
    cfa: str
    window: int
    mask_file: str | None
    camera: str | None
    scale: tuple[float, float]
    timeout_s: float | None
    colorspace: str = "auto"
    colour_file: str | None = None


@dataclass(frozen=True)
class RenderJob:
    """What a render function gets: raw window ``T×H×W`` float32 and the settings."""

    raw: np.ndarray
    target: int
    model: str
    cfa: str
    window: int
    mask_file: str | None
    camera: str | None
    scale: tuple[float, float] = (1.0, 1.0)
    colour: ColourChoice | None = None
    """The colour stage (None: camera RGB unchanged)."""


RenderFn = Callable[[RenderJob], np.ndarray]
"""Returns the target frame's linear HDR, ``H×W×3`` float32."""


def parse_render(fields: Fields, limits: Limits) -> RenderRequest:
    """Check a ``RENDER`` body against the protocol and ``limits``."""
    for key in ("id", "shm", "model", "cfa"):
        if not fields.get(key):
            raise ProtocolError(Code.BAD_MESSAGE, f"RENDER: field {key!r} is missing or empty")
    frames = get_int(fields, "frames", 1)
    height = get_int(fields, "height", 1)
    width = get_int(fields, "width", 1)
    if frames > limits.max_window:
        raise ProtocolError(
            Code.TOO_LARGE,
            f"RENDER: window of {frames} frames exceeds max_window={limits.max_window}",
        )
    if height > limits.max_size or width > limits.max_size:
        raise ProtocolError(
            Code.TOO_LARGE,
            f"RENDER: frame {width}x{height} exceeds max_size={limits.max_size} pixels a side",
        )
    if frames * height * width * 4 > limits.max_bytes:
        raise ProtocolError(
            Code.TOO_LARGE,
            f"RENDER: window of {frames * height * width * 4} bytes exceeds max_bytes={limits.max_bytes}",
        )
    target = get_int(fields, "target", 0, frames - 1)
    window = get_int(fields, "window", frames)
    cfa = fields["cfa"].upper()
    if cfa not in CFAS:
        raise ProtocolError(
            Code.BAD_ARGUMENT, f"RENDER: cfa={fields['cfa']!r}; expected one of {', '.join(CFAS)}"
        )
    mask_file = fields.get("mask_file") or None
    camera = fields.get("camera") or None
    if (mask_file is None) == (camera is None):
        raise ProtocolError(
            Code.BAD_ARGUMENT, "RENDER: give exactly one of mask_file and camera (the mask source)"
        )
    timeout_ms = get_float(fields, "timeout_ms", 0.0) if "timeout_ms" in fields else None
    colorspace = (fields.get("colorspace") or "auto").lower()
    if colorspace not in (*CHOICES, "auto"):
        raise ProtocolError(
            Code.BAD_ARGUMENT,
            f"RENDER: colorspace={fields['colorspace']!r}; expected auto, {', '.join(CHOICES)}",
        )
    return RenderRequest(
        id=fields["id"],
        shm=fields["shm"],
        frames=frames,
        height=height,
        width=width,
        target=target,
        model=fields["model"],
        cfa=cfa,
        window=window,
        mask_file=mask_file,
        camera=camera,
        scale=(get_float(fields, "scale_x", 1.0), get_float(fields, "scale_y", 1.0)),
        timeout_s=None if timeout_ms is None else timeout_ms / 1000.0,
        colorspace=colorspace,
        colour_file=fields.get("colour_file") or None,
    )


class Pending:
    """A queued job: ``done`` is set once ``result`` or ``error`` is filled."""

    def __init__(self, job: RenderJob) -> None:
        self.job = job
        self.done = threading.Event()
        self.cancelled = False
        self.started = False
        self.result: np.ndarray | None = None
        self.error: ProtocolError | None = None
        self.seconds = 0.0


class JobQueue:
    """A bounded FIFO served by one worker thread calling ``render``."""

    def __init__(self, render: RenderFn, size: int) -> None:
        self._render = render
        self._queue: queue.Queue[Pending | None] = queue.Queue(maxsize=size)
        self._worker = threading.Thread(target=self._run, name="vhdr-serve-worker", daemon=True)
        self._closed = False
        self.busy = False
        self._worker.start()

    def submit(self, job: RenderJob) -> Pending:
        """Queue ``job``; ``BUSY`` if the queue is full, ``SHUTTING_DOWN`` after ``close``."""
        if self._closed:
            raise ProtocolError(Code.SHUTTING_DOWN, "the server is shutting down", fatal=True)
        pending = Pending(job)
        try:
            self._queue.put_nowait(pending)
        except queue.Full:
            raise ProtocolError(
                Code.BUSY, f"the server's queue is full ({self._queue.maxsize} jobs); retry later"
            ) from None
        return pending

    def close(self) -> None:
        """Fail every queued job with ``SHUTTING_DOWN``, let a running one finish, stop the worker."""
        self._closed = True
        while True:
            try:
                pending = self._queue.get_nowait()
            except queue.Empty:
                break
            if pending is not None:
                pending.error = ProtocolError(Code.SHUTTING_DOWN, "the server is shutting down")
                pending.done.set()
        self._queue.put(None)
        self._worker.join()

    def _run(self) -> None:
        while (pending := self._queue.get()) is not None:
            if pending.cancelled:
                continue
            pending.started = self.busy = True
            start = time.perf_counter()
            try:
                pending.result = _checked(self._render(pending.job), pending.job)
            except ProtocolError as error:
                pending.error = error
            except VhdrError as error:
                pending.error = ProtocolError(Code.BAD_ARGUMENT, str(error))
            except Exception as error:  # the server must keep serving whatever a model does
                pending.error = ProtocolError(
                    Code.INTERNAL, f"reconstruction failed: {type(error).__name__}: {error}"
                )
            pending.seconds = time.perf_counter() - start
            self.busy = False
            pending.done.set()


def _checked(result: np.ndarray, job: RenderJob) -> np.ndarray:
    expected = (job.raw.shape[1], job.raw.shape[2], 3)
    array = np.asarray(result, dtype=np.float32)
    if array.shape != expected:
        raise ProtocolError(
            Code.INTERNAL, f"the renderer returned shape {array.shape}; expected {expected}"
        )
    return array
