r"""PU21 content loss (beyond the paper): L1 in the units the quality metric is computed in.

The paper's L1 (Eq. 2) weighs every log-domain error alike, so a stop of error in a dark shadow
costs as much as a stop in a highlight. PU21-PSNR (``vs_vhdr.metrics.pu21``, CONTRACT §3) weighs
errors by the PU21 encoding of absolute luminance: a stop costs about 0.02 (PU units / 256) at
0.1 cd/m², 0.15 at 18 cd/m² (mid grey) and 0.21 at 2000 cd/m², nothing above 10 000 cd/m². This
term is

.. math:: L_{PU} = \frac{1}{N} \sum \big| P(\hat x) - P(x) \big| / 256

with :math:`P` the PU21 value of Rec. 709 luminance at ``NITS_AT_ONE`` cd/m² per unit and 256
the metric's peak, over every frame and pixel (luminance only: colour is the L1 term's).
"""

import torch

from vs_vhdr.losses.checks import check_video_pair
from vs_vhdr.metrics.colour import luminance
from vs_vhdr.metrics.pu21 import PU21_PEAK, pu21_encode
from vs_vhdr.units import NITS_AT_ONE, from_log


def pu21_luminance(log_hdr: torch.Tensor) -> torch.Tensor:
    """PU21 value of the luminance of log HDR video: ``B×3×T×H×W`` → ``B×T×H×W`` (PU units)."""
    return pu21_encode(luminance(from_log(log_hdr).movedim(1, -1)) * NITS_AT_ONE)


def pu21_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute PU21 difference / 256 of two log HDR videos ``B×3×T×H×W``; a scalar.

    Example:
        >>> x = torch.zeros(1, 3, 1, 2, 2)
        >>> float(pu21_loss(x, x))
        0.0
    """
    check_video_pair(pred, target, "pu21_loss", channels=3)
    return (pu21_luminance(pred) - pu21_luminance(target)).abs().mean() / PU21_PEAK
