"""The simulator of paper Eq. 1: exposure-normalised HDR + mask → coded raw Bayer frames.

Per frame, in this order (noise arises in the sensor, before the ADC and any processing)::

    s = mosaic(x, cfa) · Φ                        CFA sampling B, mask Φ   (x: exposure-normalised)
    e = sensor_noise(s)                          shot, dark, PRNU/DSNU, read (noise.py)
    y = quantise(f(clip(e, 0, 1)), bits)         response f, quantisation (response.py)

With noise ``none`` and the linear response, ``y = quantise(clip(mosaic(x)·Φ, 0, 1), bits)``
exactly (CONTRACT §1). Two levels:

- :func:`simulate`: torch, batched ``(..., 3, T, H, W)`` → ``(..., T, H, W)`` on the input's device
  (training data on the GPU); temporal noise from the generator you pass.
- :func:`capture` / :func:`capture_frames` / :func:`replay`: numpy in and out, on the CPU, frame by
  frame with a seed per frame (``frame_seed``), so a :class:`CaptureRecord` saved as JSON replays
  bit-identically, in any chunking (same torch version and kind of CPU).
"""

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vs_vhdr import __version__
from vs_vhdr.errors import InvalidArgumentError, UnreadableFileError
from vs_vhdr.imaging import masks
from vs_vhdr.imaging.cfa import check_cfa, mosaic
from vs_vhdr.imaging.exposure import ExposureRule, auto_exposure, expose, luminance
from vs_vhdr.imaging.hdr import check_hdr
from vs_vhdr.imaging.noise import NOISE_PRESETS, NoiseParams, sample_noise_params, sensor_noise
from vs_vhdr.imaging.response import Response, check_bits, quantise
from vs_vhdr.io.atomic import write_text_atomic

RECORD_SCHEMA = "vhdr.CaptureRecord/1"


@dataclass(frozen=True)
class CaptureSettings:
    """Everything but the mask that turns HDR into raw frames.

    Attributes:
        cfa: Bayer pattern (``RGGB``, ``BGGR``, ``GRBG``, ``GBRG``).
        bits: ADC bit depth, 8–16.
        exposure: scale applied to the input HDR; None picks it by ``exposure_rule``.
        exposure_rule: the automatic rule (see :mod:`vs_vhdr.imaging.exposure`).
        response: the camera response f.
        noise: the sensor noise g.
        noise_seed: seed of the temporal noise (one derived seed per frame).
        camera_seed: seed of the fixed-pattern noise maps.
        origin: (row, col) of the frames' top-left pixel on the sensor (CFA phase).
    """

    cfa: str = "RGGB"
    bits: int = 12
    exposure: float | None = None
    exposure_rule: ExposureRule = ExposureRule()
    response: Response = Response()
    noise: NoiseParams = NOISE_PRESETS["default"]
    noise_seed: int = 0
    camera_seed: int = 0
    origin: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cfa", check_cfa(self.cfa, "capture"))
        check_bits(self.bits)
        if self.exposure is not None and not (np.isfinite(self.exposure) and self.exposure > 0):
            raise InvalidArgumentError(
                f"capture: exposure={self.exposure!r}; expected a scale > 0 or None (auto)"
            )


