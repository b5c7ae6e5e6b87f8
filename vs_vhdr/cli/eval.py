"""``vhdr eval``: metrics of reconstructed clips against ground truth, next to the naive baseline.

One clip per ``--gt`` pattern; ``--pred``, ``--baseline`` and ``--motion`` are given once per clip
in the same order (or not at all); ``--mask`` once for all clips or once per clip. Prints a
Markdown table (a row per clip and method, then the means) and optionally writes JSON, Markdown
and a PNG figure. Outputs are refused if they exist, unless ``--force``.
"""

import argparse
from pathlib import Path

import numpy as np

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.io.exr import read_exr_channels
from vs_vhdr.io.images import read_image
from vs_vhdr.io.sequence import expand
from vs_vhdr.metrics.baseline import naive_reconstruct
from vs_vhdr.metrics.clips import pair_frames, read_clip
from vs_vhdr.metrics.motion import MotionLike, load_motion
from vs_vhdr.metrics.perceptual import load_vgg
from vs_vhdr.metrics.report import MetricsTable

BASELINE = "baseline"
"""Method name of the naive reconstruction in the table."""
DEFAULT_CFA = "RGGB"
"""CFA of --baseline raw frames that record none (CONTRACT §1 default)."""


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr eval``."""
    parser = subparsers.add_parser(
        "eval",
        help="metrics of reconstructions against ground truth (docs/metrics.md)",
        description="Log-MAE/MSE, SSIM, L_T, L_VGG, PU21-PSNR/SSIM, exact-motion temporal error "
        "(and ColorVideoVDP if installed) per clip and averaged. Repeat --gt for several clips; "
        "--pred/--baseline/--motion/--name then follow in the same order.",
    )
    parser.add_argument(
        "--gt",
        action="append",
        required=True,
        metavar="PATTERN",
        help="ground-truth frames (EXR/HDR/NPY), e.g. shot/gt.%%04d.exr",
    )
    parser.add_argument(
        "--pred",
        action="append",
        default=[],
        metavar="PATTERN",
        help="reconstructed frames of the same clip",
    )
    parser.add_argument("--method", default="model", help="name of --pred in the table")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="RAW_PATTERN",
        help="coded raw frames (channel Y): also evaluate the naive baseline",
    )
    parser.add_argument(
        "--mask",
        action="append",
        default=[],
        metavar="FILE",
        help="mask of --baseline (EXR/NPY/16-bit PNG); once, or once per clip",
    )
    parser.add_argument(
        "--cfa",
        help="Bayer pattern of --baseline raw frames (default: the EXR's vhdrCfa attribute "
        "written by vhdr simulate, else RGGB)",
    )
    parser.add_argument(
        "--motion",
        action="append",
        default=[],
        metavar="FILE|static",
        help="known motion (.npy/.json, docs/metrics.md) or 'static'",
    )
    parser.add_argument("--name", action="append", default=[], help="clip names in the table")
    parser.add_argument(
        "--vgg",
        type=Path,
        metavar="WEIGHTS",
        help="VGG16 weights (vgg16-397923af.pth) to add L_VGG",
    )
    parser.add_argument(
        "--cvvdp", action="store_true", help="add ColorVideoVDP (needs the optional package cvvdp)"
    )
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate for ColorVideoVDP")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the report as JSON")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="write the table")
    parser.add_argument("--figure", type=Path, metavar="PNG", help="write the figure")
    parser.add_argument("--force", action="store_true", help="replace existing outputs")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate every clip, print the table, write the requested files."""
    _validate(args)
    table = MetricsTable(vgg=load_vgg(args.vgg) if args.vgg is not None else None)
    names = args.name or _default_names(args.gt)
    preview: tuple[str, np.ndarray, dict[str, np.ndarray]] | None = None
    for index in range(len(args.gt)):
        gt, outputs = _read_clip(args, index)
        motion = _motion(args.motion[index]) if args.motion else None
        for method, output in outputs.items():
            try:
                table.add(names[index], method, output, gt, motion, cvvdp=args.cvvdp, fps=args.fps)
            except InvalidArgumentError as error:
                raise InvalidArgumentError(f"clip {names[index]} ({method}): {error}") from error
        if preview is None:
            middle = gt.shape[0] // 2
            title = f"{names[index]}, frame {middle}"
            preview = (title, gt[middle], {m: o[middle] for m, o in outputs.items()})
    print(table.to_markdown(), end="")
    if args.json is not None:
        table.write_json(args.json, force=args.force)
    if args.markdown is not None:
        write_text_atomic(args.markdown, table.to_markdown())
    if args.figure is not None and preview is not None:
        from vs_vhdr.metrics.figure import Preview, write_figure  # matplotlib only when asked

        write_figure(args.figure, table, Preview(*preview), force=args.force)
    return 0


