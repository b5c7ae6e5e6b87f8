r"""Overshoot loss (beyond the paper): charges luminance well above the truth's.

Where every mask sample of a highlight clipped, its brightness is a guess from context, and an
L1 loss guesses the median: on skies that clip the guess can land above the truth, which the
held-out suite counts as *overshoot* (luminance above twice the truth's, ``benchmarks/
heldout_eval.py``). This term charges, per pixel, the log luminance above ``ratio`` times the
truth's:

.. math:: L_{over} = \frac{1}{N} \sum \max\big(0,\ \log \max(Y(\hat x), f) - \log \max(Y(x), f)
          - \log r\big)

with :math:`Y` Rec. 709 luminance (exposure-normalised units), :math:`f` = ``OVERSHOOT_FLOOR``
(truth darker than PU21's black counts as it) and :math:`r` = ``ratio``, over every frame and
pixel. Together with L1 it moves the estimate of uncertain highlights below the median, and it
is zero wherever the prediction is within ``ratio`` of the truth or below it.
"""

import math

import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.losses.checks import check_video_pair
from vs_vhdr.metrics.colour import luminance
from vs_vhdr.units import from_log

OVERSHOOT_RATIO = 1.5
"""Luminance ratio to the truth from which the loss charges (the suite counts from 2)."""
OVERSHOOT_FLOOR = 5e-5
"""Truth luminance below this (0.005 cd/m² at 100 cd/m² per unit, PU21's black) counts as it."""


def overshoot_loss(
    pred: torch.Tensor, target: torch.Tensor, ratio: float = OVERSHOOT_RATIO
) -> torch.Tensor:
    """Mean log-luminance excess over ``ratio`` × the truth of log HDR videos ``B×3×T×H×W``.

    Example:
        >>> x = torch.zeros(1, 3, 1, 2, 2)
        >>> round(float(overshoot_loss(x + 1.0, x)), 3)  # e× the truth: 1 − log 1.5
        0.595
    """
    check_video_pair(pred, target, "overshoot_loss", channels=3)
    if not (isinstance(ratio, int | float) and 1 <= ratio < math.inf):
        raise InvalidArgumentError(
            f"overshoot_loss: ratio={ratio!r}; expected a number >= 1 (luminance ratio)"
        )

    def log_luminance(log_hdr: torch.Tensor) -> torch.Tensor:
        return torch.log(luminance(from_log(log_hdr).movedim(1, -1)).clamp_min(OVERSHOOT_FLOOR))

    excess = log_luminance(pred) - log_luminance(target) - math.log(ratio)
    return excess.clamp_min(0).mean()
