"""The frame server's default render function: masks, the engine, and the scaled-down preview.

``EngineRenderer`` turns a ``RenderJob`` into the target frame's linear HDR (``H×W×3`` float32):
at render scale 1 it is ``Reconstructor(EngineOptions(...), mask).reconstruct_window(raw, mask)``
at the job's target index; below scale 1 it is the grey preview of PROTOCOL.md §6.
"""

import os
import threading
from collections import OrderedDict
from typing import Any

import cv2
import numpy as np

from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.io.images import read_image
from vs_vhdr.serve.jobs import RenderJob

PREVIEW_MIN_MASK = 1.0 / 256.0
"""Transmittance floor of the preview's division (keeps nearly opaque mask pixels finite)."""


class EngineRenderer:
    """Callable ``RenderJob -> H×W×3``; keeps the last ``cache_size`` reconstructors and masks."""

    def __init__(self, device: str = "auto", precision: str = "auto", cache_size: int = 2) -> None:
        self.device = device
        self.precision = precision
        self._cache_size = max(1, cache_size)
        self._masks: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._engines: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, job: RenderJob) -> np.ndarray:
        mask_key = _mask_key(job)
        mask = self.mask(job, mask_key)
        height, width = job.raw.shape[1:]
        if job.scale != (1.0, 1.0):
            return preview(job.raw[job.target], mask, (height, width))
        if mask.shape != (height, width):
            raise InvalidArgumentError(
                f"vhdr serve: the mask is {mask.shape[1]}x{mask.shape[0]} but the frames are "
                f"{width}x{height}; give the mask of the full sensor and full frames"
            )
        engine = self._engine(job, mask_key, mask)
        out = np.asarray(engine.reconstruct_window(job.raw, mask)[job.target], dtype=np.float32)
        if job.colour is None or job.colour.transform.is_identity:
            return out
        from vs_vhdr.colour import clipped_channels

        return job.colour.transform.apply(out, clipped_channels(job.raw[job.target], job.cfa))

    def mask(self, job: RenderJob, key: tuple[Any, ...]) -> np.ndarray:
        """The job's mask ``H×W`` float32 (transmittance), cached under ``key``."""
        with self._lock:
            if key in self._masks:
                self._masks.move_to_end(key)
                return self._masks[key]
        mask = _load_mask(job)
        with self._lock:
            self._masks[key] = mask
            while len(self._masks) > self._cache_size:
                self._masks.popitem(last=False)
        return mask

    def _engine(self, job: RenderJob, mask_key: tuple[Any, ...], mask: np.ndarray) -> Any:
        from vs_vhdr.engine import EngineOptions, Reconstructor

        key = (job.model, job.cfa, job.window, mask_key)
        with self._lock:
            if key in self._engines:
                self._engines.move_to_end(key)
                return self._engines[key]
        options = EngineOptions(
            model=job.model,
            cfa=job.cfa,
            window=job.window,
            device=self.device,
            precision=self.precision,
        )
        engine = Reconstructor(options, mask)
        with self._lock:
            self._engines[key] = engine
            while len(self._engines) > self._cache_size:
                self._engines.popitem(last=False)
        return engine


def _mask_key(job: RenderJob) -> tuple[Any, ...]:
    """Cache key of the job's mask: the file and its modification time, or the camera name."""
    if job.mask_file is None:
        return ("camera", job.camera)
    path = os.path.abspath(os.path.expanduser(job.mask_file))
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as error:
        raise UnreadableFileError(
            f"vhdr serve: mask_file={job.mask_file!r} cannot be read ({error.strerror})"
        ) from None
    return ("file", path, stamp)


def _load_mask(job: RenderJob) -> np.ndarray:
    if job.mask_file is not None:
        mask = np.asarray(read_image(job.mask_file), dtype=np.float32)
        where = f"mask_file={job.mask_file!r}"
    else:
        mask = _camera_mask(str(job.camera))
        where = f"camera={job.camera!r}"
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[..., 0]
    if mask.ndim != 2:
        raise InvalidArgumentError(
            f"vhdr serve: {where} gives a mask of shape {mask.shape}; expected one channel H×W"
        )
    if not np.isfinite(mask).all() or mask.min() < 0 or mask.max() > 1:
        raise InvalidArgumentError(
            f"vhdr serve: {where} has values outside [0, 1]; a mask is a transmittance"
        )
    return np.ascontiguousarray(mask)


def _camera_mask(name: str) -> np.ndarray:
    from vs_vhdr.plugins import resolve_camera_mask

    return np.asarray(resolve_camera_mask(name), dtype=np.float32)


def preview(raw: np.ndarray, mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Grey preview of a downscaled coded frame: ``raw / max(mask resampled to size, 1/256)``.

    Args:
        raw: the host's downscaled raw frame, ``H×W``.
        mask: full-resolution mask, area-resampled to ``size`` = (H, W).
    Returns:
        ``H×W×3`` float32, the same value on the three channels.
    """
    height, width = size
    small = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA)
    grey = raw / np.maximum(small, PREVIEW_MIN_MASK)
    return np.repeat(grey[..., None], 3, axis=2).astype(np.float32)
