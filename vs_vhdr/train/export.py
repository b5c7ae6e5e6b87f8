"""The final export of a run: ``weights.safetensors`` with its ``vhdr.Weights/1`` record.

The record (written by :func:`vs_vhdr.nets.save_weights`) carries the input contract (CFA,
window = ``data.frames``, mask conditioning), the training data (shots, held-out shots, masks,
noise, exposure, crop), the recipe (loss and λ, optimiser, batch, steps) and the last
validation metrics next to the naive baseline's on the same held-out samples.
"""

from pathlib import Path
from typing import Any

from torch import nn

from vs_vhdr.nets import save_weights
from vs_vhdr.train.config import TrainConfig, to_dict


def export_weights(
    model: nn.Module,
    path: Path,
    config: TrainConfig,
    split: dict[str, Any],
    val_rows: list[dict[str, Any]],
    step: int,
    *,
    baseline: dict[str, float] | None = None,
    notes: list[str] | None = None,
    dtype: str = "float32",
) -> Path:
    """Write ``model`` and its record to ``path`` (replacing the run's earlier export)."""
    settings = to_dict(config)
    training = {
        "steps": step,
        "data": {**settings["data"], "split": split},
        "loss": settings["loss"],
        "optim": settings["optim"],
        "seed": config.run.seed,
        "init": config.model.init or None,
        "freeze_encoder": config.model.freeze_encoder,
        "notes": list(notes or []),
    }
    metrics: dict[str, Any] = {}
    if val_rows:
        last = val_rows[-1]
        metrics["validation"] = {k: v for k, v in last.items() if k != "step"}
        metrics["validation_step"] = last["step"]
    if baseline:
        metrics["naive_baseline"] = dict(baseline)
    save_weights(
        model,
        path,
        cfa=config.data.cfa,
        window=config.data.frames,
        training=training,
        metrics=metrics,
        dtype=dtype,
        force=True,
    )
    return path
