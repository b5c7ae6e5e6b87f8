"""``vhdr simulate``: HDR video → coded raw frames, mask, ground truth and ``capture.json``.

Writes, into a new folder (CONTRACT §2): ``raw.%04d.exr`` (one float channel ``Y``, values in
[0, 1]; with ``--format dng`` ``raw.%04d.dng`` instead: 16-bit Bayer DNG with CFA, levels and
camera tags, see docs/raw.md), ``mask.exr`` (``Y``), ``gt.%04d.exr`` (RGB, exposure-normalised) and ``capture.json``
(every parameter and seed; :func:`replay_dir` recomputes the frames bit for bit) and, when the
scene's motion is known, ``motion.npy`` (``(T−1)×H×W×2`` float32 ``(dy, dx)`` pixels, the layout
``vhdr eval --motion`` reads). Frames are
numbered from 0. The folder appears only when complete; an existing one needs ``--force``.
"""

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from vs_vhdr.colour.camera import DngColour
from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.imaging import masks
from vs_vhdr.imaging.capture import (
    CaptureRecord,
    CaptureSettings,
    capture_frames,
    derive_seeds,
    replay,
)
from vs_vhdr.imaging.exposure import auto_exposure, expose, luminance, parse_exposure
from vs_vhdr.imaging.noise import noise_preset
from vs_vhdr.imaging.response import parse_response
from vs_vhdr.io.dng import MIN_SIZE as DNG_MIN_SIZE
from vs_vhdr.io.dng import write_dng
from vs_vhdr.io.exr import REC709_CHROMATICITIES, read_exr_rgb, write_exr
from vs_vhdr.io.images import read_image
from vs_vhdr.io.outdir import atomic_directory
from vs_vhdr.io.raw import is_raw_path, read_raw
from vs_vhdr.io.sequence import format_frame
from vs_vhdr.scenes.base import Crop, Shot
from vs_vhdr.scenes.shots import SequenceShot, open_shot

RAW_PATTERN, GT_PATTERN = "raw.%04d.exr", "gt.%04d.exr"
RAW_PATTERNS = {"exr": RAW_PATTERN, "dng": "raw.%04d.dng"}
"""Raw frame file names per ``--format``."""
MASK_FILE, RECORD_FILE, MOTION_FILE = "mask.exr", "capture.json", "motion.npy"
GENERATED_MASKS = ("uniform", "lowfreq", "binary")
CACHE_BYTES = 256 * 2**20
"""Clips up to this size stay in memory between the exposure pass and the capture pass."""
EXPOSURE_SAMPLES = 65536
"""Pixels per frame (at most, on a regular grid) that the automatic exposure looks at."""


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr simulate``."""
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a coded-exposure camera: HDR video -> raw frames, mask, ground truth",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="HDR_INPUT",
        help="procedural:mixed|day|night, builtin:NAME, one HDR image (panned), or an EXR/HDR "
        "sequence (pattern such as shot/%%04d.exr, or several files)",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder (must not exist)")
    parser.add_argument("--mask", default="uniform", help="uniform, lowfreq, binary or a FILE")
    parser.add_argument("--mask-cell", type=int, help="cell size (pixels) of binary/lowfreq")
    parser.add_argument("--mask-sigma", type=float, help="blur sigma (pixels) of lowfreq")
    parser.add_argument("--mask-p", type=float, default=0.5, help="open-cell probability")
    parser.add_argument("--cfa", default="RGGB", help="RGGB, BGGR, GRBG or GBRG")
    parser.add_argument("--bits", type=int, default=12, help="ADC bits, 8-16 (default 12)")
    parser.add_argument(
        "--format",
        choices=tuple(RAW_PATTERNS),
        default="exr",
        help="raw frames as float EXR (Y) or as DNG a raw developer opens (min. 22x22)",
    )
    parser.add_argument(
        "--camera-colour",
        metavar="JSON|CAMERA",
        help="with --format dng: the scene is ACEScg and a camera with these DNG colour "
        "matrices and neutral records it (a JSON of DNG colour fields, a DNG, or a camera a "
        "plugin or calibration describes); gt.*.exr stay ACEScg (docs/colour.md)",
    )
    parser.add_argument("--exposure", default="auto", help="auto (median -> 0.18) or a scale")
    parser.add_argument("--noise", default="default", help="none, clean, default, low-light")
    parser.add_argument("--response", default="linear", help="linear, srgb, gamma[:G], lut:FILE")
    parser.add_argument("--frames", type=int, help="number of frames (default: 16 or all)")
    parser.add_argument("--crop", help="HxW: size of generated video, or centre crop of a sequence")
    parser.add_argument("--seed", type=int, default=0, help="seed of scene, mask and noise")
    parser.add_argument("--force", action="store_true", help="replace an existing output folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run ``vhdr simulate`` from parsed arguments."""
    record = simulate_to_dir(
        args.inputs,
        args.out,
        mask=args.mask,
        mask_cell=args.mask_cell,
        mask_sigma=args.mask_sigma,
        mask_p=args.mask_p,
        cfa=args.cfa,
        bits=args.bits,
        exposure=args.exposure,
        noise=args.noise,
        response=args.response,
        frames=args.frames,
        crop=parse_size(args.crop) if args.crop else None,
        seed=args.seed,
        force=args.force,
        raw_format=args.format,
        camera_colour=args.camera_colour,
    )
    print(
        f"vhdr simulate: {record.num_frames} frames of {record.height}x{record.width} in "
        f"{args.out} (exposure x{record.exposure_scale:.4g}, noise {args.noise})"
    )
    return 0


