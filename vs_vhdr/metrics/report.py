"""The metrics table: every metric of one clip in one call, rows per clip and method, rendering.

Used by ``vhdr eval``, the demo, the trainer's validation and the model cards::

    from vs_vhdr.metrics.report import MetricsTable
    table = MetricsTable()
    table.add("clip0", "c3ded", pred, gt, motion="static")   # T×H×W×3 linear HDR arrays
    table.add("clip0", "baseline", naive, gt, motion="static")
    print(table.to_markdown())
    table.write_json("eval.json")

Metric keys (``METRICS``), in column order: ``log_mae``, ``log_mse``, ``log_ssim``,
``temporal_loss``, ``l_vgg``, ``pu21_psnr``, ``pu21_ssim``, ``temporal_error``, ``cvvdp_jod``. A
value is None where a metric does not apply (one-frame clip, unknown motion, no VGG weights given,
cvvdp not installed).
"""

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np
import torch

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.atomic import atomic_path
from vs_vhdr.losses.perceptual import VGGLoss
from vs_vhdr.metrics.colorvideovdp import UNAVAILABLE_NOTE, cvvdp_available, cvvdp_jod
from vs_vhdr.metrics.inputs import ClipLike, as_pair
from vs_vhdr.metrics.log_error import log_mae, log_mse
from vs_vhdr.metrics.motion import MotionLike
from vs_vhdr.metrics.perceptual import vgg_metric
from vs_vhdr.metrics.pu21 import pu21_psnr, pu21_ssim
from vs_vhdr.metrics.ssim import log_ssim
from vs_vhdr.metrics.temporal import motion_temporal_error, temporal_loss
from vs_vhdr.units import from_log

REPORT_SCHEMA = "vhdr.EvalReport/1"
"""``schema`` field of the JSON report."""


@dataclass(frozen=True)
class MetricInfo:
    """How a metric is shown: column label, unit and direction."""

    label: str
    unit: str
    higher_is_better: bool


METRICS: dict[str, MetricInfo] = {
    "log_mae": MetricInfo("MAE (log)", "ln", False),
    "log_mse": MetricInfo("MSE (log)", "ln²", False),
    "log_ssim": MetricInfo("SSIM (log)", "", True),
    "temporal_loss": MetricInfo("L_T (Eq. 7)", "ln", False),
    "l_vgg": MetricInfo("L_VGG (Eq. 3)", "", False),
    "pu21_psnr": MetricInfo("PU21-PSNR", "dB", True),
    "pu21_ssim": MetricInfo("PU21-SSIM", "", True),
    "temporal_error": MetricInfo("Temporal err.", "ln", False),
    "cvvdp_jod": MetricInfo("CVVDP", "JOD", True),
}
"""Every metric of the report, in column order."""

Metrics = dict[str, float | None]


def compute_metrics(
    pred: ClipLike,
    gt: ClipLike,
    motion: MotionLike | None = None,
    *,
    vgg: VGGLoss | None = None,
    cvvdp: bool = False,
    fps: float = 30.0,
) -> Metrics:
    """All metrics of one clip (``METRICS`` keys, in order).

    Args:
        pred, gt: linear, exposure-normalised HDR clips ``T×H×W×3`` (frames ≥ 11×11).
        motion: the known motion (``vs_vhdr.metrics.motion``), ``"static"``, or None when
            unknown (then ``temporal_error`` is None).
        vgg: the Eq. 3 loss with VGG16 weights (``perceptual.load_vgg``); None skips ``l_vgg``.
        cvvdp: also run ColorVideoVDP when ``pycvvdp`` is installed (slow on a CPU).
        fps: frame rate given to ColorVideoVDP.
    """
    p, g = as_pair(pred, gt, "compute_metrics")
    temporal = p.shape[0] >= 2
    values: Metrics = {
        "log_mae": log_mae(p, g),
        "log_mse": log_mse(p, g),
        "log_ssim": log_ssim(p, g),
        "temporal_loss": temporal_loss(p, g) if temporal else None,
        "l_vgg": vgg_metric(p, g, vgg) if vgg is not None else None,
        "pu21_psnr": pu21_psnr(p, g),
        "pu21_ssim": pu21_ssim(p, g),
        "temporal_error": (
            motion_temporal_error(p, g, motion) if temporal and motion is not None else None
        ),
        "cvvdp_jod": cvvdp_jod(p, g, fps) if cvvdp and cvvdp_available() else None,
    }
    return values


