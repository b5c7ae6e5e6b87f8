"""Chromatic adaptation between white points: the linear Bradford transform.

The DNG specification (1.4, chapter 6) recommends the linear Bradford transform to adapt camera
XYZ to the D50 profile connection space; the same transform takes D50 to the output space's white.
``BRADFORD`` is the cone response matrix of Lam (1985), as published by Lindbloom and in CIE
159:2004's discussion of CAT matrices.
"""

import numpy as np

from vs_vhdr.colour.spaces import XY, xy_to_xyz

BRADFORD = np.array(
    [
        [0.8951, 0.2664, -0.1614],
        [-0.7502, 1.7135, 0.0367],
        [0.0389, -0.0685, 1.0296],
    ]
)
"""XYZ → Bradford cone responses (ρ, γ, β)."""


def bradford(source: XY, target: XY) -> np.ndarray:
    """``3×3`` float64 that adapts XYZ seen under white ``source`` to white ``target``.

    Von Kries scaling in the Bradford cone space: ``M⁻¹ · diag(cone(target) / cone(source)) · M``.
    The source white (``Y = 1``) maps exactly to the target white (``Y = 1``).
    """
    cone_source = BRADFORD @ xy_to_xyz(source)
    cone_target = BRADFORD @ xy_to_xyz(target)
    return np.linalg.inv(BRADFORD) @ np.diag(cone_target / cone_source) @ BRADFORD
