"""Per-camera mask calibration: camera identity, the ``vhdr.MaskCalibration`` file, flat fields.

See docs/plugins.md ("Calibration workflow") and ``vhdr calibrate``.
"""

from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.flatfield import FlatFieldEstimate, estimate_transmittance, mask_error
from vs_vhdr.calibration.schema import (
    CURRENT_VERSION,
    SCHEMA_NAME,
    MaskCalibration,
    load_calibration,
    read_document,
    save_calibration,
)

__all__ = [
    "CURRENT_VERSION",
    "SCHEMA_NAME",
    "CameraId",
    "FlatFieldEstimate",
    "MaskCalibration",
    "estimate_transmittance",
    "load_calibration",
    "mask_error",
    "read_document",
    "save_calibration",
]
