"""Correlated colour temperature (CCT) of a white, and the EXIF light sources of DNG profiles.

The DNG specification (1.4, chapter 6) interpolates a camera's two colour matrices by the inverse
of the CCT of the scene's white. :func:`xy_to_cct` is Robertson's method (A. R. Robertson, 1968,
"Computation of correlated color temperature and distribution temperature", JOSA 58(11)) with the
isotemperature lines tabulated in Wyszecki & Stiles, *Color Science* (2nd ed., 1982), table 1(3.11),
including Lindbloom's correction of the 325 mired line (u = 0.24792), the method the DNG SDK uses.
"""

import math

from vs_vhdr.colour.spaces import XY

ROBERTSON_1968: tuple[tuple[float, float, float, float], ...] = (
    (0, 0.18006, 0.26352, -0.24341),
    (10, 0.18066, 0.26589, -0.25479),
    (20, 0.18133, 0.26846, -0.26876),
    (30, 0.18208, 0.27119, -0.28539),
    (40, 0.18293, 0.27407, -0.30470),
    (50, 0.18388, 0.27709, -0.32675),
    (60, 0.18494, 0.28021, -0.35156),
    (70, 0.18611, 0.28342, -0.37915),
    (80, 0.18740, 0.28668, -0.40955),
    (90, 0.18880, 0.28997, -0.44278),
    (100, 0.19032, 0.29326, -0.47888),
    (125, 0.19462, 0.30141, -0.58204),
    (150, 0.19962, 0.30921, -0.70471),
    (175, 0.20525, 0.31647, -0.84901),
    (200, 0.21142, 0.32312, -1.0182),
    (225, 0.21807, 0.32909, -1.2168),
    (250, 0.22511, 0.33439, -1.4512),
    (275, 0.23247, 0.33904, -1.7298),
    (300, 0.24010, 0.34308, -2.0637),
    (325, 0.24792, 0.34655, -2.4681),
    (350, 0.25591, 0.34951, -2.9641),
    (375, 0.26400, 0.35200, -3.5814),
    (400, 0.27218, 0.35407, -4.3633),
    (425, 0.28039, 0.35577, -5.3762),
    (450, 0.28863, 0.35714, -6.7262),
    (475, 0.29685, 0.35823, -8.5955),
    (500, 0.30505, 0.35907, -11.324),
    (525, 0.31320, 0.35968, -15.628),
    (550, 0.32129, 0.36011, -23.325),
    (575, 0.32931, 0.36038, -40.770),
    (600, 0.33724, 0.36051, -116.45),
)
"""Isotemperature lines: (reciprocal temperature in mired, u, v of CIE 1960 UCS, slope t)."""

LIGHT_SOURCES: dict[int, tuple[str, float]] = {
    1: ("Daylight", 5500.0),
    2: ("Fluorescent", 4150.0),
    3: ("Tungsten", 2850.0),
    4: ("Flash", 5500.0),
    9: ("Fine weather", 5500.0),
    10: ("Cloudy weather", 6500.0),
    11: ("Shade", 7500.0),
    12: ("Daylight fluorescent", 6400.0),
    13: ("Day white fluorescent", 5000.0),
    14: ("Cool white fluorescent", 4150.0),
    15: ("White fluorescent", 3525.0),
    16: ("Warm white fluorescent", 2925.0),
    17: ("Standard light A", 2856.0),
    18: ("Standard light B", 4874.0),
    19: ("Standard light C", 6774.0),
    20: ("D55", 5503.0),
    21: ("D65", 6504.0),
    22: ("D75", 7504.0),
    23: ("D50", 5003.0),
    24: ("ISO studio tungsten", 3200.0),
}
"""EXIF ``LightSource`` codes (``CalibrationIlluminant1/2``): name and CCT in kelvin.

CIE illuminants have their exact CCT; fluorescent classes the middle of the range the EXIF 2.3
names give (e.g. "D 5700-7100K"), the other classes their usual nominal value.
"""

LIGHT_SOURCE_XY: dict[int, XY] = {
    17: (0.44757, 0.40745),  # A
    20: (0.33242, 0.34743),  # D55
    21: (0.31271, 0.32902),  # D65
    22: (0.29902, 0.31485),  # D75
    23: (0.34567, 0.35850),  # D50
}
"""CIE xy (2° observer) of the CIE illuminants among the EXIF light sources (CIE 15:2004)."""

MIN_CCT, MAX_CCT = 1e6 / 600, 1e6 / 1e-3
"""The CCT range of the table (about 1667 K to "infinity"); results are clamped into it."""


def xy_to_cct(xy: XY) -> float:
    """CCT in kelvin of a white with CIE xy chromaticity, by Robertson's method.

    Whites beyond the table's ends are clamped to its first or last line (1667 K; 10⁹ K).
    """
    x, y = float(xy[0]), float(xy[1])
    denominator = -2.0 * x + 12.0 * y + 3.0
    u, v = 4.0 * x / denominator, 6.0 * y / denominator
    previous = 0.0
    for index, (mired, ui, vi, ti) in enumerate(ROBERTSON_1968):
        distance = ((v - vi) - ti * (u - ui)) / math.sqrt(1.0 + ti * ti)
        if index > 0 and (distance <= 0.0) != (previous <= 0.0):
            before = ROBERTSON_1968[index - 1][0]
            fraction = previous / (previous - distance)
            return 1e6 / max(before + (mired - before) * fraction, 1e-3)
        previous = distance
    return MIN_CCT if previous > 0 else MAX_CCT


def light_source_cct(code: int) -> float | None:
    """CCT in kelvin of an EXIF ``LightSource`` code, or None for unknown / "other" (255)."""
    entry = LIGHT_SOURCES.get(int(code))
    return entry[1] if entry else None


def light_source_name(code: int) -> str:
    """The EXIF name of a ``LightSource`` code, e.g. ``D65``."""
    entry = LIGHT_SOURCES.get(int(code))
    return entry[0] if entry else f"light source {code}"
