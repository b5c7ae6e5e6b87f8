"""``vhdr calibrate``: measure a camera's mask from flat-field raw frames, write a calibration.

Reads flat-field raw mosaics (EXR channel ``Y`` / single channel, ``.npy``, 16-bit ``.png`` /
``.tif`` in DN), normalises them with ``--black-level`` / ``--white-level`` (DNG and camera raw
files: with their own levels, CFA and camera identity, see docs/raw.md), estimates the
transmittance (:mod:`vs_vhdr.calibration.flatfield`) and writes ``--out NAME.json`` plus
``NAME.mask.exr`` (schema ``vhdr.MaskCalibration/2``). The camera identity comes from the flags or
else from the first EXR's ``cameraMake`` / ``cameraModel`` / ``cameraSerialNumber`` attributes.
"""

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vs_vhdr import __version__
from vs_vhdr.calibration.camera import CameraId
from vs_vhdr.calibration.flatfield import estimate_transmittance, mask_error
from vs_vhdr.calibration.schema import MaskCalibration, save_calibration
from vs_vhdr.cli.raw_input import FlatFields, open_cli_raw, raw_flat_fields
from vs_vhdr.errors import InvalidArgumentError, OutputExistsError, UnreadableFileError
from vs_vhdr.imaging.cfa import check_cfa
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.io.exr import read_exr_channels, read_exr_mono
from vs_vhdr.io.images import read_image
from vs_vhdr.io.sequence import expand_many


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr calibrate``."""
    parser = subparsers.add_parser(
        "calibrate",
        help="measure a camera's mask from flat-field frames (docs/plugins.md)",
        description="Estimate per-pixel mask transmittance from raw frames of a uniform, "
        "unsaturated white target (several exposures allowed) and write a calibration file.",
    )
    parser.add_argument("flatfield", nargs="+", metavar="FLATFIELD", help="raw frames or patterns")
    parser.add_argument("--out", required=True, metavar="FILE.json", help="calibration to write")
    parser.add_argument(
        "--unmasked",
        nargs="+",
        metavar="FRAME",
        help="flat-field frames of the same target with the mask removed (fits the vignetting)",
    )
    parser.add_argument("--name", help="calibration name (default: the --out file's stem)")
    parser.add_argument("--cfa", help="Bayer pattern of the frames (raw files': theirs; RGGB)")
    parser.add_argument("--camera-make", help="camera maker (default: from EXR metadata)")
    parser.add_argument("--camera-model", help="camera model (default: from EXR metadata)")
    parser.add_argument("--camera-serial", help="camera serial number (default: EXR metadata)")
    parser.add_argument(
        "--black-level", type=float, help="raw black (file units; default 0, raw files: theirs)"
    )
    parser.add_argument(
        "--white-level",
        type=float,
        help="raw white (file units; default 1 for float files, the type's maximum for integers)",
    )
    parser.add_argument("--sensor-size", metavar="HxW", help="full sensor (default: frame size)")
    parser.add_argument("--crop-offset", metavar="R,C", default="0,0", help="frames' sensor offset")
    parser.add_argument("--primaries", type=int, default=2, help="H.273 primaries code (2)")
    parser.add_argument("--degree", type=int, default=4, help="vignetting polynomial degree (4)")
    parser.add_argument(
        "--percentile", type=float, default=99.5, help="percentile that becomes 1 (100 = max)"
    )
    parser.add_argument(
        "--saturation", type=float, default=0.98, help="normalised level counted as clipped"
    )
    parser.add_argument("--reference-mask", metavar="FILE", help="known mask: report the error")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--force", action="store_true", help="replace existing outputs")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Estimate, report and write the calibration."""
    out = Path(args.out)
    if out.suffix.lower() != ".json":
        raise InvalidArgumentError(f"--out {out}: expected a .json file name")
    if args.cfa is not None:
        check_cfa(args.cfa, "--cfa")
    outputs = [out, out.with_suffix(".mask.exr")] + ([Path(args.json)] if args.json else [])
    for target in outputs:
        if target.exists() and not args.force:
            raise OutputExistsError(f"{target} already exists; pass --force to replace it")
    where = "vhdr calibrate"
    raw = open_cli_raw(
        args.flatfield,
        args.black_level,
        args.white_level,
        where,
        allow_gaps=True,
        levels_only_for_raw=False,
    )
    flats = (
        raw_flat_fields(raw, args.unmasked, args.cfa, where)
        if raw is not None
        else _flat_fields(args)
    )
    estimate = estimate_transmittance(
        flats.frames,
        unmasked=flats.unmasked,
        degree=args.degree,
        percentile=args.percentile,
        saturation=args.saturation,
    )
    report: dict[str, Any] = {
        **estimate.record(),
        **flats.report,
        "files": [p.name for p in flats.paths],
    }
    if flats.unmasked_paths:
        report["unmasked_files"] = [p.name for p in flats.unmasked_paths]
    if args.reference_mask:
        reference = read_image(args.reference_mask)
        report["reference_error"] = mask_error(estimate.transmittance, reference)
    found = CameraId.from_metadata(flats.metadata)
    camera = CameraId(
        make=args.camera_make or found.make,
        model=args.camera_model or found.model,
        serial=args.camera_serial or found.serial,
    )
    calibration = MaskCalibration(
        name=args.name or _name_from(out),
        camera=camera,
        mask=estimate.transmittance,
        cfa=flats.cfa,
        black_level=flats.black,
        white_level=flats.white,
        sensor_size=_pair(args.sensor_size, "x", "--sensor-size") or flats.frames.shape[1:],
        crop_offset=_pair(args.crop_offset, ",", "--crop-offset") or (0, 0),
        primaries=args.primaries,
        measurement={**report, "software": f"vhdr {__version__}"},
        date=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    save_calibration(calibration, out, force=args.force)
    if args.json:
        write_text_atomic(args.json, json.dumps(report, indent=2) + "\n")
    _print_report(calibration, report, flats.frames.shape)
    print(f"wrote {out} and {out.with_suffix('.mask.exr')}")
    return 0


def _flat_fields(args: argparse.Namespace) -> FlatFields:
    """Non-raw flat fields, normalised with ``--black-level`` / ``--white-level``."""
    paths = [path for _, path in expand_many(args.flatfield)]
    frames, integer_max, metadata = _read_frames(paths)
    black = args.black_level if args.black_level is not None else 0.0
    white = args.white_level if args.white_level is not None else (integer_max or 1.0)
    if not white > black:
        raise InvalidArgumentError(f"--white-level {white} must be above --black-level {black}")
    scale = np.float32(1.0 / (white - black))
    unmasked_paths = [path for _, path in expand_many(args.unmasked)] if args.unmasked else []
    unmasked = _read_frames(unmasked_paths)[0] if unmasked_paths else None
    return FlatFields(
        paths=paths,
        frames=(frames - np.float32(black)) * scale,
        unmasked_paths=unmasked_paths,
        unmasked=None if unmasked is None else (unmasked - np.float32(black)) * scale,
        black=float(black),
        white=float(white),
        cfa=args.cfa or "RGGB",
        metadata=metadata,
        report={},
    )


def _read_frames(paths: list[Path]) -> tuple[np.ndarray, float | None, dict[str, Any]]:
    """Frames ``T×H×W`` float32 in file units, the integer type's maximum, first EXR header."""
    frames: list[np.ndarray] = []
    integer_max: float | None = None
    metadata: dict[str, Any] = {}
    for path in paths:
        suffix = path.suffix.lower()
        if suffix in (".png", ".tif", ".tiff"):
            data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if data is None:
                raise UnreadableFileError(f"vhdr calibrate: OpenCV cannot read {path}")
            if data.dtype.kind in "ui":
                integer_max = float(np.iinfo(data.dtype.name).max)
            frame = data.astype(np.float32)
        elif suffix == ".exr":
            if not metadata:
                metadata = read_exr_channels(path)[1]
            frame = read_exr_mono(path)
        else:
            frame = read_image(path)
        if frame.ndim != 2:
            raise UnreadableFileError(
                f"vhdr calibrate: {path} has shape {frame.shape}; expected a raw mosaic (H×W)"
            )
        if frames and frame.shape != frames[0].shape:
            raise InvalidArgumentError(
                f"vhdr calibrate: {path} is {frame.shape} but {paths[0]} is {frames[0].shape}; "
                "expected frames of one size"
            )
        frames.append(frame)
    return np.stack(frames), integer_max, metadata


def _pair(text: str | None, separator: str, flag: str) -> tuple[int, int] | None:
    if text is None:
        return None
    parts = text.lower().split(separator)
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise InvalidArgumentError(
            f"{flag} {text!r}: expected two integers like 1080{separator}1920"
        )
    return (int(parts[0]), int(parts[1]))


def _name_from(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._+-]", "-", path.stem).lstrip("._+-")
    return name or "camera"


def _print_report(
    calibration: MaskCalibration, report: dict[str, Any], shape: tuple[int, ...]
) -> None:
    mask = calibration.mask
    exposures = " ".join(f"{e:.3g}" for e in report["relative_exposures"])
    print(
        f"calibration {calibration.name!r}: {calibration.camera.describe()}, CFA {calibration.cfa}"
    )
    print(f"  {shape[0]} frame(s) {shape[1]}×{shape[2]}, relative exposures {exposures}")
    print(
        f"  transmittance mean {mask.mean():.4f}, min {mask.min():.4f} ({report['normalisation']})"
    )
    print(f"  vignetting: {report['vignetting']}")
    noise = report["noise_rms"]
    print(
        "  estimate noise (RMS standard error): "
        + (f"{noise:.5f}" if noise is not None else "unknown (needs >= 2 frames)")
    )
    print(f"  pixels saturated in every frame: {report['saturated_pixels']}")
    if "reference_error" in report:
        err = report["reference_error"]
        print(
            f"  error vs reference mask: RMSE {err['rmse']:.5f}, MAE {err['mae']:.5f}, "
            f"RMSE after best scale {err['rmse_scaled']:.5f}, correlation {err['correlation']:.5f}"
        )
