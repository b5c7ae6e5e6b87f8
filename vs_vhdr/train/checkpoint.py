"""Training checkpoints: model, optimiser, step and every RNG state, written atomically.

A checkpoint is one ``torch.save`` file (``RUN/checkpoint.pt``, format ``vhdr.Checkpoint/1``)
loaded with ``weights_only=True`` (no arbitrary pickles). It is written to a temporary file and
renamed over the previous one, so a crash or a full disk while writing leaves the previous
checkpoint intact. The data sampler's position is the step itself: samples are a pure function of
(seed, step), so restoring the step restores the data stream.
"""

import io
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vs_vhdr.errors import IncompatibleWeightsError, UnreadableFileError, VhdrError
from vs_vhdr.io.atomic import write_bytes_atomic

FORMAT = "vhdr.Checkpoint/1"
CHECKPOINT_NAME = "checkpoint.pt"


class CheckpointWriteError(VhdrError, OSError):
    """Writing a checkpoint failed (e.g. disk full); the previous checkpoint is untouched."""


def rng_state() -> dict[str, Any]:
    """The state of Python's, numpy's and torch's (CPU and CUDA) global generators."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)  # noqa: NPY002
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, cached],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    model_name: str,
    config: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a checkpoint atomically (temp file, fsync, rename).

    Raises:
        CheckpointWriteError: the file could not be written; the old checkpoint is kept.
    """
    payload = {
        "format": FORMAT,
        "step": int(step),
        "model_name": model_name,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": rng_state(),
        "config": config,
        "extra": extra or {},
    }
    target = Path(path)
    buffer = io.BytesIO()
    torch.save(payload, buffer)  # serialise first: a write error is then a plain OSError
    try:
        write_bytes_atomic(target, buffer.getvalue())
    except OSError as error:
        raise CheckpointWriteError(
            f"save_checkpoint: could not write {target} at step {step} ({error}); "
            "the previous checkpoint is unchanged"
        ) from error


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint (CPU tensors) and check its format.

    Raises:
        UnreadableFileError: missing, truncated or not a vhdr checkpoint.
    """
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"load_checkpoint: {p} does not exist")
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt files
        raise UnreadableFileError(
            f"load_checkpoint: {p} is not a readable checkpoint ({error})"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UnreadableFileError(f"load_checkpoint: {p} is not a {FORMAT} file")
    return payload


def restore(
    payload: dict[str, Any],
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    model_name: str,
    where: str = "checkpoint",
) -> int:
    """Load model, optimiser and RNG state from ``payload``; return its step.

    Raises:
        IncompatibleWeightsError: the checkpoint holds another architecture.
    """
    if payload["model_name"] != model_name:
        raise IncompatibleWeightsError(
            f"resume: {where} was trained with model {payload['model_name']!r}; this run uses "
            f"{model_name!r}"
        )
    check_state_dict(payload["model"], model, where)
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    set_rng_state(payload["rng"])
    return int(payload["step"])


def check_state_dict(state: dict[str, torch.Tensor], model: torch.nn.Module, where: str) -> None:
    """Raise ``IncompatibleWeightsError`` naming the first key or shape that does not fit."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise IncompatibleWeightsError(
            f"{where}: parameters do not fit the model (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]})"
        )
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise IncompatibleWeightsError(
                f"{where}: {key} has shape {tuple(state[key].shape)}; the model expects "
                f"{tuple(tensor.shape)}"
            )
