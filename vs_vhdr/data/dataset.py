"""Training samples simulated on the fly (paper §4), a pure function of (seed, stream, index).

Sample ``i`` draws, from ``numpy.random.default_rng([seed, stream, i])``: a shot, a start frame, a crop,
whether it is static, a mask source (by ``data.mask_weights``), sensor noise and an exposure,
then runs the simulator (:func:`vs_vhdr.imaging.capture.capture`). Nothing depends on global RNG
state or on other samples, so any DataLoader worker computes the same sample, and a resumed run
sees the same data.

What the draws cover (real sensors, issue 15):

- noise ``random``: :func:`vs_vhdr.imaging.capture.sample_capture_settings`: shot noise a
  log-uniform in 6e-6..2.5e-4 (ISO 100 to 6400), read noise 1-8 DN, 10/12/14 bits
  (:data:`vs_vhdr.imaging.noise.NOISE_RANGES`);
- masks: ``uniform`` U(0, 1) per pixel; ``binary`` Bernoulli(0.5) pixels; ``lowfreq`` a pattern
  of 2-6 pixel cells open with p ~ U(0.35, 0.65), blurred with σ ~ U(0.5, 3) pixels, and in
  half of them (``LOWFREQ_DARK_CHANCE``) closed regions of 8-24 pixels covering 10-50 % of the
  crop: large low-transmittance areas;
- exposure ``random``: the clip's median luminance goes to 0.18·2^U(-2, +3), i.e. -2 to +3 EV
  around the automatic exposure (bright shots clip widely); a ``data.frame_metering`` fraction
  of samples meter the whole frame the crop is cut from rather than the crop, so a crop of sky
  next to dark ground clips as it would in the shot (the drawn exposure shift still applies);
- motion: a ``data.static_fraction`` of samples hold one frame of the shot still (zero motion,
  fresh noise every frame); the others move as the shot does (panning, scene motion).
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
from vs_vhdr.imaging.exposure import (
    ExposureRule,
    auto_exposure,
    expose,
    luminance,
    parse_exposure,
)
from vs_vhdr.imaging.noise import noise_preset
from vs_vhdr.scenes.base import Shot

SYNTHETIC_MASKS = ("uniform", "lowfreq", "binary")
EXPOSURE_EV = (-2.0, 3.0)
"""Range (stops) of the ``random`` exposure around the automatic one (median to 0.18)."""
LOWFREQ_SIGMA = (0.5, 3.0)
"""Range of the blur σ (pixels) of training ``lowfreq`` masks."""
LOWFREQ_CELLS = (2, 6)
"""Smallest and largest cell (pixels) of training ``lowfreq`` patterns."""
LOWFREQ_DARK_CHANCE = 0.5
"""Share of training ``lowfreq`` masks with closed regions (large low-transmittance areas)."""
LOWFREQ_DARK_FRACTION = (0.1, 0.5)
"""Range of the fraction of closed regions in those masks."""
LOWFREQ_DARK_CELLS = (8, 24)
"""Smallest and largest side (pixels) of the closed regions."""


@dataclass(frozen=True)
class Sample:
    """One simulated clip.

    Attributes:
        raw: ``T×H×W`` coded raw frames in [0, 1].
        mask: ``H×W`` transmittance.
        gt: ``T×H×W×3`` exposure-normalised linear HDR (what the raw frames image).
        motion: ``(T−1)×H×W×2`` known displacement (zero for static samples), or None when
            not asked for or not known.
        info: shot, start, crop, ``static``, mask source and the capture record, for logs and
            files.
        motion_valid: ``(T−1)×H×W`` bool: where ``motion`` may be trusted (see
            :class:`vs_vhdr.scenes.base.MotionField`), None with ``motion``.
    """

    raw: np.ndarray
    mask: np.ndarray
    gt: np.ndarray
    motion: np.ndarray | None
    info: dict[str, Any]
    motion_valid: np.ndarray | None = None


class SimulatedClips(Dataset[dict[str, Any]]):
    """``data.samples`` simulated clips from ``shots``; item ``i`` is :meth:`sample` as tensors.

    Items are dicts with ``raw`` (``T×H×W``), ``mask`` (``H×W``), ``gt`` (``3×T×H×W``, linear)
    and ``index``; the default collate stacks them into a batch. With ``motion=True`` items also
    carry ``motion`` (``(T−1)×H×W×2`` float32, zero for static samples) and ``motion_valid``
    (``(T−1)×H×W`` bool, all False where a shot's motion is unknown). ``length`` overrides
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
        motion: bool = False,
    ) -> None:
        check_data_config(config)
        self.shots = shots
        self.config = config
        self.seed = seed
        self.stream = stream
        self.with_motion = motion
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
        sample = self.sample(index, with_motion=self.with_motion)
        item = {
            "raw": torch.from_numpy(sample.raw),
            "mask": torch.from_numpy(sample.mask),
            "gt": torch.from_numpy(np.ascontiguousarray(sample.gt.transpose(3, 0, 1, 2))),
            "index": index,
        }
        if self.with_motion:
            t, size = self.config.frames - 1, self.config.crop
            known = sample.motion is not None and sample.motion_valid is not None
            motion = sample.motion if known else np.zeros((t, size, size, 2), np.float32)
            valid = sample.motion_valid if known else np.zeros((t, size, size), bool)
            item["motion"] = torch.from_numpy(np.ascontiguousarray(motion, dtype=np.float32))
            item["motion_valid"] = torch.from_numpy(np.ascontiguousarray(valid))
        return item

    def sample(self, index: int, *, with_motion: bool = False) -> Sample:
        """Simulate sample ``index`` (same index, same sample; ``with_motion`` adds the known
        motion and changes nothing else)."""
        if not 0 <= index < self.length:
            raise IndexError(f"sample {index} outside 0..{self.length - 1}")
        c = self.config
        rng = np.random.default_rng([self.seed, self.stream, index])
        shot = self.usable[int(rng.integers(len(self.usable)))]
        start = int(rng.integers(shot.num_frames - c.frames + 1))
        top = int(rng.integers(shot.height - c.crop + 1))
        left = int(rng.integers(shot.width - c.crop + 1))
        crop = (top, left, c.crop, c.crop)
        static = bool(rng.random() < c.static_fraction)
        if static:  # one frame held still; capture() draws fresh noise for every frame
            hdr = np.repeat(shot.frames(start, 1, crop), c.frames, axis=0)
        else:
            hdr = shot.frames(start, c.frames, crop)
        weights = np.asarray(c.mask_weights, dtype=np.float64)
        source = c.masks[int(rng.choice(len(c.masks), p=weights / weights.sum()))]
        mask, mask_info = self._mask(source, rng)
        settings = self._settings(rng, hdr)
        metering = "crop" if settings.exposure is None else "fixed"
        if c.frame_metering > 0 and settings.exposure is None and rng.random() < c.frame_metering:
            whole = shot.frames(start, 1)  # the uncropped frame, as a camera meters it
            scale = auto_exposure(luminance(whole), settings.exposure_rule)
            settings, metering = replace(settings, exposure=scale), "frame"
        raw, record = capture(
            hdr, mask, settings, source={"shot": shot.name, "start": start, "static": static}
        )
        motion = valid = None
        if with_motion:
            shape = (c.frames - 1, c.crop, c.crop)
            if static:
                motion, valid = np.zeros((*shape, 2), np.float32), np.ones(shape, bool)
            else:
                field = shot.motion(start, c.frames, crop)
                if field is not None:
                    motion, valid = field.displacement, field.valid
        info = {
            "shot": shot.name,
            "start": start,
            "crop": list(crop),
            "static": static,
            "metering": metering,
            "mask": mask_info,
            "record": record.to_dict(),
        }
        return Sample(raw, mask, expose(hdr, record.exposure_scale), motion, info, valid)

    def _mask(self, source: str, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        crop = self.config.crop
        seed = int(rng.integers(2**62))
        if source == "lowfreq":
            dark = rng.random() < LOWFREQ_DARK_CHANCE
            cell = int(rng.integers(LOWFREQ_CELLS[0], LOWFREQ_CELLS[1] + 1))
            settings = masks.mask_settings(
                "lowfreq",
                seed=seed,
                p=float(rng.uniform(0.35, 0.65)),
                sigma=float(rng.uniform(*LOWFREQ_SIGMA)),
                cell=cell,
                dark_fraction=float(rng.uniform(*LOWFREQ_DARK_FRACTION)) if dark else 0.0,
                dark_cell=(
                    max(cell, int(rng.integers(LOWFREQ_DARK_CELLS[0], LOWFREQ_DARK_CELLS[1] + 1)))
                    if dark
                    else None
                ),
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
            target = 0.18 * math.pow(2.0, float(rng.uniform(*EXPOSURE_EV)))
            return replace(settings, exposure_rule=ExposureRule(target=target))
        return replace(settings, exposure=parse_exposure(c.exposure))


def check_data_config(config: DataConfig) -> None:
    """Check ``noise``, ``exposure`` and the fractions before any sample is drawn."""
    for key in ("static_fraction", "frame_metering"):
        value = getattr(config, key)
        if not 0.0 <= value <= 1.0:
            raise InvalidArgumentError(f"data.{key}={value!r}; expected a fraction in [0, 1]")
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
