"""Procedural HDR video with exactly known motion, for tests, demos and training.

A scene is a textured background plane (tiles and band-limited noise, lit by sun and shadow or
by street lamps) seen by a drifting, shaking camera, with textured objects (discs and rounded
boxes carrying specular glints) moving over it. Light sources: a small sun disc (~2·10⁴),
lamps (10²–10³) and fire that flickers; the darkest surfaces lie near 10⁻⁴, so every preset spans
well over 20 stops. Everything is an analytic function of position and frame index, so frames of
any size and length render without resampling and the motion is exact.

Presets: ``day`` (sun, cast shadow, glints), ``night`` (ambient starlight, lamps, fire),
``mixed`` (all of them). Same config and seed: same frames, bit for bit.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vs_vhdr.errors import InvalidArgumentError, UnknownNameError
from vs_vhdr.scenes.base import Crop, Shot, pixel_grid

PRESETS: tuple[str, ...] = ("mixed", "day", "night")
TAU = 2.0 * math.pi


@dataclass(frozen=True)
class ProceduralConfig:
    """Size, length and randomness of a procedural scene.

    Attributes:
        preset: one of ``PRESETS``.
        height, width, num_frames: size of the video.
        seed: all layout, texture and motion choices follow from it.
        camera_speed: upper bound of the camera's drift, pixels per frame.
        object_speed: upper bound of the objects' own speed, pixels per frame.
        flicker: relative amplitude of the fire's flicker (0: steady light).
        integer_motion: whole-pixel velocities and no shake, so warps are exact copies.
    """

    preset: str = "mixed"
    height: int = 256
    width: int = 256
    num_frames: int = 16
    seed: int = 0
    camera_speed: float = 1.5
    object_speed: float = 2.0
    flicker: float = 0.5
    integer_motion: bool = False


class _Texture:
    """Albedo (0.02–0.95) from tiles and two band-limited noise fields, by position in pixels."""

    def __init__(self, rng: np.random.Generator, tiles: bool) -> None:
        count = 12
        size = np.exp(rng.uniform(math.log(3.0), math.log(64.0), count))
        angle = rng.uniform(0, TAU, count)
        self.freq = np.stack([np.sin(angle), np.cos(angle)], axis=1) / size[:, None]
        self.phase = rng.uniform(0, TAU, count)
        amp = size**0.5  # coarser waves are stronger; each half sums to unit variance
        half = count // 2
        amp[:half] /= np.sqrt(0.5 * (amp[:half] ** 2).sum())
        amp[half:] /= np.sqrt(0.5 * (amp[half:] ** 2).sum())
        self.amp = amp
        self.colours = rng.uniform(0.15, 0.9, (2, 3))
        self.tile = float(rng.uniform(8, 40)) if tiles else 0.0
        self.mortar = float(rng.uniform(0.8, 2.0))

    def albedo(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Albedo ``h×w×3`` at rows ``y`` (``h×1``) and columns ``x`` (``1×w``), in pixels."""
        half = len(self.amp) // 2
        fields = [np.zeros(np.broadcast_shapes(y.shape, x.shape)) for _ in range(2)]
        for i, (f, p, a) in enumerate(zip(self.freq, self.phase, self.amp, strict=True)):
            u, v = TAU * f[0] * y + p, TAU * f[1] * x  # sin(u + v), separably
            fields[i // half] += (a * np.sin(u)) * np.cos(v) + (a * np.cos(u)) * np.sin(v)
        n1, n2 = fields
        mix = (1.0 / (1.0 + np.exp(-2.0 * n2)))[..., None]
        colour = self.colours[0] * (1 - mix) + self.colours[1] * mix
        shade = np.clip(0.7 + 0.3 * n1, 0.05, 1.3)
        if self.tile:
            shade = shade * self._tiles(y, x)
        return np.clip(colour * shade[..., None], 0.02, 0.95)

    def _tiles(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        ty, tx = y / self.tile, x / self.tile
        iy, ix = np.floor(ty), np.floor(tx)
        variation = np.modf(np.abs(np.sin(iy * 12.9898 + ix * 78.233) * 43758.5453))[0]
        edge = np.minimum(np.minimum(ty - iy, 1 - (ty - iy)), np.minimum(tx - ix, 1 - (tx - ix)))
        groove = np.clip(edge * self.tile - self.mortar, 0.0, 1.0)
        return (0.55 + 0.45 * variation) * (0.3 + 0.7 * groove)


@dataclass
class _Light:
    """A world-fixed emitter: disc of ``radius`` px, glare halo, and a pool lighting the ground."""

    y: float
    x: float
    radius: float
    radiance: np.ndarray
    pool: np.ndarray
    pool_radius: float
    flicker: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # amps, freqs, phases

    def gain(self, k: int, amount: float) -> float:
        if self.flicker is None or amount == 0:
            return 1.0
        amps, freqs, phases = self.flicker
        wave = float((amps * np.sin(TAU * freqs * k + phases)).sum())
        return max(0.1, 1.0 + amount * wave)


@dataclass
class _Object:
    """A moving textured shape (``box`` half-sizes; radius of the corners ``round``)."""

    start: np.ndarray
    velocity: np.ndarray
    box: np.ndarray
    round: float
    texture: _Texture
    light: np.ndarray
    glints: list[tuple[float, float, float]]  # local y, local x, radiance

    def position(self, k: int) -> np.ndarray:
        return self.start + self.velocity * k

    def sdf(self, ly: np.ndarray, lx: np.ndarray) -> np.ndarray:
        """Signed distance (px) to the outline at local coordinates; < 0 inside."""
        qy, qx = np.abs(ly) - self.box[0], np.abs(lx) - self.box[1]
        outside = np.hypot(np.maximum(qy, 0), np.maximum(qx, 0))
        return outside + np.minimum(np.maximum(qy, qx), 0) - self.round


class ProceduralScene(Shot):
    """A procedural HDR video (see the module doc); a :class:`Shot` with exact motion."""

    def __init__(self, config: ProceduralConfig | None = None) -> None:
        self.config = config = config or ProceduralConfig()
        if config.preset not in PRESETS:
            raise UnknownNameError(
                f"procedural: preset {config.preset!r} is unknown; expected one of "
                f"{', '.join(PRESETS)}"
            )
        if min(config.height, config.width, config.num_frames) < 1:
            raise InvalidArgumentError(
                f"procedural: size {config.height}×{config.width}×{config.num_frames} frames; "
                "expected at least 1×1×1"
            )
        self.name = f"procedural:{config.preset}"
        self.num_frames, self.height, self.width = config.num_frames, config.height, config.width
        rng = np.random.default_rng([config.seed, PRESETS.index(config.preset)])
        self._build(rng)

    def camera(self, k: int) -> np.ndarray:
        """World position (row, col) of the top-left pixel in frame ``k``."""
        return self._cam_velocity * k + self._shake * np.sin(
            self._shake_freq * k + self._shake_phase
        )

    def _build(self, rng: np.random.Generator) -> None:
        c = self.config
        day, night = c.preset in ("day", "mixed"), c.preset in ("night", "mixed")
        short = float(min(c.height, c.width))
        self._cam_velocity = self._velocity(rng, c.camera_speed)
        self._shake = np.zeros(2) if c.integer_motion else rng.uniform(0.1, 0.4, 2)
        self._shake_freq = rng.uniform(0.3, 1.2, 2)
        self._shake_phase = rng.uniform(0, TAU, 2)
        # world points visible in every frame: place the lights there
        cams = np.array([self.camera(k) for k in range(c.num_frames)])
        low, high = cams.max(axis=0), cams.min(axis=0) + (c.height - 1, c.width - 1)
        if (high < low).any():
            low, high = cams[0], cams[0] + (c.height - 1, c.width - 1)

        def spot() -> tuple[float, float]:
            y, x = rng.uniform(0.15, 0.85, 2)
            return low[0] + y * (high[0] - low[0]), low[1] + x * (high[1] - low[1])

        self._background = _Texture(rng, tiles=True)
        warm = np.array([1.0, 0.78, 0.5])
        self._ambient = np.array([0.6, 0.7, 1.0]) * (0.012 if day else 0.001)
        self._sunlit = np.array([1.0, 0.96, 0.88]) * (1.0 if day else 0.0)
        self._shadow_point = np.array(spot())
        angle = rng.uniform(0, TAU)
        self._shadow_normal = np.array([math.sin(angle), math.cos(angle)])
        self._lights: list[_Light] = []
        if day:
            y, x = spot()
            sun = np.array([1.0, 0.97, 0.9]) * rng.uniform(1.5e4, 3e4)
            self._lights.append(_Light(y, x, rng.uniform(2.0, 3.5), sun, np.zeros(3), 1.0))
        if night:
            for _ in range(int(rng.integers(2, 4))):
                y, x = spot()
                radiance = warm * 10 ** rng.uniform(3.0, 4.0)
                pool = warm * rng.uniform(0.4, 2.0)
                pool_radius = rng.uniform(0.1, 0.25) * short + 4
                self._lights.append(
                    _Light(y, x, rng.uniform(1.2, 2.5), radiance, pool, pool_radius)
                )
            y, x = spot()
            fire = np.array([1.0, 0.5, 0.15]) * 10 ** rng.uniform(1.5, 2.3)
            amps = rng.uniform(0.2, 1.0, 3)
            flicker = (amps / amps.sum(), rng.uniform(0.05, 0.3, 3), rng.uniform(0, TAU, 3))
            self._lights.append(
                _Light(y, x, rng.uniform(2.0, 4.0), fire, fire * 0.01, 0.15 * short + 4, flicker)
            )
        self._objects = [self._object(rng, spot) for _ in range(int(rng.integers(2, 5)))]

    def _velocity(self, rng: np.random.Generator, speed: float) -> np.ndarray:
        angle = rng.uniform(0, TAU)
        v = speed * rng.uniform(0.3, 1.0) * np.array([math.sin(angle), math.cos(angle)])
        return np.round(v) if self.config.integer_motion else v

    def _object(self, rng: np.random.Generator, spot: Callable[[], tuple[float, float]]) -> _Object:
        """A random object whose path keeps clear of the lights (up to 20 tries)."""
        c = self.config
        short = float(min(c.height, c.width))
        for _ in range(20):
            size = rng.uniform(0.06, 0.16) * short + 3
            box = size * rng.uniform(0.3, 1.0, 2)
            velocity = self._velocity(rng, c.object_speed)
            start = np.array(spot()) - velocity * (c.num_frames / 2)
            if c.preset == "night":
                light = np.array([1.0, 0.85, 0.7]) * 10 ** rng.uniform(-2.5, -0.3)
            else:
                light = np.array([1.0, 0.96, 0.88]) * (1.0 if rng.random() < 0.6 else 0.012)
            glints = [
                (float(gy), float(gx), float(10 ** rng.uniform(2, 3.3)))
                for gy, gx in rng.uniform(-0.6, 0.6, (int(rng.integers(1, 4)), 2)) * box
            ]
            obj = _Object(
                start, velocity, box, float(size - box.max()), _Texture(rng, False), light, glints
            )
            if all(self._clear(obj, lamp) for lamp in self._lights):
                break
        return obj

    def _clear(self, obj: _Object, light: _Light) -> bool:
        """True if ``obj`` never covers ``light``'s disc during the clip."""
        path = np.array([obj.position(k) for k in range(self.config.num_frames)])
        distance = obj.sdf(light.y - path[:, 0], light.x - path[:, 1])
        return bool((distance > light.radius + 2.0).all())

    def _frames(self, start: int, count: int, crop: Crop) -> np.ndarray:
        rows, cols = pixel_grid(crop)
        return np.stack([self._render(k, rows, cols) for k in range(start, start + count)])

    def _render(self, k: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Frame ``k`` at pixel rows ``h×1`` and columns ``1×w``: ``h×w×3`` float32."""
        cam = self.camera(k)
        wy, wx = rows + cam[0], cols + cam[1]
        normal, point = self._shadow_normal, self._shadow_point
        side = (wy - point[0]) * normal[0] + (wx - point[1]) * normal[1]
        penumbra = np.clip(0.5 + side / 3.0, 0.0, 1.0)[..., None]
        illum = self._ambient + self._sunlit * penumbra
        emit = np.zeros(side.shape + (3,))
        for light in self._lights:
            gain = light.gain(k, self.config.flicker)
            d2 = (wy - light.y) ** 2 + (wx - light.x) ** 2
            falloff = 1.0 / (1.0 + d2 / light.pool_radius**2) ** 2
            illum = illum + gain * light.pool * falloff[..., None]
            dist = np.sqrt(d2)
            disc = np.clip(light.radius - dist + 0.5, 0.0, 1.0)
            halo = 0.02 * np.exp(-np.maximum(dist - light.radius, 0.0) / (0.75 * light.radius))
            emit = emit + gain * light.radiance * (disc + halo)[..., None]
        image = self._background.albedo(wy, wx) * illum + emit
        for obj in self._objects:
            ly, lx = wy - obj.position(k)[0], wx - obj.position(k)[1]
            reach = obj.box + obj.round + 1.0
            r = np.flatnonzero(np.abs(ly[:, 0]) <= reach[0])
            c = np.flatnonzero(np.abs(lx[0]) <= reach[1])
            if not (r.size and c.size):
                continue
            ly, lx = ly[r[0] : r[-1] + 1], lx[:, c[0] : c[-1] + 1]
            cover = np.clip(0.5 - obj.sdf(ly, lx), 0.0, 1.0)[..., None]
            radiance = obj.texture.albedo(ly, lx) * obj.light
            for gy, gx, peak in obj.glints:
                radiance = (
                    radiance
                    + peak * np.exp(-((ly - gy) ** 2 + (lx - gx) ** 2) / (2 * 0.7**2))[..., None]
                )
            window = image[r[0] : r[-1] + 1, c[0] : c[-1] + 1]
            window[...] = window * (1 - cover) + radiance * cover
        return image.astype(np.float32)

    def _motion(self, start: int, count: int, crop: Crop) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = pixel_grid(crop)
        shape = (count - 1, crop[2], crop[3])
        displacement = np.zeros(shape + (2,))
        valid = np.zeros(shape, dtype=bool)
        for i, k in enumerate(range(start + 1, start + count)):
            displacement[i], valid[i] = self._step(k, rows, cols)
        return displacement, valid

    def _step(self, k: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Displacement and validity from frame k−1 to frame k at the given pixels."""
        margin = 1.5  # sdf distance that keeps a pixel's bilinear neighbours on one surface
        cam_now, cam_before = self.camera(k), self.camera(k - 1)
        shape = np.broadcast_shapes(rows.shape, cols.shape)
        d = np.broadcast_to(cam_before - cam_now, shape + (2,)).copy()
        owner = np.full(shape, -1)
        sdf_now = []
        for j, obj in enumerate(self._objects):
            s = obj.sdf(
                rows + cam_now[0] - obj.position(k)[0], cols + cam_now[1] - obj.position(k)[1]
            )
            sdf_now.append(s)
            inside = s < 0.5
            owner[inside] = j  # later objects are in front
            step = (obj.position(k) - cam_now) - (obj.position(k - 1) - cam_before)
            d[inside] = step
        valid = np.ones(shape, dtype=bool)
        for j, obj in enumerate(self._objects):
            front = owner < j
            sy = rows - d[..., 0] + cam_before[0] - obj.position(k - 1)[0]
            sx = cols - d[..., 1] + cam_before[1] - obj.position(k - 1)[1]
            before = obj.sdf(sy, sx)
            clear = (sdf_now[j] >= margin) & (before >= margin)
            valid &= np.where(front, clear, True)
            valid &= np.where(owner == j, sdf_now[j] <= -margin, True)
        return d, valid
