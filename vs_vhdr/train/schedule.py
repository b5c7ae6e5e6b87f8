"""Learning rate as a function of the step (``[optim]`` schedule, lr, lr_min, decay_start)."""

import math

from vs_vhdr.train.config import OptimConfig


def learning_rate(optim: OptimConfig, step: int, steps: int) -> float:
    """The learning rate for the update that follows ``step`` completed steps of ``steps``.

    ``constant``: ``optim.lr``. ``cosine``: ``optim.lr`` before ``optim.decay_start``, then
    ``lr_min + (lr - lr_min) · (1 + cos(π·t)) / 2`` with ``t`` going from 0 at ``decay_start``
    to 1 at ``steps`` (and held at ``lr_min`` beyond).
    """
    if optim.schedule == "constant" or step <= optim.decay_start:
        return optim.lr
    progress = min(1.0, (step - optim.decay_start) / max(1, steps - optim.decay_start))
    return optim.lr_min + (optim.lr - optim.lr_min) * 0.5 * (1.0 + math.cos(math.pi * progress))
