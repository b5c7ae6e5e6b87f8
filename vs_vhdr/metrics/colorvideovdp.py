"""ColorVideoVDP (Mantiuk, Hanji, Ashraf, Asano & Chapiro, SIGGRAPH 2024) as an optional metric.

Uses the ``cvvdp`` package from PyPI (module ``pycvvdp``) when it is installed; vhdr does not
depend on it. The clips are shown on the ``standard_hdr_linear`` display, which takes absolute
linear RGB in cd/m²: exposure-normalised 1.0 becomes ``NITS_AT_ONE`` = 100 cd/m². Result in JOD
(just-objectionable differences): 10 means no visible difference, lower is worse.
"""

import importlib
import importlib.util

import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.metrics.inputs import ClipLike, as_pair
from vs_vhdr.units import NITS_AT_ONE

CVVDP_DISPLAY = "standard_hdr_linear"
"""ColorVideoVDP display model: linear absolute RGB (cd/m²) on a standard HDR display."""
UNAVAILABLE_NOTE = (
    "ColorVideoVDP skipped: the optional package cvvdp (module pycvvdp) is not installed"
)
"""Report note used when the metric cannot run."""


def cvvdp_available() -> bool:
    """True when ``pycvvdp`` can be imported."""
    return importlib.util.find_spec("pycvvdp") is not None


def cvvdp_jod(
    pred: ClipLike, gt: ClipLike, fps: float = 30.0, nits_at_one: float = NITS_AT_ONE
) -> float:
    """ColorVideoVDP JOD of ``pred`` against ``gt`` (linear HDR clips ``T×H×W×3``).

    Raises:
        InvalidArgumentError: ``pycvvdp`` is not installed, or the clips are invalid.
    """
    if not cvvdp_available():
        raise InvalidArgumentError(f"cvvdp_jod: {UNAVAILABLE_NOTE}; pip install cvvdp")
    p, g = as_pair(pred, gt, "cvvdp_jod")
    pycvvdp = importlib.import_module("pycvvdp")
    metric = pycvvdp.cvvdp(display_name=CVVDP_DISPLAY)
    test = p.to(torch.float32).clamp_min(0) * nits_at_one
    reference = g.to(torch.float32).clamp_min(0) * nits_at_one
    if p.shape[0] == 1:
        jod, _ = metric.predict(test[0], reference[0], dim_order="HWC")
    else:
        jod, _ = metric.predict(test, reference, dim_order="FHWC", frames_per_second=fps)
    return float(jod)
