"""Inference engine: temporal windows, spatial tiling, device and precision, streaming.

``Reconstructor`` serves output frames in any order and from any thread (the hosts use it);
``iter_reconstruct`` streams a clip of any length with bounded memory. See docs/engine.md.
"""

from vs_vhdr.engine.network import NonFiniteOutputError
from vs_vhdr.engine.options import EngineOptions
from vs_vhdr.engine.reconstructor import EngineStats, Reconstructor
from vs_vhdr.engine.streaming import iter_reconstruct
from vs_vhdr.engine.tiling import Tile, plan_tiles
from vs_vhdr.engine.windows import WindowPlan

__all__ = [
    "EngineOptions",
    "EngineStats",
    "NonFiniteOutputError",
    "Reconstructor",
    "Tile",
    "WindowPlan",
    "iter_reconstruct",
    "plan_tiles",
]
