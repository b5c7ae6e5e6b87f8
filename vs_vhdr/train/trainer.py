"""The training loop: data → network → loss → Adam, with checkpoints, validation and logs.

Run folder (``RUN``)::

    config.toml      resolved config (every key)          split.json   training / held-out shots
    run.json         environment and notes (e.g. VGG off)  checkpoint.pt  latest checkpoint
    train.{csv,jsonl} val.{csv,jsonl} curves.png           weights.safetensors  final export

Step ``s`` (1-based count of optimiser updates) trains on the samples the
:class:`~vs_vhdr.data.sampler.StepSampler` assigns to step ``s-1``. A checkpoint is written every
``run.checkpoint_every`` steps, at the end, and when SIGTERM/SIGINT arrives (the step in flight
finishes first). ``resume=True`` restores the checkpoint and continues; because samples depend on
(seed, step) only, the loss curve continues exactly as if the run had never stopped.
"""

import json
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from vs_vhdr.errors import InvalidArgumentError, OutputExistsError, VhdrError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.losses.motion import motion_temporal_loss
from vs_vhdr.losses.overshoot import overshoot_loss
from vs_vhdr.losses.pu21 import pu21_loss
from vs_vhdr.nets import prepare_input
from vs_vhdr.train import checkpoint, distributed, validation
from vs_vhdr.train.build import build_loss, build_model, spec_of
from vs_vhdr.train.config import TrainConfig, diff, load_config, to_dict, to_toml
from vs_vhdr.train.data import TrainingData, build_data
from vs_vhdr.train.export import export_weights
from vs_vhdr.train.runlog import RunLog
from vs_vhdr.train.schedule import learning_rate
from vs_vhdr.units import to_log

RESUMABLE_CHANGES = (
    "run.steps",
    "run.checkpoint_every",
    "run.val_every",
    "run.log_every",
    "run.progress",
    "run.device",
    "run.precision",
    "run.export_dtype",
    "run.time_limit_s",
    "data.workers",
    "optim.schedule",
    "optim.lr_min",
    "optim.decay_start",
)
"""Config keys that may differ between a run and its resumption."""

WEIGHTS_NAME = "weights.safetensors"


class TrainingDivergedError(VhdrError):
    """The loss became NaN or infinite; the last checkpoint is kept."""


@dataclass(frozen=True)
class TrainResult:
    """How a run ended."""

    run_dir: Path
    step: int
    finished: bool
    stopped_by: str | None
    weights: Path | None
    last_loss: float | None


class _StopRequest:
    """Turns SIGTERM/SIGINT into a flag checked between steps (restored on exit)."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "_StopRequest":
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: signals stay with the host
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name


def _ignore_stop_signals(worker_id: int) -> None:
    """DataLoader workers leave SIGINT/SIGTERM to the trainer, which stops them after saving."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def train(config: TrainConfig, run_dir: str | Path, *, resume: bool = False) -> TrainResult:
    """Train (or resume) a run in ``run_dir``; under torchrun every rank calls this.

    Raises:
        OutputExistsError: ``run_dir`` holds a run and ``resume`` is False.
        InvalidArgumentError: ``resume`` without a checkpoint, or a config that changed.
        IncompatibleWeightsError: the checkpoint holds another architecture.
        TrainingDivergedError: the loss became non-finite.
    """
    ctx = distributed.setup(config.run.device)
    try:
        with _StopRequest() as stop:
            return _Run(config, Path(run_dir), ctx, resume, stop).execute()
    finally:
        distributed.teardown(ctx)


def check_run_dir(config: TrainConfig, run_dir: Path, resume: bool) -> None:
    """Refuse to overwrite a run, to resume nothing, or to resume with another recipe."""
    ckpt = run_dir / checkpoint.CHECKPOINT_NAME
    saved = run_dir / "config.toml"
    if not resume:
        if ckpt.exists() or saved.exists():
            raise OutputExistsError(
                f"train: {run_dir} already holds a run; pass --resume to continue it or choose "
                "another --out"
            )
        return
    if not ckpt.is_file():
        raise InvalidArgumentError(f"train: --resume but {ckpt} does not exist")
    changed = [k for k in diff(load_config(saved), config) if k not in RESUMABLE_CHANGES]
    if changed:
        raise InvalidArgumentError(
            f"train: --resume with a config that differs from {saved} in {', '.join(changed)}; "
            f"only {', '.join(RESUMABLE_CHANGES)} may change"
        )


