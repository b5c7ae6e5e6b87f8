"""Multi-process training under ``torchrun``: process group, device choice, rank-0 duties.

``torchrun`` sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; without them the run is a single
process. The backend is NCCL when the processes use CUDA devices and gloo otherwise. Each rank
draws its own share of the global batch (rank-sharded sampling, see ``vs_vhdr.data.sampler``);
rank 0 alone writes checkpoints and logs.
"""

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from vs_vhdr.errors import InvalidArgumentError


@dataclass(frozen=True)
class Context:
    """Where this process stands in the job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """True on the process that writes checkpoints and logs."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when a process group is in use."""
        return self.world_size > 1


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` → ``cuda:<local_rank>`` when CUDA is available, else ``cpu``; others checked."""
    if name == "auto":
        name = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    elif name == "cuda":
        name = f"cuda:{local_rank}"
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise InvalidArgumentError(
            f"train: run.device={name!r} is not a device; expected auto, cpu, cuda or cuda:N"
        ) from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InvalidArgumentError(f"train: run.device={name!r} but CUDA is not available")
    if device.type not in ("cpu", "cuda"):
        raise InvalidArgumentError(f"train: run.device={name!r}; expected auto, cpu or cuda[:N]")
    return device


def setup(device: str = "auto") -> Context:
    """Join the torchrun job if there is one; return this process's context."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device, local_rank)
    if world > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        dist.init_process_group(
            backend="nccl" if dev.type == "cuda" else "gloo",
            timeout=datetime.timedelta(minutes=30),
        )
    return Context(rank=rank, world_size=world, local_rank=local_rank, device=dev)


def teardown(ctx: Context) -> None:
    """Leave the process group."""
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(ctx: Context) -> None:
    """Wait for every rank (no-op in a single process)."""
    if ctx.distributed:
        dist.barrier()


def any_rank(ctx: Context, flag: bool) -> bool:
    """True on every rank if ``flag`` is true on any (e.g. a stop request)."""
    if not ctx.distributed:
        return flag
    value = torch.tensor([1.0 if flag else 0.0], device=ctx.device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def mean_over_ranks(ctx: Context, values: dict[str, float]) -> dict[str, float]:
    """Average scalar metrics over ranks (identical keys on every rank)."""
    if not ctx.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    tensor /= ctx.world_size
    return dict(zip(keys, tensor.tolist(), strict=True))
