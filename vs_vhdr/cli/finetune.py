"""``vhdr finetune``: adapt a model to a studio's HDR footage and its camera's mask.

    vhdr finetune --init NAME|FILE --data SHOT... (--mask FILE | --camera NAME) --out DIR
                  [--holdout SHOT...] [--steps N] [--crop N] [--batch N] [--lr X]
                  [--freeze-encoder] [--config TOML] [--set KEY=VALUE ...] [--resume]

Samples are simulated from the ``--data`` shots through the camera's own mask (random
CFA-aligned windows of it), with noise and exposure drawn from the simulator's training ranges.
``--mask`` takes a mask image (EXR/NPY/16-bit PNG) or a ``vhdr.MaskCalibration/2`` file (/1 is upgraded);
``--camera`` a calibration name resolved through the plugins (its mask and CFA are used). The
result, ``DIR/weights.safetensors``, loads with ``vs_vhdr.create_model(path)`` and
``core.vhdr.Reconstruct(clip, model=path)``.
"""

import argparse
from pathlib import Path
from typing import Any

from vs_vhdr.cli.train import add_run_arguments, train_and_report
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.exr import write_exr
from vs_vhdr.train.config import apply_overrides, from_dict, read_table

CAMERA_MASK_NAME = "camera_mask.exr"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``finetune``."""
    parser = subparsers.add_parser(
        "finetune",
        help="fine-tune a model on your HDR shots and your camera's mask",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--init", required=True, help="registered model (with weights) or file")
    parser.add_argument("--data", nargs="+", required=True, metavar="SHOT", help="HDR shots")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--mask", help="mask image or calibration .json of the camera")
    source.add_argument("--camera", help="camera calibration name (resolved by the plugins)")
    parser.add_argument("--holdout", nargs="+", default=[], metavar="SHOT",
                        help="shots kept out of training for validation")  # fmt: skip
    parser.add_argument("--steps", type=int, help="optimiser steps (default 2000)")
    parser.add_argument("--crop", type=int, help="crop size in pixels (default 64)")
    parser.add_argument("--batch", type=int, help="global batch (default 4)")
    parser.add_argument("--lr", type=float, help="Adam learning rate (default 1e-4)")
    parser.add_argument(
        "--freeze-encoder", action="store_true", help="train only the second half of the layers"
    )
    parser.add_argument("--config", help="TOML config for the other keys (docs/training.md)")
    add_run_arguments(parser, "output folder: run files and weights.safetensors (required)")
    parser.set_defaults(run=run)
    return parser


FINETUNE_DEFAULTS = {"run": {"steps": 2000, "checkpoint_every": 100, "val_every": 200}}
"""Defaults below ``--config``; the flags and then ``--set`` come on top."""


def run(args: argparse.Namespace) -> int:
    """Entry point of ``vhdr finetune``."""
    if not args.out:
        raise InvalidArgumentError("finetune: --out DIR is required")
    out = Path(args.out)
    table: dict[str, dict[str, Any]] = {k: dict(v) for k, v in FINETUNE_DEFAULTS.items()}
    for section, values in (read_table(args.config) if args.config else {}).items():
        if not isinstance(values, dict):
            raise InvalidArgumentError(f"finetune: [{section}] in {args.config} is not a table")
        table.setdefault(section, {}).update(values)
    mask_path, cfa = _mask_source(args, out)
    table.setdefault("model", {}).update(
        name=_architecture(args.init), init=args.init, freeze_encoder=args.freeze_encoder
    )
    data = table.setdefault("data", {})
    data.update(shots=list(args.data), holdout=list(args.holdout), masks=[mask_path])
    data["mask_weights"] = [1.0]
    if cfa is not None:
        data["cfa"] = cfa
    if not args.holdout:
        data["val_samples"] = 0
    flags = {
        ("run", "steps"): args.steps,
        ("data", "crop"): args.crop,
        ("optim", "batch"): args.batch,
        ("optim", "lr"): args.lr,
    }
    for (section, key), value in flags.items():
        if value is not None:
            table.setdefault(section, {})[key] = value
    apply_overrides(table, args.overrides)
    return train_and_report(from_dict(table), out, args.resume)


def _architecture(init: str) -> str:
    """The registered architecture behind ``--init`` (a name, or a weights file's record)."""
    from vs_vhdr.nets import read_weights
    from vs_vhdr.plugins import get_host

    registry = get_host().model_registry
    if init in registry:
        return registry.resolve(init)
    if not Path(init).is_file():
        raise InvalidArgumentError(
            f"finetune: --init {init!r} is neither a registered model nor a weights file; "
            f"registered: {', '.join(registry.names())}"
        )
    record, _ = read_weights(init)
    return record.architecture


def _mask_source(args: argparse.Namespace, out: Path) -> tuple[str, str | None]:
    """A mask file for ``data.masks`` and the CFA a calibration prescribes (or None)."""
    if args.mask and not args.mask.lower().endswith(".json"):
        return str(Path(args.mask).resolve()), None
    from vs_vhdr.plugins import get_host

    calibration = get_host().calibration(args.camera or args.mask)
    out.mkdir(parents=True, exist_ok=True)
    path = out / CAMERA_MASK_NAME
    write_exr(path, calibration.mask, attributes={"vhdrCalibration": calibration.name})
    return str(path.resolve()), calibration.cfa