@dataclass(frozen=True)
class CaptureRecord:
    """Every parameter and seed of one capture; ``save``/``load`` as JSON, :func:`replay` it.

    Attributes:
        settings: the settings used (``exposure`` as requested; None means automatic).
        exposure_scale: the scale actually applied to the input HDR.
        mask: how the mask was made, or None for a mask passed as an array.
        mask_sha256: digest of the mask (:func:`vs_vhdr.imaging.masks.mask_digest`).
        num_frames, height, width: size of the clip.
        first_frame: index of the first frame in the noise-seed sequence.
        source: free-form description of the input (files, scene name and seed).
    """

    settings: CaptureSettings
    exposure_scale: float
    mask: masks.MaskSettings | None
    mask_sha256: str
    num_frames: int
    height: int
    width: int
    first_frame: int = 0
    source: dict[str, Any] = field(default_factory=dict)
    vhdr_version: str = __version__
    torch_version: str = torch.__version__
    schema: str = RECORD_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (nested settings as dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CaptureRecord":
        """Inverse of :meth:`to_dict`."""
        if data.get("schema") != RECORD_SCHEMA:
            raise UnreadableFileError(
                f"capture record: schema={data.get('schema')!r}; expected {RECORD_SCHEMA!r}"
            )
        try:
            s = dict(data["settings"])
            settings = CaptureSettings(
                **{
                    **s,
                    "exposure_rule": ExposureRule(**s["exposure_rule"]),
                    "response": Response(**{**s["response"], "lut": tuple(s["response"]["lut"])}),
                    "noise": NoiseParams(**s["noise"]),
                    "origin": tuple(s["origin"]),
                }
            )
            mask = masks.settings_from_dict(data["mask"]) if data["mask"] is not None else None
            return cls(**{**data, "settings": settings, "mask": mask})
        except (KeyError, TypeError) as error:
            raise UnreadableFileError(f"capture record: missing or bad field ({error})") from error

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the record as indented JSON, atomically."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "CaptureRecord":
        """Read a record written by :meth:`save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UnreadableFileError(f"capture record: cannot read {path} ({error})") from error
        return cls.from_dict(data)


def simulate(
    hdr: torch.Tensor,
    mask: torch.Tensor,
    settings: CaptureSettings,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Eq. 1 on exposure-normalised HDR ``(..., 3, T, H, W)`` → raw ``(..., T, H, W)`` in [0, 1].

    Args:
        hdr: linear, exposure-normalised (``settings.exposure`` is not applied here).
        mask: transmittance broadcastable to ``(..., T, H, W)``, e.g. ``H×W``.
        settings: CFA, bits, response and noise.
        generator: temporal noise source on ``hdr``'s device (None: torch's global RNG).
    """
    coded = mosaic(hdr, settings.cfa, origin=settings.origin) * mask.to(hdr)
    noisy = sensor_noise(
        coded, settings.noise, settings.bits, camera_seed=settings.camera_seed, generator=generator
    )
    return quantise(settings.response.apply(noisy.clamp(0.0, 1.0)), settings.bits)


def frame_seed(noise_seed: int, frame: int) -> int:
    """The temporal-noise seed of frame ``frame`` (independent of how frames are chunked)."""
    return int(np.random.SeedSequence([int(noise_seed), int(frame)]).generate_state(1)[0])


def capture_frames(
    exposed: np.ndarray, mask: np.ndarray, settings: CaptureSettings, *, first_frame: int = 0
) -> np.ndarray:
    """Raw ``T×H×W`` float32 from exposure-normalised ``T×H×W×3``, frame by frame on the CPU.

    ``mask`` is ``H×W`` (static) or ``T×H×W``. Frame ``i`` draws its noise from
    ``frame_seed(settings.noise_seed, first_frame + i)``.
    """
    frames = check_hdr(exposed, "capture")
    if frames.ndim == 3:
        frames = frames[None]
    height, width = frames.shape[1:3]
    mask = masks.check_mask(mask, "capture", height, width)
    if mask.ndim == 3 and mask.shape[0] != frames.shape[0]:
        raise InvalidArgumentError(
            f"capture: mask has {mask.shape[0]} frames; expected 1 (H×W) or {frames.shape[0]}"
        )
    raw = np.empty(frames.shape[:3], dtype=np.float32)
    for i, frame in enumerate(frames):
        generator = torch.Generator().manual_seed(frame_seed(settings.noise_seed, first_frame + i))
        x = torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1)))[:, None]
        phi = torch.tensor(mask[i] if mask.ndim == 3 else mask)  # a copy: inputs may be read-only
        raw[i] = simulate(x, phi, settings, generator=generator)[0].numpy()
    return raw


