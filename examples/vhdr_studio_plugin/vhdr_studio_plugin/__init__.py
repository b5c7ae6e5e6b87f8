"""An example vhdr plugin for a studio: its camera's mask calibration and its fine-tuned model.

- calibration ``stage-a`` (camera "Acme Cine C1", serial 0042): ``calibrations/stage-a.json``,
  made with ``vhdr calibrate`` (see the README);
- model ``studio-c3d``: the weights in ``weights/studio-c3d.safetensors`` (e.g. written by
  ``vhdr finetune``; the architecture comes from the file's record), alias ``studio-default``;
- noise preset ``acme-c1``: the camera's sensor noise for ``vhdr simulate``-style data.
"""

from pathlib import Path

import pluggy

hookimpl = pluggy.HookimplMarker("vhdr")
HERE = Path(__file__).resolve().parent
WEIGHTS = HERE / "weights" / "studio-c3d.safetensors"


@hookimpl
def vhdr_register_calibrations(registry):
    """Every calibration file shipped in ``calibrations/``."""
    registry.add_folder(HERE / "calibrations")


@hookimpl
def vhdr_register_models(registry):
    """The studio's fine-tuned model and an alias for it."""
    registry.register(
        "studio-c3d", _studio_c3d, description=f"C3D fine-tuned on stage A ({WEIGHTS.name})"
    )
    registry.alias("studio-default", "studio-c3d")


@hookimpl
def vhdr_register_presets(registry):
    """The camera's sensor noise, measured on stage A (kind ``noise``)."""
    from vs_vhdr.imaging.noise import NoiseParams

    registry.add(
        "noise", "acme-c1", NoiseParams(shot=2e-4, read_dn=2.0, prnu=0.004), "Acme Cine C1, ISO 800"
    )


def _studio_c3d():
    from vs_vhdr.errors import UnreadableFileError
    from vs_vhdr.nets import create_model

    if not WEIGHTS.is_file():
        raise UnreadableFileError(
            f"studio-c3d: {WEIGHTS} is missing; copy the fine-tuned weights there and reinstall"
        )
    return create_model(WEIGHTS)
