"""The held-out scenes: real HDR maps that no training config may train on.

One list for the training configs' check, the held-out robustness suite
(``benchmarks/heldout_eval.py``) and the demo. Three bundled maps of different kinds:

- ``forest`` (1024×512): daylight through trees, sunlit leaves against deep shade (16.7 stops);
- ``city`` (512×256): an overcast street, flat light with large bright sky (31 % of pixels
  above 10× the median luminance): clipped areas that are large rather than small;
- ``hall`` (512×256): the dimmest-looking extra map, a night-like interior whose dark ceiling
  (31 % of the map below a quarter of the median luminance, the most of all 15 extra maps) is
  studded with bright lamps (0.9 % of pixels above 100× the median, peak 2,000× the median,
  28.5 stops from the 1st percentile to the peak): small clipped light sources in darkness,
  where noise and the mask's dark sites matter most. ``dawn`` was the other candidate but its
  dynamic range is low (peak 113× the median, 1 % dark pixels): no bright sources.
"""

HELDOUT_SCENES: tuple[str, ...] = ("builtin:forest", "builtin:city", "builtin:hall")
"""Shot specs (``builtin:NAME``) kept out of every training config's ``data.shots``."""

TRAINING_MAPS: tuple[str, ...] = (
    "apartment", "bridge", "courtyard", "dawn", "esplanade", "lab", "lobby", "park",
    "photo-studio", "sky", "studio", "sunrise", "sunset", "warehouse", "woods", "workshop",
)  # fmt: skip
"""Bundled maps free to train on: every map but the held-out ones."""
