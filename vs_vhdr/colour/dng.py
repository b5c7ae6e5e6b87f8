"""Camera RGB → XYZ (D50) from a DNG's colour tags, following DNG 1.4, chapter 6.

The steps ("Mapping Camera Color Space to CIE XYZ Space" in the specification):

1. With two calibrations, each matrix pair (``ColorMatrix``, ``CameraCalibration``,
   ``ForwardMatrix``) is interpolated linearly in the *inverse* correlated colour temperature of
   the scene's white between the two illuminants' temperatures, and clamped outside them.
2. ``XYZtoCamera = AnalogBalance · CameraCalibration · ColorMatrix``.
3. The scene's white: ``AsShotWhiteXY`` directly; or from ``AsShotNeutral`` by iterating
   ``xy ← xy(XYZtoCamera(xy)⁻¹ · neutral)`` (the matrix depends on the white's temperature);
   with neither, the white of ``CalibrationIlluminant1`` (D50 when that is not a CIE illuminant).
4. Without forward matrices: ``CameraToXYZ_D50 = Bradford(white → D50) · XYZtoCamera⁻¹``. With them:
   ``CameraToXYZ_D50 = ForwardMatrix · diag(ReferenceNeutral)⁻¹ · (AnalogBalance · CameraCalibration)⁻¹``.

Scaling (as the specification's reference implementation does): the camera's neutral is scaled
so its largest channel is 1, and that neutral maps to the D50 white with ``Y = 1``: a grey that
just saturates the camera's most sensitive channel becomes ``Y = 1``. That keeps the CONTRACT's
exposure normalisation (1.0 saturates) for neutrals.
"""

import numpy as np

from vs_vhdr.colour.adaptation import bradford
from vs_vhdr.colour.camera import CameraColour, DngColour, Matrix
from vs_vhdr.colour.spaces import D50_XY, XY, xy_to_xyz, xyz_to_xy
from vs_vhdr.colour.temperature import (
    LIGHT_SOURCE_XY,
    light_source_cct,
    light_source_name,
    xy_to_cct,
)
from vs_vhdr.errors import InvalidArgumentError

MAX_ITERATIONS = 30
"""Steps of the neutral → white search (it converges in a handful)."""
TOLERANCE = 1e-9
"""Change of xy below which the search stops."""


def resolve_dng_colour(tags: DngColour) -> CameraColour:
    """The white balance and camera → XYZ (D50) matrix that ``tags`` describe.

    Raises:
        InvalidArgumentError: no ``ColorMatrix1``, or singular matrices.
    """
    where = f"camera colour ({tags.source or 'DNG tags'})"
    if tags.color_matrix_1 is None:
        raise InvalidArgumentError(f"{where}: no ColorMatrix1; expected the camera's colour matrix")
    profile = _Profile(tags)
    try:
        if tags.as_shot_white_xy is not None:
            white = (tags.as_shot_white_xy[0], tags.as_shot_white_xy[1])
            how = "AsShotWhiteXY"
        elif tags.as_shot_neutral is not None:
            white = profile.white_of_neutral(np.asarray(tags.as_shot_neutral))
            how = "AsShotNeutral"
        else:
            white = LIGHT_SOURCE_XY.get(tags.illuminant_1, D50_XY)
            how = f"no as-shot white: {light_source_name(tags.illuminant_1)}"
        cct = xy_to_cct(white)
        xyz_to_camera = profile.xyz_to_camera(cct)
        neutral = xyz_to_camera @ xy_to_xyz(white)
        if tags.as_shot_neutral is not None and tags.as_shot_white_xy is None:
            neutral = np.asarray(tags.as_shot_neutral, dtype=np.float64)
        if not np.min(neutral) > 0:
            raise InvalidArgumentError(
                f"{where}: the white {white} gives camera neutral {neutral.tolist()}; expected "
                "positive values (a plausible matrix and white)"
            )
        neutral = neutral / np.max(neutral)
        forward = profile.forward_matrix(cct)
        if forward is None:
            scale = 1.0 / np.max(xyz_to_camera @ xy_to_xyz(white))
            camera_to_xyz = bradford(white, D50_XY) @ np.linalg.inv(xyz_to_camera * scale)
        else:
            individual = profile.individual(cct)
            reference_neutral = np.linalg.solve(individual, neutral)
            camera_to_xyz = forward @ np.diag(1.0 / reference_neutral) @ np.linalg.inv(individual)
    except np.linalg.LinAlgError as error:
        raise InvalidArgumentError(f"{where}: a colour matrix is singular ({error})") from error
    return CameraColour(
        neutral=neutral,
        camera_to_xyz=camera_to_xyz,
        white_xy=(float(white[0]), float(white[1])),
        cct=cct,
        source=f"{tags.source or 'DNG'} {profile.describe()}, {how}",
    )


