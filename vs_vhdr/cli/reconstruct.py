"""``vhdr reconstruct``: coded raw EXR frames (channel ``Y``) → linear HDR EXR frames (RGB).

The colour stage follows the network (docs/colour.md): ``--colorspace auto`` writes ACEScg when
the camera's matrices are known (DNG tags, a camera plugin, the calibration's ``colour``) and
camera RGB otherwise; every EXR names its space (``chromaticities``, ``vhdrColorspace``).

Output frame numbers follow the input's. ``--frames START-END`` writes a sub-range but reads the
neighbouring raw frames it needs as temporal context, so farm chunks stitch into exactly the
frames of one whole run. Outputs are written atomically; existing ones are refused unless
``--force`` (replace) or ``--resume`` (keep them, write only the missing frames).
"""

import argparse
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import OpenEXR
import torch
from tqdm import tqdm

from vs_vhdr import __version__
from vs_vhdr.cli.raw_input import open_cli_raw, raw_mask_source
from vs_vhdr.colour import CHOICES, ColourChoice, DngColour, choose_colour, clipped_channels
from vs_vhdr.engine import EngineOptions, Reconstructor
from vs_vhdr.engine.options import PRECISIONS
from vs_vhdr.engine.windows import PAD_MODES
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError
from vs_vhdr.io.background import BackgroundWriter, ReadAhead
from vs_vhdr.io.exr import read_exr_mono, write_exr
from vs_vhdr.io.images import read_image
from vs_vhdr.io.raw_sequence import RawSequence
from vs_vhdr.io.sequence import expand_many, format_frame, missing_frames
from vs_vhdr.nets.weights import quality_warning