class _Run:
    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        ctx: distributed.Context,
        resume: bool,
        stop: _StopRequest,
    ) -> None:
        self.config, self.run_dir, self.ctx, self.stop = config, run_dir, ctx, stop
        check_run_dir(config, run_dir, resume)
        distributed.barrier(ctx)  # every rank checked before rank 0 writes
        torch.manual_seed(config.run.seed)  # identical initial weights on every rank
        if ctx.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed crop sizes: pick the fastest kernels
        self.data: TrainingData = build_data(config, run_dir if ctx.is_main else None)
        self.model = build_model(config.model).to(ctx.device)
        self.spec = spec_of(self.model)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        o = config.optim
        self.optimizer = torch.optim.Adam(
            trainable, lr=o.lr, betas=(o.beta1, o.beta2), weight_decay=o.weight_decay
        )
        self.loss_fn = build_loss(config.loss).to(ctx.device)
        self.step = 0
        if resume:
            payload = checkpoint.load_checkpoint(run_dir / checkpoint.CHECKPOINT_NAME)
            self.step = checkpoint.restore(
                payload, self.model, self.optimizer, self.spec.name, str(run_dir)
            )
        self.log = RunLog(run_dir) if ctx.is_main else None
        if self.log is not None:
            run_dir.mkdir(parents=True, exist_ok=True)
            write_text_atomic(run_dir / "config.toml", to_toml(config))
            self._write_run_info(resume)
            if resume:
                self.log.truncate(self.step)
        self.net: nn.Module = self.model
        if ctx.distributed:
            ids = [ctx.device.index] if ctx.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)

    def execute(self) -> TrainResult:
        cfg, ctx = self.config, self.ctx
        sampler = self.data.sampler(self.step, ctx)
        loader = DataLoader(
            self.data.train,
            batch_size=sampler.per_rank,
            sampler=sampler,
            num_workers=cfg.data.workers,
            pin_memory=ctx.device.type == "cuda",
            worker_init_fn=_ignore_stop_signals,
        )
        bar = tqdm(
            total=cfg.run.steps,
            initial=self.step,
            disable=not (ctx.is_main and cfg.run.progress),
            desc="train",
            unit="step",
            dynamic_ncols=True,
        )
        last_loss: float | None = None
        last_saved = self.step
        stopped_by = None
        began = time.monotonic()
        self.net.train()
        for batch in loader:
            started = time.perf_counter()
            lr = learning_rate(cfg.optim, self.step, cfg.run.steps)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            values = self._train_step(batch)
            self.step += 1
            last_loss = values["loss"]
            values["step_s"] = time.perf_counter() - started
            if self.step % cfg.run.log_every == 0:
                logged = distributed.mean_over_ranks(self.ctx, values)
                if self.log is not None:
                    self.log.log("train", self.step, {**logged, "lr": lr})
            bar.update(1)
            bar.set_postfix(loss=f"{last_loss:.4g}")
            if cfg.run.val_every and self.step % cfg.run.val_every == 0:
                self._validate()
            limit = cfg.run.time_limit_s
            out_of_time = limit > 0 and time.monotonic() - began >= limit
            stop = distributed.any_rank(ctx, self.stop.signal_name is not None or out_of_time)
            if self.step % cfg.run.checkpoint_every == 0 or self.step == cfg.run.steps or stop:
                self._checkpoint()
                last_saved = self.step
            if stop and self.step < cfg.run.steps:
                stopped_by = (
                    "time limit" if out_of_time else self.stop.signal_name or "another rank"
                )
                break
        bar.close()
        finished = self.step >= cfg.run.steps
        if self.step != last_saved:
            self._checkpoint()
        weights = None
        if finished or stopped_by == "time limit":
            if cfg.run.val_every and self.step % cfg.run.val_every:
                self._validate()
            weights = self._export()
        if self.log is not None:
            self.log.plot()
            self.log.close()
        return TrainResult(self.run_dir, self.step, finished, stopped_by, weights, last_loss)

    def _train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        device = self.ctx.device
        raw = batch["raw"].to(device, non_blocking=True)
        mask = batch["mask"].to(device, non_blocking=True)
        gt = batch["gt"].to(device, non_blocking=True)
        network_input = prepare_input(raw, mask[:, None], self.config.data.cfa, self.spec)
        bf16 = self.config.run.precision == "bf16"
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            output = self.net(network_input)
        prediction, target = output.float(), to_log(gt)
        terms = self.loss_fn(prediction, target)
        if self.config.loss.motion > 0 and "motion" in batch:
            terms["motion"] = motion_temporal_loss(
                prediction,
                target,
                batch["motion"].to(device, non_blocking=True),
                batch["motion_valid"].to(device, non_blocking=True),
            )
            terms["loss"] = terms["loss"] + self.config.loss.motion * terms["motion"]
        if self.config.loss.pu21 > 0:
            terms["pu21"] = pu21_loss(prediction, target)
            terms["loss"] = terms["loss"] + self.config.loss.pu21 * terms["pu21"]
        if self.config.loss.overshoot > 0:
            terms["overshoot"] = overshoot_loss(prediction, target)
            terms["loss"] = terms["loss"] + self.config.loss.overshoot * terms["overshoot"]
        loss = terms["loss"]
        if distributed.any_rank(self.ctx, not bool(torch.isfinite(loss).item())):
            raise TrainingDivergedError(
                f"train: the loss is not finite at step {self.step + 1} (on this or another "
                "process); the checkpoint of an earlier step is kept (lower optim.lr or set "
                "optim.grad_clip)"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.optim.grad_clip)
        self.optimizer.step()
        return {name: float(value.detach()) for name, value in terms.items()}

    def _validate(self) -> None:
        if self.log is not None and self.data.val:
            metrics = validation.validate(
                self.model, self.loss_fn, self.data.val, self.config, self.ctx.device
            )
            self.log.log("val", self.step, metrics)
            self.net.train()
        distributed.barrier(self.ctx)

    def _checkpoint(self) -> None:
        failure: checkpoint.CheckpointWriteError | None = None
        if self.ctx.is_main:
            try:
                checkpoint.save_checkpoint(
                    self.run_dir / checkpoint.CHECKPOINT_NAME,
                    step=self.step,
                    model=self.model,
                    optimizer=self.optimizer,
                    model_name=self.spec.name,
                    config=to_dict(self.config),
                    extra={"samples_seen": self.step * self.config.optim.batch},
                )
            except checkpoint.CheckpointWriteError as error:
                failure = error
        if distributed.any_rank(self.ctx, failure is not None):  # every rank stops together
            raise failure or checkpoint.CheckpointWriteError(
                f"train: rank 0 could not write the checkpoint of step {self.step}"
            )

    def _export(self) -> Path | None:
        path = self.run_dir / WEIGHTS_NAME
        if self.ctx.is_main and self.log is not None:
            export_weights(
                self.model,
                path,
                self.config,
                self.data.split,
                self.log.rows("val"),
                self.step,
                baseline=self._baseline(),
                notes=self._notes(),
                dtype=self.config.run.export_dtype,
            )
        distributed.barrier(self.ctx)
        return path

    def _write_run_info(self, resume: bool) -> None:
        info_path = self.run_dir / "run.json"
        info: dict[str, Any] = {}
        if resume and info_path.is_file():
            info = json.loads(info_path.read_text(encoding="utf-8"))
        info.setdefault("sessions", []).append(
            {
                "start_step": self.step,
                "world_size": self.ctx.world_size,
                "device": str(self.ctx.device),
                "torch": torch.__version__,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            }
        )
        info["model"] = self.spec.name
        info["notes"] = self._notes()
        write_text_atomic(info_path, json.dumps(info, indent=2) + "\n")

    def _notes(self) -> list[str]:
        return [f"{k}: {v}" for k, v in getattr(self.loss_fn, "disabled", {}).items()]

    def _baseline(self) -> dict[str, float] | None:
        """The naive baseline on the validation samples (computed once, kept in the run)."""
        if self.data.val is None:
            return None
        path = self.run_dir / "baseline.json"
        if path.is_file():
            return dict(json.loads(path.read_text(encoding="utf-8")))
        values = validation.baseline_metrics(self.data.val, self.config)
        write_text_atomic(path, json.dumps(values, indent=2) + "\n")
        return values
