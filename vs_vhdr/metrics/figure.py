"""The evaluation figure: per-clip metric bars, a tonemapped side-by-side, false-colour error maps.

Drawn with matplotlib's Agg canvas (no display, no global backend change) into one PNG, written
atomically. The error map is ``|ln(Y_pred + ε) − ln(Y_gt + ε)|`` of Rec. 709 luminance (ε =
``LOG_EPS``), on a shared colour scale for every method.
"""

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec

from vs_vhdr.errors import InvalidArgumentError
from vs_vhdr.io.atomic import atomic_path
from vs_vhdr.metrics.colour import REC709_LUMA
from vs_vhdr.metrics.report import METRICS, MetricsTable
from vs_vhdr.metrics.tonemap import contact_sheet
from vs_vhdr.units import LOG_EPS

_PANELS_PER_ROW = 4


@dataclass(frozen=True)
class Preview:
    """One frame shown in the figure: the ground truth and each method's output (``H×W×3``)."""

    title: str
    gt: np.ndarray
    outputs: Mapping[str, np.ndarray]


def log_luminance_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """``|ln(Y_pred + ε) − ln(Y_gt + ε)|`` per pixel of linear RGB ``H×W×3`` → ``H×W``."""
    weights = np.asarray(REC709_LUMA)
    y_pred = np.clip(pred, 0, None) @ weights
    y_gt = np.clip(gt, 0, None) @ weights
    return np.abs(np.log(y_pred + LOG_EPS) - np.log(y_gt + LOG_EPS))


def write_figure(
    path: str | os.PathLike[str],
    table: MetricsTable,
    preview: Preview | None = None,
    *,
    force: bool = False,
) -> None:
    """Draw the evaluation figure of ``table`` (and ``preview``) into a PNG at ``path``."""
    columns = table.columns()
    if not columns:
        raise InvalidArgumentError("write_figure: the table has no metric values to draw")
    methods = table.methods()
    ncols = max(_PANELS_PER_ROW, len(methods) if preview else 0)
    bar_rows = math.ceil(len(columns) / ncols)
    image_rows = 2 if preview else 0
    figure = Figure(figsize=(4 * ncols, 3 * bar_rows + 3.5 * image_rows), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(bar_rows + image_rows, ncols)
    for index, key in enumerate(columns):
        _draw_bars(figure.add_subplot(grid[index // ncols, index % ncols]), table, key, methods)
    if preview is not None:
        _draw_preview(figure, grid, bar_rows, preview, methods)
    with atomic_path(path, force=force) as tmp:
        figure.savefig(tmp, format="png", dpi=80)


def _draw_bars(axes: Axes, table: MetricsTable, key: str, methods: list[str]) -> None:
    clips = list(dict.fromkeys(row.clip for row in table.rows))
    width = 0.8 / len(methods)
    for m, method in enumerate(methods):
        values = {r.clip: r.metrics[key] for r in table.rows if r.method == method}
        heights = [_bar_value(values.get(c)) for c in clips]
        positions = np.arange(len(clips)) + (m - (len(methods) - 1) / 2) * width
        axes.bar(positions, heights, width, label=method)
    info = METRICS[key]
    axes.set_title(f"{info.label} ({'higher' if info.higher_is_better else 'lower'} is better)")
    axes.set_xticks(np.arange(len(clips)), clips, rotation=30, ha="right", fontsize=8)
    if info.unit:
        axes.set_ylabel(info.unit)
    axes.legend(fontsize=7)


def _bar_value(value: float | None) -> float:
    return float("nan") if value is None or not math.isfinite(value) else value


def _draw_preview(
    figure: Figure, grid: GridSpec, row: int, preview: Preview, methods: list[str]
) -> None:
    shown = [m for m in methods if m in preview.outputs]
    images = [preview.gt] + [preview.outputs[m] for m in shown]
    sheet = contact_sheet(images, labels=["ground truth", *shown])
    axes = figure.add_subplot(grid[row, :])
    axes.imshow(sheet)
    axes.set_title(f"{preview.title}: tonemapped (Reinhard, key of the ground truth)")
    axes.axis("off")
    errors = [log_luminance_error(preview.outputs[m], preview.gt) for m in shown]
    top = max(float(np.percentile(e, 99)) for e in errors) if errors else 1.0
    for index, (method, error) in enumerate(zip(shown, errors)):
        axes = figure.add_subplot(grid[row + 1, index])
        image = axes.imshow(error, cmap="magma", vmin=0, vmax=max(top, 1e-6))
        axes.set_title(f"{method}: |Δ ln Y|", fontsize=9)
        axes.axis("off")
        figure.colorbar(image, ax=axes, fraction=0.046)
