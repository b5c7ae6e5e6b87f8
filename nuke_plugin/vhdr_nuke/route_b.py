"""Route B's button: render the input with the gizmo's Write node, reconstruct, show the result.

Everything that touches nodes (reading knobs, rendering the Write node, pointing the Read node at
the result) runs in Nuke's main thread. In the GUI the reconstruction itself runs in a worker
thread with a progress bar and hands the result back through ``nuke.executeInMainThread``; in
``nuke -t`` (no GUI) ``run`` does everything in the calling thread, so batch scripts can call
``vhdr_nuke.route_b.run(nuke.toNode("vhdr_HDRReconstruct1"))``. Errors reach the user as
``nuke.message`` from the button, never as tracebacks.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import nuke

from vhdr_nuke import knobs as K

if TYPE_CHECKING:
    from vhdr_nuke.backends import Job, Progress

RAW_NAME = "raw.####.exr"


def on_button() -> None:
    """The Reconstruct button's script: ``run`` on the pressed gizmo, errors as a message."""
    guarded(run, nuke.thisNode())


def guarded(function: Callable[..., Any], *args: Any) -> None:
    """Call ``function(*args)``; show any error with ``nuke.message`` instead of raising."""
    try:
        function(*args)
    except Exception as error:  # every failure becomes a message, not a traceback
        nuke.message(describe(error))


def describe(error: BaseException) -> str:
    """One line for the user: vhdr's own errors as they are, others with their type."""
    from vs_vhdr.errors import VhdrError

    if isinstance(error, VhdrError):
        return f"vhdr: {error}"
    return f"vhdr: unexpected {type(error).__name__}: {error}"


def job_from_node(node: nuke.Node, raw_pattern: str) -> Job:
    """The ``backends.Job`` the gizmo's knobs describe (raw frames go to ``raw_pattern``)."""
    from vhdr_nuke.backends import Job

    first, last = _frame_range(node)
    by_camera = _text(node, "mask_source") == "camera"
    mask_file = _text(node, "mask_file") or None
    camera = _text(node, "camera") or None
    return Job(
        raw_pattern=raw_pattern,
        first=first,
        last=last,
        output=_text(node, "output"),
        mask_file=None if by_camera else mask_file,
        camera=camera if by_camera else None,
        model=_text(node, "model") or "default",
        cfa=_text(node, "cfa"),
        window=int(node["window"].value()),
        tile=int(node["tile"].value()),
        overlap=int(node["overlap"].value()),
        device=_text(node, "device"),
        precision=_text(node, "precision"),
        socket=_text(node, "socket") or None,
        overwrite=bool(node["overwrite"].value()),
        colorspace=_text(node, "colorspace") or "auto",
        colour_file=_text(node, "colour_file") or None,
    )


def run(node: nuke.Node, background: bool | None = None) -> Job:
    """Render, reconstruct and show the result of one route B gizmo; returns its ``Job``.

    Args:
        node: the ``vhdr_HDRReconstruct`` gizmo.
        background: reconstruct in a worker thread; None means when Nuke has a GUI.
    """
    from vhdr_nuke.backends import check_outputs, resolve_backend

    work = tempfile.mkdtemp(prefix="vhdr_nuke_")
    try:
        job = job_from_node(node, os.path.join(work, RAW_NAME))
        backend = resolve_backend(_text(node, "backend"))
        check_outputs(job)
        render_raw(node, job)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if background is None:
        background = bool(nuke.env["gui"])
    if background:
        _set_status(node, f"reconstructing {job.first}-{job.last} ({backend}) ...")
        worker = threading.Thread(target=_worker, args=(node, job, backend, work), daemon=True)
        worker.start()
        return job
    try:
        _reconstruct(job, backend, None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish(node, job)
    return job


def render_raw(node: nuke.Node, job: Job) -> None:
    """Render the input's frames ``job.first..job.last`` with the gizmo's Write node (main thread)."""
    write = node.node(K.RAW_WRITE) if isinstance(node, nuke.Group) else None
    if write is None:
        raise _error(
            f"node {node.name()} has no {K.RAW_WRITE} inside; expected a {K.RECONSTRUCT_CLASS}"
        )
    node["raw_pattern"].setValue(job.raw_pattern)
    nuke.execute(write, job.first, job.last)


def finish(node: nuke.Node, job: Job) -> None:
    """Point the gizmo's Read node at the written frames and show them (main thread)."""
    node["result_file"].setValue(job.output)
    node["result_first"].setValue(job.first)
    node["result_last"].setValue(job.last)
    node["has_result"].setValue(True)
    _set_status(node, f"frames {job.first}-{job.last} in {job.output}")


def _worker(node: nuke.Node, job: Job, backend: str, work: str) -> None:
    """Reconstruct in a worker thread; only ``executeInMainThread`` touches Nuke's nodes."""
    try:
        _reconstruct_with_progress(job, backend)
    except Exception as error:
        nuke.executeInMainThread(nuke.message, (describe(error),))
        nuke.executeInMainThread(_set_status, (node, "failed: " + describe(error)))
        return
    finally:
        shutil.rmtree(work, ignore_errors=True)
    nuke.executeInMainThread(finish, (node, job))


def _reconstruct_with_progress(job: Job, backend: str) -> None:
    """Reconstruct under a Nuke progress bar (closed when this returns); cancel stops it."""
    task = nuke.ProgressTask("vhdr: reconstruct")

    def progress(done: int, total: int) -> bool:
        task.setProgress(int(100 * done / total))
        task.setMessage(f"frame {done} of {total}")
        return not task.isCancelled()

    _reconstruct(job, backend, progress)


def _reconstruct(job: Job, backend: str, progress: Progress | None) -> None:
    from vhdr_nuke.backends import reconstruct

    reconstruct(job, backend, progress)


def _frame_range(node: nuke.Node) -> tuple[int, int]:
    if bool(node["use_input_range"].value()):
        source = node.input(0)
        if source is None:
            raise _error(f"{node.name()} has no input; connect the coded raw plate")
        return int(source.firstFrame()), int(source.lastFrame())
    return int(node["first_frame"].value()), int(node["last_frame"].value())


def _text(node: nuke.Node, name: str) -> str:
    return str(node[name].value()).strip()


def _set_status(node: nuke.Node, text: str) -> None:
    node["status"].setValue(text)


def _error(message: str) -> Exception:
    from vs_vhdr.errors import InvalidArgumentError

    return InvalidArgumentError(f"vhdr node: {message}")
