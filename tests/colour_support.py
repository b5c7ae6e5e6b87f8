"""Shared data of the colour tests: a real camera's DNG colour matrix and a 24-patch chart."""

import numpy as np

from vs_vhdr.colour import DngColour

CANON_5D2_D65 = tuple(v / 10000 for v in (4716, 603, -830, -7798, 15474, 2480, -1496, 1937, 6651))
"""Canon EOS 5D Mark II ``ColorMatrix`` for D65 (Adobe DNG Converter; dcraw's adobe_coeff)."""

SECOND_MATRIX_A = tuple(
    v / 10000 for v in (6014, -220, -795, -7450, 15155, 2535, -2410, 2939, 7510)
)
"""A made-up but plausible matrix for illuminant A, to exercise the two-matrix interpolation."""

D65_NEUTRAL = (0.3885, 1.0, 0.7208)
"""The 5D Mark II's camera response to D65 (``ColorMatrix · XYZ(D65)``, largest 1)."""


def camera_5d2(**changes: object) -> DngColour:
    """The 5D Mark II's D65 profile with an as-shot D65 neutral (fields overridable)."""
    fields: dict[str, object] = {
        "color_matrix_1": CANON_5D2_D65,
        "illuminant_1": 21,
        "as_shot_neutral": D65_NEUTRAL,
        "source": "test 5D Mark II",
    }
    fields.update(changes)
    return DngColour(**fields)  # type: ignore[arg-type]


def chart_acescg() -> np.ndarray:
    """``24×3`` ACEScg of the ColorChecker 24 (colour-science's xyY, D50 → ACES white, Y ≤ 0.9)."""
    import colour

    chart = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    xyy = np.array(list(chart.data.values()))
    xyz = colour.xyY_to_XYZ(xyy)
    space = colour.RGB_COLOURSPACES["ACEScg"]
    return colour.XYZ_to_RGB(
        xyz, space, chart.illuminant, chromatic_adaptation_transform="Bradford"
    )


def delta_e_2000(a_acescg: np.ndarray, b_acescg: np.ndarray) -> np.ndarray:
    """CIEDE2000 between ACEScg colours (through CIE Lab with the ACES white), one per row."""
    import colour

    space = colour.RGB_COLOURSPACES["ACEScg"]
    lab = [
        colour.XYZ_to_Lab(colour.RGB_to_XYZ(x, space), space.whitepoint)
        for x in (a_acescg, b_acescg)
    ]
    return colour.delta_E(lab[0], lab[1], method="CIE 2000")