def clips_from_network(log_output: torch.Tensor) -> np.ndarray:
    """Network output ``B×3×T×H×W`` (log HDR) → ``B×T×H×W×3`` linear float32 numpy clips."""
    if log_output.dim() != 5 or log_output.shape[1] != 3:
        raise InvalidArgumentError(
            f"clips_from_network: shape {tuple(log_output.shape)}; expected B×3×T×H×W"
        )
    return from_log(log_output.detach()).permute(0, 2, 3, 4, 1).cpu().numpy()


@dataclass
class MetricsRow:
    """The metrics of one clip reconstructed by one method."""

    clip: str
    method: str
    metrics: Metrics


@dataclass
class MetricsTable:
    """Rows of metrics per (clip, method), their means per method, and notes on skipped metrics."""

    rows: list[MetricsRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    vgg: VGGLoss | None = None
    """L_VGG module used by :meth:`add` (``perceptual.load_vgg(path)``); None skips ``l_vgg``."""

    def add(
        self,
        clip: str,
        method: str,
        pred: ClipLike,
        gt: ClipLike,
        motion: MotionLike | None = None,
        *,
        cvvdp: bool = False,
        fps: float = 30.0,
    ) -> MetricsRow:
        """Compute :func:`compute_metrics` and append it as a row; notes say what was skipped."""
        metrics = compute_metrics(pred, gt, motion, vgg=self.vgg, cvvdp=cvvdp, fps=fps)
        if motion is None:
            self._note(f"{clip} ({method}): motion unknown, temporal error not computed")
        if cvvdp and not cvvdp_available():
            self._note(UNAVAILABLE_NOTE)
        return self.add_row(clip, method, metrics)

    def add_row(self, clip: str, method: str, metrics: Metrics) -> MetricsRow:
        """Append precomputed metrics (keys from ``METRICS``)."""
        unknown = sorted(set(metrics) - set(METRICS))
        if unknown:
            raise InvalidArgumentError(
                f"MetricsTable.add_row: unknown metrics {unknown}; expected keys of {list(METRICS)}"
            )
        row = MetricsRow(clip, method, {k: metrics.get(k) for k in METRICS})
        self.rows.append(row)
        return row

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def methods(self) -> list[str]:
        """Methods in order of first appearance."""
        return list(dict.fromkeys(row.method for row in self.rows))

    def mean(self, method: str) -> Metrics:
        """Mean of each metric over the clips of ``method`` (None where no clip has a value)."""
        result: Metrics = {}
        for key in METRICS:
            values = [r.metrics[key] for r in self.rows if r.method == method]
            present = [v for v in values if v is not None]
            result[key] = sum(present) / len(present) if present else None
        return result

    def columns(self) -> list[str]:
        """Metric keys with a value in at least one row."""
        return [k for k in METRICS if any(r.metrics[k] is not None for r in self.rows)]

    def to_markdown(self, digits: int = 4) -> str:
        """A Markdown table: one line per row, then the mean of each method; notes below."""
        columns = self.columns()
        header = ["clip", "method"] + [_heading(k) for k in columns]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        body = [(r.clip, r.method, r.metrics) for r in self.rows]
        if len({r.clip for r in self.rows}) > 1:
            body += [("**mean**", m, self.mean(m)) for m in self.methods()]
        for clip, method, metrics in body:
            cells = [clip, method] + [_format(metrics[k], digits) for k in columns]
            lines.append("| " + " | ".join(cells) + " |")
        if self.notes:
            lines += ["", "Notes:", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready report; non-finite values (e.g. PSNR of identical clips) become null."""
        return {
            "schema": REPORT_SCHEMA,
            "metrics": {
                k: {"label": i.label, "unit": i.unit, "higher_is_better": i.higher_is_better}
                for k, i in METRICS.items()
            },
            "rows": [
                {"clip": r.clip, "method": r.method, "metrics": _finite(r.metrics)}
                for r in self.rows
            ],
            "mean": {m: _finite(self.mean(m)) for m in self.methods()},
            "notes": list(self.notes),
        }

    def write_json(self, path: str | os.PathLike[str], *, force: bool = False) -> None:
        """Write :meth:`to_dict` as indented JSON, atomically (``force`` replaces a file)."""
        with atomic_path(path, force=force) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


def _heading(key: str) -> str:
    info = METRICS[key]
    unit = f" [{info.unit}]" if info.unit else ""
    return f"{info.label}{unit} {'↑' if info.higher_is_better else '↓'}"


def _format(value: float | None, digits: int) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def _finite(metrics: Metrics) -> Metrics:
    return {k: (v if v is not None and math.isfinite(v) else None) for k, v in metrics.items()}