class _Profile:
    """The tag pairs of one camera and their interpolation by temperature."""

    def __init__(self, tags: DngColour) -> None:
        self.tags = tags
        t1 = light_source_cct(tags.illuminant_1) if tags.illuminant_1 else None
        t2 = light_source_cct(tags.illuminant_2) if tags.illuminant_2 else None
        self.dual = tags.color_matrix_2 is not None and t1 is not None and t2 is not None
        self.t1, self.t2 = t1 or 0.0, t2 or 0.0

    def describe(self) -> str:
        tags = self.tags
        names = light_source_name(tags.illuminant_1)
        if self.dual:
            names += f", {light_source_name(tags.illuminant_2)}"
        kind = "ForwardMatrix" if tags.forward_matrix_1 is not None else "ColorMatrix"
        return f"{kind}{'1/2' if self.dual else '1'} ({names})"

    def weight(self, cct: float) -> float:
        """Weight of the first calibration: linear in 1/CCT between the two, clamped."""
        if not self.dual or self.t1 == self.t2:
            return 1.0
        (low, high), first_is_low = sorted((self.t1, self.t2)), self.t1 < self.t2
        if cct <= low:
            g_low = 1.0
        elif cct >= high:
            g_low = 0.0
        else:
            g_low = (1.0 / cct - 1.0 / high) / (1.0 / low - 1.0 / high)
        return g_low if first_is_low else 1.0 - g_low

    def _mix(self, first: Matrix | None, second: Matrix | None, cct: float) -> np.ndarray | None:
        if first is None:
            return None
        a = np.asarray(first, dtype=np.float64).reshape(3, 3)
        if second is None or not self.dual:
            return a
        g = self.weight(cct)
        return g * a + (1.0 - g) * np.asarray(second, dtype=np.float64).reshape(3, 3)

    def individual(self, cct: float) -> np.ndarray:
        """``AnalogBalance · CameraCalibration`` at ``cct``."""
        tags = self.tags
        calibration = self._mix(tags.camera_calibration_1, tags.camera_calibration_2, cct)
        balance = np.diag(tags.analog_balance) if tags.analog_balance else np.eye(3)
        return balance @ (calibration if calibration is not None else np.eye(3))

    def xyz_to_camera(self, cct: float) -> np.ndarray:
        """``AnalogBalance · CameraCalibration · ColorMatrix`` at ``cct``."""
        matrix = self._mix(self.tags.color_matrix_1, self.tags.color_matrix_2, cct)
        assert matrix is not None  # checked by the caller
        return self.individual(cct) @ matrix

    def forward_matrix(self, cct: float) -> np.ndarray | None:
        return self._mix(self.tags.forward_matrix_1, self.tags.forward_matrix_2, cct)

    def white_of_neutral(self, neutral: np.ndarray) -> XY:
        """The white xy whose camera response is ``neutral`` (iterated: the matrix moves with it)."""
        white: XY = D50_XY
        for _ in range(MAX_ITERATIONS):
            xyz = np.linalg.solve(self.xyz_to_camera(xy_to_cct(white)), neutral)
            new = xyz_to_xy(xyz)
            if abs(new[0] - white[0]) + abs(new[1] - white[1]) < TOLERANCE:
                return new
            white = new
            if not self.dual:
                return white
        return white
