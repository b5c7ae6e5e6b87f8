"""Run logs: one JSONL and one CSV file per stream (``train``, ``val``), PNG plots, TensorBoard.

Each row is ``{"step": int, name: float, ...}``. On resume, rows after the checkpoint's step are
dropped first, so a run killed and resumed has the same log as one that never stopped.
TensorBoard event files are written when the ``tensorboard`` package is importable.
"""

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from vs_vhdr.io.atomic import write_bytes_atomic, write_text_atomic

STREAMS = ("train", "val")


class RunLog:
    """Append-only metric log in ``folder`` (rank 0 only)."""

    def __init__(self, folder: str | Path, *, tensorboard: bool = True) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._writer: Any = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard not installed: CSV/JSONL/PNG only
                pass
            else:
                self._writer = SummaryWriter(str(self.folder / "tensorboard"))

    def jsonl(self, stream: str) -> Path:
        """Path of a stream's JSONL file."""
        return self.folder / f"{stream}.jsonl"

    def rows(self, stream: str) -> list[dict[str, Any]]:
        """All rows logged so far in ``stream``."""
        path = self.jsonl(stream)
        if not path.is_file():
            return []
        text = path.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def truncate(self, step: int) -> None:
        """Drop rows with a step after ``step`` (resume from a checkpoint at ``step``)."""
        for stream in STREAMS:
            rows = [r for r in self.rows(stream) if r["step"] <= step]
            text = "".join(json.dumps(r) + "\n" for r in rows)
            write_text_atomic(self.jsonl(stream), text)
            self._write_csv(stream, rows)

    def log(self, stream: str, step: int, values: dict[str, float]) -> None:
        """Append one row to ``stream`` (JSONL, CSV and TensorBoard)."""
        row = {"step": int(step), **{k: float(v) for k, v in values.items()}}
        with open(self.jsonl(stream), "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        csv_path = self.folder / f"{stream}.csv"
        header = list(row)
        if csv_path.is_file() and csv_path.stat().st_size > 0:
            with open(csv_path, encoding="utf-8") as handle:
                old_header = handle.readline().strip().split(",")
            if old_header == header:
                with open(csv_path, "a", encoding="utf-8", newline="") as handle:
                    csv.writer(handle).writerow([row[k] for k in header])
            else:  # a new column appeared: rewrite the table with the union of columns
                self._write_csv(stream, self.rows(stream))
        else:
            self._write_csv(stream, [row])
        if self._writer is not None:
            for key, value in values.items():
                self._writer.add_scalar(f"{stream}/{key}", value, step)

    def plot(self) -> Path:
        """Write ``curves.png``: every quantity that changes against step, log-scaled when positive."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        series = {s: self.rows(s) for s in STREAMS}
        names = sorted(
            {k for rows in series.values() for r in rows for k in r if k != "step"}
            - _constant(series)
        )
        count = max(len(names), 1)
        cols = min(count, 3)
        nrows = (count + cols - 1) // cols
        fig, axes = plt.subplots(nrows, cols, figsize=(4.5 * cols, 3.2 * nrows))
        flat = list(getattr(axes, "flat", [axes]))
        for ax, name in zip(flat, names, strict=False):
            for stream, rows in series.items():
                points = [(r["step"], r[name]) for r in rows if name in r]
                if points:
                    xs, ys = zip(*points, strict=True)
                    ax.plot(xs, ys, label=stream, marker="." if stream == "val" else None)
                    if all(y > 0 and math.isfinite(y) for y in ys):
                        ax.set_yscale("log")
            ax.set_title(name)
            ax.set_xlabel("step")
            ax.legend()
        for ax in flat[len(names) :]:
            ax.set_visible(False)
        fig.tight_layout()
        out = self.folder / "curves.png"
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        plt.close(fig)
        write_bytes_atomic(out, buffer.getvalue())
        return out

    def close(self) -> None:
        """Flush TensorBoard."""
        if self._writer is not None:
            self._writer.close()

    def _write_csv(self, stream: str, rows: list[dict[str, Any]]) -> None:
        header: list[str] = []
        for row in rows:
            header.extend(k for k in row if k not in header)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
        if header:
            writer.writeheader()
            writer.writerows(rows)
        write_text_atomic(self.folder / f"{stream}.csv", buffer.getvalue())


def _constant(series: dict[str, list[dict[str, Any]]]) -> set[str]:
    """Names logged more than once, always with one value (a disabled loss term, a fixed lr)."""
    values: dict[str, list[float]] = {}
    for rows in series.values():
        for row in rows:
            for key, value in row.items():
                values.setdefault(key, []).append(value)
    return {k for k, v in values.items() if len(v) > 1 and len(set(v)) == 1}
