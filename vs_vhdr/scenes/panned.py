"""An HDR still turned into video by a panning and zooming window, with exactly known motion.

Frame ``k`` samples the image (bilinear) at ``u = c_k + s_k · (p − centre)`` for output pixel ``p``:
``c_k`` is the window centre in image pixels and ``s_k`` ≤ 1 image pixels per output pixel (so the
image is never minified and nothing aliases). Centre and scale move linearly from a random start
to a random end, drawn from the seed: a drift of ``speed`` output pixels per frame and a zoom of up
to ``zoom`` (relative) over the clip. The window always stays inside the image.
"""

import os

import numpy as np

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging.hdr import clean_hdr
from vs_vhdr.io.images import read_image
from vs_vhdr.scenes.base import Crop, Shot, pixel_grid


class PannedShot(Shot):
    """A :class:`Shot` that pans and zooms over one HDR image (``H×W×3``, linear, >= 0).

    Args:
        image: the still; tiny negatives from lossy EXR codecs are clamped to 0.
        name: the shot's name.
        height, width: output frame size (at most the image's size times 1/``min_scale``).
        num_frames: length of the video.
        seed: draws the path.
        speed: (min, max) drift in output pixels per frame.
        zoom: largest relative change of scale over the clip (0: pan only).
    """

    def __init__(
        self,
        image: np.ndarray,
        *,
        name: str = "panned",
        height: int = 256,
        width: int = 256,
        num_frames: int = 16,
        seed: int = 0,
        speed: tuple[float, float] = (0.5, 3.0),
        zoom: float = 0.1,
    ) -> None:
        self.image = clean_hdr(image, name)
        if self.image.ndim != 3:
            raise InvalidArgumentError(f"{name}: image has shape {image.shape}; expected H×W×3")
        if min(height, width, num_frames) < 1 or min(self.image.shape[:2]) < 2:
            raise InvalidArgumentError(
                f"{name}: {num_frames} frames of {height}×{width} from a "
                f"{self.image.shape[0]}×{self.image.shape[1]} image; expected at least 1 frame, "
                "1×1 output and a 2×2 image"
            )
        if not 0.0 <= zoom < 1.0:
            raise InvalidArgumentError(f"{name}: zoom={zoom}; expected a fraction in [0, 1)")
        self.name, self.height, self.width, self.num_frames = name, height, width, num_frames
        rng = np.random.default_rng(seed)
        image_h, image_w = self.image.shape[:2]
        fit = min(1.0, (image_h - 1) / max(height - 1, 1), (image_w - 1) / max(width - 1, 1))
        self._scales = fit * (1.0 - zoom * rng.random(2))
        span = self._scales.max() * np.array([height - 1, width - 1]) / 2.0
        low, high = span, np.array([image_h - 1, image_w - 1]) - span
        start = low + rng.random(2) * (high - low)
        angle = rng.uniform(0, 2 * np.pi)
        travel = rng.uniform(*speed) * max(num_frames - 1, 0) * self._scales.mean()
        end = np.clip(start + travel * np.array([np.sin(angle), np.cos(angle)]), low, high)
        self._centres = np.stack([start, end])
        self._out_centre = np.array([height - 1, width - 1]) / 2.0

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **kwargs: object) -> "PannedShot":
        """Read an EXR / Radiance ``.hdr`` / npy image and pan over it (``kwargs`` as above)."""
        image = read_image(path)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        kwargs.setdefault("name", str(path))
        return cls(image, **kwargs)  # type: ignore[arg-type]

    def window(self, k: int) -> tuple[np.ndarray, float]:
        """Centre (row, col) in image pixels and scale (image pixels per output pixel) of frame k."""
        t = k / (self.num_frames - 1) if self.num_frames > 1 else 0.0
        centre = self._centres[0] + t * (self._centres[1] - self._centres[0])
        return centre, float(self._scales[0] + t * (self._scales[1] - self._scales[0]))

    def _frames(self, start: int, count: int, crop: Crop) -> np.ndarray:
        rows, cols = pixel_grid(crop)
        return np.stack([self._sample(k, rows, cols) for k in range(start, start + count)])

    def _sample(self, k: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        centre, scale = self.window(k)
        uy = centre[0] + scale * (rows[:, 0] - self._out_centre[0])
        ux = centre[1] + scale * (cols[0] - self._out_centre[1])
        y0, fy = _taps(uy, self.image.shape[0])
        x0, fx = _taps(ux, self.image.shape[1])
        fy, fx = fy[:, None, None], fx[None, :, None]
        top = self.image[y0][:, x0] * (1 - fx) + self.image[y0][:, x0 + 1] * fx
        bottom = self.image[y0 + 1][:, x0] * (1 - fx) + self.image[y0 + 1][:, x0 + 1] * fx
        return (top * (1 - fy) + bottom * fy).astype(np.float32)

    def _motion(self, start: int, count: int, crop: Crop) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = pixel_grid(crop)
        steps = []
        for k in range(start + 1, start + count):
            (cy, cx), scale = self.window(k)
            (py, px), before = self.window(k - 1)
            # image point under p in frame k, and where frame k−1 showed it
            ry = self._out_centre[0] + (cy + scale * (rows - self._out_centre[0]) - py) / before
            rx = self._out_centre[1] + (cx + scale * (cols - self._out_centre[1]) - px) / before
            dy, dx = np.broadcast_arrays(rows - ry, cols - rx)
            steps.append(np.stack([dy, dx], axis=-1))
        displacement = np.array(steps).reshape(count - 1, crop[2], crop[3], 2)
        return displacement, np.ones(displacement.shape[:3], dtype=bool)


def _taps(coords: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower neighbour index and fraction of linear interpolation at ``coords`` in [0, size−1]."""
    base = np.clip(np.floor(coords), 0, size - 2).astype(np.intp)
    return base, coords - base
