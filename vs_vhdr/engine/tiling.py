"""Spatial tile plan: split a frame into cores, each run with a margin of context and cropped.

A frame of ``H×W`` pixels is cut into *cores* of about ``tile×tile`` pixels. Each core is run
through the network with ``margin`` extra pixels of real context on every side (clipped at the
frame's edges) and only the core is kept. With ``margin`` at least the model's receptive field the
core's pixels see exactly the inputs they would see untiled, so tiled and untiled outputs agree up
to floating-point rounding (cropping, no blending needed).

Core sizes, margins and therefore every tile origin are multiples of ``align``: the CFA period (2)
times whatever the model needs (strided models ask for a multiple of their total stride), so a
tile starts on the same Bayer phase, and the same position in the stride grid, as the full frame.
"""

import math
from dataclasses import dataclass

from vs_vhdr.errors import InvalidArgumentError

CFA_PERIOD = 2
"""Rows and columns of the Bayer tile."""


@dataclass(frozen=True)
class Tile:
    """One tile, in full-frame pixel coordinates (half-open ranges).

    ``y0:y1, x0:x1`` is the region fed to the network (core plus margin); ``cy0:cy1, cx0:cx1`` the
    core written to the output. ``origin`` (the region's top-left) goes to the CFA layout.
    """

    y0: int
    y1: int
    x0: int
    x1: int
    cy0: int
    cy1: int
    cx0: int
    cx1: int

    @property
    def origin(self) -> tuple[int, int]:
        """(row, col) of the region's top-left pixel in the frame."""
        return (self.y0, self.x0)

    @property
    def core_in_region(self) -> tuple[slice, slice]:
        """Row and column slices of the core inside the region's own array."""
        return (
            slice(self.cy0 - self.y0, self.cy1 - self.y0),
            slice(self.cx0 - self.x0, self.cx1 - self.x0),
        )


def tile_alignment(spatial_multiple: int) -> int:
    """Alignment of tile origins: lcm of the CFA period and the model's ``spatial_multiple``."""
    return math.lcm(CFA_PERIOD, max(1, int(spatial_multiple)))


def round_up(value: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is >= ``value``."""
    return -(-value // multiple) * multiple


def plan_tiles(
    height: int, width: int, tile: int, margin: int, align: int = CFA_PERIOD
) -> list[Tile]:
    """Tiles covering an ``height×width`` frame, row by row.

    Args:
        height, width: frame size in pixels.
        tile: core size in pixels (rounded up to ``align``); 0, or a size covering the frame,
            gives a single tile, the whole frame.
        margin: context pixels on each side of a core (rounded up to ``align``).
        align: multiple that every core size, margin and origin keeps.
    """
    for name, value, low in (("height", height, 1), ("width", width, 1), ("tile", tile, 0)):
        if not isinstance(value, int) or value < low:
            raise InvalidArgumentError(f"plan_tiles: {name}={value!r}; expected an int >= {low}")
    if not isinstance(margin, int) or margin < 0:
        raise InvalidArgumentError(f"plan_tiles: margin={margin!r}; expected an int >= 0")
    if not isinstance(align, int) or align < 1:
        raise InvalidArgumentError(f"plan_tiles: align={align!r}; expected an int >= 1")
    if tile == 0 or tile >= max(height, width):
        return [Tile(0, height, 0, width, 0, height, 0, width)]
    core = round_up(tile, align)
    pad = round_up(margin, align)
    tiles = []
    for cy0 in range(0, height, core):
        cy1 = min(cy0 + core, height)
        for cx0 in range(0, width, core):
            cx1 = min(cx0 + core, width)
            tiles.append(
                Tile(
                    max(0, cy0 - pad),
                    min(height, cy1 + pad),
                    max(0, cx0 - pad),
                    min(width, cx1 + pad),
                    cy0,
                    cy1,
                    cx0,
                    cx1,
                )
            )
    return tiles
