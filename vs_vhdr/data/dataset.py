"""Training samples simulated on the fly (paper §4), a pure function of (seed, index).

Sample ``i`` draws, from ``numpy.random.default_rng([seed, stream, i])``: a shot, a start frame, a crop,
a mask source (by ``data.mask_weights``), sensor noise and an exposure, then runs the simulator
(:func:`vs_vhdr.imaging.capture.capture`). Nothing depends on global RNG state or on other
samples, so any DataLoader worker computes the same sample, and a resumed run sees the same data.

Random parts beyond the simulator's own ranges: ``lowfreq`` masks use σ ~ U(1, 3) pixels and
cells of 2-4 pixels; ``random`` exposure maps the clip's median luminance to 0.18·2^U(-2, 2),
so samples range from under- to over-exposed by two stops.
"""

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from vs_vhdr.data.config import DataConfig
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging import masks
from vs_vhdr.imaging.capture import CaptureSettings, capture, sample_capture_settings
from vs_vhdr.imaging.exposure import ExposureRule, expose, parse_exposure
from vs_vhdr.imaging.noise import noise_preset
from vs_vhdr.scenes.base import Shot

SYNTHETIC_MASKS = ("uniform", "lowfreq", "binary")


@dataclass(frozen=True)
class Sample:
    """One simulated clip.

    Attributes:
        raw: ``T×H×W`` coded raw frames in [0, 1].
        mask: ``H×W`` transmittance.
        gt: ``T×H×W×3`` exposure-normalised linear HDR (what the raw frames image).
        motion: ``(T−1)×H×W×2`` known displacement, or None.
        info: shot, start, crop, mask source and the capture record, for logs and files.
    """

    raw: np.ndarray
    mask: np.ndarray
    gt: np.ndarray
    motion: np.ndarray | None
    info: dict[str, Any]


class SimulatedClips(Dataset[dict[str, Any]]):
    """``data.samples`` simulated clips from ``shots``; item ``i`` is :meth:`sample` as tensors.

    Items are dicts with ``raw`` (``T×H×W``), ``mask`` (``H×W``), ``gt`` (``3×T×H×W``, linear)
    and ``index``; the default collate stacks them into a batch. ``length`` overrides
    ``config.samples``; ``stream`` separates independent draws (e.g. validation from training).
    """

    def __init__(
        self,
        shots: list[Shot],
        config: DataConfig,
        seed: int,
        *,
        length: int | None = None,
        stream: int = 0,
    ) -> None:
        self.shots = shots
        self.config = config
        self.seed = seed
        self.stream = stream
        self.length = config.samples if length is None else length
        self._file_masks: dict[str, np.ndarray] = {}
        usable = [s for s in shots if _usable(s, config)]
        if not usable:
            sizes = ", ".join(f"{s.name}: {s.num_frames}×{s.height}×{s.width}" for s in shots)
            raise InvalidArgumentError(
                f"training data: no shot has {config.frames} frames of at least "
                f"{config.crop}×{config.crop} pixels (data.frames, data.crop); got {sizes or 'none'}"
            )
        self.usable = usable
        for source in config.masks:
            if source not in SYNTHETIC_MASKS:
                self._file_mask(source)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = self.sample(index)
        return {
            "raw": torch.from_numpy(sample.raw),
            "mask": torch.from_numpy(sample.mask),
            "gt": torch.from_numpy(np.ascontiguousarray(sample.gt.transpose(3, 0, 1, 2))),
            "index": index,
        }

    def sample(self, index: int, *, with_motion: bool = False) -> Sample:
        """Simulate sample ``index`` (same index, same sample)."""
        if not 0 <= index < self.length:
            raise IndexError(f"sample {index} outside 0..{self.length - 1}")
        c = self.config
        rng = np.random.default_rng([self.seed, self.stream, index])
        shot = self.usable[int(rng.integers(len(self.usable)))]
        start = int(rng.integers(shot.num_frames - c.frames + 1))
        top = int(rng.integers(shot.height - c.crop + 1))
        left = int(rng.integers(shot.width - c.crop + 1))
        crop = (top, left, c.crop, c.crop)
        hdr = shot.frames(start, c.frames, crop)
        weights = np.asarray(c.mask_weights, dtype=np.float64)
        source = c.masks[int(rng.choice(len(c.masks), p=weights / weights.sum()))]
        mask, mask_info = self._mask(source, rng)
        settings = self._settings(rng, hdr)
        raw, record = capture(hdr, mask, settings, source={"shot": shot.name, "start": start})
        motion = None
        if with_motion:
            field = shot.motion(start, c.frames, crop)
            motion = None if field is None else field.displacement
        info = {
            "shot": shot.name,
            "start": start,
            "crop": list(crop),
            "mask": mask_info,
            "record": record.to_dict(),
        }
        return Sample(raw, mask, expose(hdr, record.exposure_scale), motion, info)

    def _mask(self, source: str, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        crop = self.config.crop
        seed = int(rng.integers(2**62))
        if source == "lowfreq":
            settings = masks.mask_settings(
                "lowfreq",
                seed=seed,
                sigma=float(rng.uniform(1.0, 3.0)),
                cell=int(rng.integers(2, 5)),
            )
        elif source in SYNTHETIC_MASKS:
            settings = masks.mask_settings(source, seed=seed)
        else:  # a measured mask: a random CFA-aligned window of the sensor
            full = self._file_mask(source)
            top = 2 * int(rng.integers((full.shape[0] - crop) // 2 + 1))
            left = 2 * int(rng.integers((full.shape[1] - crop) // 2 + 1))
            window = np.ascontiguousarray(full[top : top + crop, left : left + crop])
            return window, {"kind": "file", "path": source, "top": top, "left": left}
        return masks.make_mask(settings, crop, crop), masks.settings_to_dict(settings)

    def _file_mask(self, path: str) -> np.ndarray:
        if path not in self._file_masks:
            mask = masks.load_mask(path)
            crop = self.config.crop
            if mask.ndim != 2 or min(mask.shape) < crop:
                raise InvalidArgumentError(
                    f"training data: mask {path} is {'×'.join(map(str, mask.shape))}; expected "
                    f"one H×W mask at least data.crop={crop} pixels a side"
                )
            self._file_masks[path] = mask
        return self._file_masks[path]

    def _settings(self, rng: np.random.Generator, hdr: np.ndarray) -> CaptureSettings:
        c = self.config
        if c.noise == "random":
            settings = sample_capture_settings(rng, cfa=c.cfa)
        else:
            settings = CaptureSettings(
                cfa=c.cfa,
                noise=noise_preset(c.noise),
                noise_seed=int(rng.integers(2**62)),
                camera_seed=int(rng.integers(2**62)),
            )
        if c.exposure == "random":
            target = 0.18 * math.pow(2.0, float(rng.uniform(-2.0, 2.0)))
            return replace(settings, exposure_rule=ExposureRule(target=target))
        return replace(settings, exposure=parse_exposure(c.exposure))


def check_data_config(config: DataConfig) -> None:
    """Check ``noise`` and ``exposure`` before any sample is drawn."""
    if config.noise != "random":
        noise_preset(config.noise)
    if config.exposure != "random":
        parse_exposure(config.exposure)


def _usable(shot: Shot, config: DataConfig) -> bool:
    return (
        shot.num_frames >= config.frames
        and shot.height >= config.crop
        and shot.width >= config.crop
    )