def _validate(args: argparse.Namespace) -> None:
    """Refuse inconsistent options and existing outputs before any work."""
    clips = len(args.gt)
    for option in ("pred", "baseline", "motion", "name"):
        values = getattr(args, option)
        if values and len(values) != clips:
            raise InvalidArgumentError(
                f"--{option} given {len(values)} times for {clips} clip(s) (--gt); expected {clips}"
            )
    if not args.pred and not args.baseline:
        raise InvalidArgumentError("--pred and --baseline are both missing; expected at least one")
    if args.baseline and len(args.mask) not in (1, clips):
        raise InvalidArgumentError(
            f"--mask given {len(args.mask)} times for {clips} clip(s) with --baseline; "
            f"expected once or {clips} times"
        )
    if args.mask and not args.baseline:
        raise InvalidArgumentError("--mask is only used with --baseline; expected --baseline too")
    if not args.fps > 0:
        raise InvalidArgumentError(f"--fps {args.fps}; expected a positive frame rate")
    for path in (args.json, args.markdown, args.figure):
        if path is None:
            continue
        if path.exists() and not args.force:
            raise OutputExistsError(f"{path} already exists; pass --force to replace it")
        if not path.parent.is_dir():
            raise InvalidArgumentError(f"{path}: folder {path.parent} does not exist")


def _read_clip(args: argparse.Namespace, index: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Ground truth ``T×H×W×3`` of clip ``index`` and each method's output (same shape)."""
    gt_frames = expand(args.gt[index])
    outputs: dict[str, np.ndarray] = {}
    if args.pred:
        pairs = pair_frames(expand(args.pred[index]), gt_frames, ("--pred", "--gt"))
        outputs[args.method] = read_clip([a for a, _ in pairs], "--pred")
    if args.baseline:
        pairs = pair_frames(expand(args.baseline[index]), gt_frames, ("--baseline", "--gt"))
        raw_paths = [a for a, _ in pairs]
        raw = read_clip(raw_paths, "--baseline", channels=1)
        mask = read_image(args.mask[index if len(args.mask) > 1 else 0])
        outputs[BASELINE] = naive_reconstruct(raw, mask, args.cfa or _recorded_cfa(raw_paths[0]))
    return read_clip([p for _, p in gt_frames], "--gt"), outputs


def _default_names(patterns: list[str]) -> list[str]:
    """The folder of each ``--gt`` pattern, made unique with its position where needed."""
    names = [Path(p).parent.name or f"clip{i}" for i, p in enumerate(patterns)]
    return [n if names.count(n) == 1 else f"{n}#{i}" for i, n in enumerate(names)]


def _recorded_cfa(raw_path: Path) -> str:
    """The ``vhdrCfa`` attribute ``vhdr simulate`` writes into raw EXRs, else ``RGGB``."""
    if raw_path.suffix.lower() != ".exr":
        return DEFAULT_CFA
    recorded = read_exr_channels(raw_path)[1].get("vhdrCfa")
    return recorded if isinstance(recorded, str) else DEFAULT_CFA


def _motion(value: str) -> MotionLike:
    return "static" if value == "static" else load_motion(value)
