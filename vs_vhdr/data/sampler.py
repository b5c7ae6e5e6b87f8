"""Which sample each step trains on: a pure function of (seed, step), sharded over ranks.

Samples ``0 .. num_samples-1`` form an epoch; each epoch visits them in its own seeded order.
Step ``s`` of a run with global batch ``B`` takes positions ``s·B .. s·B+B-1`` of that endless
stream, and rank ``r`` of ``W`` takes the ``r``-th of ``W`` equal slices. Because nothing depends
on earlier steps, resuming at step ``s`` needs nothing but ``s`` (the sampler position).
"""

from collections.abc import Iterator

import numpy as np
from torch.utils.data import Sampler

from vs_vhdr.errors import InvalidArgumentError


class StepSampler(Sampler[int]):
    """Yield this rank's sample indices for steps ``start_step .. end_step-1`` in order."""

    def __init__(
        self,
        num_samples: int,
        batch: int,
        *,
        seed: int = 0,
        start_step: int = 0,
        end_step: int,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if batch % world_size:
            raise InvalidArgumentError(
                f"StepSampler: optim.batch={batch} does not split over {world_size} processes; "
                "expected a multiple of the number of processes"
            )
        if num_samples < 1:
            raise InvalidArgumentError(f"StepSampler: num_samples={num_samples}; expected >= 1")
        self.num_samples = num_samples
        self.batch = batch
        self.seed = seed
        self.start_step = start_step
        self.end_step = end_step
        self.rank = rank
        self.world_size = world_size
        self._orders: dict[int, np.ndarray] = {}

    @property
    def per_rank(self) -> int:
        """Samples this rank takes per step."""
        return self.batch // self.world_size

    def step_indices(self, step: int) -> list[int]:
        """Sample indices this rank trains on at ``step``."""
        first = step * self.batch + self.rank * self.per_rank
        return [self._at(pos) for pos in range(first, first + self.per_rank)]

    def __iter__(self) -> Iterator[int]:
        for step in range(self.start_step, self.end_step):
            yield from self.step_indices(step)

    def __len__(self) -> int:
        return max(self.end_step - self.start_step, 0) * self.per_rank

    def _at(self, position: int) -> int:
        epoch, offset = divmod(position, self.num_samples)
        order = self._orders.get(epoch)
        if order is None:
            order = np.random.default_rng([self.seed, epoch, 0x5EED]).permutation(self.num_samples)
            self._orders = {epoch: order}  # keep one epoch: the stream only moves forward
        return int(order[offset])
