"""vhdr train CONFIG [--set KEY=VALUE ...] [--resume] [--out RUN_DIR] [--pregenerate DIR]

Trains a network from a TOML config (docs/training.md); the same command runs under ``torchrun``
for several processes or machines. ``--pregenerate DIR`` writes the config's training samples to
disk (``vhdr simulate`` layout) instead of training; ``data.fixed = DIR`` trains on them.
Exit status: 0 when the run reached ``run.steps``; 130 (SIGINT) or 143 (SIGTERM) when a signal
stopped it after writing a checkpoint.
"""

import argparse
import os
import signal
import sys
from pathlib import Path

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.train.config import TrainConfig, load_config


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``train``."""
    parser = subparsers.add_parser(
        "train",
        help="train a network from a TOML config (resumable; torchrun for many processes)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "config", nargs="?", help="TOML config (with --resume: default RUN_DIR/config.toml)"
    )
    add_run_arguments(parser)
    parser.add_argument(
        "--pregenerate",
        metavar="DIR",
        help="simulate the config's data.samples training samples into DIR and exit",
    )
    parser.set_defaults(run=run)
    return parser


def add_run_arguments(
    parser: argparse.ArgumentParser, out_help: str = "run folder (default runs/CONFIG_NAME)"
) -> None:
    """``--set``, ``--resume`` and ``--out`` (shared with ``vhdr finetune``)."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set optim.lr=3e-4 (repeatable)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --out from its checkpoint"
    )
    parser.add_argument("--out", metavar="RUN_DIR", help=out_help)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``vhdr train``."""
    if args.config is None and not (args.resume and args.out):
        raise InvalidArgumentError("train: give a CONFIG file (or --resume --out RUN_DIR)")
    if args.out:
        run_dir = Path(args.out)
    else:
        run_dir = Path("runs") / Path(args.config).stem
    source = args.config if args.config is not None else run_dir / "config.toml"
    config = load_config(source, args.overrides)
    if args.pregenerate:
        return pregenerate(config, Path(args.pregenerate))
    return train_and_report(config, run_dir, args.resume)


def train_and_report(config: TrainConfig, run_dir: Path, resume: bool) -> int:
    """Run :func:`vs_vhdr.train.trainer.train` and print a one-paragraph summary (rank 0)."""
    from vs_vhdr.train.trainer import train

    result = train(config, run_dir, resume=resume)
    if result.stopped_by == "time limit":
        print(
            f"vhdr train: run.time_limit_s reached at step {result.step}; weights "
            f"{result.weights}; continue with: vhdr train --resume --out {run_dir}",
            file=sys.stderr,
        )
        return 0
    if result.stopped_by is not None:
        print(
            f"vhdr train: stopped by {result.stopped_by} at step {result.step}; checkpoint in "
            f"{run_dir}; continue with: vhdr train --resume --out {run_dir}",
            file=sys.stderr,
        )
        return 130 if result.stopped_by == signal.Signals.SIGINT.name else 143
    if _is_main_process():
        loss = f"{result.last_loss:.5g}" if result.last_loss is not None else "n/a"
        print(f"vhdr train: {result.step} steps in {run_dir}; last loss {loss}")
        if result.weights is not None:
            print(f"weights: {result.weights}")
    return 0


def pregenerate(config: TrainConfig, folder: Path) -> int:
    """Write ``data.samples`` simulated training samples to ``folder``."""
    from vs_vhdr.data.dataset import SimulatedClips
    from vs_vhdr.data.fixed import write_fixed_set
    from vs_vhdr.data.shots import open_shots

    d = config.data
    clips = SimulatedClips(open_shots(d.shots, d, "data.shots"), d, config.run.seed)
    write_fixed_set(clips, folder, progress=config.run.progress)
    print(
        f"vhdr train: {len(clips)} samples in {folder}; train on them with --set data.fixed={folder}"
    )
    return 0


def _is_main_process() -> bool:
    return os.environ.get("RANK", "0") == "0"