def capture(
    hdr: np.ndarray,
    mask: np.ndarray | masks.MaskSettings,
    settings: CaptureSettings | None = None,
    *,
    first_frame: int = 0,
    source: dict[str, Any] | None = None,
) -> tuple[np.ndarray, CaptureRecord]:
    """Simulate a coded capture of ``hdr`` (``T×H×W×3`` or ``H×W×3``, linear, any scale).

    Args:
        hdr: scene HDR; exposed by ``settings.exposure`` or the automatic rule over all frames.
        mask: an ``H×W`` / ``T×H×W`` transmittance array, or :class:`MaskSettings` to make one.
        settings: capture settings (default: :class:`CaptureSettings`).
        first_frame: index of the first frame for the per-frame noise seeds.
        source: description of the input kept in the record.

    Returns:
        Raw frames ``T×H×W`` float32 in [0, 1] and the record. The ground truth the frames image
        is ``expose(hdr, record.exposure_scale)``.
    """
    settings = settings or CaptureSettings()
    frames = check_hdr(hdr, "capture")
    if frames.ndim == 3:
        frames = frames[None]
    num_frames, height, width = frames.shape[:3]
    mask_spec = mask if isinstance(mask, masks.MaskSettings) else None
    phi = masks.make_mask(mask_spec, height, width) if mask_spec else np.asarray(mask)
    phi = masks.check_mask(phi, "capture", height, width)
    scale = settings.exposure
    if scale is None:
        scale = auto_exposure(luminance(frames), settings.exposure_rule)
    raw = capture_frames(expose(frames, scale), phi, settings, first_frame=first_frame)
    record = CaptureRecord(
        settings=settings,
        exposure_scale=float(scale),
        mask=mask_spec,
        mask_sha256=masks.mask_digest(phi),
        num_frames=num_frames,
        height=height,
        width=width,
        first_frame=first_frame,
        source=dict(source or {}),
    )
    return raw, record


def replay(record: CaptureRecord, hdr: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Re-run a recorded capture on the same input HDR; returns bit-identical raw frames.

    Args:
        record: the record of the original capture.
        hdr: the original input (``T×H×W×3``), before exposure.
        mask: needed only when the record's mask was passed as an array.

    Raises:
        InvalidArgumentError: the mask or the HDR's size differ from the recorded ones.
    """
    frames = check_hdr(hdr, "replay")
    if frames.ndim == 3:
        frames = frames[None]
    if frames.shape[:3] != (record.num_frames, record.height, record.width):
        raise InvalidArgumentError(
            f"replay: HDR is {frames.shape[:3]} (T, H, W); the record has "
            f"{(record.num_frames, record.height, record.width)}"
        )
    if mask is None:
        if record.mask is None:
            raise InvalidArgumentError("replay: the record's mask was an array; pass mask=")
        mask = masks.make_mask(record.mask, record.height, record.width)
    if masks.mask_digest(mask) != record.mask_sha256:
        raise InvalidArgumentError("replay: the mask differs from the recorded one (sha256)")
    exposed = expose(frames, record.exposure_scale)
    return capture_frames(exposed, mask, record.settings, first_frame=record.first_frame)


def derive_seeds(seed: int) -> dict[str, int]:
    """Independent seeds for the scene, the mask, the temporal noise and the camera."""
    values = np.random.SeedSequence(int(seed)).generate_state(4)
    return dict(zip(("scene", "mask", "noise", "camera"), (int(v) for v in values), strict=True))


def sample_capture_settings(
    rng: np.random.Generator, *, cfa: str = "RGGB", shot_model: str = "gaussian"
) -> CaptureSettings:
    """Random settings for training: noise from ``NOISE_RANGES``, 10/12/14 bits, fresh seeds.

    The exposure stays automatic; the response is linear (raw data).
    """
    return CaptureSettings(
        cfa=cfa,
        bits=int(rng.choice([10, 12, 14])),
        noise=sample_noise_params(rng, shot_model),
        noise_seed=int(rng.integers(2**62)),
        camera_seed=int(rng.integers(2**62)),
    )