def parse_size(text: str) -> tuple[int, int]:
    """``"HxW"`` → ``(H, W)``."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match or 0 in (int(match.group(1)), int(match.group(2))):
        raise InvalidArgumentError(f"--crop: {text!r}; expected HxW in pixels, e.g. 256x256")
    return int(match.group(1)), int(match.group(2))


def simulate_to_dir(
    inputs: Sequence[str],
    out: str | os.PathLike[str],
    *,
    mask: str = "uniform",
    mask_cell: int | None = None,
    mask_sigma: float | None = None,
    mask_p: float = 0.5,
    cfa: str = "RGGB",
    bits: int = 12,
    exposure: str = "auto",
    noise: str = "default",
    response: str = "linear",
    frames: int | None = None,
    crop: tuple[int, int] | None = None,
    seed: int = 0,
    force: bool = False,
    raw_format: str = "exr",
    camera_colour: str | None = None,
) -> CaptureRecord:
    """Simulate ``inputs`` (see :func:`vs_vhdr.scenes.shots.open_shot`) into folder ``out``.

    ``raw_format`` ``"dng"`` writes the raw frames as DNG (:func:`vs_vhdr.io.dng.write_dng`,
    black 0, white ``2**bits − 1``: the quantised frames exactly) instead of float EXR.
    ``camera_colour`` (DNG only) takes the scene as ACEScg and records it with that camera's
    colour (:func:`vs_vhdr.colour.files.camera_colour_option`): the raw frames hold camera RGB, the
    DNGs carry its matrices and neutral, ``gt`` stays ACEScg.
    """
    colour = None
    if camera_colour is not None:
        if raw_format != "dng":
            raise InvalidArgumentError(
                "--camera-colour: applies to --format dng (the DNG carries the matrices); "
                f"got --format {raw_format}"
            )
        from vs_vhdr.colour.files import camera_colour_option

        colour = camera_colour_option(camera_colour, "--camera-colour")
    if raw_format not in RAW_PATTERNS:
        raise InvalidArgumentError(
            f"--format: {raw_format!r}; expected one of {', '.join(RAW_PATTERNS)}"
        )
    raw_pattern = RAW_PATTERNS[raw_format]
    seeds = derive_seeds(seed)
    settings = CaptureSettings(
        cfa=cfa,
        bits=bits,
        exposure=parse_exposure(exposure),
        response=parse_response(response),
        noise=noise_preset(noise),
        noise_seed=seeds["noise"],
        camera_seed=seeds["camera"],
    )
    if frames is not None and frames < 1:
        raise InvalidArgumentError(f"--frames: {frames}; expected at least 1")
    inputs = [i if ":" in i and not os.path.exists(i) else os.path.abspath(i) for i in inputs]
    opened: dict[str, Any] = {"height": crop[0] if crop else None, "num_frames": frames}
    opened.update(width=crop[1] if crop else None, seed=seeds["scene"])
    with atomic_directory(out, force=force, marker=RECORD_FILE) as folder:
        shot = open_shot(inputs, **opened)
        count, window = _window(shot, frames, crop)
        height, width = window[2], window[3]
        if raw_format == "dng" and min(height, width) < DNG_MIN_SIZE:
            raise InvalidArgumentError(
                f"--format dng: frames are {height}x{width}; expected at least "
                f"{DNG_MIN_SIZE}x{DNG_MIN_SIZE} (the smallest raw LibRaw decodes)"
            )
        mask_spec = _mask_spec(mask, seeds["mask"], mask_cell, mask_sigma, mask_p)
        phi = masks.make_mask(mask_spec, height, width)
        cache: list[np.ndarray] = []
        if settings.exposure is None:
            scale = _auto_scale(shot, count, window, settings, cache)
        else:
            scale = settings.exposure
        for i in tqdm(range(count), desc="simulate", unit="frame", disable=None):
            hdr = cache[i] if cache else shot.frames(i, 1, window)[0]
            gt = expose(hdr, scale)
            raw = capture_frames(_to_camera(gt, colour), phi, settings, first_frame=i)[0]
            if raw_format == "dng":
                path = folder / format_frame(raw_pattern, i)
                write_dng(path, raw, cfa=cfa, bits=bits, colour=colour)
            else:
                write_exr(folder / format_frame(raw_pattern, i), raw, attributes={"vhdrCfa": cfa})
            write_exr(folder / format_frame(GT_PATTERN, i), gt, chromaticities=_gt_chroma(colour))
        write_exr(folder / MASK_FILE, phi)
        outputs = {"raw": raw_pattern, "gt": GT_PATTERN, "mask": MASK_FILE}
        motion = shot.motion(0, count, window)
        if motion is not None:
            np.save(folder / MOTION_FILE, motion.displacement)
            outputs["motion"] = MOTION_FILE
        record = CaptureRecord(
            settings=settings,
            exposure_scale=float(scale),
            mask=mask_spec,
            mask_sha256=masks.mask_digest(phi),
            num_frames=count,
            height=height,
            width=width,
            source={
                "shot": shot.name,
                "inputs": inputs,
                "open": opened,
                "window": {"start": 0, "count": count, "crop": list(window)},
                "seed": seed,
                "seeds": seeds,
                "noise_preset": noise,
                "outputs": outputs,
                "camera_colour": None if colour is None else colour.to_dict(),
            },
        )
        record.save(folder / RECORD_FILE)
    return record


def replay_dir(folder: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Recompute ``(raw T×H×W, gt T×H×W×3)`` of a ``vhdr simulate`` folder from its inputs.

    The result equals the folder's ``raw.*.exr`` and ``gt.*.exr`` bit for bit (same inputs,
    same torch version).
    """
    record = CaptureRecord.load(Path(folder) / RECORD_FILE)
    source = record.source
    shot = open_shot(source["inputs"], **source["open"])
    window = source["window"]
    hdr = shot.frames(window["start"], window["count"], tuple(window["crop"]))
    mask = None if record.mask else masks.load_mask(Path(folder) / MASK_FILE)
    gt = expose(hdr, record.exposure_scale)
    colour = source.get("camera_colour")
    if colour is None:
        return replay(record, hdr, mask), gt
    from vs_vhdr.colour import DngColour

    camera = _to_camera(hdr, DngColour.from_dict(colour, "capture.json: camera_colour"))
    return replay(record, camera, mask), gt


