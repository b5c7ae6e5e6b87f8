"""Can the learned layers learn at all? Overfit one short training clip and measure the gain.

Before any training budget is spent: a model is trained (Adam, L1 on log HDR) on one simulated
clip from the training scenes, and PU21-PSNR on that same clip is compared for the fixed front
end (the untrained model, whose head starts at zero) and the trained model. A healthy
architecture gains several dB within minutes on the CPU; the issue asks for at least +3 dB.

    python -m benchmarks.overfit --model pmunet --steps 300 --out benchmarks/results/overfit

writes ``OUT.json`` and prints the table (step, loss, PU21-PSNR of model and front end).
"""

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from vs_vhdr.data.config import DataConfig
from vs_vhdr.data.dataset import SimulatedClips
from vs_vhdr.data.shots import open_shots
from vs_vhdr.metrics.pu21 import pu21_psnr
from vs_vhdr.nets.inputs import prepare_input
from vs_vhdr.nets.registry import create_model
from vs_vhdr.units import from_log, to_log

SHOTS = ("builtin:courtyard", "builtin:sunrise")


def one_clip(frames: int, crop: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``raw (1×T×H×W)``, ``mask (H×W)`` and ``gt (1×3×T×H×W)`` of one training sample."""
    config = DataConfig(shots=SHOTS, frames=frames, crop=crop, samples=1)
    dataset = SimulatedClips(open_shots(SHOTS, config, "overfit"), config, seed)
    item = dataset[0]
    return item["raw"][None], item["mask"], item["gt"][None]


def psnr(log_pred: torch.Tensor, gt: torch.Tensor) -> float:
    """PU21-PSNR of a ``1×3×T×H×W`` log prediction against linear ground truth."""
    pred = from_log(log_pred.detach())[0].permute(1, 2, 3, 0).numpy()
    return pu21_psnr(pred, gt[0].permute(1, 2, 3, 0).numpy())


def overfit(model_name: str, steps: int, lr: float, frames: int, crop: int, seed: int) -> dict:
    """Train ``model_name`` from scratch on one clip; the PU21-PSNR curve and the gain."""
    torch.manual_seed(seed)
    raw, mask, gt = one_clip(frames, crop, seed)
    model = create_model(model_name, weights=False)
    network_input = prepare_input(raw, mask, "RGGB", model.spec)
    target = to_log(gt)
    with torch.no_grad():
        front_end = psnr(model(network_input), gt)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    curve = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        loss = (model(network_input) - target).abs().mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % max(1, steps // 10) == 0 or step == steps:
            with torch.no_grad():
                value = psnr(model(network_input), gt)
            curve.append({"step": step, "loss": float(loss.detach()), "pu21_psnr": value})
            print(
                f"step {step:5d}  loss {float(loss.detach()):.4f}  PU21-PSNR {value:.2f} dB",
                flush=True,
            )
    final = curve[-1]["pu21_psnr"]
    return {
        "model": model_name,
        "steps": steps,
        "lr": lr,
        "clip": {"frames": frames, "crop": crop, "seed": seed, "shots": list(SHOTS)},
        "front_end_pu21_psnr": front_end,
        "trained_pu21_psnr": final,
        "gain_db": final - front_end,
        "seconds": time.perf_counter() - start,
        "machine": f"{platform.machine()}, {torch.get_num_threads()} threads",
        "curve": curve,
    }


def main() -> None:
    """Command line: see the module doc."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="pmunet")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/overfit"))
    args = parser.parse_args()
    report = overfit(args.model, args.steps, args.lr, args.frames, args.crop, args.seed)
    print(
        f"{args.model}: front end {report['front_end_pu21_psnr']:.2f} dB, after {args.steps} steps"
        f" {report['trained_pu21_psnr']:.2f} dB: {report['gain_db']:+.2f} dB"
        f" ({report['seconds']:.0f} s)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    path = args.out.with_suffix(".json")
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
