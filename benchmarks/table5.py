"""A Table-5-style comparison (paper §5): C3D, DC3D, C3DED trained with L_Content and L_VHDR.

Run ``python -m benchmarks.table5 --help``. For every (model, loss) pair the script trains
``configs/MODEL.toml`` with ``loss.kind`` set, ``--steps`` steps (resuming a run it finds in
``--out``), then reconstructs the same held-out evaluation clips (simulated from the configs'
``data.holdout`` shots with their own seed) in one network pass each, and scores every model and
the naive baseline with :class:`vs_vhdr.metrics.report.MetricsTable`. Writes ``table5.md``,
``table5.json`` and ``table5.png`` into ``--out``.

Without VGG16 weights (``--set loss.vgg_weights=PATH``) λ2 is off, so L_Content is λ1·L1 and
L_VHDR adds λ3·L_SM + λ4·L_LM; the notes in ``table5.md`` say so. The numbers mean something only
with the recipe's budget (20 000 steps, crop 64, a GPU); ``--steps 3 --crop 16`` checks the
pipeline in a few CPU minutes.
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from vs_vhdr.data.dataset import SimulatedClips
from vs_vhdr.data.shots import open_shots
from vs_vhdr.metrics.baseline import naive_reconstruct
from vs_vhdr.metrics.figure import write_figure
from vs_vhdr.metrics.report import MetricsTable
from vs_vhdr.nets import create_model, prepare_input
from vs_vhdr.train.build import spec_of
from vs_vhdr.train.config import TrainConfig, load_config
from vs_vhdr.train.trainer import WEIGHTS_NAME, train
from vs_vhdr.units import from_log

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
EVAL_SEED = 5_000_011
"""Seed of the evaluation clips (a stream no training run draws from)."""


def evaluation_clips(config: TrainConfig, count: int) -> SimulatedClips:
    """``count`` clips from the held-out shots, identical for every model."""
    d = config.data
    return SimulatedClips(
        open_shots(d.holdout, d, "data.holdout"), d, EVAL_SEED, length=count, stream=2
    )


@torch.no_grad()
def reconstruct(weights: Path, clips: SimulatedClips, cfa: str, device: str) -> list[np.ndarray]:
    """Linear HDR ``T×H×W×3`` of every clip, one network pass each."""
    model = create_model(str(weights)).to(device).eval()
    outputs = []
    for index in range(len(clips)):
        sample = clips.sample(index)
        raw = torch.from_numpy(sample.raw)[None].to(device)
        mask = torch.from_numpy(sample.mask)[None, None].to(device)
        log_hdr = model(prepare_input(raw, mask, cfa, spec_of(model)))
        outputs.append(from_log(log_hdr[0]).permute(1, 2, 3, 0).cpu().numpy())
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["c3d", "dc3d", "c3ded"])
    parser.add_argument("--losses", nargs="+", default=["content", "vhdr"])
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--clips", type=int, default=8, help="evaluation clips")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("runs/table5"))
    args = parser.parse_args()
    common = [f"run.steps={args.steps}", f"data.crop={args.crop}", "run.progress=false"]
    common += [f"run.device={args.device}", *args.overrides]
    table = MetricsTable()
    clips: SimulatedClips | None = None
    for name in args.models:
        for kind in args.losses:
            config = load_config(CONFIGS / f"{name}.toml", [*common, f"loss.kind={kind}"])
            run = args.out / f"{name}-{kind}"
            train(config, run, resume=(run / "checkpoint.pt").is_file())
            clips = clips or evaluation_clips(config, args.clips)
            outputs = reconstruct(run / WEIGHTS_NAME, clips, config.data.cfa, args.device)
            for index, pred in enumerate(outputs):
                sample = clips.sample(index, with_motion=True)
                table.add(f"clip{index}", f"{name} {kind}", pred, sample.gt, sample.motion)
    assert clips is not None
    for index in range(len(clips)):
        sample = clips.sample(index, with_motion=True)
        naive = naive_reconstruct(sample.raw, sample.mask, clips.config.cfa)
        table.add(f"clip{index}", "naive baseline", naive, sample.gt, sample.motion)
    if not args.overrides or not any("vgg_weights" in o for o in args.overrides):
        table.notes.append("no VGG16 weights: λ2·L_VGG off in training, l_vgg not computed")
    table.notes.append(f"{args.steps} steps, crop {args.crop}, {args.clips} held-out clips")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table5.md").write_text(table.to_markdown())
    table.write_json(args.out / "table5.json", force=True)
    write_figure(args.out / "table5.png", table, force=True)
    print(table.to_markdown())


if __name__ == "__main__":
    main()