Normalise = Callable[[np.ndarray], np.ndarray]
"""Raw values in the file's units → normalised raw in [0, 1]."""

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr reconstruct``."""
    parser = subparsers.add_parser(
        "reconstruct",
        help="reconstruct HDR EXR frames from coded raw EXR frames (docs/engine.md)",
        description="Run a model over a coded raw sequence (EXR, channel Y, values in [0, 1]) "
        "with sliding temporal windows and write linear HDR EXR frames (RGB).",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="RAW_INPUT",
        help="raw frames: shot/raw.%%04d.exr, #### or glob; or DNG / camera raw files, a "
        "pattern or a folder of them (docs/raw.md)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--mask", metavar="FILE", help="mask image H×W (EXR Y, NPY, 16-bit PNG)")
    source.add_argument(
        "--camera",
        metavar="NAME",
        help="camera calibration name or .json file (raw files: default from their metadata)",
    )
    parser.add_argument("--black-level", type=float, help="raw files: black in DN (default: file)")
    parser.add_argument("--white-level", type=float, help="raw files: white in DN (default: file)")
    parser.add_argument("--out", required=True, metavar="PATTERN", help="e.g. out/hdr.%%04d.exr")
    parser.add_argument("--model", default="default", help="model name or weights file")
    parser.add_argument(
        "--cfa", default=None, help="Bayer pattern (default: raw files', calibration's, RGGB)"
    )
    parser.add_argument("--window", type=int, default=8, help="frames per network pass")
    parser.add_argument(
        "--overlap", type=int, default=None, help="frames shared by windows (default window/2)"
    )
    parser.add_argument("--tile", type=int, default=0, help="tile size in pixels; 0: whole frames")
    parser.add_argument("--pad", choices=PAD_MODES, default="reflect", help="short-clip padding")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--precision", choices=("auto", *PRECISIONS), default="auto")
    parser.add_argument(
        "--colorspace",
        choices=("auto", *CHOICES),
        default="auto",
        help="output colour space; auto: acescg when the camera's matrices are known (DNG, "
        "plugin, calibration), else camera (docs/colour.md)",
    )
    parser.add_argument("--frames", metavar="START-END", help="write only these frame numbers")
    parser.add_argument("--half", action="store_true", help="write 16-bit half floats")
    parser.add_argument("--resume", action="store_true", help="skip frames already written")
    parser.add_argument("--force", action="store_true", help="replace existing output frames")
    parser.add_argument(
        "--io-threads",
        type=int,
        default=None,
        metavar="N",
        help="threads reading and writing frames while the network runs (0: inline; default "
        "2 on CUDA, 0 on the CPU, where the network already keeps every core busy)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Reconstruct and write the frames; print a summary line."""
    if args.io_threads is not None and args.io_threads < 0:
        raise InvalidArgumentError(
            f"reconstruct: --io-threads {args.io_threads}; expected 0 (inline) or more threads"
        )
    raw = open_cli_raw(args.inputs, args.black_level, args.white_level, "reconstruct")
    frames = raw.frames if raw is not None else expand_many(args.inputs)
    gaps = missing_frames(frames)
    if gaps:
        shown = ", ".join(str(g) for g in gaps[:5]) + (" ..." if len(gaps) > 5 else "")
        raise InvalidArgumentError(
            f"reconstruct: RAW_INPUT has missing frames ({shown}); expected a contiguous sequence"
        )
    numbers = [number for number, _ in frames]
    wanted = _frame_range(args.frames, numbers)
    outputs = {i: Path(format_frame(args.out, numbers[i])) for i in wanted}
    _check_outputs(outputs, {path.resolve() for _, path in frames}, args.force, args.resume)
    todo = [i for i in wanted if args.force or not (args.resume and _complete(outputs[i]))]

    mask, cfa, normalise, primaries, colour = _mask_source(args, raw)
    choice = choose_colour(
        args.colorspace, colour, "reconstruct: --colorspace", camera_primaries=primaries
    )
    print(f"vhdr reconstruct: {choice.note}", file=sys.stderr)
    options = EngineOptions(
        model=args.model,
        cfa=cfa,
        window=args.window,
        overlap=args.overlap,
        tile=args.tile,
        pad=args.pad,
        device=args.device,
        precision=args.precision,
    )
    reconstructor = Reconstructor(options, mask)
    warning = quality_warning(reconstructor.runner.model)
    if warning:
        print(f"vhdr reconstruct: warning: {warning}", file=sys.stderr)

    def read_raw(i: int) -> np.ndarray:
        return raw.read(i) if raw is not None else normalise(read_exr_mono(frames[i][1]))

    attributes = {
        "software": f"vhdr {__version__}",
        "vhdrModel": args.model,
        "vhdrColorspace": choice.colorspace,
    }
    attributes.update(raw.metadata.attributes() if raw is not None else {})
    for path in {outputs[i].parent for i in todo}:
        path.mkdir(parents=True, exist_ok=True)
    if reconstructor.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(reconstructor.device)
    started = time.perf_counter()
    io_threads = args.io_threads
    if io_threads is None:  # measured: no gain on a busy 2-core CPU (benchmarks/results)
        io_threads = 2 if reconstructor.device.type == "cuda" else 0
    stride = options.window - int(options.overlap or 0)
    keep = 2 * options.window + stride + 1  # frames of this window, the next and the one before
    with (
        ReadAhead(read_raw, io_threads, keep=keep) as get_raw,
        BackgroundWriter(io_threads) as writer,
    ):
        for k, i in enumerate(tqdm(todo, desc="reconstruct", unit="frame", disable=None)):
            ahead = todo[min(k + stride, len(todo) - 1)]  # read the next window's frames now
            get_raw.prefetch(reconstructor.frames_needed(ahead, len(frames)))
            hdr = _colour(
                choice, reconstructor.output_frame(i, len(frames), get_raw), get_raw(i), cfa
            )
            writer.submit(
                write_exr,
                outputs[i],
                hdr,
                half=args.half,
                chromaticities=choice.chromaticities,
                attributes=attributes,
            )
    seconds = time.perf_counter() - started
    print(_summary(reconstructor, len(todo), len(wanted) - len(todo), seconds))
    return 0


def _colour(choice: ColourChoice, hdr: np.ndarray, raw: np.ndarray, cfa: str) -> np.ndarray:
    """The colour stage of one frame: ``hdr`` (camera RGB) into the chosen space."""
    if choice.transform.is_identity:
        return hdr
    return choice.transform.apply(hdr, clipped_channels(raw, cfa))


