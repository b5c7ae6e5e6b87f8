"""Sensor noise g (paper Eq. 1, after Konnik & Welsh 2014), in normalised units.

A signal ``s`` in [0, 1] (1.0 = white level = full well) becomes, per pixel and frame::

    s' = s · G + dark                      PRNU gain map G = 1 + prnu·N(0, 1), fixed per camera
    e  = Poisson(s' / a) · a               photon + dark shot noise (or s' + √(a·s')·N(0, 1))
    y  = e + O + read·N(0, 1)              DSNU offset map O, fixed per camera; read noise

``a`` (``shot``) is the shot-noise variance per unit signal, i.e. 1 / full-well electrons;
``dark`` = dark current (e⁻/s) × exposure time × a. Read noise and DSNU are given in DN at the
capture's bit depth (1 DN = 1 / (2^bits − 1)). The fixed-pattern maps are drawn from the camera
seed on the CPU, so a "camera" has the same maps on every device. Clipping to [0, 1], the
response and quantisation follow in :mod:`vs_vhdr.imaging.capture`.

Presets (``NOISE_PRESETS``) and the ranges :func:`sample_noise_params` draws from
(``NOISE_RANGES``) cover real sensors from base ISO to high gain: a from 6e-6 (about 170 k e⁻ at
full scale: a large pixel at ISO 100) to 2.5e-4 (4 k e⁻: ISO 6400), read noise 1–8 DN, dark
current up to 25 e⁻/s, PRNU up to 1 %, DSNU up to 1 DN; the bit depth (10/12/14) is drawn with
the capture settings. ``iso100`` / ``iso1600`` / ``iso6400`` are the held-out suite's levels:
a doubles with every stop of gain from 6e-6 at ISO 100, sub-linearly at high gain where the
ADC range is no longer the limit (1e-4 at 1600, 2.5e-4 at 6400 rather than 1.6e-4 and 3.8e-4),
and read noise in DN grows with the analogue gain (1, 2, 4 DN at 12 bits).
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from vs_vhdr.errors import InvalidArgumentError, UnknownNameError

SHOT_MODELS: tuple[str, ...] = ("poisson", "gaussian")


@dataclass(frozen=True)
class NoiseParams:
    """Parameters of :func:`sensor_noise` (all zero: no noise).

    Attributes:
        shot: shot-noise variance per unit normalised signal ``a`` (1 / full-well electrons).
        shot_model: ``poisson`` (exact) or ``gaussian`` (variance-matched, faster).
        read_dn: read-noise standard deviation in DN.
        dark_e_per_s: dark current in electrons per second.
        exposure_time_s: exposure time Δt in seconds (33 ms: 30 fps video, as the paper).
        prnu: standard deviation of the per-pixel gain map (photo-response non-uniformity).
        dsnu_dn: standard deviation of the per-pixel offset map in DN (dark-signal non-uniformity).
    """

    shot: float = 0.0
    shot_model: str = "poisson"
    read_dn: float = 0.0
    dark_e_per_s: float = 0.0
    exposure_time_s: float = 1.0 / 30.0
    prnu: float = 0.0
    dsnu_dn: float = 0.0

    def __post_init__(self) -> None:
        if self.shot_model not in SHOT_MODELS:
            raise InvalidArgumentError(
                f"noise: shot_model={self.shot_model!r}; expected one of {', '.join(SHOT_MODELS)}"
            )
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name != "shot_model" and not (math.isfinite(value) and value >= 0):
                raise InvalidArgumentError(
                    f"noise: {field.name}={value!r}; expected a finite number >= 0"
                )

    @property
    def is_off(self) -> bool:
        """True when the noise adds nothing (preset ``none``)."""
        return all(
            getattr(self, name) == 0 for name in ("shot", "read_dn", "prnu", "dsnu_dn")
        ) and (self.dark_e_per_s * self.shot == 0)

    @property
    def dark_level(self) -> float:
        """Mean dark signal in normalised units: dark current × exposure time × a."""
        return self.dark_e_per_s * self.exposure_time_s * self.shot


NOISE_PRESETS: dict[str, NoiseParams] = {
    "none": NoiseParams(),
    "clean": NoiseParams(shot=1e-5, read_dn=0.5, dark_e_per_s=1.0, prnu=0.002, dsnu_dn=0.1),
    "default": NoiseParams(shot=1e-4, read_dn=1.5, dark_e_per_s=5.0, prnu=0.005, dsnu_dn=0.3),
    "low-light": NoiseParams(shot=1e-3, read_dn=4.0, dark_e_per_s=25.0, prnu=0.01, dsnu_dn=1.0),
    "iso100": NoiseParams(shot=6e-6, read_dn=1.0, dark_e_per_s=1.0, prnu=0.003, dsnu_dn=0.1),
    "iso1600": NoiseParams(shot=1e-4, read_dn=2.0, dark_e_per_s=5.0, prnu=0.005, dsnu_dn=0.3),
    "iso6400": NoiseParams(shot=2.5e-4, read_dn=4.0, dark_e_per_s=10.0, prnu=0.008, dsnu_dn=0.6),
}
"""Named presets: ``clean`` ≈ large sensor at base ISO, ``default`` ≈ a typical video sensor,
``low-light`` ≈ small pixels at high gain (beyond the training ranges: a stress test);
``iso100``, ``iso1600``, ``iso6400``: one sensor at three gains (module doc), the held-out
suite's noise levels (``iso1600`` is the level of the issue that defined the suite: a = 1e-4,
2 DN at 12 bits)."""

NOISE_RANGES: dict[str, tuple[float, float]] = {
    "shot": (6e-6, 2.5e-4),
    "read_dn": (1.0, 8.0),
    "dark_e_per_s": (0.0, 25.0),
    "prnu": (0.0, 0.01),
    "dsnu_dn": (0.0, 1.0),
}
"""Ranges of :func:`sample_noise_params` (ISO 100 to 6400): ``shot`` (a, normalised units) and
``read_dn`` (DN) log-uniform, so every stop of gain is drawn as often; the others uniform.
``clean`` (a = 1e-5, 0.5 DN) and ``low-light`` (a = 1e-3) lie outside on purpose."""

LOG_UNIFORM: tuple[str, ...] = ("shot", "read_dn")
"""Fields of ``NOISE_RANGES`` drawn log-uniformly."""


def noise_preset(name: str) -> NoiseParams:
    """The preset called ``name`` (see ``NOISE_PRESETS``)."""
    if name not in NOISE_PRESETS:
        raise UnknownNameError(
            f"noise: preset {name!r} is unknown; expected one of {', '.join(NOISE_PRESETS)}"
        )
    return NOISE_PRESETS[name]


def sample_noise_params(rng: np.random.Generator, shot_model: str = "gaussian") -> NoiseParams:
    """A random sensor for training, drawn from ``NOISE_RANGES`` (``LOG_UNIFORM`` fields
    log-uniformly), one draw per field in the order of ``NOISE_RANGES``."""
    values = {}
    for name, (low, high) in NOISE_RANGES.items():
        if name in LOG_UNIFORM:
            values[name] = float(math.exp(rng.uniform(math.log(low), math.log(high))))
        else:
            values[name] = float(rng.uniform(low, high))
    return NoiseParams(shot_model=shot_model, **values)


def fixed_pattern(
    params: NoiseParams, height: int, width: int, bits: int, camera_seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The camera's PRNU gain and DSNU offset maps (``H×W`` float32, CPU) from its seed.

    Offsets are in normalised units (DN / (2^bits − 1)).
    """
    generator = torch.Generator().manual_seed(int(camera_seed))
    gain = 1.0 + params.prnu * torch.randn(height, width, generator=generator)
    offset = params.dsnu_dn / (2**bits - 1) * torch.randn(height, width, generator=generator)
    return gain.clamp_min(0), offset


