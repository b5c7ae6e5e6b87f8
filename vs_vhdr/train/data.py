"""The data of a run: training set, held-out validation samples, the recorded split, the sampler.

Training shots are ``data.shots``; validation samples are simulated from ``data.holdout`` only
(their own seed stream), so a held-out shot never reaches the optimiser. ``split.json`` in the
run folder records both lists; content named in both (see :func:`vs_vhdr.data.shots.content_id`)
is refused.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vs_vhdr.data.dataset import SimulatedClips, check_data_config
from vs_vhdr.data.fixed import FixedClips
from vs_vhdr.data.sampler import StepSampler
from vs_vhdr.data.shots import content_id, open_shots
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.train.config import TrainConfig
from vs_vhdr.train.distributed import Context

TRAIN_STREAM = 0
VAL_STREAM = 1


@dataclass
class TrainingData:
    """What the trainer draws from."""

    train: SimulatedClips | FixedClips
    val: SimulatedClips | None
    split: dict[str, Any]
    config: TrainConfig
    notes: list[str] = field(default_factory=list)

    def sampler(self, start_step: int, ctx: Context) -> StepSampler:
        """This rank's sampler from ``start_step`` to the end of the run."""
        return StepSampler(
            len(self.train),
            self.config.optim.batch,
            seed=self.config.run.seed,
            start_step=start_step,
            end_step=self.config.run.steps,
            rank=ctx.rank,
            world_size=ctx.world_size,
        )


def build_data(config: TrainConfig, run_dir: Path | None) -> TrainingData:
    """Open the shots, check the split, build the datasets; write ``split.json`` to ``run_dir``."""
    d = config.data
    check_data_config(d)
    split: dict[str, Any] = {"train": list(d.shots), "holdout": list(d.holdout)}
    leaked = sorted({content_id(s) for s in d.shots} & {content_id(s) for s in d.holdout})
    if leaked:
        raise InvalidArgumentError(
            f"train: data.shots and data.holdout show the same content {leaked}; held-out shots "
            "must never be trained on"
        )
    train: SimulatedClips | FixedClips
    if d.fixed:
        train = FixedClips(d.fixed, frames=d.frames)
        split["fixed"] = str(Path(d.fixed).resolve())
    else:
        train = SimulatedClips(
            open_shots(d.shots, d, "data.shots"),
            d,
            config.run.seed,
            motion=config.loss.motion > 0,
        )
    val = None
    if d.holdout and d.val_samples:
        holdout = open_shots(d.holdout, d, "data.holdout")
        val = SimulatedClips(holdout, d, config.run.seed, length=d.val_samples, stream=VAL_STREAM)
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(run_dir / "split.json", json.dumps(split, indent=2) + "\n")
    return TrainingData(train, val, split, config)
