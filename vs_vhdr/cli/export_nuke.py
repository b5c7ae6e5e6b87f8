"""``vhdr export-nuke``: write a model as TorchScript for Nuke's Inference node (nuke_plugin/README.md)."""

import argparse

import numpy as np

from vs_vhdr.errors import InvalidArgumentError


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``vhdr export-nuke``."""
    parser = subparsers.add_parser(
        "export-nuke",
        help="export a model as TorchScript for Nuke's Inference node",
        description="Write OUT/STEM.pt (TorchScript: a 1×C×H×(T·W) wide window in, the HDR frame "
        "out) and OUT/STEM.json (what was exported, with which torch). Make the .cat from the "
        ".pt once in NukeX with CatFileCreator (see nuke_plugin/README.md).",
    )
    parser.add_argument("--model", default="default", help="model name or weights file")
    parser.add_argument("--window", type=int, default=8, help="frames in the wide image (T)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write into")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--mask", metavar="FILE", help="mask image to bake in (-m models)")
    source.add_argument("--camera", metavar="NAME", help="calibration whose mask to bake in")
    source.add_argument(
        "--mask-from-input",
        action="store_true",
        help="the module reads the mask from input channel 1 (green) instead",
    )
    parser.add_argument(
        "--cfa", default=None, help="Bayer pattern (default: the calibration's, else RGGB)"
    )
    parser.add_argument("--name", default=None, metavar="STEM", help="file stem of .pt/.json")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export, check against the engine, print what was written."""
    from vs_vhdr.export.torchscript import export_nuke
    from vs_vhdr.nets.weights import quality_warning
    from vs_vhdr.plugins import get_host

    mask, cfa, source = _mask(args)
    result = export_nuke(
        args.model,
        args.out,
        window=args.window,
        cfa=cfa,
        mask=mask,
        mask_source=source,
        mask_from_input=args.mask_from_input,
        stem=args.name,
        force=args.force,
    )
    sidecar = result.sidecar
    print(f"vhdr export-nuke: wrote {result.module_path} and {result.sidecar_path}")
    print(
        f"vhdr export-nuke: {sidecar['model']['name']}, window {sidecar['window']}, "
        f"cfa {sidecar['cfa']}, mask {sidecar['mask']}; torch {sidecar['torch_version']}, "
        f"TorchScript file format {sidecar['file_format_version']}; "
        f"max |Δlog| vs the engine {result.max_abs_dlog:.2e}"
    )
    warning = quality_warning(get_host().create_model(args.model))
    if warning:
        print(f"vhdr export-nuke: warning: {warning}")
    return 0


def _mask(args: argparse.Namespace) -> tuple[np.ndarray | None, str, str]:
    """The mask to bake (or None), the CFA and a description of the mask's source."""
    if args.camera is not None:
        from vs_vhdr.plugins import get_host

        calibration = get_host().calibration(args.camera)
        return calibration.mask, args.cfa or calibration.cfa, f"camera {args.camera}"
    if args.mask is not None:
        from vs_vhdr.io.images import read_image

        mask = read_image(args.mask)
        if mask.ndim != 2:
            raise InvalidArgumentError(
                f"export-nuke: --mask {args.mask} has shape {mask.shape}; expected one channel H×W"
            )
        return mask, args.cfa or "RGGB", f"file {args.mask}"
    return None, args.cfa or "RGGB", "none"
