"""A fixed training set on disk, one folder per sample in ``vhdr simulate``'s layout.

``FOLDER/NNNNN/`` holds ``raw.%04d.exr`` (channel ``Y``), ``mask.exr`` (``Y``), ``gt.%04d.exr``
(RGB, exposure-normalised) and ``capture.json`` (the simulator's record; its ``source`` says
which shot, start frame, crop and mask the sample came from). A folder written by
``vhdr simulate`` itself (files directly inside) is a set of one sample.
:func:`write_fixed_set` writes such a set from a :class:`~vs_vhdr.data.dataset.SimulatedClips`.
"""

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from vs_vhdr.data.dataset import SimulatedClips
from vs_vhdr.errors import InvalidArgumentError, NoMatchingFilesError, OutputExistsError
from vs_vhdr.io.atomic import write_text_atomic
from vs_vhdr.io.exr import read_exr_mono, read_exr_rgb, write_exr
from vs_vhdr.io.sequence import expand


class FixedClips(Dataset[dict[str, Any]]):
    """Samples read from a fixed set; items as in :class:`SimulatedClips` (first ``frames``)."""

    def __init__(self, folder: str | os.PathLike[str], *, frames: int) -> None:
        root = Path(folder)
        if not root.is_dir():
            raise NoMatchingFilesError(f"data.fixed: {root} is not a folder")
        candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir())
        self.samples = [p for p in candidates if list(p.glob("raw.*.exr"))]
        if not self.samples:
            raise NoMatchingFilesError(
                f"data.fixed: {root} holds no sample (folders with raw.NNNN.exr, gt.NNNN.exr, "
                "mask.exr)"
            )
        self.frames = frames
        first = read_exr_mono(self.samples[0] / "mask.exr").shape
        self.size: tuple[int, int] = (int(first[0]), int(first[1]))
        for sample in self.samples:
            count = len(expand(str(sample / "raw.%04d.exr")))
            if count < frames or len(expand(str(sample / "gt.%04d.exr"))) < frames:
                raise InvalidArgumentError(
                    f"data.fixed: {sample} has {count} raw frames (or fewer gt frames); "
                    f"expected at least data.frames={frames}"
                )

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        folder = self.samples[index]
        raw_paths = [p for _, p in expand(str(folder / "raw.%04d.exr"))][: self.frames]
        gt_paths = [p for _, p in expand(str(folder / "gt.%04d.exr"))][: self.frames]
        raw = np.stack([read_exr_mono(p) for p in raw_paths])
        gt = np.stack([read_exr_rgb(p) for p in gt_paths])
        mask = read_exr_mono(folder / "mask.exr")
        for name, shape in (("raw", raw.shape[1:3]), ("gt", gt.shape[1:3]), ("mask", mask.shape)):
            if tuple(shape) != self.size:
                raise InvalidArgumentError(
                    f"data.fixed: {folder} {name} frames are {shape[0]}×{shape[1]}, but the set's "
                    f"samples are {self.size[0]}×{self.size[1]}; every sample must have one size"
                )
        return {
            "raw": torch.from_numpy(raw),
            "mask": torch.from_numpy(mask),
            "gt": torch.from_numpy(np.ascontiguousarray(gt.transpose(3, 0, 1, 2))),
            "index": index,
        }


def write_fixed_set(
    clips: SimulatedClips, folder: str | os.PathLike[str], *, progress: bool = True
) -> Path:
    """Simulate every sample of ``clips`` into ``folder`` (which must not exist yet)."""
    root = Path(folder)
    if root.exists() and any(root.iterdir()):
        raise OutputExistsError(f"pregenerate: {root} exists and is not empty; choose a new folder")
    root.mkdir(parents=True, exist_ok=True)
    for index in tqdm(range(len(clips)), desc="simulate", unit="sample", disable=not progress):
        sample = clips.sample(index)
        out = root / f"{index:05d}"
        out.mkdir()
        for t in range(sample.raw.shape[0]):
            write_exr(out / f"raw.{t:04d}.exr", sample.raw[t])
            write_exr(out / f"gt.{t:04d}.exr", sample.gt[t])
        write_exr(out / "mask.exr", sample.mask)
        record = dict(sample.info["record"])
        record["source"] = {
            **record.get("source", {}),
            "crop": sample.info["crop"],
            "mask": sample.info["mask"],
            "sample": index,
        }
        write_text_atomic(out / "capture.json", json.dumps(record, indent=2) + "\n")
    return root
