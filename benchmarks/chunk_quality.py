"""What chunk mode (``--overlap 0``) costs in quality against the default half overlap.

    python -m benchmarks.chunk_quality [--model default|NAME|FILE] [--scene procedural:mixed]
        [--frames 32] [--crop 96x128] [--seed 0] [--force]

Everything goes through the real commands: ``vhdr simulate`` makes a coded clip with known motion
and its ground truth, ``vhdr reconstruct`` runs it twice (``--overlap 0`` and the default), and
``vhdr eval`` scores both against the ground truth (log-MAE, PU21-PSNR, the exact-motion temporal
error, ...). Chunk mode computes each frame once (half the network work of the default) but a
frame at a window's edge sees context on one side only, and windows meet without a cross-fade;
the temporal error shows that seam. Writes ``benchmarks/results/chunk_quality-<model>.{json,md}``.
A model without trained weights gives numbers that show the mechanism only (the report says so).
"""

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from vs_vhdr.cli.main import main as vhdr
from vs_vhdr.errors import OutputExistsError, VhdrError
from vs_vhdr.io.atomic import write_text_atomic

RESULTS = Path(__file__).resolve().parent / "results"
MODES = {"chunk (overlap 0)": "0", "default (overlap 4)": None}


def _vhdr(*argv: object) -> str:
    """Run a ``vhdr`` command in this process; its stdout+stderr (raises on failure)."""
    words = [str(a) for a in argv]
    text = io.StringIO()
    with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
        status = vhdr(words)
    if status != 0:
        raise VhdrError(f"vhdr {' '.join(words)} failed: {text.getvalue()[-2000:]}")
    return text.getvalue()


def evaluate(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Simulate, reconstruct in both modes, evaluate; the metrics per mode and the run notes."""
    shot = folder / "shot"
    _vhdr("simulate", args.scene, "--out", shot, "--frames", args.frames, "--crop", args.crop,
          "--seed", args.seed)  # fmt: skip
    scores: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for label, overlap in MODES.items():
        out = folder / f"pred-{overlap or 'default'}"
        extra = ["--overlap", overlap] if overlap is not None else []
        notes[label] = _vhdr("reconstruct", shot / "raw.%04d.exr", "--mask", shot / "mask.exr",
                             "--out", out / "hdr.%04d.exr", "--model", args.model,
                             "--device", args.device, *extra).strip()  # fmt: skip
        report = folder / f"eval-{overlap or 'default'}.json"
        motion = shot / "motion.npy"
        _vhdr("eval", "--gt", shot / "gt.%04d.exr", "--pred", out / "hdr.%04d.exr", "--method",
              label, "--motion", motion if motion.exists() else "static", "--json", report)  # fmt: skip
        scores[label] = json.loads(report.read_text())["rows"][0]["metrics"]
    return {"scores": scores, "notes": notes}


def markdown(result: dict[str, Any]) -> str:
    """The comparison as a Markdown table (metrics as rows, the two modes as columns)."""
    s = result["settings"]
    labels = list(MODES)
    lines = [
        f"# Chunk mode vs default overlap: model {s['model']}",
        "",
        f"Clip: `vhdr simulate {s['scene']} --frames {s['frames']} --crop {s['crop']} "
        f"--seed {s['seed']}`; reconstructed on {s['device']}; scored by `vhdr eval`.",
        "",
    ]
    if any("no trained weights" in note for note in result["notes"].values()):
        lines += [
            "**The model has no trained weights: these numbers show the mechanism only, not "
            "the quality cost of a real model.** Rerun with `--model FILE.safetensors`.",
            "",
        ]
    lines += [f"| metric | {' | '.join(labels)} | chunk − default |", "|---|---:|---:|---:|"]
    chunk, default = (result["scores"][label] for label in labels)
    for key, value in chunk.items():
        other = default.get(key)
        if value is None or other is None:
            continue
        lines.append(f"| {key} | {value:.4f} | {other:.4f} | {value - other:+.4f} |")
    lines += ["", "Runs:", ""] + [
        f"- {k}: {v.splitlines()[-1]}" for k, v in result["notes"].items()
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the comparison, write JSON and Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--scene", default="procedural:mixed")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--crop", default="96x128", help="HxW")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    stem = "chunk_quality-" + Path(args.model).stem
    json_path, md_path = args.out / f"{stem}.json", args.out / f"{stem}.md"
    if not args.force and (json_path.exists() or md_path.exists()):
        raise OutputExistsError(f"chunk_quality: {json_path} exists; pass --force to replace it")
    with tempfile.TemporaryDirectory(prefix="vhdr-chunk-") as tmp:
        result = evaluate(args, Path(tmp))
    result["settings"] = {k: str(v) for k, v in vars(args).items() if k not in ("out", "force")}
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(json_path, json.dumps(result, indent=2) + "\n")
    write_text_atomic(md_path, markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