def _frame_range(text: str | None, numbers: list[int]) -> list[int]:
    """Clip positions of the frame numbers in ``--frames START-END`` (all when not given)."""
    if text is None:
        return list(range(len(numbers)))
    match = _RANGE.match(text)
    if not match:
        raise InvalidArgumentError(f"reconstruct: --frames {text!r}; expected START-END or N")
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if start > end or start < numbers[0] or end > numbers[-1]:
        raise InvalidArgumentError(
            f"reconstruct: --frames {text!r} is outside the input's frames "
            f"{numbers[0]}-{numbers[-1]}; expected START <= END within them"
        )
    return [i for i, number in enumerate(numbers) if start <= number <= end]


def _check_outputs(outputs: dict[int, Path], inputs: set[Path], force: bool, resume: bool) -> None:
    for path in outputs.values():
        if path.resolve() in inputs:
            raise InvalidArgumentError(f"reconstruct: --out would overwrite the input {path}")
    if force or resume:
        return
    existing = [path for path in outputs.values() if path.exists()]
    if existing:
        raise OutputExistsError(
            f"reconstruct: {len(existing)} output frame(s) exist, e.g. {existing[0]}; "
            "pass --force to replace them or --resume to keep them and write the rest"
        )


def _complete(path: Path) -> bool:
    """True when ``path`` is a readable EXR (outputs are atomic, so a name means complete)."""
    if not path.is_file():
        return False
    try:
        with OpenEXR.File(str(path), header_only=True):
            return True
    except (RuntimeError, OSError, ValueError):
        return False


def _mask_source(
    args: argparse.Namespace, raw: RawSequence | None
) -> tuple[np.ndarray, str, Normalise, int, DngColour | None]:
    """Mask, CFA, raw normalisation, H.273 primaries and camera colour from ``--mask`` or
    ``--camera``.

    Raw files are normalised with their own levels; their camera identity stands in for
    ``--camera`` (``vs_vhdr.cli.raw_input``), their colour tags give the camera's colour.
    """
    if raw is not None:
        source = raw_mask_source(raw, args.mask, args.camera, args.cfa, "reconstruct")
        if source.found:
            print(f"vhdr reconstruct: {source.found}", file=sys.stderr)
        return source.mask, source.cfa, _identity, source.primaries, source.colour
    if args.mask is None and args.camera is None:
        raise InvalidArgumentError(
            "reconstruct: no mask source; expected --mask FILE or --camera NAME (raw files may "
            "name their camera in their metadata instead)"
        )
    if args.mask is not None:
        mask = read_image(args.mask)
        if mask.ndim != 2:
            raise InvalidArgumentError(
                f"reconstruct: --mask {args.mask} has shape {mask.shape}; expected one channel H×W"
            )
        return mask, args.cfa or "RGGB", _identity, 2, None
    from vs_vhdr.plugins import get_host

    calibration = get_host().calibration(args.camera)
    return (
        calibration.mask,
        args.cfa or calibration.cfa,
        calibration.normalise,
        calibration.primaries,
        get_host().camera_colour(args.camera, calibration),
    )


def _identity(raw: np.ndarray) -> np.ndarray:
    return raw


def _summary(reconstructor: Reconstructor, written: int, skipped: int, seconds: float) -> str:
    stats = reconstructor.stats
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    memory = f"peak memory {rss:.0f} MiB RSS"
    if reconstructor.device.type == "cuda":
        gpu = torch.cuda.max_memory_allocated(reconstructor.device) / 2**20
        memory += f", {gpu:.0f} MiB on {reconstructor.device}"
    rate = written / seconds if seconds > 0 else 0.0
    return (
        f"vhdr reconstruct: {written} frame(s) written, {skipped} skipped, in {seconds:.2f} s "
        f"({rate:.2f} frames/s); {stats.windows_computed} network window(s), "
        f"{stats.network_frames_per_output:.2f} network frames per output frame; {memory}"
    )
