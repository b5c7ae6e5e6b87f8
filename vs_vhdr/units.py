"""Units shared by the simulator, the networks and the engine (CONTRACT.md §1).

Scene HDR is linear and exposure-normalised: 1.0 saturates an unmasked pixel. The networks
predict ``log(x + LOG_EPS)``; :func:`to_log` and :func:`from_log` convert between the two.
"""

import torch

LOG_EPS = 1e-4
"""Offset (exposure-normalised units) added before the log; below the 16-bit quantisation step."""

NITS_AT_ONE = 100.0
"""Display luminance (cd/m²) given to exposure-normalised 1.0 by the PU21 metrics."""


def to_log(x: torch.Tensor) -> torch.Tensor:
    """Linear HDR (>= 0) to the networks' log domain: ``log(x + LOG_EPS)``."""
    return torch.log(x.clamp_min(0) + LOG_EPS)


def from_log(y: torch.Tensor) -> torch.Tensor:
    """Log-domain network output back to linear HDR, computed in float32, clamped at 0."""
    return (torch.exp(y.float()) - LOG_EPS).clamp_min(0)