def read_dir(folder: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read ``(raw T×H×W, gt T×H×W×3, mask H×W)`` back from a ``vhdr simulate`` folder."""
    path = Path(folder)
    record = CaptureRecord.load(path / RECORD_FILE)
    count, pattern = record.num_frames, record.source["outputs"]["raw"]
    read = read_image if not is_raw_path(pattern) else lambda p: read_raw(p)[0]
    raw = np.stack([read(path / format_frame(pattern, i)) for i in range(count)])
    gt = np.stack([read_exr_rgb(path / format_frame(GT_PATTERN, i)) for i in range(count)])
    return raw, gt, read_image(path / MASK_FILE)


def _to_camera(scene: np.ndarray, colour: DngColour | None) -> np.ndarray:
    """``…×3`` ACEScg scene → the camera's raw RGB (unchanged when ``colour`` is None)."""
    if colour is None:
        return scene
    from vs_vhdr.colour.files import scene_to_camera_matrix

    matrix = scene_to_camera_matrix(colour).astype(np.float32)
    return np.asarray(scene, dtype=np.float32) @ matrix.T


def _gt_chroma(colour: DngColour | None) -> tuple[float, ...] | None:
    """EXR chromaticities of ``gt``: ACEScg with a camera colour, else (camera RGB) unknown."""
    if colour is None:
        return REC709_CHROMATICITIES  # the simulator's scenes are Rec. 709 HDR images
    from vs_vhdr.colour import COLORSPACES

    return COLORSPACES["acescg"].chromaticities


def _window(shot: Shot, frames: int | None, crop: tuple[int, int] | None) -> tuple[int, Crop]:
    """Frame count and crop window: sequences are cut to ``frames`` and centre-cropped."""
    count = frames or shot.num_frames
    if count > shot.num_frames:
        raise InvalidArgumentError(
            f"--frames: {count}; {shot.name} has only {shot.num_frames} frames"
        )
    if crop is None or not isinstance(shot, SequenceShot):
        return count, (0, 0, shot.height, shot.width)
    height, width = crop
    if height > shot.height or width > shot.width:
        raise InvalidArgumentError(
            f"--crop: {height}x{width} is larger than the frames ({shot.height}x{shot.width})"
        )
    return count, ((shot.height - height) // 2, (shot.width - width) // 2, height, width)


def _mask_spec(
    kind: str, seed: int, cell: int | None, sigma: float | None, p: float
) -> masks.MaskSettings:
    if kind in GENERATED_MASKS:
        return masks.mask_settings(kind, seed=seed, p=p, cell=cell, sigma=sigma)
    if not Path(kind).suffix:
        raise InvalidArgumentError(
            f"--mask: {kind!r}; expected {', '.join(GENERATED_MASKS)} or a mask file"
        )
    return masks.mask_settings("file", path=os.path.abspath(kind))


def _auto_scale(
    shot: Shot, count: int, window: Crop, settings: CaptureSettings, cache: list[np.ndarray]
) -> float:
    """Automatic exposure over the whole clip; keeps the frames in ``cache`` if they are small."""
    keep = count * window[2] * window[3] * 3 * 4 <= CACHE_BYTES
    stride = max(1, int(np.ceil(np.sqrt(window[2] * window[3] / EXPOSURE_SAMPLES))))
    samples = []
    for i in tqdm(range(count), desc="exposure", unit="frame", disable=None):
        hdr = shot.frames(i, 1, window)[0]
        samples.append(luminance(hdr[::stride, ::stride]))
        if keep:
            cache.append(hdr)
    return auto_exposure(np.stack(samples), settings.exposure_rule)