def sensor_noise(
    signal: torch.Tensor,
    params: NoiseParams,
    bits: int,
    *,
    camera_seed: int = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Add sensor noise to a normalised signal ``(..., H, W)`` ≥ 0 (not clipped afterwards).

    Args:
        signal: ``Φ``-coded mosaic in normalised units, any device.
        params: the noise parameters.
        bits: bit depth that defines one DN.
        camera_seed: seed of the fixed-pattern maps (same seed, same maps).
        generator: source of the temporal noise, on ``signal``'s device (None: torch's global).
    """
    if params.is_off:
        return signal
    x = signal
    fixed = params.prnu > 0 or params.dsnu_dn > 0
    if fixed:
        gain, offset = fixed_pattern(params, x.shape[-2], x.shape[-1], bits, camera_seed)
        x = x * gain.to(device=x.device, dtype=x.dtype)
    x = x + params.dark_level
    if params.shot > 0:
        if params.shot_model == "poisson":
            x = torch.poisson(x / params.shot, generator=generator) * params.shot
        else:
            sd = torch.sqrt(params.shot * x.clamp_min(0))
            x = x + sd * _normal(x, generator)
    if fixed:
        x = x + offset.to(device=x.device, dtype=x.dtype)
    if params.read_dn > 0:
        x = x + params.read_dn / (2**bits - 1) * _normal(x, generator)
    return x


def _normal(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=like.dtype)
