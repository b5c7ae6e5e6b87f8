"""Route B's reconstruction of a rendered raw sequence, without Nuke: engine or frame server.

``in-process`` runs ``vs_vhdr.engine.Reconstructor`` in this Python (needs torch): every output
frame blends its overlapping windows exactly as ``vhdr reconstruct`` does. ``server`` sends each
frame's window (``vs_vhdr.export.frames.centred_window``) to a running ``vhdr serve`` and needs
only numpy and OpenEXR here; its frames equal the engine's single-window results, as route A's
do. Raw frames are read from EXR: the ``R`` channel of the Write node's RGB files, or a lone
channel (``Y``). Outputs are RGB EXR, written atomically, never over a file unless ``overwrite``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError, VhdrError
from vs_vhdr.io.exr import read_exr, write_exr
from vs_vhdr.io.sequence import format_frame

if TYPE_CHECKING:
    from vs_vhdr.colour import ColourChoice
    from vs_vhdr.serve.client import FrameClient

BACKENDS = ("auto", "in-process", "server")

Progress = Callable[[int, int], bool]
"""Called with ``(frames done, frames in all)``; returning False cancels."""


class ReconstructionCancelled(VhdrError):
    """The user cancelled the reconstruction (Nuke's progress bar)."""


@dataclass(frozen=True)
class Job:
    """One route B reconstruction: what to read, how to run, where to write.

    Attributes:
        raw_pattern: EXR sequence of coded raw frames (``####`` or ``%04d``), values in [0, 1].
        first, last: frame numbers to reconstruct (inclusive); the whole clip is this range.
        output: EXR pattern of the HDR frames to write.
        model, cfa, window, tile, device, precision: ``EngineOptions`` (the server backend uses
            the server's own device and precision, and runs whole frames).
        overlap: frames shared by consecutive windows, blended (in-process backend; -1 means
            ``window // 2``). The server backend runs one centred window per frame instead.
        mask_file, camera: exactly one mask source.
        colorspace: output space (``auto``, ``acescg``, ``aces2065-1``, ``rec709``, ``camera``).
        colour_file: a DNG of the shot or a JSON of DNG colour fields (the camera's matrices).
        socket: frame-server socket path; None means ``vhdr serve``'s default.
        overwrite: replace existing output frames.
    """

    raw_pattern: str
    first: int
    last: int
    output: str
    mask_file: str | None = None
    camera: str | None = None
    model: str = "default"
    cfa: str = "RGGB"
    window: int = 8
    tile: int = 0
    overlap: int = -1
    device: str = "auto"
    precision: str = "auto"
    socket: str | None = None
    overwrite: bool = False
    colorspace: str = "auto"
    colour_file: str | None = None

    def __post_init__(self) -> None:
        if not self.first <= self.last:
            raise InvalidArgumentError(
                f"vhdr node: frame range {self.first}-{self.last}; expected first <= last"
            )
        if (self.mask_file is None) == (self.camera is None):
            raise InvalidArgumentError(
                "vhdr node: give exactly one mask source, a mask file or a camera name"
            )
        for name, low in (("window", 1), ("tile", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise InvalidArgumentError(f"vhdr node: {name}={value!r}; expected an int >= {low}")
        if not isinstance(self.overlap, int) or not -1 <= self.overlap < self.window:
            raise InvalidArgumentError(
                f"vhdr node: overlap={self.overlap!r}; expected -1 (window // 2) or an int in "
                f"[0, window={self.window})"
            )
        if not self.output:
            raise InvalidArgumentError("vhdr node: output is empty; expected an EXR pattern")
        format_frame(self.output, self.first)  # refuses a pattern without a frame field
        format_frame(self.raw_pattern, self.first)

    @property
    def frames(self) -> list[int]:
        """The frame numbers, in order."""
        return list(range(self.first, self.last + 1))

    def output_paths(self) -> list[Path]:
        """The output file of every frame."""
        return [Path(format_frame(self.output, n)) for n in self.frames]


def resolve_backend(name: str) -> str:
    """``auto`` → ``in-process`` when torch imports here, else ``server``; others are checked."""
    if name not in BACKENDS:
        raise InvalidArgumentError(f"vhdr node: backend={name!r}; expected one of {BACKENDS}")
    if name != "auto":
        return name
    return "in-process" if importlib.util.find_spec("torch") is not None else "server"


def check_outputs(job: Job) -> None:
    """Refuse existing output frames unless ``job.overwrite`` (before anything is rendered)."""
    if job.overwrite:
        return
    existing = [path for path in job.output_paths() if path.exists()]
    if existing:
        raise OutputExistsError(
            f"vhdr node: {len(existing)} output frame(s) exist, e.g. {existing[0]}; tick "
            "overwrite to replace them"
        )


def read_raw(path: str | os.PathLike[str]) -> np.ndarray:
    """One coded raw frame ``H×W`` float32: the red channel of an RGB EXR or its lone channel."""
    image = read_exr(path)
    return np.ascontiguousarray(image[..., 0] if image.ndim == 3 else image)


def reconstruct(job: Job, backend: str = "auto", progress: Progress | None = None) -> list[Path]:
    """Reconstruct every frame of ``job`` with ``backend``; returns the written paths."""
    chosen = resolve_backend(backend)
    check_outputs(job)
    outputs = job.output_paths()
    for folder in {path.parent for path in outputs}:
        folder.mkdir(parents=True, exist_ok=True)
    count = len(outputs)

    @functools.lru_cache(maxsize=2 * job.window + 2)
    def get_raw(i: int) -> np.ndarray:
        return read_raw(format_frame(job.raw_pattern, job.first + i))

    from vs_vhdr.serve.colour import colour_choice

    choice = colour_choice(job.colorspace, job.colour_file, job.camera, "vhdr node: colour space")
    client: FrameClient | None = None
    if chosen == "in-process":
        frame_fn = _in_process(job, count, get_raw, choice)
    else:
        from vs_vhdr.serve.client import FrameClient

        client = FrameClient(job.socket)
        frame_fn = _through_server(job, count, get_raw, client)
    attributes = {"vhdrColorspace": choice.colorspace}
    try:
        for i, path in enumerate(outputs):
            write_exr(
                path,
                frame_fn(i),
                chromaticities=choice.chromaticities,
                attributes=attributes,
                force=job.overwrite,
            )
            if progress is not None and not progress(i + 1, count):
                raise ReconstructionCancelled(
                    f"vhdr node: cancelled after {i + 1} of {count} frame(s)"
                )
    finally:
        if client is not None:
            client.close()
    return outputs


def _in_process(
    job: Job, count: int, get_raw: Callable[[int], np.ndarray], choice: ColourChoice
) -> Callable[[int], np.ndarray]:
    from vs_vhdr.colour import clipped_channels
    from vs_vhdr.engine import EngineOptions, Reconstructor

    options = EngineOptions(
        model=job.model,
        cfa=job.cfa,
        window=job.window,
        overlap=None if job.overlap == -1 else job.overlap,
        tile=job.tile,
        device=job.device,
        precision=job.precision,
    )
    reconstructor = Reconstructor(options, _mask(job))
    transform = choice.transform

    def frame(i: int) -> np.ndarray:
        rgb = reconstructor.output_frame(i, count, get_raw)
        if transform.is_identity:
            return rgb
        return transform.apply(rgb, clipped_channels(get_raw(i), job.cfa))

    return frame


def _through_server(
    job: Job, count: int, get_raw: Callable[[int], np.ndarray], client: FrameClient
) -> Callable[[int], np.ndarray]:
    from vs_vhdr.export.frames import centred_window

    mask_file = os.path.abspath(job.mask_file) if job.mask_file else None

    def frame(i: int) -> np.ndarray:
        indices, target = centred_window(i, count, job.window)
        raw = np.stack([get_raw(j) for j in indices])
        return client.render(
            raw,
            target,
            mask_file=mask_file,
            camera=job.camera,
            model=job.model,
            cfa=job.cfa,
            window=job.window,
            colorspace=job.colorspace,
            colour_file=os.path.abspath(job.colour_file) if job.colour_file else None,
        )

    return frame


def _mask(job: Job) -> np.ndarray:
    if job.camera is not None:
        from vs_vhdr.plugins import resolve_camera_mask

        return resolve_camera_mask(job.camera)
    from vs_vhdr.io.images import read_image

    assert job.mask_file is not None
    mask = read_image(job.mask_file)
    if mask.ndim != 2:
        raise InvalidArgumentError(
            f"vhdr node: mask file {job.mask_file} has shape {mask.shape}; expected one channel"
        )
    return mask
